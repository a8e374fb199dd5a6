"""The cluster's machines: each node a real Linux host (hostlab), plus a client host.

`clustersim create` makes a hostlab lab in the cluster directory: one segment (the public
network and the interconnect at once; 198.18.0.0/24, which is private to this cluster's
segment, so every cluster may use the same addresses), one host per node whose Solaris
paths are bind-mounted from the node's directory, and a host `client` on the same segment
from which the demo and the tests send and read mail, by the logical host's name.

A node's directory (`layout.node_root(node)`) is what the node's disks hold: the
administrator's tools outside the node may still read and write a node file there; inside
the node, every program sees it at its real absolute path.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import hostlab
from clustersim.config import ClusterConfig
from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout

SUBNET = ipaddress.ip_network("198.18.0.0/24")
CLIENT = "client"
CLIENT_ADDRESS = "198.18.0.200"
NODE_PATHS = ("/etc/passwd", "/etc/group", "/etc/hosts", "/etc/vfstab", "/etc/syslog.conf",
              "/etc/nodename", "/opt", "/var/opt", "/var/cluster", "/var/adm", "/var/log",
              "/var/sadm", "/var/tmp", "/usr/cluster", "/dev/console")
"""Paths of a node that are its own (bind-mounted from its directory); the rest of the
file system (the interpreter, /usr/bin, /tmp) is the machine's, shared as a read-mostly
system disk would be."""
NODE_PATH = "/usr/cluster/bin:/usr/sbin:/usr/bin:/sbin:/bin"
EXTRA_TOOLS = ("arping",)
"""Programs the nodes run besides hostlab's own (gratuitous ARP for logical hosts)."""


def node_address(cfg: ClusterConfig, node: str) -> str:
    """The node's own address on the segment: 198.18.0.(10 + node id)."""
    return str(SUBNET[10 + cfg.node_id(node)])


def check_machine() -> None:
    """Refuse, in one line, a machine that cannot hold real hosts."""
    problem = hostlab.check_capabilities(extra_tools=EXTRA_TOOLS)
    if problem:
        raise ClusterError(problem, "CLUSTER")


def hosts_file(cfg: ClusterConfig, node: str | None) -> str:
    text = "#\n# Internet host table\n#\n::1\tlocalhost\n127.0.0.1\tlocalhost\n"
    for other in cfg.nodes:
        suffix = "\tloghost" if other == node else ""
        text += f"{node_address(cfg, other)}\t{other}{suffix}\n"
    if node is None:
        text += f"{CLIENT_ADDRESS}\t{CLIENT}\tloghost\n"
    return text


def make_lab(layout: ClusterLayout, cfg: ClusterConfig) -> hostlab.Lab:
    """The segment, one powered-on host per node, and the client host."""
    try:
        lab = hostlab.Lab(layout.base)
        segment = lab.segment(str(SUBNET))
        for node in cfg.nodes:
            root = layout.node_root(node)
            binds = {path: root / path.lstrip("/") for path in NODE_PATHS}
            lab.host(node, node_address(cfg, node), segment=segment, directory=root,
                     binds={p: src for p, src in binds.items() if src.exists()})
            link_dev_log(layout, lab.hosts[node], node)
        client = layout.base / CLIENT
        lab.host(CLIENT, CLIENT_ADDRESS, segment=segment, directory=client,
                 files={"/etc/hosts": hosts_file(cfg, None)})
    except hostlab.HostlabError as exc:
        raise ClusterError(str(exc), "CLUSTER") from exc
    return lab


def link_dev_log(layout: ClusterLayout, host: hostlab.Host, node: str) -> None:
    """/dev/log of the node is its syslog daemon's socket (the socket lives in the short run
    directory, as AF_UNIX addresses are limited to 108 bytes)."""
    host.run(["ln", "-sfn", str(layout.node_log_socket(node)), "/dev/log"], check=True)


