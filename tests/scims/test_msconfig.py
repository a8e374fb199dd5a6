"""MessagingConfig.load on realistic 6.3 installations: what the agent would probe and check."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from mssim.install import dispatcher_cnf, job_controller_cnf
from scims import trust
from scims.msconfig.config import MessagingConfig, MsConfigError, ServiceEndpoint

LOGICAL_IP = "192.18.75.155"

# What `configure` writes (docs/msgserver.md §6), with the logical host name as the procedure asks.
MSG_CONF_DEFAULTS = """\
! msg.conf.defaults - written by configure; never edit
local.serveruid = mailsrv
local.servergid = mail
local.hostname = meadow.siroe.com
local.watcher.enable = yes
local.autorestart = no
local.autorestart.timeout = 600
local.store.enable = 1
local.imta.enable = 1
local.ens.enable = 1
local.sched.enable = 1
local.metermaid.enable = no
service.imap.enable = yes
service.imap.port = 143
service.imap.enablesslport = no
service.imap.sslport = 993
service.pop.enable = yes
service.pop.port = 110
service.http.enable = yes
service.http.port = 80
service.imap.banner = "%h %p service (%P %V)"
"""

MSG_CONF_BEFORE_HA = """\
! msg.conf - explicit overrides
store.partition.primary.path = /var/opt/SUNWmsgsr/store/partition/primary
"""

MSG_CONF_AFTER_HA = f"""\
! msg.conf - explicit overrides
store.partition.primary.path = /var/opt/SUNWmsgsr/store/partition/primary
service.listenaddr = {LOGICAL_IP}
service.http.smtphost = {LOGICAL_IP}
local.watcher.enable = 1
local.autorestart = 1
"""

DISPATCHER_BEFORE_HA = dispatcher_cnf({"smtp": 25, "submit": 587}) + """\
!
! rfc 2033 LMTP server - store
![SERVICE=LMTPSS]
!PORT=225
"""
"""The file as configure writes it, with a commented-out section."""

DISPATCHER_AFTER_HA = DISPATCHER_BEFORE_HA.replace(
    "!INTERFACE_ADDRESS=", f"INTERFACE_ADDRESS={LOGICAL_IP}")

JOB_CONTROLLER_BEFORE_HA = job_controller_cnf({"job_controller": 27442})
"""The file as configure writes it (the stand-in installation writes the same)."""

JOB_CONTROLLER_AFTER_HA = JOB_CONTROLLER_BEFORE_HA.replace(
    "max_life_age=3600\n", f"max_life_age=3600\nINTERFACE_ADDRESS={LOGICAL_IP}\n")

IMTA_CNF = """\
! IMTA configuration file
!
! part I : rewrite rules
!
! Domain Rewrite Rules.
!<IMTA_TABLE:domain.rules
!
! Rules to select local users
{host}        $U%$D@{host}
!
! ims-ms
ims-ms                      $E$U@ims-ms-daemon
ims-ms.{host} $E$U@ims-ms-daemon
!
! tcp_local / default
.                           $E$U%$H@tcp-daemon
[]                          $E$R${{INTERNAL_IP,$L}}$U%[$L]@tcp_intranet-daemon$Ntcp_local-daemon

! Part II: Channel definitions
defaults notices 1 2 4 7 copywarnpost copysendpost postheadonly noswitchchannel
immnonurgent maxjobs 7 defaulthost {domain} {domain}

l subdirs 20 viaaliasrequired maxjobs 7 pool LOCAL_POOL
{host}

ims-ms defragment subdirs 20 notices 1 7 14 21 28 backoff "pt5m" "pt10m" "pt30m" "pt1h" \
"pt2h" "pt4h" maxjobs 4 pool IMS_POOL fileinto $U+$S@$D
ims-ms-daemon

tcp_local smtp mx single_sys remotehost inner switchchannel identnonenumeric subdirs 20
maxjobs 7 pool SMTP_POOL maytlsserver maysaslserver saslswitchchannel tcp_auth
missingrecipientpolicy 0
tcp-daemon

tcp_intranet smtp mx single_sys subdirs 20 dequeue_removeroute maxjobs 7 pool SMTP_POOL \
maytlsserver allowswitchchannel saslswitchchannel tcp_auth missingrecipientpolicy 4
tcp_intranet-daemon

