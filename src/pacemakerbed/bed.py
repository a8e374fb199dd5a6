"""A three-node Pacemaker cluster with Messaging Server in one group, on hostlab hosts.

    with PacemakerBed.create(directory, deb) as bed:
        bed.wait_started()                  # group mail (fs, ip, ms) started on a node
        bed.client_send("user@mail.example.com", "hello")
        bed.move(other)                     # crm resource move mail <other>, then clear

Layout (everything under `directory`, which owns every kernel object through its lab):

    lab/                      the hostlab lab: segment 198.18.77.0/24, hosts n1 n2 n3 and client
    nodes/<n>/                what each node has bind-mounted at the same absolute path:
      etc/corosync/corosync.conf, etc/passwd, etc/group
      var/lib/pacemaker/ (cib seeded), var/lib/corosync/, var/log/{pacemaker,corosync}/,
      run/ (per node: corosync.pid, /run/crm, /run/resource-agents)
      opt/SUNWmsgsr/          the node's Messaging Server installation (mssim, package only)
      var/opt/SUNWmsgsr/      mount point of the shared disk (the configuration, C); var/opt
                              is bind-mounted, so that only Filesystem's mount is at C
      usr/lib/scims/, usr/lib/ocf/resource.d/sunw/   the scims-ocf package, unpacked
      syslog                  what the node logged to /dev/log
    power/power.sock          the power switch (pacemakerbed.power)

Nodes start as a real node does without systemd: `corosync -f`, then `pacemakerd -f`. The
CIB is seeded (dc-deadtime 2 s) so a DC is elected in seconds; then the cluster is
configured as an administrator does, with pcs or crmsh (`configuration`, shown in
docs/ocf.md). Messaging Server's configuration is made once, on n1 with the disk mounted
there (mssim install, ha_ip_config with the virtual address), then every node gets the
package and the same runtime user.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import select
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hostlab import Host, Lab
from pacemakerbed import power

SUBNET = "198.18.77.0/24"
NODES = ("n1", "n2", "n3")
ADDRESSES = {"n1": "198.18.77.11", "n2": "198.18.77.12", "n3": "198.18.77.13"}
CLIENT = ("client", "198.18.77.200")
VIRTUAL_IP = "198.18.77.100"
MAIL_HOST = "mail.example.com"
SERVER_ROOT = "/opt/SUNWmsgsr"
CONFIG_DIR = "/var/opt/SUNWmsgsr"
RUNTIME_USER, RUNTIME_GROUP, UID, GID = "mailsrv", "mail", 4242, 4243
GROUP = "mail"
RESOURCE = "ms"
FENCE_AGENT = Path(__file__).with_name("fence_hostlab")
MSSIM = [sys.executable, "-m", "mssim.cli"]
WAIT = 120.0


@dataclass(frozen=True)
class Timing:
    """Operation settings of the Messaging Server resource (seconds)."""

    monitor_interval: int = 3
    """The quick monitor (OCF_CHECK_LEVEL 0: the watcher and the processes' states)."""
    thorough_interval: int = 10
    """The thorough monitor (OCF_CHECK_LEVEL 10: every service's protocol as well)."""
    monitor_timeout: int = 25
    probe_timeout: int = 5
    start_timeout: int = 60
    stop_timeout: int = 15
    migration_threshold: int = 2
    dovecot: bool = False
    """Also give every node a Dovecot configuration (/etc/dovecot) on its own address, for
    the benchmark that sets resource-agents' dovecot agent beside ours."""


T = TypeVar("T")


def wait_for(what: str, predicate: Callable[[], T | None], timeout: float = WAIT,
             interval: float = 0.2) -> T:
    """Poll until `predicate` returns something true; AssertionError naming `what` if not."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- configuration files ---------------------------------------------------------------------


def corosync_conf(nodes: tuple[str, ...] = NODES) -> str:
    entries = "".join(
        f"  node {{\n    ring0_addr: {ADDRESSES[n]}\n    name: {n}\n    nodeid: {i + 1}\n  }}\n"
        for i, n in enumerate(nodes))
    return (
        "totem {\n  version: 2\n  cluster_name: mail\n  transport: knet\n  token: 1000\n"
        "  token_coefficient: 0\n  crypto_cipher: none\n  crypto_hash: none\n}\n"
        f"nodelist {{\n{entries}}}\n"
        "quorum {\n  provider: corosync_votequorum\n}\n"
        "logging {\n  to_stderr: no\n  to_syslog: no\n  to_logfile: yes\n"
        "  logfile: /var/log/corosync/corosync.log\n  timestamp: on\n}\n")


BOOT_OPTIONS = {"dc-deadtime": "2s"}
"""What the seeded CIB holds: a DC is elected 2 s after start instead of 20 s. Everything else
of the configuration is the administrator's (`configuration`), set with pcs or crmsh."""


def seed_cib() -> str:
    """The CIB every node starts from: options that make a DC appear in seconds."""
    pairs = "".join(f'<nvpair id="opt-{name}" name="{name}" value="{value}"/>'
                    for name, value in BOOT_OPTIONS.items())
    return ('<cib validate-with="pacemaker-3.9" epoch="1" '
            'num_updates="0" admin_epoch="0"><configuration><crm_config>'
            f'<cluster_property_set id="cib-bootstrap-options">{pairs}'
            '</cluster_property_set></crm_config><nodes/><resources/><constraints/>'
            '</configuration><status/></cib>\n')


# --- the administrator's configuration -------------------------------------------------------
#
# The guide's cluster is described once (`configuration`) and said in the words of the two
# tools administrators use: pcs (RHEL) and crmsh (SUSE). The bed builds its cluster with one
# of them, and docs/ocf.md shows both (`admin_text`; tests/ocf/test_admin_docs.py checks the
# page against it), so the documented commands are the ones the tests run. Neither needs
# pcsd, ssh or systemd: `pcs -f` edits a copy of the CIB and `pcs cluster cib-push` replaces
# it through cibadmin; `crm configure load update` patches the live CIB through cibadmin.

TOOLS = ("pcs", "crm")
CIB_COPY = "/run/mail-cib.xml"
"""pcs's working copy of the CIB (pcs -f), on the node where the commands run."""
CRM_FILE = "/run/mail.crm"
"""The configuration in crmsh's syntax, on the node where it is loaded."""
EXAMPLE_DEVICE = "/dev/sdb1"
"""The shared disk as docs/ocf.md writes it; the bed's is a loop device."""
PREFERRED = ("n1", 50)
"""The group's preferred node and score: Sun Cluster's Nodelist order as a location
constraint; resource-stickiness (100 per member) keeps the group where it runs after a
failover or a move."""


@dataclass(frozen=True)
class Primitive:
    """One resource: its id, agent (class:provider:type), parameters, operations as
    (action, interval, timeout) in seconds, or (action, interval, timeout, OCF_CHECK_LEVEL),
    and meta attributes."""

    id: str
    agent: str
    params: dict[str, str]
    ops: tuple[tuple[str, int, int] | tuple[str, int, int, int], ...]
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Configuration:
    """The guide's cluster: options, fencing, the group (disk, address, Messaging Server)
    and where it prefers to run."""

    properties: dict[str, str]
    resource_defaults: dict[str, str]
    fencing: Primitive
    group: str
    members: tuple[Primitive, ...]
    preferred: tuple[str, int]


def configuration(device: str, timing: Timing, agent: tuple[str, str] = ("sunw", "ims"),
                  nodes: tuple[str, ...] = NODES, *, start_group: bool = True
                  ) -> Configuration:
    """The bed's cluster with the shared disk at `device` (without the group if not
    `start_group`)."""
    fencing = Primitive("fence", "stonith:fence_hostlab",
                        {"pcmk_host_list": " ".join(nodes), "pcmk_host_check": "static-list"},
                        (("monitor", 60, 20),))
    fs = Primitive("fs", "ocf:heartbeat:Filesystem",
                   {"device": device, "directory": CONFIG_DIR, "fstype": "ext4"},
                   (("monitor", 10, 20), ("start", 0, 60), ("stop", 0, 60)))
    ip = Primitive("ip", "ocf:heartbeat:IPaddr2",
                   {"ip": VIRTUAL_IP, "cidr_netmask": "24", "nic": "eth0"},
                   (("monitor", 10, 20),))
    provider, kind = agent
    ms = Primitive(RESOURCE, f"ocf:{provider}:{kind}",
                   {"ims_serverroot": SERVER_ROOT, "probe_timeout": str(timing.probe_timeout)},
                   (("monitor", timing.monitor_interval, timing.monitor_timeout),
                    ("monitor", timing.thorough_interval, timing.monitor_timeout, 10),
                    ("start", 0, timing.start_timeout), ("stop", 0, timing.stop_timeout)),
                   {"migration-threshold": str(timing.migration_threshold)})
    return Configuration(
        properties={"stonith-enabled": "true", "stonith-action": "off",
                    "stonith-timeout": "30s", "cluster-recheck-interval": "5s",
                    "no-quorum-policy": "stop"},
        resource_defaults={"resource-stickiness": "100"},
        fencing=fencing, group=GROUP, members=(fs, ip, ms) if start_group else (),
        preferred=PREFERRED)


def _pairs(values: dict[str, str]) -> list[str]:
    return [f"{name}={value}" for name, value in values.items()]


def _pcs_ops(primitive: Primitive) -> list[str]:
    words = ["op"]
    for op in primitive.ops:
        words += [op[0], *_op_words(op)]
    return words


def _op_words(op: tuple[str, int, int] | tuple[str, int, int, int]) -> list[str]:
    """An operation's settings as pcs and crmsh both write them."""
    words = [f"interval={op[1]}s", f"timeout={op[2]}s"]
    return [*words, f"OCF_CHECK_LEVEL={op[3]}"] if len(op) > 3 else words


def pcs_commands(config: Configuration) -> list[list[str]]:
    """The configuration as pcs commands: edits of a copy of the CIB, pushed at the end, so
    the cluster sees it whole (nothing starts before its fencing and its group exist)."""
    pcs = ["pcs", "-f", CIB_COPY]
    fencing = config.fencing
    commands = [
        ["pcs", "cluster", "cib", CIB_COPY],
        [*pcs, "property", "set", *_pairs(config.properties)],
        [*pcs, "resource", "defaults", "update", *_pairs(config.resource_defaults)],
        [*pcs, "stonith", "create", fencing.id, fencing.agent.split(":", 1)[1],
         *_pairs(fencing.params), *_pcs_ops(fencing)],
    ]
    for member in config.members:
        meta = ["meta", *_pairs(member.meta)] if member.meta else []
        commands.append([*pcs, "resource", "create", member.id, member.agent,
                         *_pairs(member.params), *_pcs_ops(member), *meta,
                         "--group", config.group])
    if config.members:
        node, score = config.preferred
        commands.append([*pcs, "constraint", "location", config.group, "prefers",
                         f"{node}={score}"])
    commands.append(["pcs", "cluster", "cib-push", CIB_COPY, "--config"])
    return commands


def _crm_value(value: str) -> str:
    return f'"{value}"' if " " in value else value


def crm_configuration(config: Configuration) -> str:
    """The configuration in crmsh's syntax (as `crm configure show` prints it), for
    `crm configure load update`: one commit, so crmsh's check (crm_verify) sees it whole."""
    def primitive(p: Primitive) -> str:
        lines = [f"primitive {p.id} {p.agent}"]
        if p.params:
            lines.append("params " + " ".join(f"{k}={_crm_value(v)}"
                                              for k, v in p.params.items()))
        if p.meta:
            lines.append("meta " + " ".join(_pairs(p.meta)))
        lines += [" ".join(["op", op[0], *_op_words(op)]) for op in p.ops]
        return " \\\n\t".join(lines)

    blocks = [
        " \\\n\t".join(["property cib-bootstrap-options:", *_pairs(config.properties)]),
        " \\\n\t".join(["rsc_defaults rsc-options:", *_pairs(config.resource_defaults)]),
        primitive(config.fencing),
        *[primitive(m) for m in config.members],
    ]
    if config.members:
        node, score = config.preferred
        blocks.append(f"group {config.group} " + " ".join(m.id for m in config.members))
        blocks.append(f"location {config.group}-prefers-{node} {config.group} "
                      f"{score}: {node}")
    return "\n".join(blocks) + "\n"


def crm_commands() -> list[list[str]]:
    return [["crm", "configure", "load", "update", CRM_FILE]]


def move_commands(tool: str, group: str, node: str) -> list[list[str]]:
    """The administrator's move of `group` to `node`. pcs (0.11) removes the location
    constraint of the move once the group runs there; crmsh leaves it (`clear_commands`)."""
    return [[tool, "resource", "move", group, node]]


def clear_commands(tool: str, group: str) -> list[list[str]]:
    """Remove the constraint a move left, so that it never pins the group later."""
    return [[tool, "resource", "clear", group]]


def cleanup_commands(tool: str, resource: str) -> list[list[str]]:
    """Forget the resource's failures (and re-probe it everywhere)."""
    return [[tool, "resource", "cleanup", resource]]


def shell_words(argv: list[str]) -> str:
    """A command as docs/ocf.md writes it: a word with a space in double quotes."""
    return " ".join(f'{w.split("=", 1)[0]}="{w.split("=", 1)[1]}"' if " " in w and "=" in w
                    else shlex.quote(w) for w in argv)


def admin_text(tool: str) -> dict[str, str]:
    """What docs/ocf.md shows for `tool`, block by block: the configuration (the example
    disk), the move to n2, the clear, the cleanup of ms."""
    config = configuration(EXAMPLE_DEVICE, Timing())
    if tool == "pcs":
        setup = "\n".join(shell_words(c) for c in pcs_commands(config)) + "\n"
        blocks = {"configure": setup}
    else:
        blocks = {"crm file": crm_configuration(config),
                  "configure": "\n".join(shell_words(c) for c in crm_commands()) + "\n"}
    for name, commands in (("move", move_commands(tool, GROUP, "n2")),
                           ("clear", clear_commands(tool, GROUP)),
                           ("cleanup", cleanup_commands(tool, RESOURCE))):
        blocks[name] = "\n".join(shell_words(c) for c in commands) + "\n"
    return blocks


def _op(owner: str, name: str, timeout: int, interval: int = 0) -> str:
    return (f'<op id="{owner}-{name}-{interval}" name="{name}" interval="{interval}s" '
            f'timeout="{timeout}s"/>')


def dovecot_conf(address: str) -> str:
    """Dovecot serving IMAP on `address` only, every file under the node's own /run."""
    return (f"protocols = imap\nlisten = {address}\nssl = no\nbase_dir = /run/dovecot/\n"
            "state_dir = /run/dovecot-state\nlog_path = /run/dovecot.log\n"
            "mail_location = maildir:/run/dovecot-mail/%u\n"
            "passdb {\n  driver = static\n  args = password=secret\n}\n"
            "userdb {\n  driver = static\n"
            "  args = uid=dovecot gid=dovecot home=/run/dovecot-mail/%u\n}\n")


def dovecot_xml(node: str, interval: int, timeout: int) -> tuple[str, str]:
    """resource-agents' dovecot agent, pinned to `node`, monitored as often as ours."""
    primitive = ('<primitive id="dovecot" class="ocf" provider="heartbeat" type="dovecot">'
                 + "<operations>" + _op("dovecot", "monitor", timeout, interval)
                 + "</operations></primitive>")
    location = (f'<rsc_location id="dovecot-on-{node}" rsc="dovecot" node="{node}" '
                'score="INFINITY"/>')
    return primitive, location


def passwd_with_runtime_user() -> tuple[str, str]:
    """The machine's accounts (hacluster, nobody, ...) plus Messaging Server's user."""
    users = Path("/etc/passwd").read_text()
    groups = Path("/etc/group").read_text()
    if not users.endswith("\n"):
        users += "\n"
    if not groups.endswith("\n"):
        groups += "\n"
    users += f"{RUNTIME_USER}:x:{UID}:{GID}:Messaging Server:/:/usr/sbin/nologin\n"
    groups += f"{RUNTIME_GROUP}x:{GID}:{RUNTIME_USER}\n".replace(f"{RUNTIME_GROUP}x",
                                                                 f"{RUNTIME_GROUP}:x")
    return users, groups


def unpack(deb: Path, directory: Path) -> Path:
    """The package's files under `directory` (dpkg-deb -x), as a node would have them."""
    if directory.exists():
        shutil.rmtree(directory)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(directory)], check=True, timeout=120)
    return directory


