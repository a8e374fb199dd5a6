"""One Messaging Server installation: its paths and configuration, and `mssim install`.

`Installation` is what every command and daemon asks "where is X / what is configured": paths
go through the B/config, B/log and B/data symlinks exactly as the real product's do, so that
re-pointing the shared disk moves the configuration, queue and store with it.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mssim import conf, node, product

# ruff: noqa: E501 - the installed configuration files have long lines

DEFAULT_PORTS = {
    "smtp": 25,
    "submit": 587,
    "imap": 143,
    "pop": 110,
    "http": 80,
    "ens": 7997,
    "watcher": 49994,
    "job_controller": 27442,
}


class InstallError(Exception):
    """A problem the user must fix; printed as one line."""


@dataclass
class Installation:
    """An installation rooted at B (the server root, msg-svr-base), as invoked."""

    base: Path
    _conf_cache: dict[str, str] | None = field(default=None, repr=False)

    @classmethod
    def from_argv0(cls, argv0: str | None = None) -> Installation:
        """B/sbin/<cmd> or B/lib/<daemon> → B (abspath, symlinks kept)."""
        path = os.path.abspath(argv0 if argv0 is not None else sys.argv[0])
        return cls(Path(path).parent.parent)

    # --- paths ------------------------------------------------------------------------
    @property
    def sbin(self) -> Path:
        return self.base / "sbin"

    @property
    def lib(self) -> Path:
        return self.base / "lib"

    @property
    def install_dir(self) -> Path:
        return self.base / "install"

    @property
    def config(self) -> Path:
        return self.base / "config"

    @property
    def log(self) -> Path:
        return self.base / "log"

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def queue(self) -> Path:
        return self.data / "queue"

    @property
    def store(self) -> Path:
        return self.data / "store"

    @property
    def setup(self) -> Path:
        return self.data / "setup"

    @property
    def run(self) -> Path:
        """Pid files and the HA marker (on the configuration disk, like the config itself)."""
        return self.data / "run"

    @property
    def faults(self) -> Path:
        """Injected faults (node-local: under B, so a failover node is healthy)."""
        return self.install_dir / "faults"

    @property
    def ha_marker(self) -> Path:
        return self.run / "ha"

    def pidfile(self, daemon: str) -> Path:
        return self.run / f"{daemon}.pid"

    def daemon_path(self, daemon: str) -> str:
        """B/lib/<daemon> exactly as B was given: what `ps` must show."""
        return str(self.base / "lib" / daemon)

    def is_configured(self) -> bool:
        return (self.config / "msg.conf").is_file()

    # --- msg.conf -----------------------------------------------------------------------
    def msg_defaults(self) -> dict[str, str]:
        return _read_conf(self.config / "msg.conf.defaults")

    def msg_overrides(self) -> dict[str, str]:
        return _read_conf(self.config / "msg.conf")

    def settings(self) -> dict[str, str]:
        """Effective configutil values: msg.conf overrides msg.conf.defaults."""
        if self._conf_cache is None:
            merged = self.msg_defaults()
            merged.update(self.msg_overrides())
            self._conf_cache = merged
        return self._conf_cache

    def reload(self) -> None:
        self._conf_cache = None

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.settings().get(name)
        return default if value is None else value

    def flag(self, name: str, default: bool = False) -> bool:
        return conf.is_true(self.get(name), default)

    def port(self, name: str, default: int) -> int:
        value = self.get(name)
        try:
            return int(str(value).rsplit(":", 1)[-1]) if value else default
        except ValueError:
            return default

    @property
    def hostname(self) -> str:
        return self.get("local.hostname") or "localhost"

    @property
    def user(self) -> str:
        return self.get("local.serveruid") or "mailsrv"

    @property
    def group(self) -> str:
        return self.get("local.servergid") or "mail"

    def setup_properties(self) -> dict[str, str]:
        """The newest setup/configure_*/Devsetup.properties (the saved configure answers)."""
        try:
            dirs = sorted(p for p in self.setup.iterdir() if p.name.startswith("configure_"))
        except FileNotFoundError:
            return {}
        for d in reversed(dirs):
            props = read_properties(d / "Devsetup.properties")
            if props:
                return props
        return {}

    def host_address(self) -> str:
        """The installation's own host address: what "all interfaces" means in the stand-in."""
        addr = self.setup_properties().get("MS_HOSTIP")
        if addr:
            return addr
        return node.resolve_host(node.node_root(str(self.sbin / "x")), self.hostname) or "127.0.0.1"

    def listen_address(self) -> str:
        return self.get("service.listenaddr") or self.host_address()

    def ens_endpoint(self) -> tuple[str, int]:
        """local.ens.port is `port` or `address:port` (ha_ip_config writes the latter)."""
        value = self.get("local.ens.port") or str(DEFAULT_PORTS["ens"])
        if ":" in value:
            addr, _, port = value.rpartition(":")
            return addr or self.listen_address(), int(port)
        return self.listen_address(), int(value)

    # --- .cnf files ------------------------------------------------------------------
    def dispatcher_services(self) -> dict[str, tuple[str, int]]:
        """SMTP and SMTP_SUBMIT endpoints from dispatcher.cnf (address, port)."""
        try:
            text = (self.config / "dispatcher.cnf").read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        sections = conf.parse_cnf(text)
        out: dict[str, tuple[str, int]] = {}
        for name in ("SMTP", "SMTP_SUBMIT"):
            key = f"SERVICE={name}"
            if key not in sections:
                continue
            port = conf.cnf_option(sections, key, "PORT")
            addr = conf.cnf_option(sections, key, "INTERFACE_ADDRESS") or self.host_address()
            if port and port.isdigit():
                out[name] = (addr, int(port))
        return out

    def job_controller_endpoint(self) -> tuple[str, int]:
        try:
            text = (self.config / "job_controller.cnf").read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        sections = conf.parse_cnf(text)
        port = conf.cnf_option(sections, "", "TCP_PORT") or str(DEFAULT_PORTS["job_controller"])
        addr = conf.cnf_option(sections, "", "INTERFACE_ADDRESS") or self.host_address()
        return addr, int(port)

    # --- services ---------------------------------------------------------------------
    def service_enabled(self, service: str) -> bool:
        store = self.flag("local.store.enable", True)
        rules = {
            "ens": lambda: self.flag("local.ens.enable", True),
            "store": lambda: store,
            "imap": lambda: store and self.flag("service.imap.enable", True),
            "pop": lambda: store and self.flag("service.pop.enable", True),
            "http": lambda: store and self.flag("service.http.enable", True),
            "sched": lambda: self.flag("local.sched.enable", True),
            "dispatcher": lambda: self.flag("local.imta.enable", True),
            "job_controller": lambda: self.flag("local.imta.enable", True),
        }
        return rules[service]()

    def enabled_services(self) -> list[str]:
        return [s.name for s in product.SERVICES if self.service_enabled(s.name)]