tcp_submit submit smtp mx single_sys mustsaslserver maytlsserver missingrecipientpolicy 4
tcp_submit-daemon
"""


def imta_cnf(host: str = "meadow.siroe.com", domain: str = "siroe.com") -> str:
    return IMTA_CNF.format(host=host, domain=domain)


def install(tmp_path: Path, files: dict[str, str | bytes | None] | None = None,
            *, ha: bool = False) -> Path:
    """Lay out B (server root) and C (shared config dir) as a 6.3 install does; return B.

    ``files`` overrides or (with None) removes the default files of ``C/config``.
    """
    base = tmp_path / "opt" / "SUNWmsgsr"
    data = tmp_path / "shared" / "var" / "opt" / "SUNWmsgsr"
    (base / "sbin").mkdir(parents=True)
    (base / "lib").mkdir()
    (data / "config").mkdir(parents=True)
    (data / "log").mkdir()
    (base / "config").symlink_to(data / "config")
    (base / "log").symlink_to(data / "log")
    (base / "data").symlink_to(data)
    contents: dict[str, str | bytes | None] = {
        "msg.conf.defaults": MSG_CONF_DEFAULTS,
        "msg.conf": MSG_CONF_AFTER_HA if ha else MSG_CONF_BEFORE_HA,
        "dispatcher.cnf": DISPATCHER_AFTER_HA if ha else DISPATCHER_BEFORE_HA,
        "job_controller.cnf": JOB_CONTROLLER_AFTER_HA if ha else JOB_CONTROLLER_BEFORE_HA,
        "imta.cnf": imta_cnf(),
    }
    contents.update(files or {})
    for name, text in contents.items():
        if text is None:
            continue
        target = data / "config" / name
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text)
    return base


def error_of(base: Path) -> MsConfigError:
    with pytest.raises(MsConfigError) as info:
        MessagingConfig.load(base)
    return info.value


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


# --- a full installation, before and after ha_ip_config -----------------------------------------


def test_before_ha_ip_config_every_service_listens_on_all_interfaces(tmp_path: Path) -> None:
    config = MessagingConfig.load(install(tmp_path))

    assert list(config.endpoints) == [
        ServiceEndpoint("smtp", "dispatcher", None, 25, "smtp"),
        ServiceEndpoint("submit", "dispatcher", None, 587, "smtp"),
        ServiceEndpoint("job_controller", "job_controller", None, 27442, "tcp"),
        ServiceEndpoint("imap", "imapd", None, 143, "imap"),
        ServiceEndpoint("pop", "popd", None, 110, "pop"),
        ServiceEndpoint("http", "mshttpd", None, 80, "http"),
        ServiceEndpoint("store", "stored", None, None, None),
        ServiceEndpoint("ens", "enpd", None, 7997, "tcp"),
        ServiceEndpoint("sched", "imsched", None, None, None),
        ServiceEndpoint("watcher", "watcher", None, 49994, "tcp"),
    ]
    assert config.ha.listen_address.value is None
    assert config.ha.smtp_interface_address.value is None
    assert config.ha.submit_interface_address.value is None
    assert config.ha.job_controller_interface_address.value is None
    assert config.ha.autorestart.value is False
    assert config.ha.watcher_enabled.value is True


def test_after_ha_ip_config_every_address_is_the_logical_ip_and_says_where(
        tmp_path: Path) -> None:
    base = install(tmp_path, ha=True)
    config = MessagingConfig.load(base)

    listening = [e for e in config.endpoints if e.port is not None]
    assert {e.address for e in listening} == {LOGICAL_IP}
    ha = config.ha
    conf = base / "config"
    assert ha.listen_address.value == LOGICAL_IP
    assert ha.listen_address.origin is not None
    assert ha.listen_address.origin.path == conf / "msg.conf"
    assert ha.listen_address.origin.line == line_of(MSG_CONF_AFTER_HA, "service.listenaddr")
    first, second = [n for n, line in enumerate(DISPATCHER_AFTER_HA.splitlines(), start=1)
                     if line.startswith("INTERFACE_ADDRESS")]
    assert ha.smtp_interface_address.origin is not None
    assert ha.submit_interface_address.origin is not None
    assert (ha.smtp_interface_address.origin.line,
            ha.submit_interface_address.origin.line) == (first, second)
    assert ha.job_controller_interface_address.value == LOGICAL_IP
    assert ha.job_controller_interface_address.origin is not None
    assert ha.job_controller_interface_address.origin.path == conf / "job_controller.cnf"
    # msg.conf's 1 overrides msg.conf.defaults' no, and the origin says so
    assert ha.autorestart.value is True
    assert ha.autorestart.origin is not None
    assert ha.autorestart.origin.path == conf / "msg.conf"
    assert ha.autorestart_timeout.value == 600
    assert ha.autorestart_timeout.origin is not None
    assert ha.autorestart_timeout.origin.path == conf / "msg.conf.defaults"


def test_identity_and_directories(tmp_path: Path) -> None:
    base = install(tmp_path)
    config = MessagingConfig.load(base)

    assert (config.server_user, config.server_group) == ("mailsrv", "mail")
    assert config.hostname == "meadow.siroe.com"
    shared = (tmp_path / "shared" / "var" / "opt" / "SUNWmsgsr").resolve()
    assert config.config_dir == shared
    assert config.config_files_dir == shared / "config"
    assert config.config_is_link is True
    assert config.server_root == base
    assert config.processes == ["dispatcher", "job_controller", "imapd", "popd", "mshttpd",
                                "stored", "enpd", "imsched", "watcher"]


def test_config_directory_that_is_not_a_link_is_reported_as_such(tmp_path: Path) -> None:
    base = tmp_path / "B"
    (base / "config").mkdir(parents=True)
    (base / "config" / "msg.conf").write_text("local.imta.enable = no\n")

    config = MessagingConfig.load(base)

    assert config.config_is_link is False
    assert config.config_dir == base.resolve()
    assert config.dispatcher is None and config.imta is None


def test_absent_keys_take_the_documented_defaults(tmp_path: Path) -> None:
    base = install(tmp_path, {"msg.conf.defaults": None, "msg.conf": "! nothing set\n"})
    config = MessagingConfig.load(base)

    assert config.service_names == ["smtp", "submit", "job_controller", "imap", "pop", "http",
                                    "store", "ens", "sched", "watcher"]
    assert config.ha.watcher_enabled.value is True
    assert config.ha.watcher_enabled.origin is None
    assert config.ha.autorestart.value is False
    assert config.ha.autorestart_timeout.value == 600
    assert config.server_user is None and config.hostname is None


def test_empty_value_means_unset(tmp_path: Path) -> None:
    base = install(tmp_path, {"msg.conf": 'service.listenaddr = ""\nlocal.watcher.enable =\n'})
    config = MessagingConfig.load(base)

    assert config.ha.listen_address.value is None
    assert config.ha.watcher_enabled.value is True


@pytest.mark.parametrize("word", ["0.0.0.0", "INADDR_ANY", "::"])
def test_wildcard_addresses_mean_all_interfaces(tmp_path: Path, word: str) -> None:
    config = MessagingConfig.load(install(tmp_path, {"msg.conf": f"service.listenaddr = {word}\n"}))
    assert config.endpoint("imap")[0].address is None


# --- which services --------------------------------------------------------------------------


def test_mta_only_has_no_store_services(tmp_path: Path) -> None:
    config = MessagingConfig.load(install(tmp_path, {"msg.conf": "local.store.enable = 0\n"}))

    assert config.service_names == ["smtp", "submit", "job_controller", "ens", "sched",
                                    "watcher"]


def test_store_only_needs_no_mta_files(tmp_path: Path) -> None:
    base = install(tmp_path, {"msg.conf": "local.imta.enable = off\n", "dispatcher.cnf": None,
                              "job_controller.cnf": None, "imta.cnf": None})
    config = MessagingConfig.load(base)

    assert "smtp" not in config.service_names
    assert "job_controller" not in config.service_names
    assert "imap" in config.service_names
    assert config.ha.smtp_interface_address.value is None


@pytest.mark.parametrize("name", ["dispatcher.cnf", "job_controller.cnf", "imta.cnf"])
def test_mta_enabled_requires_its_files(tmp_path: Path, name: str) -> None:
    error = error_of(install(tmp_path, {name: None}))

    assert error.path.name == name
    assert error.line is None
    assert "missing" in error.problem


def test_disabled_http_is_not_an_endpoint(tmp_path: Path) -> None:
    config = MessagingConfig.load(install(tmp_path, {"msg.conf": "service.http.enable = No\n"}))

    assert config.endpoint("http") == []
    assert "mshttpd" not in config.processes
    assert [e.port for e in config.endpoint("imap")] == [143]


def test_ssl_ports_are_connect_only_endpoints(tmp_path: Path) -> None:
    text = ("service.imap.enable = 0\nservice.imap.enablesslport = 1\n"
            "service.http.enablesslport = TRUE\nservice.http.sslport = 8443\n")
    config = MessagingConfig.load(install(tmp_path, {"msg.conf": text}))

    assert config.endpoint("imap") == []
    assert config.endpoint("imaps") == [ServiceEndpoint("imaps", "imapd", None, 993, "tcp")]
    assert config.endpoint("https") == [ServiceEndpoint("https", "mshttpd", None, 8443, "tcp")]
    assert "imapd" in config.processes


def test_ens_watcher_sched_switches_and_ports(tmp_path: Path) -> None:
    text = ("local.ens.enable = no\nlocal.sched.enable = off\nlocal.watcher.port = 49995\n"
            f"service.listenaddr = {LOGICAL_IP}\n")
    config = MessagingConfig.load(install(tmp_path, {"msg.conf": text}))

    assert "ens" not in config.service_names and "sched" not in config.service_names
    assert config.endpoint("watcher") == [
        ServiceEndpoint("watcher", "watcher", LOGICAL_IP, 49995, "tcp")]


def test_watcher_disabled(tmp_path: Path) -> None:
    config = MessagingConfig.load(install(tmp_path, {"msg.conf": "local.watcher.enable = false\n"}))

    assert config.ha.watcher_enabled.value is False
    assert "watcher" not in config.processes


def test_dispatcher_port_list_and_base_notation(tmp_path: Path) -> None:
    dispatcher = DISPATCHER_BEFORE_HA.replace("PORT=25\n", "PORT=16%19, 2525\n")
    config = MessagingConfig.load(install(tmp_path, {"dispatcher.cnf": dispatcher}))

    assert [e.port for e in config.endpoint("smtp")] == [25, 2525]


def test_global_interface_address_and_port_apply_to_sections(tmp_path: Path) -> None:
    dispatcher = ("INTERFACE_ADDRESS=10.1.2.3\nPORT=2525\n[SERVICE=SMTP]\n"
                  "[SERVICE=SMTP_SUBMIT]\nPORT=587\n")
    config = MessagingConfig.load(install(tmp_path, {"dispatcher.cnf": dispatcher}))

    assert config.endpoint("smtp") == [ServiceEndpoint("smtp", "dispatcher", "10.1.2.3", 2525,
                                                       "smtp")]
    assert config.endpoint("submit")[0].port == 587
    assert config.ha.submit_interface_address.value == "10.1.2.3"


def test_no_submit_section_means_no_submit_service(tmp_path: Path) -> None:
    base = install(tmp_path, {"dispatcher.cnf": "[SERVICE=SMTP]\nPORT=25\n"})
    config = MessagingConfig.load(base)
    assert "submit" not in config.service_names


def test_job_controller_port_default_and_own(tmp_path: Path) -> None:
    config = MessagingConfig.load(install(tmp_path, {"job_controller.cnf": "[POOL=DEFAULT]\n"}))
    assert config.endpoint("job_controller")[0].port == 27442
    base = install(tmp_path / "2", {"job_controller.cnf": "TCP_PORT=9999\n"})
    config = MessagingConfig.load(base)
    assert config.endpoint("job_controller")[0].port == 9999


# --- errors an administrator can act on ---------------------------------------------------------


def test_missing_server_root(tmp_path: Path) -> None:
    error = error_of(tmp_path / "nowhere")
    assert error.path == tmp_path / "nowhere"
    assert "does not exist" in str(error)


def test_missing_config_link(tmp_path: Path) -> None:
    base = install(tmp_path)
    (base / "config").unlink()
    error = error_of(base)
    assert error.path == base / "config"
    assert error.line is None
    assert "missing" in error.problem


def test_dangling_config_link_suggests_the_shared_disk_is_not_mounted(tmp_path: Path) -> None:
    base = install(tmp_path)
    (base / "config").unlink()
    (base / "config").symlink_to(tmp_path / "unmounted" / "config")
    error = error_of(base)
    assert error.path == base / "config"
    assert str(tmp_path / "unmounted" / "config") in error.problem
    assert "mounted" in error.problem


def test_missing_msg_conf_names_the_file(tmp_path: Path) -> None:
    error = error_of(install(tmp_path, {"msg.conf": None}))
    assert error.path == tmp_path / "opt" / "SUNWmsgsr" / "config" / "msg.conf"
    assert str(error).endswith("msg.conf: file is missing")


def test_missing_defaults_is_fine(tmp_path: Path) -> None:
    assert MessagingConfig.load(install(tmp_path, {"msg.conf.defaults": None})).endpoints


def test_unreadable_msg_conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = install(tmp_path)
    real_read = trust.read_untrusted

    def read_untrusted(path: str, *args: object, **kwargs: object) -> bytes:
        if Path(path).name == "msg.conf":
            raise PermissionError(13, "Permission denied", path)
        return real_read(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(trust, "read_untrusted", read_untrusted)
    error = error_of(base)
    assert error.path.name == "msg.conf"
    assert error.problem == "cannot be read: Permission denied"


def test_msg_conf_that_is_a_directory(tmp_path: Path) -> None:
    base = install(tmp_path, {"msg.conf": None})
    (base / "config" / "msg.conf").mkdir()
    assert "directory" in error_of(base).problem


def test_non_boolean_names_file_and_line(tmp_path: Path) -> None:
    text = "local.hostname = meadow\n\nlocal.autorestart = maybe\n"
    error = error_of(install(tmp_path, {"msg.conf": text}))
    assert (error.path.name, error.line) == ("msg.conf", 3)
    assert "local.autorestart" in error.problem and "boolean" in error.problem


def test_non_boolean_in_defaults_names_defaults(tmp_path: Path) -> None:
    defaults = MSG_CONF_DEFAULTS.replace("local.store.enable = 1", "local.store.enable = sure")
    error = error_of(install(tmp_path, {"msg.conf.defaults": defaults}))
    assert error.path.name == "msg.conf.defaults"
    assert error.line == line_of(defaults, "local.store.enable")


@pytest.mark.parametrize(("text", "needle"), [
    ("service.imap.port = 70000\n", "not a TCP port"),
    ("service.imap.port = 0\n", "not a TCP port"),
    ("service.imap.port = imap\n", "not a whole number"),
    ("local.autorestart.timeout = -5\n", "not a whole number"),
    ("service.listenaddr = meadow.siroe.com\n", "not an IP address"),
])
def test_bad_values_name_their_line(tmp_path: Path, text: str, needle: str) -> None:
    error = error_of(install(tmp_path, {"msg.conf": "! first\n" + text}))
    assert (error.path.name, error.line) == ("msg.conf", 2)
    assert needle in error.problem


def test_port_of_a_disabled_service_is_not_checked(tmp_path: Path) -> None:
    text = "service.pop.enable = no\nservice.pop.port = nonsense\n"
    assert "pop" not in MessagingConfig.load(install(tmp_path, {"msg.conf": text})).service_names


def test_bad_interface_address_in_dispatcher(tmp_path: Path) -> None:
    dispatcher = DISPATCHER_AFTER_HA.replace(f"INTERFACE_ADDRESS={LOGICAL_IP}",
                                             "INTERFACE_ADDRESS=192.18.75", 1)
    error = error_of(install(tmp_path, {"dispatcher.cnf": dispatcher}))
    assert error.path.name == "dispatcher.cnf"
    assert error.line == line_of(dispatcher, "INTERFACE_ADDRESS=192.18.75")


def test_smtp_section_without_port(tmp_path: Path) -> None:
    dispatcher = "MAX_PROCS=5\n!\n[SERVICE=SMTP]\nIMAGE=IMTA_BIN:tcp_smtp_server\n"
    error = error_of(install(tmp_path, {"dispatcher.cnf": dispatcher}))
    assert (error.path.name, error.line) == ("dispatcher.cnf", 3)
    assert "no PORT" in error.problem


def test_no_smtp_section_while_mta_enabled(tmp_path: Path) -> None:
    error = error_of(install(tmp_path, {"dispatcher.cnf": "[SERVICE=LMTPSS]\nPORT=225\n"}))
    assert error.path.name == "dispatcher.cnf" and error.line is None
    assert "[SERVICE=SMTP]" in error.problem
    assert "msg.conf.defaults, line" in error.problem  # where local.imta.enable was set


def test_bad_job_controller_port(tmp_path: Path) -> None:
    error = error_of(install(tmp_path, {"job_controller.cnf": "!x\ntcp_port=16%FFFFF\n"}))
    assert (error.path.name, error.line) == ("job_controller.cnf", 2)
    assert "TCP_PORT" in error.problem


def test_malformed_msg_conf_line(tmp_path: Path) -> None:
    text = "local.hostname = meadow\n! comment\nthis line has no equals sign\n"
    error = error_of(install(tmp_path, {"msg.conf": text}))
    assert (error.path.name, error.line) == ("msg.conf", 3)
    assert str(error) == (f"{error.path}, line 3: expected 'name = value', "
                          "found a text of 28 characters (not shown)")


def test_config_error_survives_pickling(tmp_path: Path) -> None:
    error = MsConfigError(tmp_path / "msg.conf", 4, "bad")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.line, copy.problem, str(copy)) == (
        error.path, 4, "bad", str(error))


# --- imta.cnf and the physical host (seed step 11) ----------------------------------------------


def test_imta_cnf_configured_with_the_logical_host_does_not_name_the_node(tmp_path: Path) -> None:
    config = MessagingConfig.load(install(tmp_path))

    assert config.imta is not None
    assert config.imta.local_host == "meadow.siroe.com"
    assert config.imta.default_hosts == ["siroe.com", "siroe.com"]
    assert config.imta.mentions_of("mars") == []
    assert config.imta.mentions_of("mars.siroe.com") == []


def test_imta_cnf_still_naming_the_physical_host_gives_every_line(tmp_path: Path) -> None:
    text = imta_cnf(host="mars.siroe.com")
    config = MessagingConfig.load(install(tmp_path, {"imta.cnf": text}))

    assert config.imta is not None
    mentions = config.imta.mentions_of("mars")
    lines = sorted({m.line for m in mentions})
    expected = [n for n, line in enumerate(text.splitlines(), start=1) if "mars" in line]
    assert lines == expected
    assert lines[0] == line_of(text, "mars.siroe.com        $U%$D@mars.siroe.com")
    assert {m.context for m in mentions} == {"rewrite-pattern", "rewrite-template",
                                            "local-channel-host"}
    assert config.imta.local_host == "mars.siroe.com"
    assert mentions[-1].text == "mars.siroe.com"


def test_ens_port_written_by_ha_ip_config_as_address_and_port(tmp_path: Path) -> None:
    """ha_ip_config sets local.ens.port to <logical IP>:<port>; ENS then listens there."""
    base = tmp_path / "opt" / "SUNWmsgsr"
    config = tmp_path / "var" / "config"
    config.mkdir(parents=True)
    base.mkdir(parents=True)
    (base / "config").symlink_to(config)
    (config / "msg.conf").write_text(
        "local.serveruid = mailsrv\nlocal.servergid = mail\nlocal.imta.enable = no\n"
        "local.store.enable = no\nlocal.ens.port = 192.18.75.155:7997\n")
    ens = MessagingConfig.load(base).endpoint("ens")
    assert [(e.address, e.port) for e in ens] == [("192.18.75.155", 7997)]
    (config / "msg.conf").write_text(
        "local.serveruid = mailsrv\nlocal.imta.enable = no\nlocal.store.enable = no\n"
        "local.ens.port = 192.18.75.155:99999\n")
    with pytest.raises(MsConfigError, match=r"local\.ens\.port"):
        MessagingConfig.load(base)
