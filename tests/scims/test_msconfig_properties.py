"""Whatever the files hold, loading gives a configuration or a MsConfigError that points somewhere.

The agent runs this reader in validate, start and the fault monitor; a traceback there would be
an unexplained method failure, so no content may produce any other exception.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scims.msconfig.cnf import parse_cnf, parse_cnf_int
from scims.msconfig.config import MessagingConfig
from scims.msconfig.msgconf import parse_msg_conf
from scims.msconfig.source import Location, MsConfigError

FILES = ["msg.conf", "msg.conf.defaults", "dispatcher.cnf", "job_controller.cnf", "imta.cnf"]

BASELINE = {
    "msg.conf.defaults": "local.serveruid = mailsrv\nlocal.imta.enable = 1\n",
    "msg.conf": "service.listenaddr = 10.0.0.1\n",
    "dispatcher.cnf": "[SERVICE=SMTP]\nPORT=25\n[SERVICE=SMTP_SUBMIT]\nPORT=587\n",
    "job_controller.cnf": "tcp_port=27442\n[POOL=DEFAULT]\njob_limit=10\n",
    "imta.cnf": "meadow $U@meadow\n\nl\nmeadow\n",
}

# Pieces that make the parsers take their interesting branches far more often than random text.
FRAGMENTS = [
    "\n", "\r\n", " ", "\t", "=", " = ", '"', '\\"', "\\", "!", "#", ";", ";lang-fr", "[", "]",
    "%", ",", "@", "$U", "<", ".", "-", "0", "1", "25", "65536", "16%FF", "8%9", "yes", "no",
    "maybe", "[SERVICE=SMTP]", "[SERVICE=SMTP_SUBMIT]", "[POOL=DEFAULT]", "PORT=", "TCP_PORT=",
    "INTERFACE_ADDRESS=", "10.0.0.1", "::1", "0.0.0.0", "local.imta.enable", "local.store.enable",
    "service.imap.enable", "service.imap.port", "service.imap.enablesslport",
    "service.listenaddr", "local.watcher.port", "local.autorestart.timeout", "local.hostname",
    "defaults", "defaulthost", "l", "mars.siroe.com", "\x00", "\x0c", "\u2028", "é", "\udcff",
]

contents = st.one_of(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=40).map(
        "".join),
    st.text(max_size=200),
    st.binary(max_size=200),
)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    top = tmp_path_factory.mktemp("install")
    root, shared = top / "B", top / "C"
    root.mkdir()
    (shared / "config").mkdir(parents=True)
    (root / "config").symlink_to(shared / "config")
    for name, text in BASELINE.items():
        (shared / "config" / name).write_text(text)
    yield root


def write(path: Path, content: str | bytes) -> None:
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    path.write_bytes(content)


def line_count(path: Path) -> int:
    return len(path.read_bytes().split(b"\n"))


@pytest.mark.parametrize("name", FILES)
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=contents)
def test_any_content_loads_or_fails_with_a_location(base: Path, name: str,
                                                    content: str | bytes) -> None:
    target = base / "config" / name
    write(target, content)
    try:
        config = MessagingConfig.load(base)
    except MsConfigError as error:
        assert error.path.parent == base / "config"
        assert error.problem
        if error.line is not None:
            assert error.path.is_file()
            assert 1 <= error.line <= line_count(error.path)
        assert str(error).startswith(str(error.path))
    else:
        assert all(e.port is None or 1 <= e.port <= 65535 for e in config.endpoints)
    finally:
        target.write_text(BASELINE[name])


@settings(max_examples=300)
@given(value=st.text(alphabet=st.characters(blacklist_categories=["Cs"],
                                            blacklist_characters="\n\r"), max_size=40))
def test_msg_conf_quoting_round_trips(value: str) -> None:
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    settings_ = parse_msg_conf([f"service.imap.banner = {quoted}"], Path("msg.conf"))
    assert settings_[("service.imap.banner", None)].value == value


DIGITS = string.digits + string.ascii_uppercase


def in_base(number: int, base: int) -> str:
    out = ""
    while True:
        number, digit = divmod(number, base)
        out = DIGITS[digit] + out
        if number == 0:
            return out


@given(number=st.integers(min_value=0, max_value=2**40), base=st.integers(2, 36))
def test_base_notation_round_trips(number: int, base: int) -> None:
    text = f"{base}%{in_base(number, base)}"
    assert parse_cnf_int(text, Location(Path("x")), "PORT") == number


# A malformed line among valid ones is reported at its own line number, whatever surrounds it.

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}(\.[a-z0-9_]{1,8}){0,3}", fullmatch=True)
plain_values = st.from_regex(r"[A-Za-z0-9./:%-]{0,12}", fullmatch=True)
msg_conf_lines = st.one_of(
    st.just(""), st.just("   "), st.sampled_from(["! comment", "# comment", "  !x = 1"]),
    st.builds("{} = {}".format, names, plain_values),
    st.builds('{};lang-fr = "{}"'.format, names, plain_values),
)
bad_msg_conf_lines = st.sampled_from(
    ["no equals sign", 'a = "unterminated', "two words = 1", 'a = "x" y', "= 1", "a;b;c = 1"])


@given(before=st.lists(msg_conf_lines, max_size=15), bad=bad_msg_conf_lines,
       after=st.lists(st.one_of(msg_conf_lines, bad_msg_conf_lines), max_size=15))
def test_msg_conf_error_is_on_the_first_bad_line(before: list[str], bad: str,
                                                 after: list[str]) -> None:
    with pytest.raises(MsConfigError) as info:
        parse_msg_conf([*before, bad, *after], Path("msg.conf"))
    assert info.value.line == len(before) + 1


cnf_lines = st.one_of(
    st.just(""), st.just("!comment"), st.just("  ! indented comment"),
    st.builds("{}={}".format, st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True),
              plain_values),
)
bad_cnf_lines = st.sampled_from(["NOEQUALS", "[BROKEN", "[=X]", "BAD NAME=1", "=1"])


@given(sections=st.lists(st.lists(cnf_lines, max_size=6), max_size=5), bad=bad_cnf_lines,
       after=st.lists(cnf_lines, max_size=5))
def test_cnf_error_is_on_the_bad_line(sections: list[list[str]], bad: str,
                                      after: list[str]) -> None:
    lines: list[str] = []
    for number, body in enumerate(sections):
        lines += [f"[POOL=P{number}]", *body]
    with pytest.raises(MsConfigError) as info:
        parse_cnf([*lines, bad, *after], Path("job_controller.cnf"))
    assert info.value.line == len(lines) + 1
