"""The three file formats on their own: msg.conf, dispatcher/job_controller.cnf, imta.cnf."""

from __future__ import annotations

from pathlib import Path

import pytest

from scims.msconfig.cnf import CnfFile, parse_cnf, parse_cnf_int, parse_port_list
from scims.msconfig.config import parse_boolean
from scims.msconfig.imta import ImtaConfig, names_host, parse_imta_cnf
from scims.msconfig.msgconf import MsgConf, parse_msg_conf
from scims.msconfig.source import Location, MsConfigError, read_config_lines

P = Path("/B/config/x")
HERE = Location(P, 7)


def msg(text: str) -> MsgConf:
    return MsgConf(parse_msg_conf(text.split("\n"), P))


def msg_error(text: str) -> MsConfigError:
    with pytest.raises(MsConfigError) as info:
        parse_msg_conf(text.split("\n"), P)
    return info.value


# --- msg.conf ------------------------------------------------------------------------------------


def test_msg_conf_values_quoted_and_not() -> None:
    conf = msg(
        'service.imap.banner = "%h %p service (%P %V)"\n'
        'local.hostname=meadow.siroe.com\n'
        '  service.pop.port   =   110  \n'
        r'service.http.banner = "say \"hi\" \\ then C:\path"' "\n"
        'local.motd = hello # not a comment\n'
        'local.empty =\n'
        'local.cleared = ""\n'
    )
    assert conf.value("service.imap.banner") == "%h %p service (%P %V)"
    assert conf.value("local.hostname") == "meadow.siroe.com"
    assert conf.value("service.pop.port") == "110"
    assert conf.value("service.http.banner") == r'say "hi" \ then C:\path'
    assert conf.value("local.motd") == "hello # not a comment"
    assert conf.value("local.empty") == ""
    assert conf.value("local.cleared") == ""
    assert conf.value("absent", "dflt") == "dflt"


def test_msg_conf_language_variants_are_kept_apart() -> None:
    conf = msg('service.imap.banner = "plain"\n'
               'service.imap.banner;lang-fr = "Bonjour %h"\n'
               'service.imap.banner;LANG-DE = Hallo\n')
    assert conf.value("service.imap.banner") == "plain"
    banner_fr = conf.get("service.imap.banner", "lang-fr")
    assert banner_fr is not None
    assert banner_fr.value == "Bonjour %h"
    assert banner_fr.origin == Location(P, 2)
    assert conf.languages("service.imap.banner") == ["lang-de", "lang-fr"]
    assert conf.names() == ["service.imap.banner"]


def test_msg_conf_comments_blank_lines_case_and_duplicates() -> None:
    conf = msg("! bang comment\n# hash comment\n   ! indented\n\n   \n"
               "Local.HostName = first\nlocal.hostname = second\n")
    setting = conf.get("LOCAL.hostname")
    assert setting is not None
    assert (setting.value, setting.origin.line) == ("second", 7)
    assert len(conf) == 1


@pytest.mark.parametrize(("text", "line", "needle"), [
    ("a = 1\nno equals here\n", 2, "expected 'name = value'"),
    ("a = 1\n\n = value\n", 3, "invalid parameter name"),
    ("bad name = 1\n", 1, "invalid parameter name"),
    ("a;b;c = 1\n", 1, "invalid parameter name"),
    ("a; = 1\n", 1, "invalid parameter name"),
    ("! c\na = \"open\n", 2, "no closing quote"),
    ('a = "ends with backslash\\"\n', 1, "no closing quote"),
    ('x = 1\ny = 2\na = "one" two\n', 3, "after the closing quote"),
])
def test_msg_conf_malformed_lines_name_their_line(text: str, line: int, needle: str) -> None:
    error = msg_error(text)
    assert (error.path, error.line) == (P, line)
    assert needle in error.problem


def test_msg_conf_overrides_defaults(tmp_path: Path) -> None:
    (tmp_path / "msg.conf.defaults").write_text("a = 1\nb = 2\n")
    (tmp_path / "msg.conf").write_text("! over\nb = 3\n")
    conf = MsgConf.load(tmp_path / "msg.conf", tmp_path / "msg.conf.defaults")
    a, b = conf.get("a"), conf.get("b")
    assert a is not None and b is not None
    assert (a.value, a.origin) == ("1", Location(tmp_path / "msg.conf.defaults", 1))
    assert (b.value, b.origin) == ("3", Location(tmp_path / "msg.conf", 2))