NODE_DIRECTORIES = ("var/log/pacemaker", "run", "opt/SUNWmsgsr", "var/opt/SUNWmsgsr")
CLUSTER_DIRECTORIES = ("etc/corosync", "var/lib/pacemaker/cib", "var/lib/pacemaker/pengine",
                       "var/lib/pacemaker/blackbox", "var/lib/pacemaker/cores",
                       "var/lib/corosync", "var/log/corosync")


def prepare_node(d: Path, users: str, groups: str, *, cluster: bool) -> None:
    """A node's own directories and files (what `node_binds` mounts)."""
    for sub in NODE_DIRECTORIES + (CLUSTER_DIRECTORIES if cluster else ()):
        (d / sub).mkdir(parents=True, exist_ok=True)
    d.chmod(0o755)
    (d / "etc").mkdir(exist_ok=True)
    (d / "etc/passwd").write_text(users)
    (d / "etc/group").write_text(groups)
    hacluster = pwd.getpwnam("hacluster").pw_uid
    haclient = grp.getgrnam("haclient").gr_gid
    os.chown(d / "var/log/pacemaker", hacluster, haclient)
    if not cluster:
        return
    (d / "etc/corosync/corosync.conf").write_text(corosync_conf())
    cib = d / "var/lib/pacemaker/cib/cib.xml"
    cib.write_text(seed_cib())
    for path in (cib, *[d / "var/lib/pacemaker" / s for s in
                        ("cib", "pengine", "blackbox", "cores")]):
        os.chown(path, hacluster, haclient)
    cib.chmod(0o600)


