"""The facts of one installation: nodes, logical hosts, disks, directories, accounts.

Defaults are the guide's generic example (nodes mars and venus, logical host meadow,
MAIL-RG, disk-rs, mail-rs). Every cluster has a network segment of its own (clustersim
hosts), so node and logical host addresses are the same in every cluster: 198.18.0.0/24,
the range reserved for network test labs (the guide's 192.18.75.155 becomes 198.18.0.155).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import hostlab

SEGMENT_PREFIX = "198.18.0"
"""The cluster's public network (clustersim.hosts.SUBNET), as a /24 prefix."""


@dataclass
class Ports:
    smtp: int = 25
    submit: int = 587
    imap: int = 143
    pop: int = 110
    http: int = 80
    ens: int = 7997
    watcher: int = 49994
    job_controller: int = 27442

    def install_options(self) -> list[str]:
        return ["--smtp-port", str(self.smtp), "--submit-port", str(self.submit),
                "--imap-port", str(self.imap), "--pop-port", str(self.pop),
                "--http-port", str(self.http), "--ens-port", str(self.ens),
                "--watcher-port", str(self.watcher), "--jc-port", str(self.job_controller)]


@dataclass
class Site:
    """One cluster directory and the names the procedure uses in it."""

    directory: Path
    nodes: tuple[str, ...] = ("mars", "venus")
    domain: str = "red.siroe.com"
    group: str = "MAIL-RG"
    logical_host: str = "meadow"
    storage_resource: str = "disk-rs"
    mail_resource: str = "mail-rs"
    server_root: str = "/opt/SUNWmsgsr"
    config_dir: str = "/var/opt/SUNWmsgsr"
    disk_device: str = "/dev/global/dsk/d4s0"
    user: str = "mailsrv"
    uid: int = 20001
    group_name: str = "mail"
    gid: int = 6
    """Solaris ships group mail with GID 6; the runtime user joins it."""
    ports: Ports = field(default_factory=Ports)
    logical_suffix: int = 155
    """Last byte of the logical host's address (the guide's 192.18.75.155)."""
    describe_logical_host: bool = False
    """The symmetric and asymmetric examples set R_description on the logical host."""

    def __post_init__(self) -> None:
        self.directory = self.directory.resolve()

    @property
    def prefix(self) -> str:
        return SEGMENT_PREFIX

    @property
    def logical_ip(self) -> str:
        return f"{self.prefix}.{self.logical_suffix}"

    def node_ip(self, node: str) -> str:
        """The node's own address, as its /etc/hosts gives it (clustersim writes it)."""
        hosts = self.root(node) / "etc" / "hosts"
        if hosts.exists():
            for line in hosts.read_text().splitlines():
                fields = line.split("#", 1)[0].split()
                if node in fields[1:]:
                    return fields[0]
        return f"{self.prefix}.{11 + self.nodes.index(node)}"

    @property
    def logical_fqdn(self) -> str:
        return f"{self.logical_host}.{self.domain}"

    def root(self, node: str) -> Path:
        """The node's own directory (what its bind-mounted paths come from)."""
        return self.directory / "nodes" / node

    def host(self, node: str) -> hostlab.Host | None:
        """The node's host, or None while it is powered off (or the cluster is gone)."""
        try:
            host = hostlab.Lab.open(self.directory).hosts.get(node)
        except hostlab.HostlabError:
            return None
        return host if host is not None and host.is_powered else None

    def on(self, node: str, path: str) -> Path:
        """An absolute node path as the node sees it, reachable from this machine: through
        the node's mount namespace (`/proc/<its init>/root`), so a file system mounted on
        the node is seen there and only there; symbolic links are followed as the node
        would follow them. While the node is down: its own directory."""
        host = self.host(node)
        if host is None:
            return self.root(node) / path.lstrip("/")
        return resolve_inside(Path(f"/proc/{host.pid}/root"), path)

    def processes(self, node: str) -> list[tuple[int, str]]:
        """(pid as this machine numbers it, command line) of every process of the node,
        oldest first."""
        host = self.host(node)
        if host is None:
            return []
        found = []
        mine = os.readlink(f"/proc/{host.pid}/ns/pid")
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") != mine:
                    continue
                args = Path(f"/proc/{entry}/cmdline").read_bytes().rstrip(b"\0")
                start = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1]
                            .split()[19])
            except (OSError, ValueError, IndexError):
                continue
            found.append((start, int(entry), args.replace(b"\0", b" ").decode(errors="replace")))
        return [(pid, args) for _start, pid, args in sorted(found)]

    def bin(self, node: str, command: str) -> Path:
        """A cluster command as the node runs it."""
        return Path("/usr/cluster/bin") / command


def resolve_inside(root: Path, path: str, max_links: int = 40) -> Path:
    """`path` under `root` with every symbolic link resolved as if `root` were / (an
    absolute link target starts again at `root`)."""
    parts = list(PurePosixPath("/" + path.lstrip("/")).parts[1:])
    current = PurePosixPath("/")
    links = 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            current = current.parent
            continue
        candidate = current / part
        on_machine = root / str(candidate).lstrip("/")
        if on_machine.is_symlink() and links < max_links:
            links += 1
            target = PurePosixPath(os.readlink(on_machine))
            if target.is_absolute():
                current = PurePosixPath("/")
                parts[:0] = list(target.parts[1:])
            else:
                parts[:0] = list(target.parts)
            continue
        current = candidate
    return root / str(current).lstrip("/")
