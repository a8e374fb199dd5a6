"""The stand-in node's syslog daemon: `<root>/dev/log` in, `<root>/var/adm/messages` out.

Why: the agent's contract is the Solaris log line (`Mmm dd hh:mm:ss node TAG: [ID n
fac.level] text`), and the tests read the node's messages file exactly as an
administrator reads /var/adm/messages. One daemon per node binds an AF_UNIX datagram
socket in the cluster's short run directory (socket paths are limited to 108 bytes) and
points `<root>/dev/log` at it with a symlink.

Each datagram `<PRI>rest` (RFC 3164; optional `Mmm dd hh:mm:ss ` timestamp, which is
dropped: the daemon stamps the line with its own local time, as syslogd does) becomes one
line, written with a single `write()` on an O_APPEND file, so lines never interleave. A
text not starting with `[ID ` gets `[ID <msgid(text)> <facility>.<level>] ` inserted, as
Solaris' log driver does.

Where a line goes is decided as Solaris' syslogd decides it, by the node's `/etc/syslog.conf`
(syslog.conf(4)): `selector<TAB>action` lines, a selector `facility[,facility].level` (`*`
every facility, `none` excluded) selecting that level and everything more severe, `;`
between selectors; actions a file (it must exist: syslogd opens, never creates it), the
console (`/dev/sysmsg`, `/dev/console`: the node's console file), user names or `*` (no one
is logged in on a stand-in node: nothing is written). Like Solaris' syslogd it takes the
selector to end at the first TAB only, so a line typed with blanks instead is refused with
`syslogd: line N: unknown priority name "..."`, and a file that does not exist with
`syslogd: <path>: No such file or directory`, both logged as syslog.err. SIGHUP (`pkill -HUP
syslogd`, or `--reload`) rereads the file and reopens every file. A node root without
`/etc/syslog.conf` (bare test roots) logs everything to `/var/adm/messages`; the cluster's
nodes get Solaris' default file (`default_syslog_conf`) when they are created.

Like Solaris' log driver, which computes the `[ID]` itself, a ready-made `[ID ...]` is kept
only from root's processes (the methods, rgmd, pmfd, which compute it from their format as
libc's syslog(3C) does): the sender's uid comes with each datagram (SCM_CREDENTIALS), and a
line from any other user gets the ID of its whole text in front, whatever it starts with.

An action `@host` forwards the line over UDP to port 514 of `host` (the node's /etc/hosts
resolves it, as the `loghost` alias does on Solaris), sent from this daemon's own port 514,
which only root can bind: `<PRI>Mmm dd hh:mm:ss TAG: text`, the node's own clock in the
stamp. The log host (`--loghost DIR --listen ADDR`, run on the cluster's client host by
`start_loghost`) writes what it receives to DIR/var/adm/messages, each line named by the
sending node as DIR/etc/hosts names its address, and drops what does not come from a
privileged port of a host it knows. `forward_to_loghost(layout, node)` is the administrator's
change on a node (the `loghost` alias to the client host, `*.notice;daemon.info<TAB>@loghost`).

Run: `python -m clustersim.syslogd --cluster DIR --node NAME [--reload]`; from Python
`start_syslogd(layout, node)` / `stop_syslogd(layout, node)` / `reload_syslogd(layout,
node)`; log like a Solaris daemon with `log_to_node(layout, node, tag, priority, text)`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from clustersim import daemons, procs
from clustersim.layout import ClusterLayout
from clustersim.syslog_client import (  # noqa: F401 - the client side, re-exported
    FACILITIES,
    FACILITY_CODES,
    LEVEL_ALIASES,
    LEVELS,
    encode_priority,
    id_prefix,
    log_to_node,
)

DEFAULT_PRI = 8 * 1 + 5  # user.notice, as syslog(3) assumes when no priority is given
_PRI = re.compile(rb"^<(\d{1,3})>")
_TIMESTAMP = re.compile(rb"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ")
STOP_TIMEOUT = 10.0


SYSLOG_CONF = "/etc/syslog.conf"
SYSLOG_PORT = 514
"""syslog's UDP port (services(4) `syslog 514/udp`); also the port forwarded lines leave
from, which only root can bind."""
PRIVILEGED_PORTS = 1024
LOGHOST_PIDFILE = "var/run/syslogd.pid"
_UCRED = struct.Struct("iII")  # struct ucred: pid, uid, gid
CONSOLE_DEVICES = ("/dev/sysmsg", "/dev/console")
NO_PRIORITY = -1
"""The level of `none`: the facility selects nothing."""
_PRIORITY_NAMES: dict[str, int] = {**LEVEL_ALIASES, "none": NO_PRIORITY}


def default_syslog_conf() -> str:
    """The /etc/syslog.conf of a freshly installed Solaris 10 node, as its syslogd reads it
    on the log host (m4 resolved: each node is its own `loghost` in /etc/hosts): errors to
    the console and /var/adm/messages, daemon messages from notice up to /var/adm/messages,
    so daemon.info and daemon.debug are written nowhere until an administrator adds a line.
    The selectors are Solaris' (usr/src/cmd/syslogd/syslog.conf of OpenSolaris)."""
    return (
        "#\n"
        "# syslog configuration file (syslog.conf(4)), as Solaris installs it.\n"
        "# Fields are separated by TABs: selector<TAB>action.\n"
        "#\n"
        "*.err;kern.notice;auth.notice\t\t\t/dev/sysmsg\n"
        "*.err;kern.debug;daemon.notice;mail.crit\t/var/adm/messages\n"
        "\n"
        "*.alert;kern.err;daemon.err\t\t\toperator\n"
        "*.alert\t\t\t\t\t\troot\n"
        "\n"
        "*.emerg\t\t\t\t\t\t*\n"
        "\n"
        "mail.debug\t\t\t/var/log/syslog\n"
    )


