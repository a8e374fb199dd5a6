"""Test doubles for the scims unit tests: a node directory, fake cluster commands, a syslog socket.

The agent uses the absolute paths of a Solaris node (/usr/cluster/bin, /etc/passwd, /dev/log,
...), each a module constant; `on_node` points them at a node directory under the test's
temporary directory for the test's duration, so no unit test reads or writes the real /etc
or /var of this machine, and none asks a name server.

Cluster commands come in two kinds of fakes with one interface (`answer`, `argvs`, `calls`):

* `FakeCommand` answers in process: `on_node` puts a door in front of
  `scims.cluster.commands.run` that answers a command a test gave rules for, and a command
  the node has no program for as the real door does (`cannot run ...`), without starting a
  process. Unit tests of what a method asks and does use it.
* `ProgramCommand` is a small Python script written into `<node>/usr/cluster/bin`: it looks
  up its arguments in a JSON table beside it, prints the answer, exits with its status and
  records the call (argv, environment, cwd). Only the tests of the cluster-command module
  itself (how it runs programs: environment, timeouts, exit statuses) and the attack tests
  that need a hung or hostile program use it; `on_node(..., programs=True)` lets the real
  door run it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from scims.log.syslog import LogRecord

_SCRIPT = """#!{python} -IS
import json, os, sys, time
name = os.path.basename(sys.argv[0])
here = os.path.dirname(os.path.abspath(sys.argv[0]))
with open(os.path.join(here, name + ".rules.json")) as f:
    rules = json.load(f)
