"""The facts of one installation: nodes, logical hosts, disks, directories, accounts.

Defaults are the guide's generic example (nodes mars and venus, logical host meadow,
MAIL-RG, disk-rs, mail-rs). Every cluster has a network segment of its own (clustersim
hosts), so node and logical host addresses are the same in every cluster: 198.18.0.0/24,
the range reserved for network test labs (the guide's 192.18.75.155 becomes 198.18.0.155).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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
        return self.directory / "nodes" / node

    def on(self, node: str, path: str) -> Path:
        """An absolute node path as it lies on this machine."""
        return self.root(node) / path.lstrip("/")

    def bin(self, node: str, command: str) -> Path:
        return self.root(node) / "usr" / "cluster" / "bin" / command