@dataclass(frozen=True)
class Rule:
    """One line of syslog.conf: the highest level selected per facility, and the action."""

    lineno: int
    levels: dict[int, int]
    action: str

    def selects(self, pri: int) -> bool:
        return (pri & 7) <= self.levels.get(pri >> 3, NO_PRIORITY)


def parse_rule(line: str, lineno: int) -> tuple[Rule | None, str | None]:
    """(rule, None), (None, None) for a blank or comment line, or (None, error text) as
    Solaris' syslogd words it. Pure."""
    if not line.strip() or line.lstrip().startswith("#"):
        return None, None
    selectors, tab, action = line.partition("\t")
    levels: dict[int, int] = {}
    for selector in selectors.split(";"):
        if not selector:
            continue
        names, dot, level_name = selector.partition(".")
        level = _PRIORITY_NAMES.get(level_name.strip(", ").lower()) if dot else None
        if level is None:
            return None, f'line {lineno}: unknown priority name "{level_name if dot else ""}"'
        for name in names.split(","):
            if name == "*":
                for code in FACILITIES:
                    levels[code] = level
            elif name.lower() in FACILITY_CODES:
                levels[FACILITY_CODES[name.lower()]] = level
            else:
                return None, f'line {lineno}: unknown facility name "{name}"'
    action = action.strip(" \t")
    if not tab or not action:
        return None, f"line {lineno}: no action for the selector"
    return Rule(lineno, levels, action), None


def parse_conf(text: str) -> tuple[list[Rule], list[str]]:
    """Every rule of a syslog.conf, and the errors of the lines that are not. Pure."""
    rules: list[Rule] = []
    errors: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        rule, error = parse_rule(line, lineno)
        if rule is not None:
            rules.append(rule)
        if error is not None:
            errors.append(error)
    return rules, errors


# --- pure formatting -----------------------------------------------------------------


def parse_datagram(data: bytes) -> tuple[int, str | None, str]:
    """Split a syslog datagram into (PRI, tag or None, text). Pure; never raises."""
    pri = DEFAULT_PRI
    match = _PRI.match(data)
    if match:
        pri = min(int(match.group(1)), 191)
        data = data[match.end() :]
    data = _TIMESTAMP.sub(b"", data, count=1)
    text = data.decode("utf-8", "replace").rstrip("\n\x00")
    tag: str | None = None
    head, sep, rest = text.partition(": ")
    tagged = text.find(": [ID ")  # a Solaris line's tag may hold blanks (a resource " ")
    if tagged > 0:
        tag, text = text[:tagged], text[tagged + 2 :]
    elif sep and head and " " not in head:
        tag, text = head, rest
    elif text.endswith(":") and " " not in text:
        tag, text = text[:-1], ""
    return pri, tag, text


