"""What a Messaging Server 6.3 installation is configured to run, read from its files.

Validate, start and the fault monitor all need the same answers: which services are enabled and
where each listens, which user the server runs as, whether the HA settings (``ha_ip_config``,
``local.watcher.enable``, ``local.autorestart``) are in place, and where the configuration
directory really is. :meth:`MessagingConfig.load` reads them once from the server root
(``IMS_serverroot``, as the caller checked it) without running
``configutil`` or any other program, and says precisely which file and line is wrong when
something is.

Files read, all through ``B/config`` (normally a symbolic link to ``C/config`` on the shared disk):
``msg.conf`` and ``msg.conf.defaults`` (:mod:`scims.msconfig.msgconf`), ``dispatcher.cnf`` and
``job_controller.cnf`` (:mod:`scims.msconfig.cnf`), ``imta.cnf`` (:mod:`scims.msconfig.imta`).
The three MTA files are required when ``local.imta.enable`` is on and read if present otherwise.

Rules where the documentation is silent (docs/msgserver.md §5–§6 has the sources for the rest):

* An empty value (``name =``) means unset: the built-in default applies.
* Addresses must be IP literals (the documentation asks for a dotted quad); empty, ``0.0.0.0``,
  ``::`` and ``INADDR_ANY`` mean "all interfaces" and are reported as None.
* SSL ports are separate endpoints (``imaps``, ``pops``, ``https``) with protocol ``tcp``: the
  greeting comes only after a TLS handshake, so a probe can only connect.
* A PORT list gives one endpoint per port, all with the service's name.
* With ``local.imta.enable`` on, dispatcher.cnf must have a ``[SERVICE=SMTP]`` section with a
  PORT (its own or global): an MTA that listens nowhere cannot be probed.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Optional, Union

from scims.msconfig.cnf import CnfFile, CnfOption, CnfSection, parse_cnf_int, parse_port_list
from scims.msconfig.imta import ImtaConfig
from scims.msconfig.msgconf import MsgConf, Setting
from scims.msconfig.source import (
    Location,
    MsConfigError,
    Sourced,
    describe_missing_link,
    excerpt,
)

__all__ = [
    "HaSettings",
    "Location",
    "MessagingConfig",
    "MsConfigError",
    "ServiceEndpoint",
    "Sourced",
    "parse_boolean",
]

DEFAULT_JOB_CONTROLLER_PORT = 27442
DEFAULT_ENS_PORT = 7997
DEFAULT_WATCHER_PORT = 49994
DEFAULT_AUTORESTART_TIMEOUT = 600

_TRUE = frozenset({"yes", "1", "on", "true"})
_FALSE = frozenset({"no", "0", "off", "false"})
_ALL_INTERFACES = frozenset({"", "0.0.0.0", "::", "inaddr_any"})
_DECIMAL = re.compile(r"[0-9]+")


class ServiceEndpoint(NamedTuple):
    """A Messaging Server service the configuration enables.

    ``process`` is the daemon's name under ``B/lib``; ``address`` None means all interfaces;
    ``port`` and ``protocol`` are None for services that listen on no port (store, sched).
    ``protocol`` says how a probe may talk to it: ``smtp``, ``imap``, ``pop``, ``http``, or
    ``tcp`` (connect only).
    """

    name: str
    process: str
    address: Optional[str]
    port: Optional[int]
    protocol: Optional[str]


@dataclass(frozen=True)
class HaSettings:
    """The settings the HA procedure changes, each with where it was set.

    ``ha_ip_config`` sets the four addresses to the logical IP; the procedure also wants the
    watcher enabled and automatic restart on (the watcher then exits to ask for a failover).
    """

    listen_address: Sourced[Optional[str]]
    smtp_interface_address: Sourced[Optional[str]]
    submit_interface_address: Sourced[Optional[str]]
    job_controller_interface_address: Sourced[Optional[str]]
    watcher_enabled: Sourced[bool]
    autorestart: Sourced[bool]
    autorestart_timeout: Sourced[int]


def parse_boolean(text: str, where: Location, name: str) -> bool:
    """A configutil boolean: yes/no, 1/0, on/off, true/false in any case."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise MsConfigError.at(where, f"{name} = {excerpt(text)} is not a boolean "
                                "(yes/no, 1/0, on/off, true/false)")