def node_binds(d: Path, package: Path, *, cluster: bool) -> dict[str, Path]:
    """Paths of a node bind-mounted from its directory (and the package), so every program
    uses the real absolute path."""
    binds = {
        "/etc/passwd": d / "etc/passwd", "/etc/group": d / "etc/group",
        "/var/log/pacemaker": d / "var/log/pacemaker", "/run": d / "run",
        SERVER_ROOT: d / "opt/SUNWmsgsr",
        # the mount point's parent, not the mount point: a bind mount at CONFIG_DIR itself
        # is in every node's /proc/mounts, and Filesystem's probe took it for the shared disk
        # mounted everywhere ("might be active on 3 nodes"; a restart whenever a node joins)
        os.path.dirname(CONFIG_DIR): d / os.path.dirname(CONFIG_DIR).lstrip("/"),
        "/usr/lib/scims": package / "usr/lib/scims",
        "/usr/lib/ocf/resource.d/sunw": package / "usr/lib/ocf/resource.d/sunw",
        "/dev/log": d / "dev-log",
    }
    if cluster:
        binds.update({
            "/etc/corosync": d / "etc/corosync", "/var/lib/pacemaker": d / "var/lib/pacemaker",
            "/var/lib/corosync": d / "var/lib/corosync",
            "/var/log/corosync": d / "var/log/corosync",
            "/usr/sbin/fence_hostlab": FENCE_AGENT,
        })
    return binds