def format_line(pri: int, tag: str | None, text: str, node: str, when: float,  # noqa: PLR0917
                own_id: bool = True) -> str:
    """The /var/adm/messages line for one message (with trailing newline). Pure.

    `own_id`: the sender may bring its `[ID ...]` (root's processes); otherwise the ID of
    the whole text goes in front, as Solaris' log driver computes it."""
    facility = FACILITIES.get(pri >> 3, f"fac{pri >> 3}")
    level = LEVELS[pri & 7]
    if not (own_id and text.startswith("[ID ")):
        text = id_prefix(text, facility, level) + text
    stamp = time.strftime("%b %e %H:%M:%S", time.localtime(when))
    who = f"{tag}: " if tag else ""
    return f"{stamp} {node} {who}{text}\n"


def resolve(hosts_file: Path, name: str) -> str | None:
    """The IPv4 address of `name` (or `name` itself, if it is one) in an /etc/hosts. Pure
    but for the read."""
    with contextlib.suppress(OSError):
        socket.inet_aton(name)
        if name.count(".") == 3:
            return name
    try:
        text = hosts_file.read_text(errors="replace")
    except OSError:
        return None
    for entry in text.splitlines():
        fields = entry.split("#", 1)[0].split()
        if len(fields) >= 2 and name in fields[1:] and ":" not in fields[0]:
            return fields[0]
    return None


def host_names(hosts_file: Path) -> dict[str, str]:
    """address -> the first name /etc/hosts gives it (the log host's view of its clients)."""
    names: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for entry in hosts_file.read_text(errors="replace").splitlines():
            fields = entry.split("#", 1)[0].split()
            if len(fields) >= 2:
                names.setdefault(fields[0], fields[1])
    return names


def forward_datagram(pri: int, line: str, node: str) -> bytes:
    """What a node sends its log host for one written line: `<PRI>stamp TAG: text`, the
    node's name left out (the log host names the sender by its address). Pure."""
    stamp, rest = line[:15], line[16:].rstrip("\n")
    if rest.startswith(f"{node} "):
        rest = rest[len(node) + 1:]
    return f"<{pri}>{stamp} {rest}".encode()


def loghost_line(data: bytes, sender: str, when: float) -> str:
    """The log host's line for a datagram from `sender`: the sender's own stamp kept (its
    clock, not ours: imsreport --clock-offset corrects it), or ours if it sent none. Pure."""
    match = _PRI.match(data)
    if match:
        data = data[match.end():]
    text = data.decode("utf-8", "replace").rstrip("\n\x00").replace("\n", " ")
    stamped = _TIMESTAMP.match(data)
    if stamped:
        stamp, text = text[:15], text[16:]
    else:
        stamp = time.strftime("%b %e %H:%M:%S", time.localtime(when))
    return f"{stamp} {sender} {text}\n"


# --- the daemon -----------------------------------------------------------------------


class _Stop(Exception):
    pass


def _link_dev_log(layout: ClusterLayout, node: str) -> None:
    dev = layout.node_root(node) / "dev"
    dev.mkdir(parents=True, exist_ok=True)
    tmp = dev / f".log.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(layout.node_log_socket(node))
    os.replace(tmp, dev / "log")