def lab(layout: ClusterLayout) -> hostlab.Lab:
    try:
        return hostlab.Lab.open(layout.base)
    except hostlab.HostlabError as exc:
        raise ClusterError(f"the cluster at {layout.base} has no hosts: {exc}",
                           "CLUSTER") from exc


def host(layout: ClusterLayout, name: str) -> hostlab.Host:
    hosts = lab(layout).hosts
    if name not in hosts:
        raise ClusterError(f"no host \"{name}\" in the cluster", "NODE")
    return hosts[name]


def is_up(layout: ClusterLayout, node: str) -> bool:
    try:
        return host(layout, node).is_powered
    except ClusterError:
        return False


FENCE_GRACE = 5.0
"""How long a departed node that still runs is given to panic by itself (it asks the quorum
server, which the other side has taken, and aborts) before it is fenced (seconds)."""


def fence(layout: ClusterLayout, node: str, grace: float = FENCE_GRACE) -> bool:
    """Keep a departed node off the shared disks before anyone else mounts them, as Sun
    Cluster's fencing does (its reservation keys are removed, and a node whose disk I/O then
    meets a reservation conflict panics: failfast). A node cut off from the others still
    runs for a moment; if it has not panicked by itself within `grace`, its host is powered
    off. True if it had to be.

    Powering off is a power cut (hostlab): every process of the machine in the node's
    namespaces dies, frozen ones too, and the call returns only once the disks it had
    mounted are released; a node that cannot be cut off so raises ClusterError (its disks
    may still be held: HAStoragePlus then refuses to mount them elsewhere, and says why)."""
    deadline = time.monotonic() + grace
    while is_up(layout, node):
        if time.monotonic() >= deadline:
            try:
                host(layout, node).power_off()
            except hostlab.HostlabError as exc:
                raise ClusterError(f"node {node} could not be fenced: {exc}",
                                   "CLUSTER") from exc
            return True
        time.sleep(0.1)
    return False


def node_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a root shell on a node."""
    return {"PATH": NODE_PATH, "LANG": "C", "HOME": "/", "LOGNAME": "root", "USER": "root",
            "TZ": os.environ.get("TZ") or "UTC", **(extra or {})}


def exec_on(layout: ClusterLayout, name: str, argv: list[str]) -> int:
    """`clustersim exec NODE -- CMD`: what rsh from the admin console gives."""
    target = host(layout, name)
    if not target.is_powered:
        raise ClusterError(f"node {name} is down", "NODE")
    return subprocess.run(target.command(argv), env=node_env(), check=False).returncode


def processes(host_: hostlab.Host) -> list[int]:
    """Every process of the host, as the machine numbers them."""
    try:
        mine = os.readlink(f"/proc/{host_.pid}/ns/pid")
    except (OSError, hostlab.HostlabError):
        return []
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == mine:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def destroy_lab(layout: ClusterLayout) -> None:
    if not (layout.base / "hostlab.json").exists():
        return
    try:
        hostlab.Lab.open(layout.base).destroy()
    except hostlab.HostlabError as exc:
        raise ClusterError(str(exc), "CLUSTER") from exc


def client_directory(layout: ClusterLayout) -> Path:
    return layout.base / CLIENT


def start_quorum_server(layout: ClusterLayout, cfg: ClusterConfig) -> None:
    """The quorum device of a two-node cluster: a quorum server on the client host."""
    from clustersim import membership  # noqa: PLC0415

    if not membership.has_quorum_device(len(cfg.nodes)):
        return
    client = host(layout, CLIENT)
    if any("clustersim.membership" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
           for pid in processes(client)):
        return
    log = open(layout.base / CLIENT / "quorum-server.log", "ab")
    with log:
        subprocess.Popen(client.command([sys.executable, "-m", "clustersim.membership",
                                         "quorum-server", *cfg.nodes]),
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         start_new_session=True, env=node_env())