@dataclass(frozen=True)
class MessagingConfig:
    """The configuration of one Messaging Server installation, as the agent needs it."""

    server_root: Path
    config_dir: Path
    config_files_dir: Path
    config_is_link: bool
    server_user: Optional[str]
    server_group: Optional[str]
    hostname: Optional[str]
    ha: HaSettings
    endpoints: tuple[ServiceEndpoint, ...]
    msg_conf: MsgConf
    dispatcher: Optional[CnfFile]
    job_controller: Optional[CnfFile]
    imta: Optional[ImtaConfig]

    @classmethod
    def load(cls, server_root: Union[str, os.PathLike[str]]) -> MessagingConfig:
        """Read the installation at ``server_root`` (B); raises :class:`MsConfigError`.

        ``config_dir`` is C, the parent of B/config's real path: the directory the symmetric
        "contention" check and the "on the storage resource" check are about.
        """
        root = Path(server_root)
        _require_directory(root, "server root (IMS_serverroot)")
        link = root / "config"
        _require_directory(link, "configuration directory")
        real = Path(os.path.realpath(link))
        msg = MsgConf.load(link / "msg.conf", link / "msg.conf.defaults")
        reader = _Reader(msg)

        imta_enabled = reader.flag("local.imta.enable", True)
        dispatcher = CnfFile.load(link / "dispatcher.cnf", required=imta_enabled.value)
        job_controller = CnfFile.load(link / "job_controller.cnf", required=imta_enabled.value)
        imta = ImtaConfig.load(link / "imta.cnf", required=imta_enabled.value)

        smtp_section = _service_section(dispatcher, "SMTP")
        submit_section = _service_section(dispatcher, "SMTP_SUBMIT")
        smtp_address = _cnf_address(dispatcher, smtp_section)
        submit_address = _cnf_address(dispatcher, submit_section)
        jc_address = _cnf_address(job_controller, None)
        listen_address = reader.address("service.listenaddr")

        endpoints: list[ServiceEndpoint] = []
        if imta_enabled.value:
            assert dispatcher is not None and job_controller is not None
            if smtp_section is None:
                raise MsConfigError(dispatcher.path, None,
                                  "has no [SERVICE=SMTP] section although local.imta.enable "
                                  f"is on ({_origin_text(imta_enabled)})")
            endpoints += _dispatcher_endpoints(dispatcher, smtp_section, "smtp",
                                               smtp_address.value)
            if submit_section is not None:
                endpoints += _dispatcher_endpoints(dispatcher, submit_section, "submit",
                                                   submit_address.value)
            endpoints.append(ServiceEndpoint("job_controller", "job_controller",
                                             jc_address.value, _jc_port(job_controller), "tcp"))

        store_enabled = reader.flag("local.store.enable", True).value
        for service, process, protocol, port, ssl_name, ssl_port in (
            ("imap", "imapd", "imap", 143, "imaps", 993),
            ("pop", "popd", "pop", 110, "pops", 995),
            ("http", "mshttpd", "http", 80, "https", 443),
        ):
            enabled = reader.flag(f"service.{service}.enable", True).value
            ssl_enabled = reader.flag(f"service.{service}.enablesslport", False).value
            if not store_enabled:
                continue
            if enabled:
                endpoints.append(ServiceEndpoint(
                    service, process, listen_address.value,
                    reader.port(f"service.{service}.port", port), protocol))
            if ssl_enabled:
                endpoints.append(ServiceEndpoint(
                    ssl_name, process, listen_address.value,
                    reader.port(f"service.{service}.sslport", ssl_port), "tcp"))
        if store_enabled:
            endpoints.append(ServiceEndpoint("store", "stored", None, None, None))
        if reader.flag("local.ens.enable", True).value:
            ens_address, ens_port = reader.address_and_port("local.ens.port", DEFAULT_ENS_PORT,
                                                            listen_address.value)
            endpoints.append(ServiceEndpoint("ens", "enpd", ens_address, ens_port, "tcp"))
        if reader.flag("local.sched.enable", True).value:
            endpoints.append(ServiceEndpoint("sched", "imsched", None, None, None))
        watcher_enabled = reader.flag("local.watcher.enable", True)
        if watcher_enabled.value:
            endpoints.append(ServiceEndpoint(
                "watcher", "watcher", listen_address.value,
                reader.port("local.watcher.port", DEFAULT_WATCHER_PORT), "tcp"))

        ha = HaSettings(
            listen_address=listen_address,
            smtp_interface_address=smtp_address,
            submit_interface_address=submit_address,
            job_controller_interface_address=jc_address,
            watcher_enabled=watcher_enabled,
            autorestart=reader.flag("local.autorestart", False),
            autorestart_timeout=reader.count("local.autorestart.timeout",
                                             DEFAULT_AUTORESTART_TIMEOUT),
        )
        return cls(
            server_root=root,
            config_dir=real.parent,
            config_files_dir=real,
            config_is_link=link.is_symlink(),
            server_user=reader.text("local.serveruid"),
            server_group=reader.text("local.servergid"),
            hostname=reader.text("local.hostname"),
            ha=ha,
            endpoints=tuple(endpoints),
            msg_conf=msg,
            dispatcher=dispatcher,
            job_controller=job_controller,
            imta=imta,
        )

    def endpoint(self, name: str) -> list[ServiceEndpoint]:
        """The endpoints of one service (several when its PORT is a list), in file order."""
        return [e for e in self.endpoints if e.name == name]

    @property
    def processes(self) -> list[str]:
        """The ``B/lib`` daemons the enabled services need, each once, in service order."""
        return list(dict.fromkeys(e.process for e in self.endpoints))

    @property
    def service_names(self) -> list[str]:
        """The enabled services' names, each once, in service order (for log lines)."""
        return list(dict.fromkeys(e.name for e in self.endpoints))