class _Outputs:
    """The open actions of the node's syslog.conf: one file descriptor per rule, as Solaris'
    syslogd keeps them, reopened on SIGHUP."""

    def __init__(self, layout: ClusterLayout, node: str) -> None:
        self.layout = layout
        self.node = node
        self.targets: list[tuple[Rule, int]] = []

    def load(self) -> None:
        self.close()
        root = self.layout.node_root(self.node)
        try:
            text = (root / SYSLOG_CONF.lstrip("/")).read_text(errors="replace")
        except FileNotFoundError:
            # A bare test root: every message to /var/adm/messages, created if need be.
            messages = self.layout.node_messages(self.node)
            messages.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(messages, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self.targets = [(Rule(0, dict.fromkeys(FACILITIES, 7), "/var/adm/messages"), fd)]
            return
        rules, errors = parse_conf(text)
        for rule in rules:
            fd = self._open(rule.action)
            if fd is not None:
                self.targets.append((rule, fd))
        for error in errors:
            self.own_error(error)

    def _open(self, action: str) -> int | None:
        if action.startswith("@"):
            return self._forward(action[1:])
        if not action.startswith("/"):
            return None  # users, `*`: nobody is logged in on a stand-in node
        if action in CONSOLE_DEVICES:
            path = self.layout.node_console(self.node)
            path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOCTTY, 0o644)
        path = self.layout.node_root(self.node) / action.lstrip("/")
        try:
            # Like Solaris' syslogd: open, never create (O_WRONLY|O_APPEND|O_NOCTTY).
            return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY)
        except OSError as exc:
            self.own_error(f"{action}: {exc.strerror}")
            return None

    def _forward(self, name: str) -> int | None:
        """A UDP socket from port 514 connected to `name`'s port 514 (its fd), or None."""
        address = resolve(self.layout.node_root(self.node) / "etc" / "hosts", name)
        if address is None:
            self.own_error(f"@{name}: unknown host")
            return None
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("", SYSLOG_PORT))
            sock.connect((address, SYSLOG_PORT))
        except OSError as exc:
            sock.close()
            self.own_error(f"@{name}: {exc.strerror}")
            return None
        return sock.detach()

    def own_error(self, text: str) -> None:
        """syslogd's own complaint, logged as syslog.err without an [ID] (logerror())."""
        pri = encode_priority("error", "syslog")
        stamp = time.strftime("%b %e %H:%M:%S", time.localtime())
        self.write(pri, f"{stamp} {self.node} syslogd: {text}\n")

    def write(self, pri: int, line: str) -> None:
        data = line.encode()
        forwarded: bytes | None = None
        for rule, fd in self.targets:
            if not rule.selects(pri):
                continue
            if rule.action.startswith("@"):
                if forwarded is None:
                    forwarded = forward_datagram(pri, line, self.node)
                with contextlib.suppress(OSError):
                    os.write(fd, forwarded)  # a connected datagram socket: one datagram
                continue
            with contextlib.suppress(OSError):
                os.write(fd, data)

    def close(self) -> None:
        for _rule, fd in self.targets:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.targets = []