# --- syslog ----------------------------------------------------------------------------------


STAMPED = re.compile(r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ")


class SyslogCatcher:
    """Each node's /dev/log: a datagram socket whose lines are appended to nodes/<n>/syslog."""

    def __init__(self, nodes_dir: Path, nodes: tuple[str, ...]) -> None:
        self.sockets: dict[socket.socket, Path] = {}
        for node in nodes:
            path = nodes_dir / node / "dev-log"
            if path.exists():
                path.unlink()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(path))
            path.chmod(0o666)
            self.sockets[sock] = nodes_dir / node / "syslog"
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="syslog", daemon=True)

    def socket_path(self, nodes_dir: Path, node: str) -> Path:
        return nodes_dir / node / "dev-log"

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select(list(self.sockets), [], [], 0.2)
            for sock in ready:
                data = sock.recv(65536)
                text = re.sub(r"^<\d+>", "", data.decode(errors="replace")).rstrip("\n")
                if not STAMPED.match(text):
                    text = f"{time.strftime('%b %e %H:%M:%S')} {text}"
                with open(self.sockets[sock], "a", encoding="utf-8") as log:
                    log.write(text + "\n")

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


# --- the bed ---------------------------------------------------------------------------------


class PacemakerBed(contextlib.AbstractContextManager):
    """The running cluster; `destroy()` (or leaving the `with`) removes all of it."""

    def __init__(self, directory: Path, lab: Lab, timing: Timing, disk_device: str,
                 tool: str = "crm") -> None:
        if tool not in TOOLS:
            raise ValueError(f"no such administration tool: {tool} (one of {TOOLS})")
        self.directory = directory
        self.tool = tool
        self.lab = lab
        self.timing = timing
        self.disk_device = disk_device
        self.nodes_dir = directory / "nodes"
        self.lock = threading.Lock()
        self.switch = power.PowerSwitch(lab, list(NODES), directory / "power", self.lock)
        self.syslog: SyslogCatcher | None = None
        self.daemons: list[Any] = []
        self.pid_namespaces: set[int] = set()

    # --- building ------------------------------------------------------------------------
    @classmethod
    def create(cls, directory: Path, deb: Path, timing: Timing | None = None, *,
               agent: tuple[str, str] = ("sunw", "ims"), start_group: bool = True,
               tool: str = "crm") -> PacemakerBed:
        """The bed, its cluster configured with `tool` (pcs or crm, as docs/ocf.md shows)."""
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o755)
        lab = Lab(directory / "lab", owner_pid=os.getpid())
        bed: PacemakerBed | None = None
        try:
            lab.segment(SUBNET)
            disk = lab.disk("mailstore", size_mb=32)
            bed = cls(directory, lab, timing or Timing(), disk.device, tool)
            bed._build(deb)
            bed.start_cluster()
            bed.configure(agent=agent, start_group=start_group)
            return bed
        except BaseException:
            if bed is not None:
                bed.destroy()
            else:
                lab.destroy()
            raise

    def __exit__(self, *exc: object) -> None:
        self.destroy()

    def node_dir(self, node: str) -> Path:
        return self.nodes_dir / node

    def _build(self, deb: Path) -> None:
        package = unpack(deb, self.directory / "package")
        users, groups = passwd_with_runtime_user()
        for node in NODES:
            prepare_node(self.node_dir(node), users, groups, cluster=True)
        self.syslog = SyslogCatcher(self.nodes_dir, NODES)
        self.syslog.start()
        self.switch.start()
        for node in NODES:
            binds = node_binds(self.node_dir(node), package, cluster=True)
            binds[power.NODE_DIRECTORY] = self.switch.directory
            if self.timing.dovecot:
                conf = self.node_dir(node) / "etc/dovecot"
                conf.mkdir(parents=True, exist_ok=True)
                (conf / "dovecot.conf").write_text(dovecot_conf(ADDRESSES[node]))
                binds["/etc/dovecot"] = conf
            with self.lock:
                host = self.lab.host(node, ADDRESSES[node], binds=binds)
            self.pid_namespaces.add(os.stat(f"/proc/{host.pid}/ns/pid").st_ino)
        with self.lock:
            client = self.lab.host(CLIENT[0], CLIENT[1])
        self.pid_namespaces.add(os.stat(f"/proc/{client.pid}/ns/pid").st_ino)
        self._install_messaging_server()

    def host(self, node: str) -> Host:
        return self.lab.hosts[node]

    def run(self, node: str, argv: list[str], *, check: bool = True, timeout: float = 120,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        done = self.host(node).run(argv, capture_output=True, text=True, timeout=timeout,
                                   input=input)
        if check and done.returncode != 0:
            raise AssertionError(f"{node}: {' '.join(argv)} exited {done.returncode}:\n"
                                 f"{done.stdout}{done.stderr}")
        return done

    def _install_messaging_server(self) -> None:
        """Configure Messaging Server once, on n1 with the shared disk mounted, with its
        services on the virtual address; install the package alone on the others."""
        first = NODES[0]
        self.run(first, ["mount", self.disk_device, CONFIG_DIR])
        try:
            self.run(first, [*MSSIM, "install", "--base", SERVER_ROOT, "--config", CONFIG_DIR,
                             "--host", MAIL_HOST, "--ip", VIRTUAL_IP, "--user", RUNTIME_USER,
                             "--group", RUNTIME_GROUP])
            self.run(first, [f"{SERVER_ROOT}/sbin/ha_ip_config"],
                     input=f"{VIRTUAL_IP}\n\nno\n")
            setups = sorted(name for name in self.run(
                first, ["ls", f"{CONFIG_DIR}/setup"]).stdout.split()
                if name.startswith("configure_"))
        finally:
            self.run(first, ["umount", CONFIG_DIR])
        for node in NODES[1:]:
            self.run(node, [*MSSIM, "install", "--base", SERVER_ROOT, "--ip", VIRTUAL_IP])
            self.run(node, ["mount", self.disk_device, CONFIG_DIR])
            try:
                self.run(node, [f"{SERVER_ROOT}/sbin/useconfig",
                                f"{CONFIG_DIR}/setup/{setups[-1]}"])
            finally:
                self.run(node, ["umount", CONFIG_DIR])

    # --- the cluster ---------------------------------------------------------------------
    def start_cluster(self) -> float:
        """corosync, then pacemakerd, on every node; the seconds until all are online."""
        started = time.monotonic()
        for node in NODES:
            self._start_daemons(node)
        wait_for("three nodes online", lambda: self.online() == set(NODES))
        return time.monotonic() - started

    def _start_daemons(self, node: str) -> None:
        d = self.node_dir(node)
        with open(d / "corosync.out", "ab") as out:
            self.daemons.append(self.host(node).popen(["corosync", "-f"],
                                                      stdout=out, stderr=out))
        wait_for(f"corosync on {node}", lambda: self.run(
            node, ["corosync-cfgtool", "-s"], check=False).returncode == 0, timeout=30)
        with open(d / "pacemakerd.out", "ab") as out:
            self.daemons.append(self.host(node).popen(["pacemakerd", "-f"],
                                                      stdout=out, stderr=out))

    def live_node(self) -> str:
        for node in NODES:
            if self.host(node).is_powered:
                return node
        raise AssertionError("no node is powered")

    def crm(self, *argv: str, check: bool = True, node: str | None = None
            ) -> subprocess.CompletedProcess[str]:
        return self.run(node or self.live_node(), list(argv), check=check, timeout=60)

    def status_xml(self) -> ET.Element | None:
        done = self.crm("crm_mon", "--one-shot", "--output-as=xml", check=False)
        if done.returncode != 0:
            return None
        try:
            return ET.fromstring(done.stdout)  # noqa: S314 (crm_mon of our own bed)
        except ET.ParseError:
            return None

    def online(self) -> set[str]:
        status = self.status_xml()
        if status is None:
            return set()
        return {n.get("name", "") for n in status.iter("node")
                if n.get("online") == "true" and n.get("name")}

    def configure(self, *, agent: tuple[str, str] = ("sunw", "ims"),
                  start_group: bool = True) -> None:
        """The administrator's configuration (`configuration`), with the bed's tool."""
        config = configuration(self.disk_device, self.timing, agent, start_group=start_group)
        node = self.live_node()
        if self.tool == "pcs":
            commands = pcs_commands(config)
        else:
            (self.node_dir(node) / CRM_FILE.lstrip("/")).write_text(crm_configuration(config))
            commands = crm_commands()
        for argv in commands:
            self.crm(*argv, node=node)

    def add_dovecot(self, node: str) -> None:
        primitive, location = dovecot_xml(node, self.timing.monitor_interval,
                                          self.timing.monitor_timeout)
        self.crm("cibadmin", "--create", "--scope", "resources", "--xml-text", primitive)
        self.crm("cibadmin", "--create", "--scope", "constraints", "--xml-text", location)

    def resource_nodes(self, resource: str = RESOURCE) -> dict[str, str]:
        """node -> role of `resource` where crm_mon shows it active ("Started")."""
        status = self.status_xml()
        found: dict[str, str] = {}
        if status is None:
            return found
        for rsc in status.iter("resource"):
            if rsc.get("id") != resource or rsc.get("active") != "true":
                continue
            for node in rsc.iter("node"):
                found[node.get("name", "")] = rsc.get("role", "")
        return found

    def where(self, resource: str = RESOURCE) -> str | None:
        """The node where `resource` is started (not pending: crm_mon shows a start in
        progress as Started with pending="Starting") and not failed, if exactly one."""
        status = self.status_xml()
        if status is None:
            return None
        nodes = []
        for rsc in status.iter("resource"):
            if (rsc.get("id") == resource and rsc.get("role") == "Started"
                    and rsc.get("failed") == "false" and rsc.get("active") == "true"
                    and rsc.get("pending") is None):
                nodes += [n.get("name", "") for n in rsc.iter("node")]
        return nodes[0] if len(nodes) == 1 else None

    def imap_greets(self, address: str, timeout: float = 1.0) -> bool:
        """Whether an IMAP server greets at `address` now, asked from the client host."""
        def greet() -> bool:
            try:
                with socket.create_connection((address, 143), timeout=timeout) as sock:
                    sock.settimeout(timeout)
                    return sock.recv(200).startswith(b"* OK")
            except OSError:
                return False
        return self.host(CLIENT[0]).call(greet)

    def wait_started(self, *, not_on: str | None = None, timeout: float = WAIT) -> str:
        def started() -> str | None:
            node = self.where()
            if node is None or node == not_on:
                return None
            if all(self.where(r) == node for r in ("fs", "ip")):
                return node
            return None
        return wait_for(f"group {GROUP} started" + (f" off {not_on}" if not_on else ""),
                        started, timeout=timeout)

    def move(self, target: str) -> str:
        """The administrator's move of the group to `target` (`move_commands`); the node it
        then runs on (off the one it left). The move's location constraint is cleared
        again, even when the group does not come up, so that it never pins later tests."""
        source = self.where()
        try:
            for argv in move_commands(self.tool, GROUP, target):
                self.crm(*argv)
            return self.wait_started(not_on=source)
        finally:
            for argv in clear_commands(self.tool, GROUP):
                self.crm(*argv)

    def failures(self, resource: str = RESOURCE) -> list[dict[str, str]]:
        """The failed operations crm_mon lists for `resource`."""
        status = self.status_xml()
        if status is None:
            return []
        return [dict(f.attrib) for f in status.iter("failure")
                if f.get("op_key", "").startswith(resource + "_")]

    def fail_count(self, node: str, resource: str = RESOURCE) -> int:
        done = self.crm("crm_failcount", "--query", "--resource", resource, "--node", node,
                        "--quiet", check=False)
        text = done.stdout.strip()
        if text == "INFINITY":
            return 10**6
        return int(text) if text.isdigit() else 0

    def cleanup(self, resource: str = RESOURCE) -> str:
        """Forget the resource's failures (`cleanup_commands`: it is re-probed everywhere);
        the node where the group runs once that has settled."""
        for argv in cleanup_commands(self.tool, resource):
            self.crm(*argv)
        return self.wait_started()

    # --- faults ----------------------------------------------------------------------------
    def kill_node(self, node: str) -> None:
        """Pull the plug of `node` (not a fencing: the cluster must notice and fence it)."""
        self.switch.power_off(node, "kill")

    def mssim_fault(self, node: str, *args: str) -> None:
        self.run(node, [*MSSIM, "fault", SERVER_ROOT, *args])

    def messaging_pids(self, node: str, daemon: str) -> list[int]:
        """Pids (inside the node) of a Messaging Server daemon."""
        done = self.run(node, ["pgrep", "-f", f"^{SERVER_ROOT}/lib/{daemon}"], check=False)
        return [int(p) for p in done.stdout.split()]

    def node_log(self, node: str, name: str = "syslog") -> str:
        paths = {"syslog": "syslog", "pacemaker": "var/log/pacemaker/pacemaker.log",
                 "corosync": "var/log/corosync/corosync.log"}
        try:
            return (self.node_dir(node) / paths[name]).read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def logs_tail(self, lines: int = 40) -> str:
        out = []
        for node in NODES:
            for name in ("syslog", "pacemaker"):
                text = self.node_log(node, name).splitlines()[-lines:]
                out.append(f"--- {node} {name} ---\n" + "\n".join(text))
        return "\n".join(out)

    # --- the client ---------------------------------------------------------------------
    def client(self, script: str, *args: str, timeout: float = 60
               ) -> subprocess.CompletedProcess[str]:
        """Run a Python snippet on the client host (on the segment, nowhere else)."""
        return self.host(CLIENT[0]).run([sys.executable, "-c", script, *args],
                                        capture_output=True, text=True, timeout=timeout)

    def send_mail(self, recipient: str, message_id: str) -> None:
        done = self.client(SEND_MAIL, VIRTUAL_IP, recipient, message_id)
        if done.returncode != 0:
            raise AssertionError(f"sending {message_id}: {done.stderr}")

    def read_mail(self, user: str) -> list[str]:
        """The Message-IDs in `user`'s INBOX, over IMAP at the virtual address."""
        done = self.client(READ_MAIL, VIRTUAL_IP, user)
        if done.returncode != 0:
            raise AssertionError(f"reading {user}'s mail: {done.stderr}")
        return done.stdout.split()

    def imap_answers(self, timeout: float = 3.0) -> bool:
        done = self.client(IMAP_GREETING, VIRTUAL_IP, str(timeout), timeout=timeout + 30)
        return done.returncode == 0

    # --- teardown ------------------------------------------------------------------------
    def destroy(self) -> None:
        try:
            self.switch.stop()
        finally:
            try:
                self.lab.destroy()
            finally:
                if self.syslog is not None:
                    self.syslog.stop()
                for daemon in self.daemons:
                    try:
                        daemon.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        daemon.kill()

    def leftovers(self) -> list[str]:
        """Living (not zombie) processes of the bed's hosts after `destroy()`: none expected.
        The machine's PID 1 may reap orphans late, so zombies are not counted."""
        left = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                ino = os.stat(f"/proc/{entry}/ns/pid").st_ino
                if ino not in self.pid_namespaces:
                    continue
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if fields[0] == "Z":
                    continue
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    command = f.read().replace(b"\0", b" ").decode(errors="replace")
                left.append(f"{entry} {command}")
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
        return left


@contextmanager
def bed(directory: Path, deb: Path, timing: Timing | None = None, *, tool: str = "crm"
        ) -> Iterator[PacemakerBed]:
    b = PacemakerBed.create(directory, deb, timing, tool=tool)
    try:
        yield b
    finally:
        b.destroy()


# --- client snippets (run with the project's interpreter on the client host) ---------------

SEND_MAIL = r"""
import smtplib, sys
host, rcpt, mid = sys.argv[1:4]
msg = (f"From: test@example.com\r\nTo: {rcpt}\r\nMessage-ID: <{mid}>\r\n"
       f"Subject: {mid}\r\n\r\nhello\r\n")
with smtplib.SMTP(host, 25, timeout=20) as s:
    s.sendmail("test@example.com", [rcpt], msg)
"""

READ_MAIL = r"""
import imaplib, re, sys, time
host, user = sys.argv[1:3]
imap = imaplib.IMAP4(host, 143, timeout=20)
imap.login(user, "secret")
imap.select("INBOX", readonly=True)
typ, data = imap.search(None, "ALL")
for num in data[0].split():
    typ, parts = imap.fetch(num, "(BODY.PEEK[HEADER])")
    header = parts[0][1].decode(errors="replace")
    m = re.search(r"Message-ID: <([^>]+)>", header, re.I)
    if m:
        print(m.group(1))
imap.logout()
"""

IMAP_GREETING = r"""
import socket, sys
host, timeout = sys.argv[1], float(sys.argv[2])
with socket.create_connection((host, 143), timeout=timeout) as s:
    s.settimeout(timeout)
    data = s.recv(200)
sys.exit(0 if data.startswith(b"* OK") else 1)
"""