class _Reader:
    """Typed access to msg.conf settings, each error pointing at the setting's line."""

    def __init__(self, msg: MsgConf) -> None:
        self.msg = msg

    def _setting(self, name: str) -> Optional[Setting]:
        setting = self.msg.get(name)
        if setting is None or not setting.value.strip():
            return None  # an empty value is "unset": the built-in default applies
        return setting

    def text(self, name: str) -> Optional[str]:
        setting = self._setting(name)
        return None if setting is None else setting.value.strip()

    def flag(self, name: str, default: bool) -> Sourced[bool]:
        setting = self._setting(name)
        if setting is None:
            return Sourced(default)
        return Sourced(parse_boolean(setting.value, setting.origin, name), setting.origin)

    def count(self, name: str, default: int) -> Sourced[int]:
        setting = self._setting(name)
        if setting is None:
            return Sourced(default)
        value = setting.value.strip()
        if not _DECIMAL.fullmatch(value) or len(value) > 18:
            raise MsConfigError.at(setting.origin,
                                 f"{name} = {excerpt(value)} is not a whole number")
        return Sourced(int(value), setting.origin)

    def port(self, name: str, default: int) -> int:
        number = self.count(name, default)
        if not 1 <= number.value <= 65535:
            assert number.origin is not None  # the defaults are valid ports
            raise MsConfigError.at(number.origin,
                                 f"{name} = {number.value} is not a TCP port (1-65535)")
        return number.value

    def address_and_port(self, name: str, default_port: int,
                         default_address: Optional[str]) -> tuple[Optional[str], int]:
        """`port` or `address:port`: ha_ip_config writes local.ens.port in the second form,
        binding ENS to the logical host."""
        setting = self._setting(name)
        if setting is None or ":" not in setting.value:
            return default_address, self.port(name, default_port)
        address_text, _, port_text = setting.value.strip().rpartition(":")
        address = _ip_address(address_text.strip("[]"), setting.origin, name)
        if not _DECIMAL.fullmatch(port_text) or not 1 <= int(port_text[:6] or 0) <= 65535:
            raise MsConfigError.at(setting.origin,
                                 f"{name} = {excerpt(setting.value)} is not a TCP port (1-65535)")
        return address, int(port_text)

    def address(self, name: str) -> Sourced[Optional[str]]:
        setting = self._setting(name)
        if setting is None:
            return Sourced(None)
        return Sourced(_ip_address(setting.value, setting.origin, name), setting.origin)


def _ip_address(text: str, where: Location, name: str) -> Optional[str]:
    """An interface address in canonical form, or None for "all interfaces"."""
    value = text.strip()
    if value.lower() in _ALL_INTERFACES:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise MsConfigError.at(where, f"{name} = {excerpt(value)} is not an IP address") from None


def _require_directory(path: Path, what: str) -> None:
    """Fail with a MsConfigError unless ``path`` is a directory we can look into."""
    try:
        os.stat(path)
    except FileNotFoundError:
        if what == "configuration directory":
            raise MsConfigError(path, None, describe_missing_link(path)) from None
        raise MsConfigError(path, None, f"{what} does not exist") from None
    except OSError as exc:
        raise MsConfigError(path, None, f"{what} cannot be read: {exc.strerror or exc}") from None
    if not path.is_dir():
        raise MsConfigError(path, None, f"{what} is not a directory")


def _service_section(cnf: Optional[CnfFile], name: str) -> Optional[CnfSection]:
    return None if cnf is None else cnf.section("SERVICE", name)


def _cnf_address(cnf: Optional[CnfFile],
                 section: Optional[CnfSection]) -> Sourced[Optional[str]]:
    """INTERFACE_ADDRESS in effect for a section (or globally), with where it was set."""
    if cnf is None:
        return Sourced(None)
    option = cnf.option("INTERFACE_ADDRESS", section)
    if option is None:
        return Sourced(None)
    return Sourced(_ip_address(option.value, option.origin, option.name), option.origin)


def _dispatcher_endpoints(cnf: CnfFile, section: CnfSection, name: str,
                          address: Optional[str]) -> list[ServiceEndpoint]:
    option: Optional[CnfOption] = cnf.option("PORT", section)
    if option is None:
        raise MsConfigError.at(section.origin,
                             f"[{section.kind}={section.name}] has no PORT (nor a global one)")
    return [ServiceEndpoint(name, "dispatcher", address, port, "smtp")
            for port in parse_port_list(option)]


def _jc_port(cnf: CnfFile) -> int:
    option = cnf.option("TCP_PORT")
    if option is None:
        return DEFAULT_JOB_CONTROLLER_PORT
    port = parse_cnf_int(option.value, option.origin, option.name)
    if not 1 <= port <= 65535:
        raise MsConfigError.at(option.origin, f"{option.name}: {port} is not a TCP port (1-65535)")
    return port


def _origin_text(value: Sourced[bool]) -> str:
    return "by default" if value.origin is None else f"set in {value.origin}"