def _name_process(name: str) -> None:
    """Take the daemon's name (prctl PR_SET_NAME), so that `ps` and `pkill -HUP syslogd` on
    the node find it as an administrator expects, not as `python3`."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, ctypes.c_char_p(name.encode()), 0, 0, 0)  # 15: PR_SET_NAME


def serve(layout: ClusterLayout, node: str) -> int:
    """Run the daemon until SIGTERM/SIGINT; SIGHUP rereads syslog.conf. Returns the exit
    status."""
    sock_path = layout.node_log_socket(node)
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        sock_path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)  # who sent each line
    os.chmod(sock_path, 0o666)  # noqa: S103 - every process of the node may log
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    outputs = _Outputs(layout, node)
    outputs.load()
    _link_dev_log(layout, node)

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    stopping = False
    reload = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping, reload
        if signum == signal.SIGHUP:
            reload = True
        else:
            stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    _name_process("syslogd")
    layout.syslogd_pidfile(node).write_text(f"{os.getpid()}\n")
    try:
        while not stopping:
            ready, _, _ = select.select([sock, wake_r], [], [])
            if wake_r in ready:
                os.read(wake_r, 512)
            if sock in ready:
                _drain(sock, outputs, node)
            if reload:
                reload = False
                _drain(sock, outputs, node)  # sent before the HUP: the old rules apply
                outputs.load()
        _drain(sock, outputs, node)  # what was sent before the stop request is still written
    finally:
        outputs.close()
        sock.close()
        daemons.remove_own(sock_path, layout.syslogd_pidfile(node), os.getpid())
    return 0


def _drain(sock: socket.socket, outputs: _Outputs, node: str) -> None:
    while True:
        try:
            data, ancillary, _flags, _addr = sock.recvmsg(
                65536, socket.CMSG_SPACE(_UCRED.size), socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        if not data:
            continue
        pri, tag, text = parse_datagram(data)
        outputs.write(pri, format_line(pri, tag, text, node, time.time(),
                                       own_id=_sender_uid(ancillary) == 0))


def _sender_uid(ancillary: list[tuple[int, int, bytes]]) -> int | None:
    """The uid the kernel vouches for (SCM_CREDENTIALS), or None if it sent none."""
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and \
                len(payload) >= _UCRED.size:
            return int(_UCRED.unpack(payload[:_UCRED.size])[1])
    return None


# --- start / stop from Python -----------------------------------------------------------


def start_syslogd(layout: ClusterLayout, node: str, *, timeout: float = 20.0) -> int:
    """Start the node's syslog daemon (own session) and return its pid once it listens.

    Idempotent: a daemon already running for the node is left alone and its pid returned.
    The daemon's own stderr goes to `layout.syslogd_logfile(node)`.
    """
    pid = daemons.read_pid(layout.syslogd_pidfile(node))
    if pid is not None and procs.is_alive(pid) and layout.node_log_socket(node).exists():
        return pid
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    dev_log = layout.node_root(node) / "dev" / "log"
    return daemons.remember(daemons.start(
        [sys.executable, "-m", "clustersim.syslogd", "--cluster", str(layout.base),
         "--node", node],
        layout.syslogd_logfile(node), f"syslogd for node {node}",
        lambda pid: daemons.read_pid(layout.syslogd_pidfile(node)) == pid
        and dev_log.is_symlink(),
        timeout=timeout, poll=0.02))


def stop_syslogd(layout: ClusterLayout, node: str, *, timeout: float = STOP_TIMEOUT) -> None:
    """Stop the node's syslog daemon (SIGTERM, then SIGKILL after `timeout`); idempotent."""
    pid = daemons.read_pid(layout.syslogd_pidfile(node))
    if pid is None or not procs.is_alive(pid):
        if pid is not None:
            daemons.reap(pid)
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not procs.wait_gone([pid], timeout):
        procs.kill_tree(pid)
        procs.wait_gone([pid], 5)
        daemons.remove_own(layout.node_log_socket(node), layout.syslogd_pidfile(node), pid)
    daemons.reap(pid)


def reload_syslogd(layout: ClusterLayout, node: str) -> bool:
    """SIGHUP to the node's syslog daemon: it rereads /etc/syslog.conf. On a cluster of real
    hosts, from outside the node this is the real `pkill -HUP -x syslogd` run on the node (the
    pid file holds the pid as the node's PID namespace numbers it, which means another
    process out here); on the node itself, or on a bare test root, the pid file's pid.
    False if no daemon runs for the node."""
    if (layout.base / "hostlab.json").exists():
        from clustersim import hosts  # noqa: PLC0415 - hosts is for clusters of real hosts

        host = hosts.host(layout, node)
        if not host.is_powered:
            return False
        if not host.is_current():
            done = host.run(["pkill", "-HUP", "-x", "syslogd"], capture_output=True,
                            timeout=30)
            return done.returncode == 0
    pid = daemons.read_pid(layout.syslogd_pidfile(node))
    if pid is None or not procs.is_alive(pid):
        return False
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        return False
    return True


# --- the log host ----------------------------------------------------------------------


def serve_loghost(directory: Path, address: str) -> int:
    """Receive forwarded lines on `address`:514 until SIGTERM; append them to
    `directory`/var/adm/messages. Only datagrams from a privileged port (a node's syslogd)
    of an address `directory`/etc/hosts names are written."""
    messages = directory / "var" / "adm" / "messages"
    messages.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(messages, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, SYSLOG_PORT))
    stopping = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    _name_process("syslogd")
    pidfile = directory / LOGHOST_PIDFILE
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    pidfile.write_text(f"{os.getpid()}\n")
    try:
        while not stopping:
            with contextlib.suppress(InterruptedError):
                ready, _, _ = select.select([sock], [], [], 0.5)
                if not ready:
                    continue
                data, (sender, port) = sock.recvfrom(65536)
                name = host_names(directory / "etc" / "hosts").get(sender)
                if name is None or port >= PRIVILEGED_PORTS:
                    continue  # not a known host's syslogd: anyone's datagram
                os.write(fd, loghost_line(data, name, time.time()).encode())
    finally:
        sock.close()
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            pidfile.unlink()
    return 0