def _read_conf(path: Path) -> dict[str, str]:
    try:
        return conf.parse_msg_conf(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def read_properties(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return {}
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "=" in line:
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


# --- `mssim install` ----------------------------------------------------------------------

SBIN_LAUNCHER = """#!{python}
# Messaging Server 6.3 stand-in (mssim): {name}
import sys

from mssim.launch import sbin_main

sys.exit(sbin_main({name!r}))
"""

LIB_LAUNCHER = """#!{python}
# Messaging Server 6.3 stand-in (mssim): {name}
import sys

from mssim.launch import daemon_main

sys.exit(daemon_main({name!r}))
"""

TEMPLATES = {
    "devtypes.txt.template": "# device types for <msg.RootPath>\nuser=local.serveruid\n"
    "group=local.servergid\n",
    "config.ins.template": "# configuration instructions for <msg.RootPath>\n"
    "owner=local.serveruid\ngroup=local.servergid\n",
}


def install_package(base: Path) -> None:
    """What pkgadd of SUNWmsgsr gives: sbin/, lib/, install/ (no configuration yet)."""
    for sub in ("sbin", "lib", "install", "lib/config-templates", "install/faults"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(base / "install" / "faults", 0o755)  # noqa: S103 - daemons read faults
    for name in product.SBIN_COMMANDS:
        _write_exec(base / "sbin" / name, SBIN_LAUNCHER.format(python=sys.executable, name=name))
    for name in (*product.LIB_PROGRAMS, "devinstall"):
        _write_exec(base / "lib" / name, LIB_LAUNCHER.format(python=sys.executable, name=name))
    for name, text in TEMPLATES.items():
        (base / "lib" / "config-templates" / name).write_text(text, encoding="utf-8")


def _write_exec(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o755)  # noqa: S103 - a program, like the real ones


def timestamp() -> str:
    return time.strftime("%Y%m%d%H%M%S")


def configure(  # noqa: PLR0917 - mirrors configure's questions
    base: Path,
    config_dir: Path,
    host: str,
    ip: str,
    user: str,
    group: str,
    ports: dict[str, int],
    root: Path,
) -> Path:
    """The initial runtime configuration: config dir, files, symlinks. Returns setup dir."""
    if (config_dir / "config" / "msg.conf").exists():
        raise InstallError(f"{config_dir} already holds a configuration (config/msg.conf)")
    domain = host.split(".", 1)[1] if "." in host else host
    for sub in ("config", "log", "queue", "store", "setup", "run"):
        (config_dir / sub).mkdir(parents=True, exist_ok=True)
    cfg = config_dir / "config"
    files = {
        "msg.conf.defaults": msg_conf_defaults(host, domain, user, group, ports, config_dir),
        "msg.conf": "! msg.conf: settings overridden with configutil (do not edit by hand)\n",
        "dispatcher.cnf": dispatcher_cnf(ports),
        "job_controller.cnf": job_controller_cnf(ports),
        "imta.cnf": imta_cnf(host, domain),
    }
    for name, text in files.items():
        (cfg / name).write_text(text, encoding="utf-8")
    ts = timestamp()
    setup = config_dir / "setup" / f"configure_{ts}"
    setup.mkdir(parents=True, exist_ok=True)
    props = {
        "CONFIGURE_TIMESTAMP": ts,
        "MS_SERVERROOT": str(base),
        "MS_DATADIR": str(config_dir),
        "MS_HOSTNAME": host,
        "MS_DOMAIN": domain,
        "MS_HOSTIP": ip,
        "MS_USER": user,
        "MS_GROUP": group,
    }
    uid_gid = _ids(root, user, group)
    if uid_gid:
        props["MS_UID"], props["MS_GID"] = str(uid_gid[0]), str(uid_gid[1])
    text = "# Messaging Server initial runtime configuration (saved answers)\n" + "".join(
        f"{k}={v}\n" for k, v in props.items()
    )
    (setup / "Devsetup.properties").write_text(text, encoding="utf-8")
    install_copy = base / "install" / setup.name
    install_copy.mkdir(parents=True, exist_ok=True)
    shutil.copy2(setup / "Devsetup.properties", install_copy / "Devsetup.properties")
    link_config(base, config_dir)
    (base / "install" / f"configure_{ts}.log").write_text(
        f"configure: {host} ({ip}) config directory {config_dir}, user {user}/{group}\n",
        encoding="utf-8",
    )
    if uid_gid and os.geteuid() == 0:
        chown_writable(config_dir, *uid_gid)
    return setup


def _ids(root: Path, user: str, group: str) -> tuple[int, int] | None:
    try:
        return node.runtime_ids(root, user, group)
    except LookupError:
        return None


def link_config(base: Path, config_dir: Path) -> None:
    """B/config -> C/config, B/log -> C/log, B/data -> C (replacing old links).

    The links are relative (../../var/opt/SUNWmsgsr/config): on the node they lead where an
    absolute link would, and seen from outside the node (through its mount namespace,
    /proc/<pid>/root) they still lead to the node's own configuration."""
    for link, target in (("config", config_dir / "config"), ("log", config_dir / "log"),
                         ("data", config_dir)):
        path = base / link
        if path.is_symlink() or path.exists():
            if path.is_dir() and not path.is_symlink():
                raise InstallError(f"{path} is a directory, not a symbolic link")
            path.unlink()
        path.symlink_to(os.path.relpath(target, base))


def chown_writable(config_dir: Path, uid: int, gid: int) -> None:
    """The runtime user must write queue, store, log, pid files and msg.conf."""
    os.chown(config_dir, uid, gid)
    for sub in ("config", "log", "queue", "store", "run", "setup"):
        top = config_dir / sub
        for dirpath, dirnames, filenames in os.walk(top):
            os.chown(dirpath, uid, gid)
            for name in dirnames + filenames:
                os.lchown(os.path.join(dirpath, name), uid, gid)


def msg_conf_defaults(  # noqa: PLR0917
    host: str, domain: str, user: str, group: str, ports: dict[str, int], config_dir: Path
) -> str:
    values = [
        ("local.hostname", host),
        ("local.defaultdomain", domain),
        ("local.servername", host),
        ("local.serveruid", user),
        ("local.servergid", group),
        ("local.watcher.enable", "yes"),
        ("local.watcher.port", str(ports["watcher"])),
        ("local.autorestart", "no"),
        ("local.autorestart.timeout", "600"),
        ("local.store.enable", "1"),
        ("local.imta.enable", "1"),
        ("local.ens.enable", "1"),
        ("local.ens.port", str(ports["ens"])),
        ("local.sched.enable", "1"),
        ("local.snmp.enable", "no"),
        ("local.mmp.enable", "no"),
        ("local.metermaid.enable", "no"),
        ("local.smsgateway.enable", "no"),
        ("local.schedule.msprobe", "5,15,25,35,45,55 * * * * lib/msprobe"),
        ("metermaid.config.port", "63837"),
        ("service.imap.enable", "yes"),
        ("service.imap.port", str(ports["imap"])),
        ("service.imap.enablesslport", "no"),
        ("service.imap.sslport", "993"),
        ("service.imap.banner", "%h %p service (%P %V)"),
        ("service.imap.idletimeout", "30"),
        ("service.pop.enable", "yes"),
        ("service.pop.port", str(ports["pop"])),
        ("service.pop.enablesslport", "no"),
        ("service.pop.sslport", "995"),
        ("service.pop.banner", "%h %p service (%P %V)"),
        ("service.pop.idletimeout", "10"),
        ("service.http.enable", "yes"),
        ("service.http.port", str(ports["http"])),
        ("service.http.enablesslport", "no"),
        ("service.http.sslport", "443"),
        ("service.http.smtphost", host),
        ("store.partition.primary.path", str(config_dir / "store")),
    ]
    head = "! msg.conf.defaults: defaults written by the initial runtime configuration.\n" \
        "! Never edit this file; use configutil.\n"
    return head + "".join(conf.format_line(k, v) + "\n" for k, v in values)


def dispatcher_cnf(ports: dict[str, int]) -> str:
    return f"""! The first set of options, listed without a [SERVICE=xxx]
! header, are the default options that will be applied to all
! services.
!
MIN_PROCS=0
MAX_PROCS=5
MIN_CONNS=5
MAX_CONNS=20
MAX_LIFE_TIME=86400
MAX_LIFE_CONNS=100
MAX_SHUTDOWN=2
!
! Define the services available to Dispatcher
!
[SERVICE=SMTP]
PORT={ports["smtp"]}
IMAGE=IMTA_BIN:tcp_smtp_server
LOGFILE=IMTA_LOG:tcp_smtp_server.log
STACKSIZE=2048000
! Uncomment the following line and set INTERFACE_ADDRESS to an
! appropriate host IP (dotted quad) if the dispatcher needs to
! listen on a specific interface (e.g. in a HA environment).
!INTERFACE_ADDRESS=
!
[SERVICE=SMTP_SUBMIT]
PORT={ports["submit"]}
IMAGE=IMTA_BIN:tcp_smtp_server
LOGFILE=IMTA_LOG:tcp_submit_server.log
PARAMETER=CHANNEL=tcp_submit
STACKSIZE=2048000
! Uncomment the following line and set INTERFACE_ADDRESS to an
! appropriate host IP (dotted quad) if the dispatcher needs to
! listen on a specific interface (e.g. in a HA environment).
!INTERFACE_ADDRESS=
"""


def job_controller_cnf(ports: dict[str, int]) -> str:
    return f"""!MTA Job Controller configuration file
!
!Global defaults
tcp_port={ports["job_controller"]}
secret=never mind
slave_command=NULL
max_life_age=3600
!
!Pool definitions
!
[POOL=DEFAULT]
job_limit=10
!
[POOL=LOCAL_POOL]
job_limit=10
!
[POOL=IMS_POOL]
job_limit=1
!
[POOL=SMTP_POOL]
job_limit=1
!
!Channel definitions
!
[CHANNEL=l]
master_command=IMTA_BIN:l_master
!
[CHANNEL=ims-ms]
master_command=IMTA_BIN:ims_master
!
[CHANNEL=tcp_*]
anon_host=0
master_command=IMTA_BIN:tcp_smtp_client
"""


def imta_cnf(host: str, domain: str) -> str:
    """Channel keyword lines are long in the real file too."""
    return f"""! IMTA configuration file
!
! part I : rewrite rules
!
! Rules to select local users
{host}        $U%$D@{host}
{domain}        $U%{domain}@{host}
!
! ims-ms
ims-ms        $E$U@ims-ms-daemon
ims-ms.{host}        $E$U@ims-ms-daemon
!
! tcp_local / default
.        $E$U%$H@tcp-daemon
[]        $E$R${{INTERNAL_IP,$L}}$U%[$L]@tcp_intranet-daemon$Ntcp_local-daemon

! Part II: Channel definitions
defaults notices 1 2 4 7 copywarnpost copysendpost postheadonly noswitchchannel immnonurgent maxjobs 7 defaulthost {domain} {domain}

l subdirs 20 viaaliasrequired maxjobs 7 pool LOCAL_POOL
{host}

ims-ms defragment subdirs 20 notices 1 7 14 21 28 backoff "pt5m" "pt10m" "pt30m" "pt1h" "pt2h" "pt4h" maxjobs 4 pool IMS_POOL fileinto $U+$S@$D
ims-ms-daemon

tcp_local smtp mx single_sys remotehost inner switchchannel identnonenumeric subdirs 20 maxjobs 7 pool SMTP_POOL maytlsserver maysaslserver saslswitchchannel tcp_auth missingrecipientpolicy 0
tcp-daemon

tcp_intranet smtp mx single_sys subdirs 20 dequeue_removeroute maxjobs 7 pool SMTP_POOL maytlsserver allowswitchchannel saslswitchchannel tcp_auth missingrecipientpolicy 4
tcp_intranet-daemon

tcp_submit submit smtp mx single_sys mustsaslserver maytlsserver missingrecipientpolicy 4
tcp_submit-daemon
"""