def test_reading_crlf_and_latin1(tmp_path: Path) -> None:
    """An ISO-8859-1 language variant is read, its bytes that are not UTF-8 carried as
    surrogates (issue #23: shown as \\xNN in a message, never as other letters)."""
    path = tmp_path / "msg.conf"
    path.write_bytes(b"a = 1\r\nbanner;lang-fr = \"D\xe9j\xe0\"\r\n")
    lines = read_config_lines(path)
    assert lines == ["a = 1", 'banner;lang-fr = "D\udce9j\udce0"']
    assert lines[1].encode("utf-8", "surrogateescape") == b'banner;lang-fr = "D\xe9j\xe0"'


def test_reading_counts_lines_like_an_editor(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a\x0cb\n\nc")  # a form feed is not a line break
    assert read_config_lines(path) == ["a\x0cb", "", "c"]
    assert read_config_lines(tmp_path / "absent", required=False) is None


@pytest.mark.parametrize(("word", "value"), [
    ("yes", True), ("YES", True), ("1", True), ("on", True), ("True", True), (" on ", True),
    ("no", False), ("No", False), ("0", False), ("OFF", False), ("false", False),
])
def test_booleans(word: str, value: bool) -> None:
    assert parse_boolean(word, HERE, "x") is value


@pytest.mark.parametrize("word", ["", "2", "y", "enabled", "nope"])
def test_non_booleans(word: str) -> None:
    with pytest.raises(MsConfigError) as info:
        parse_boolean(word, HERE, "local.autorestart")
    assert info.value.line == 7
    assert "local.autorestart" in info.value.problem


# --- dispatcher.cnf / job_controller.cnf ----------------------------------------------------------


def cnf(text: str) -> CnfFile:
    return parse_cnf(text.split("\n"), P)


def cnf_error(text: str) -> MsConfigError:
    with pytest.raises(MsConfigError) as info:
        parse_cnf(text.split("\n"), P)
    return info.value


def test_cnf_globals_sections_and_case() -> None:
    conf = cnf("!global\ntcp_port=27442\nSecret = never mind\n"
               "[ pool = DEFAULT ]\njob_limit=10\n[CHANNEL=tcp_*]\nMaster_Command=x\n"
               "PARAMETER=CHANNEL=tcp_lmtpss\n")
    assert set(conf.global_options) == {"TCP_PORT", "SECRET"}
    assert conf.global_options["SECRET"].value == "never mind"
    pool = conf.section("Pool", "default")
    assert pool is not None and pool.name == "DEFAULT" and pool.origin.line == 4
    channel = conf.section("CHANNEL", "TCP_*")
    assert channel is not None
    assert channel.options["PARAMETER"].value == "CHANNEL=tcp_lmtpss"
    assert [s.name for s in conf.sections_of("channel")] == ["tcp_*"]
    # a section sees the global options it does not override
    tcp_port = conf.option("tcp_port", channel)
    assert tcp_port is not None and tcp_port.origin.line == 2
    assert conf.option("job_limit") is None


def test_cnf_later_option_wins() -> None:
    conf = cnf("[SERVICE=SMTP]\nPORT=25\nPORT=2525\n")
    smtp = conf.section("SERVICE", "smtp")
    assert smtp is not None
    assert smtp.options["PORT"].value == "2525"


@pytest.mark.parametrize(("text", "line", "needle"), [
    ("MAX_PROCS=5\nMIN_PROCS\n", 2, "expected 'OPTION=value'"),
    ("[SERVICE=SMTP\n", 1, "invalid section line"),
    ("!\n[SERVICE]\n", 2, "invalid section line"),
    ("[SERVICE=]\n", 1, "invalid section line"),
    ("[SERVICE=SMTP] trailing\n", 1, "invalid section line"),
    ("=5\n", 1, "invalid option name"),
    ("MAX PROCS=5\n", 1, "invalid option name"),
    ("#comment=yes\n", 1, "invalid option name"),
    ("[SERVICE=SMTP]\nPORT=25\n!\n[service=smtp]\n", 4, "appears twice (first on line 1)"),
])
def test_cnf_malformed_lines_name_their_line(text: str, line: int, needle: str) -> None:
    error = cnf_error(text)
    assert (error.path, error.line) == (P, line)
    assert needle in error.problem


@pytest.mark.parametrize(("text", "value"), [
    ("25", 25), ("-1", -1), ("007", 7), ("16%FF", 255), ("16%ff", 255), ("8%777", 511),
    ("2%1010", 10), ("36%Z", 35), (" 10%99 ", 99),
])
def test_cnf_integers(text: str, value: int) -> None:
    assert parse_cnf_int(text, HERE, "PORT") == value


@pytest.mark.parametrize(("text", "needle"), [
    ("", "not an integer"), ("abc", "not an integer"), ("1_000", "not an integer"),
    ("16%", "not an integer"), ("%FF", "not an integer"), ("-16%FF", "not an integer"),
    ("8%9", "not valid in base 8"), ("1%0", "not between 2 and 36"),
    ("37%1", "not between 2 and 36"), ("1" * 5000, "not an integer"),
])
def test_cnf_non_integers(text: str, needle: str) -> None:
    with pytest.raises(MsConfigError) as info:
        parse_cnf_int(text, HERE, "PORT")
    assert info.value.line == 7 and needle in info.value.problem


def test_port_lists() -> None:
    conf = cnf("[SERVICE=SMTP]\nPORT=25, 16%24B ,2525\n[SERVICE=X]\nPORT=25,,26\n"
               "[SERVICE=Y]\nPORT=65536\n")
    ports = [s.options["PORT"] for s in conf.sections]
    assert parse_port_list(ports[0]) == [25, 587, 2525]
    for option, needle in ((ports[1], "empty element"), (ports[2], "not a TCP port")):
        with pytest.raises(MsConfigError) as info:
            parse_port_list(option)
        assert info.value.line == option.origin.line and needle in info.value.problem


def test_cnf_absent_file(tmp_path: Path) -> None:
    assert CnfFile.load(tmp_path / "dispatcher.cnf", required=False) is None
    with pytest.raises(MsConfigError, match="missing"):
        CnfFile.load(tmp_path / "dispatcher.cnf", required=True)


# --- imta.cnf ------------------------------------------------------------------------------------


def imta(text: str) -> ImtaConfig:
    return parse_imta_cnf(text.split("\n"), P)


DOC_EXAMPLE = """\
! test.cnf - An example configuration file.
!
! Part I: Rewrite rules
a     $U@a-daemon
b     $U@b-daemon
c     $U%c@b-daemon
d     $U%d@a-daemon
<IMTA_TABLE:internet.rules

! Part II: Channel definitions
l
local-host

a_channel defragment charset7 usascii
a-daemon

</opt/SUNWmsgsr/config/more.channels

b_channel noreverse notices 1 2 3
b-daemon
"""


def test_imta_doc_example() -> None:
    conf = imta(DOC_EXAMPLE)
    assert [(r.pattern, r.template, r.line) for r in conf.rules] == [
        ("a", "$U@a-daemon", 4), ("b", "$U@b-daemon", 5), ("c", "$U%c@b-daemon", 6),
        ("d", "$U%d@a-daemon", 7)]
    assert [(i.target, i.line) for i in conf.includes] == [
        ("IMTA_TABLE:internet.rules", 8), ("/opt/SUNWmsgsr/config/more.channels", 17)]
    assert [(c.name, c.line, c.official_host, c.official_host_line) for c in conf.channels] == [
        ("l", 11, "local-host", 12), ("a_channel", 14, "a-daemon", 15),
        ("b_channel", 19, "b-daemon", 20)]
    a_channel = conf.channel("a_channel")
    assert a_channel is not None
    assert [w for w, _ in a_channel.keywords] == ["defragment", "charset7", "usascii"]
    assert conf.local_host == "local-host"
    # '%c@' names domain c in a template
    assert [(m.host, m.context) for m in conf.host_mentions if m.line == 6] == [
        ("c", "rewrite-pattern"), ("c", "rewrite-template"), ("b-daemon", "rewrite-template")]


def test_imta_wrapped_keywords_and_multiline_defaults() -> None:
    conf = imta(
        "mars.siroe.com $U%$D@mars.siroe.com\n"
        "\n"
        "defaults logging notices 1 2 4 7 copywarnpost copysendpost postheadonly\n"
        "noswitchchannel immnonurgent maxjobs 7 defaulthost siroe.com\n"
        "\n"
        "l defragment charset7 us-ascii\n"
        "! a comment inside a block is not a blank line\n"
        "charset8 iso-8859-01 maxjobs 7\n"
        "mars.siroe.com\n"
        "\n\n\n"
        "tcp_local smtp\n"
    )
    defaults, local, tcp_local = conf.channels
    assert defaults.official_host is None
    assert ("defaulthost", 4) in defaults.keywords
    assert local.official_host == "mars.siroe.com" and local.official_host_line == 9
    assert ("charset8", 8) in local.keywords
    assert tcp_local.official_host is None and tcp_local.keywords == (("smtp", 13),)
    assert conf.default_hosts == ["siroe.com"]
    assert [(m.line, m.context) for m in conf.mentions_of("mars")] == [
        (1, "rewrite-pattern"), (1, "rewrite-template"), (9, "local-channel-host")]
    assert conf.mentions_of("mars")[0].text == "mars.siroe.com $U%$D@mars.siroe.com"


def test_imta_defaulthost_second_argument_only_when_a_domain() -> None:
    conf = imta("\ndefaults defaulthost red.siroe.com red.siroe.com\n\n"
                "other defaulthost meadow notices 1\nhost\n")
    assert conf.default_hosts == ["red.siroe.com", "red.siroe.com", "meadow"]


def test_imta_generic_patterns_and_templates_name_no_host() -> None:
    conf = imta(".   $E$U%$H@tcp-daemon\n"
                "[]  $E$R${INTERNAL_IP,$L}$U%[$L]@tcp_intranet-daemon$Ntcp_local-daemon\n"
                "$*  $A\n"
                ".mars.siroe.com  $U%$H$D@tcp-daemon\n"
                "[192.18.75.10]  $U@[192.18.75.10]\n")
    assert [(m.host, m.line) for m in conf.host_mentions] == [
        ("tcp-daemon", 1), ("tcp_intranet-daemon", 2), ("mars.siroe.com", 4),
        ("tcp-daemon", 4), ("192.18.75.10", 5), ("192.18.75.10", 5)]


def test_imta_missing_blank_line_before_channels() -> None:
    with pytest.raises(MsConfigError) as info:
        imta("! rules\nmeadow $U@meadow\nl\nmeadow\n")
    assert (info.value.path, info.value.line) == (P, 3)
    assert "blank line" in info.value.problem


def test_imta_comment_lines_do_not_end_the_rewrite_rules() -> None:
    conf = imta("a $U@a\n!\n! more\nb $U@b\n\nl\nhost\n")
    assert [r.pattern for r in conf.rules] == ["a", "b"]
    assert conf.local_host == "host"


def test_imta_empty_and_absent(tmp_path: Path) -> None:
    conf = imta("")
    assert conf.rules == () and conf.channels == () and conf.local_host is None
    assert ImtaConfig.load(tmp_path / "imta.cnf", required=False) is None


@pytest.mark.parametrize(("mention", "host", "expected"), [
    ("mars", "mars", True),
    ("MARS.siroe.com", "mars", True),
    ("mars.siroe.com", "mars.siroe.com.", True),
    ("ims-ms.mars.siroe.com", "mars.siroe.com", True),
    ("mars", "mars.siroe.com", True),
    ("meadow.siroe.com", "mars", False),
    ("marsh.siroe.com", "mars", False),
    ("siroe.com", "mars.siroe.com", False),
    ("192.18.75.10", "192.18.75.10", True),
    ("192.18.75.11", "192.18.75.10", False),
    ("192.mars.com", "192.18.75.10", False),
    ("", "mars", False),
])
def test_names_host(mention: str, host: str, expected: bool) -> None:
    assert names_host(mention, host) is expected