def start_loghost(layout: ClusterLayout, *, timeout: float = 20.0) -> Path:
    """The cluster's client host as its log host: a syslogd receiving every node's forwarded
    lines into <cluster>/client/var/adm/messages (returned)."""
    from clustersim import hosts  # noqa: PLC0415 - a cluster of real hosts only

    directory = hosts.client_directory(layout)
    client = hosts.host(layout, hosts.CLIENT)
    pidfile = directory / LOGHOST_PIDFILE
    with contextlib.suppress(FileNotFoundError):
        pidfile.unlink()
    with open(directory / "loghost.err", "ab") as err:
        subprocess.Popen(client.command([sys.executable, "-m", "clustersim.syslogd",
                                         "--loghost", str(directory),
                                         "--listen", hosts.CLIENT_ADDRESS]),
                         stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                         start_new_session=True, env=hosts.node_env())
    deadline = time.monotonic() + timeout
    while not pidfile.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the log host's syslogd did not start: see "
                               f"{directory / 'loghost.err'}")
        time.sleep(0.05)
    return directory / "var" / "adm" / "messages"


def stop_loghost(layout: ClusterLayout, *, timeout: float = STOP_TIMEOUT) -> None:
    """Stop the client host's log host syslogd by its pid (as the client host numbers it)."""
    from clustersim import hosts  # noqa: PLC0415

    pidfile = hosts.client_directory(layout) / LOGHOST_PIDFILE
    pid = daemons.read_pid(pidfile)
    if pid is None:
        return
    client = hosts.host(layout, hosts.CLIENT)
    if client.is_powered:
        client.run(["kill", "-TERM", str(pid)], capture_output=True, timeout=30)
    deadline = time.monotonic() + timeout
    while pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    if pidfile.exists() and client.is_powered:
        client.run(["kill", "-KILL", str(pid)], capture_output=True, timeout=30)
        pidfile.unlink(missing_ok=True)


FORWARD_SELECTOR = "*.notice;daemon.info"
"""What a node forwards: what /var/adm/messages gets, and the agent's information lines."""


def forward_to_loghost(layout: ClusterLayout, node: str) -> None:
    """The administrator's change on `node`: `loghost` is the client host in /etc/hosts (it
    was the node itself), syslog.conf forwards to it, and syslogd rereads its file."""
    from clustersim import hosts  # noqa: PLC0415

    root = layout.node_root(node)
    etc_hosts = root / "etc" / "hosts"
    kept = [entry if "loghost" not in entry.split("#", 1)[0].split()[1:] else
            " ".join(w for w in entry.split() if w != "loghost")
            for entry in etc_hosts.read_text().splitlines()]
    kept.append(f"{hosts.CLIENT_ADDRESS}\t{hosts.CLIENT}\tloghost")
    etc_hosts.write_text("\n".join(kept) + "\n")
    conf = root / SYSLOG_CONF.lstrip("/")
    text = conf.read_text() if conf.exists() else ""
    line = f"{FORWARD_SELECTOR}\t\t\t\t@loghost\n"
    if line not in text:
        conf.write_text(text + line)
    reload_syslogd(layout, node)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clustersim.syslogd", description=__doc__)
    parser.add_argument("--cluster", help="cluster directory")
    parser.add_argument("--node", help="node name")
    parser.add_argument("--loghost", metavar="DIR", type=Path,
                        help="be a log host: receive forwarded lines into DIR/var/adm/messages")
    parser.add_argument("--listen", metavar="ADDRESS", help="the log host's address")
    parser.add_argument("--reload", action="store_true",
                        help="make the node's running syslogd reread /etc/syslog.conf (SIGHUP)")
    args = parser.parse_args(argv)
    if args.loghost is not None:
        if not args.listen:
            parser.error("--loghost needs --listen ADDRESS")
        return serve_loghost(args.loghost, args.listen)
    if not args.cluster or not args.node:
        parser.error("--cluster and --node are required")
    if args.reload:
        if reload_syslogd(ClusterLayout.at(args.cluster), args.node):
            return 0
        print(f"syslogd: no syslog daemon runs for node {args.node}", file=sys.stderr)
        return 1
    return serve(ClusterLayout.at(args.cluster), args.node)


if __name__ == "__main__":
    sys.exit(main())