with open(os.path.join(here, name + ".calls.jsonl"), "a") as f:
    call = {{"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}}
    f.write(json.dumps(call) + "\\n")
for rule in rules:
    if rule["argv"] is None or rule["argv"] == sys.argv[1:]:
        if rule["sleep"]:
            time.sleep(rule["sleep"])
        sys.stdout.write(rule["stdout"])
        sys.stderr.write(rule["stderr"])
        sys.exit(rule["status"])
sys.stderr.write(name + ": no such test answer\\n")
sys.exit(3)
"""


def on_node(monkeypatch: Any, node: Path, *, programs: bool = False) -> Path:
    """Point the agent's absolute paths at node directory `node` for this test: the cluster
    commands, the syslog socket and loglevel files, the account and hosts files, the state
    directory. Name lookups beyond the node's hosts file fail, as on a node without a name
    service: a test never sends a query off this machine. Cluster commands are answered in
    process (`FakeCommand`) unless `programs`: then the real door runs the node's programs
    (`ProgramCommand`, scripts a test wrote). Returns `node`."""
    from scims import trust
    from scims.cluster import commands, logical_hosts
    from scims.log import syslog
    from scims.messaging import accounts

    monkeypatch.setattr(commands, "BIN_DIR", str(node / "usr/cluster/bin"))
    if not programs:
        monkeypatch.setattr(commands, "run", _InProcessDoor(commands.run))
        monkeypatch.setattr(commands, "_ask_ahead", _InProcessAhead(commands._ask_ahead))
    monkeypatch.setattr(syslog, "LOGLEVEL_DIR", str(node / "var/cluster/rgm/rt"))
    monkeypatch.setattr(syslog, "SOCKET_PATH", str(node / "dev/log"))
    monkeypatch.setattr(accounts, "USERS_FILE", str(node / "etc/passwd"))
    monkeypatch.setattr(accounts, "GROUPS_FILE", str(node / "etc/group"))
    monkeypatch.setattr(logical_hosts, "HOSTS_FILE", str(node / "etc/hosts"))
    monkeypatch.setattr(trust, "STATE_DIR", str(node / "var/cluster/rgm/rt/SUNW.ims/state"))
    monkeypatch.setattr(logical_hosts.socket, "getaddrinfo", _numeric_only)
    return node


_getaddrinfo = socket.getaddrinfo


def _numeric_only(host: Any, *args: Any, **kwargs: Any) -> Any:
    """getaddrinfo for address literals and localhost only (see `on_node`)."""
    if host not in (None, "localhost"):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "no name service in the unit tests") from None
    return _getaddrinfo(host, *args, **kwargs)


def server_root(node: Path) -> str:
    """The installation's server root on node directory `node` (the guide's /opt/SUNWmsgsr)."""
    return str(node / "opt" / "SUNWmsgsr")


def make_node_root(base: Path) -> Path:
    """A minimal node directory: the directories scims touches."""
    for sub in ("etc", "usr/cluster/bin", "var/cluster/rgm/rt/SUNW.ims", "dev"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "etc" / "nodename").write_text("mars\n")
    return base


_ANSWERING: dict[str, FakeCommand] = {}
"""The in-process fakes by program path (`<node>/usr/cluster/bin/<name>`)."""


class _InProcessDoor:
    """`commands.run` for unit tests: the fake's answer, or the real door's error for a
    program the node does not have; a program a test wrote (ProgramCommand) still runs."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __call__(self, command: str, args: Any, timeout: float, subject: str = "") -> Any:
        from scims.cluster import commands
        from scims.cluster.scha_errors import SchaError
        from scims.errors import FrameworkError
        from scims.trust import Budget

        path = f"{commands.BIN_DIR}/{command}"
        fake = _ANSWERING.get(path)
        if fake is not None:
            return fake.completed(list(args), Budget.left(timeout))
        if os.path.exists(path):
            return self.real(command, args, timeout, subject)
        raise FrameworkError(command, SchaError.INTERNAL,
                             f"cannot run {path}: No such file or directory", subject)


class _InProcessAhead:
    """`commands._ask_ahead` for unit tests: a query an in-process fake answers is asked when
    the method asks it (there is no program to start ahead); one a test wrote a program for
    (ProgramCommand) is started ahead as on a node."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __call__(self, command: str, args: Any) -> None:
        from scims.cluster import commands

        if os.path.exists(f"{commands.BIN_DIR}/{command}"):
            self.real(command, args)


class _Rules:
    """Answers by whole argument list (None: any arguments); earlier rules win."""

    name: str
    _rules: list[dict[str, Any]]

    def _save(self) -> None:
        pass

    def answer(self, argv: Optional[list[str]], stdout: str = "", status: int = 0,
               stderr: str = "", sleep: float = 0) -> Any:
        """Answer `argv` (None: any arguments); earlier rules win."""
        self._rules.append({"argv": argv, "stdout": stdout, "status": status,
                            "stderr": stderr, "sleep": sleep})
        self._save()
        return self

    def argvs(self) -> list[list[str]]:
        return [call["argv"] for call in self.calls()]

    def calls(self) -> list[dict[str, Any]]:
        raise NotImplementedError


class FakeCommand(_Rules):
    """One cluster command answered in process (see the module's docstring): the rules of
    `answer`, no program run. A rule that sleeps longer than the call may wait is the real
    door's timeout, at once."""

    def __init__(self, root: Path, name: str) -> None:
        self.name = name
        self._rules = []
        self._calls: list[dict[str, Any]] = []
        _ANSWERING[str(root / "usr" / "cluster" / "bin" / name)] = self

    def calls(self) -> list[dict[str, Any]]:
        return list(self._calls)

    def completed(self, argv: list[str], timeout: float) -> Any:
        from scims.cluster import commands
        from scims.cluster.scha_errors import SchaError
        from scims.errors import FrameworkError

        if timeout <= 0:
            raise FrameworkError(self.name, SchaError.TIMEOUT, "no time was left for it")
        self._calls.append({"argv": argv})
        for rule in self._rules:
            if rule["argv"] is None or rule["argv"] == argv:
                if rule["sleep"] >= timeout:
                    raise FrameworkError(self.name, SchaError.TIMEOUT,
                                         f"no answer within {timeout:g} seconds")
                return commands.Completed(self.name, rule["status"],
                                          commands._split_lines(rule["stdout"]), rule["stderr"])
        return commands.Completed(self.name, 3, (), f"{self.name}: no such test answer\n")


class ProgramCommand(_Rules):
    """One fake program in `<root>/usr/cluster/bin`; rules match whole argument lists."""

    def __init__(self, root: Path, name: str) -> None:
        self.bin = root / "usr" / "cluster" / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.path = self.bin / name
        self._rules: list[dict[str, Any]] = []
        self.path.write_text(_SCRIPT.format(python=sys.executable))
        self.path.chmod(0o755)
        self._save()

    def _save(self) -> None:
        (self.bin / f"{self.name}.rules.json").write_text(json.dumps(self._rules))

    def calls(self) -> list[dict[str, Any]]:
        log = self.bin / f"{self.name}.calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]


class SyslogReceiver:
    """A datagram socket standing in for a node's syslog daemon.

    It listens in a short private directory (AF_UNIX addresses are short) and `<root>/dev/log`
    is a symlink to it, as on a stand-in node.
    """

    def __init__(self, dev_log: Path) -> None:
        self._dir = tempfile.mkdtemp(prefix="scims-log-", dir="/tmp")
        self.address = os.path.join(self._dir, "log")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.address)
        dev_log.parent.mkdir(parents=True, exist_ok=True)
        if dev_log.is_symlink() or dev_log.exists():
            dev_log.unlink()
        dev_log.symlink_to(self.address)

    def datagrams(self, wait: float = 0.2) -> list[bytes]:
        """Everything received so far, waiting up to `wait` seconds for the first one."""
        received: list[bytes] = []
        self.sock.settimeout(wait)
        try:
            while True:
                received.append(self.sock.recv(65536))
                self.sock.settimeout(0.05)
        except (TimeoutError, socket.timeout, BlockingIOError):
            pass
        return received

    def close(self) -> None:
        self.sock.close()
        os.unlink(self.address)
        os.rmdir(self._dir)


def stand_in_line(datagram: bytes, node: str, when: Optional[float] = None) -> str:
    """The line the stand-in syslogd writes to var/adm/messages for `datagram`
    (docs/internals.md §3): `Mmm dd hh:mm:ss <node> <TAG>: <text>`."""
    match = re.match(rb"<(\d+)>(.*)\Z", datagram, re.DOTALL)
    assert match is not None, datagram
    tag, _, text = match.group(2).decode("utf-8").partition(": ")
    stamp = time.strftime("%b %e %H:%M:%S", time.localtime(when))
    return f"{stamp} {node} {tag}: {text}"


_HEAD = re.compile(r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ ")


def after_host(line: str) -> str:
    """A syslog line without its timestamp and host: what the contract fixes."""
    match = _HEAD.match(line)
    assert match is not None, line
    return line[match.end():]


class RecordingTransport:
    """A log transport that keeps every record, for tests that read what a method logged."""

    def __init__(self) -> None:
        self.records: list[LogRecord] = []

    def deliver(self, record: LogRecord) -> None:
        self.records.append(record)


def make_installation(root: Path, *, user: str = "mailsrv", uid: int = 20001) -> Path:
    """A Messaging Server installation on node directory `root` as the guide's example makes it:
    B (/opt/SUNWmsgsr) root's, its `config` link to C (/var/opt/SUNWmsgsr/config), owned by
    the runtime user when the tests run as root."""
    base = root / "opt" / "SUNWmsgsr"
    config = root / "var" / "opt" / "SUNWmsgsr" / "config"
    (base / "sbin").mkdir(parents=True)
    config.mkdir(parents=True)
    (base / "config").symlink_to(config)
    for name in ("start-msg", "stop-msg"):
        path = base / "sbin" / name
        path.write_text("#!/bin/sh\nexit 0\n")
        path.chmod(0o755)
    (config / "msg.conf").write_text(
        f"local.serveruid = {user}\nlocal.servergid = mail\nlocal.imta.enable = no\n"
        "local.store.enable = no\n")
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc" / "passwd").write_text(f"root:x:0:0::/:/bin/sh\n{user}:x:{uid}:6000::/:\n")
    (root / "etc" / "group").write_text("root::0:\nmail::6000:mailsrv\n")
    if os.geteuid() == 0:
        os.chown(config, uid, 6000)  # the runtime user owns its configuration directory
    return base


class FakeCluster:
    """The framework's queries answered in process from a small cluster description, each
    call recorded as (command, optag, object...): for tests that count what a method asks.

    `resources`: name -> {"group", "type", "ext": {name: (TYPE, value)}, "props": {name:
    value}, "state": {node: state}}; `groups`: name -> {"Nodelist": [...], ...}; `cluster`:
    optag -> value. Patch it in with `install(monkeypatch)`.
    """

    def __init__(self, resources: dict[str, dict[str, Any]], groups: dict[str, dict[str, Any]],
                 cluster: dict[str, Any]) -> None:
        self.resources = resources
        self.groups = groups
        self.cluster = cluster
        self.calls: list[tuple[str, ...]] = []

    def install(self, monkeypatch: Any) -> FakeCluster:
        from scims.cluster import commands

        for name in ("resource_get", "resourcegroup_get", "cluster_get", "extension"):
            monkeypatch.setattr(commands, name, getattr(self, name))
        return self

    @staticmethod
    def _reply(command: str, optag: str, value: Any) -> Any:
        from scims.cluster import commands

        lines = value if isinstance(value, (list, tuple)) else [str(value)]
        return commands.Reply(command, optag, tuple(str(v) for v in lines))

    @staticmethod
    def _missing(command: str, what: str) -> Exception:
        from scims.errors import FrameworkError

        return FrameworkError(command, 13, f"no such {what}", what)

    def resource_get(self, optag: str, r: str, g: Optional[str] = None, *extra: str,
                     timeout: float = 0) -> Any:
        self.calls.append(("scha_resource_get", optag, r, *extra))
        rs = self.resources.get(r)
        if rs is None:
            raise self._missing("scha_resource_get", r)
        key = optag.lower()
        if key == "group":
            return self._reply("scha_resource_get", optag, rs["group"])
        if key == "type":
            return self._reply("scha_resource_get", optag, rs["type"])
        if key == "resource_state_node":
            if extra[0] not in rs.get("state", {}):
                raise self._missing("scha_resource_get", extra[0])
            return self._reply("scha_resource_get", optag, rs["state"][extra[0]])
        props = {k.lower(): v for k, v in rs.get("props", {}).items()}
        if key not in props:
            raise self._missing("scha_resource_get", optag)
        return self._reply("scha_resource_get", optag, props[key])

    def extension(self, r: str, g: str, name: str, timeout: float = 0) -> tuple[str, Any]:
        self.calls.append(("scha_resource_get", "Extension", r, name))
        ext = {k.lower(): v for k, v in self.resources.get(r, {}).get("ext", {}).items()}
        if name.lower() not in ext:
            raise self._missing("scha_resource_get", name)
        kind, value = ext[name.lower()]
        return kind, value

    def resourcegroup_get(self, optag: str, g: str, *extra: str, timeout: float = 0) -> Any:
        self.calls.append(("scha_resourcegroup_get", optag, g))
        if optag.lower() == "resource_list":
            return self._reply("scha_resourcegroup_get", optag,
                               [n for n, rs in self.resources.items() if rs["group"] == g])
        props = {k.lower(): v for k, v in self.groups[g].items()}
        return self._reply("scha_resourcegroup_get", optag, props[optag.lower()])

    def cluster_get(self, optag: str, *extra: str, timeout: float = 0) -> Any:
        self.calls.append(("scha_cluster_get", optag))
        if optag == "All_resourcegroups":
            return self._reply("scha_cluster_get", optag, list(self.groups))
        return self._reply("scha_cluster_get", optag, self.cluster[optag])


@dataclass
class MonitorContext:
    """What the fault monitor uses of a MethodContext: the log, the names, Status (recorded)."""

    log: Any
    resource: str = "mail-rs"
    group: str = "MAIL-RG"
    statuses: list[tuple[str, Optional[str]]] = field(default_factory=list)

    def set_status(self, status: str, message: Optional[str]) -> None:
        self.statuses.append((status, message))


METHOD_ARGS = ["-R", "mail-rs", "-T", "SUNW.ims:6.3", "-G", "MAIL-RG"]
"""How the RGM names the resource of these tests on a method's command line."""


class StoredProperties:
    """A resource's stored properties answered in process (`PropertyQueries`): system
    properties by lower-case name, extension properties as STRING."""

    def __init__(self, props: dict[str, object]) -> None:
        self.props = props

    def resource_get(self, optag: str, r: str, g: Optional[str] = None, *extra: str,
                     timeout: float = 0) -> Any:
        from scims.cluster.commands import Reply

        return Reply("scha_resource_get", optag, (str(self.props[optag.lower()]),))

    def extension(self, r: str, g: str, name: str, timeout: float = 0) -> tuple[str, Any]:
        return "STRING", self.props[name]


def method_context(method: str, props: dict[str, object],
                   args: Optional[list[str]] = None) -> tuple[Any, RecordingTransport]:
    """The MethodContext of `method` called with `args` (METHOD_ARGS), its properties
    `props` (StoredProperties), its log recorded: (context, recorder)."""
    from scims.cluster.invocation import PropertyView, parse
    from scims.log.syslog import AgentLog
    from scims.method_runtime import MethodContext

    inv = parse(METHOD_ARGS if args is None else args)
    recorder = RecordingTransport()
    ctx = MethodContext(method, inv, AgentLog(inv.resource_type, inv.group, inv.resource,
                                              method, transport=recorder, facility="daemon"))
    ctx.props = PropertyView(inv, StoredProperties(props))  # type: ignore[arg-type]
    return ctx, recorder


class ManualClock:
    """A monotonic clock that moves only when slept on: the fault monitor's time, in tests."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
