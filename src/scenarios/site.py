"""The facts of one installation: nodes, logical hosts, disks, directories, accounts.

Defaults are the guide's generic example (nodes mars and venus, logical host meadow,
MAIL-RG, disk-rs, mail-rs). Logical host addresses are loopback addresses chosen per cluster
directory, so a demo and a test suite can run side by side without sharing an address.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path


def loopback_prefix(directory: Path) -> str:
    """127.A.B: a /24 of the loopback range particular to this cluster directory."""
    digest = hashlib.sha1(str(directory.resolve()).encode(), usedforsecurity=False).digest()
    return f"127.{100 + digest[0] % 100}.{digest[1] % 250 + 1}"


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
    """Last byte of the logical host's loopback address (the guide's 192.18.75.155)."""
    describe_logical_host: bool = False
    """The symmetric and asymmetric examples set R_description on the logical host."""

    def __post_init__(self) -> None:
        self.directory = self.directory.resolve()

    @property
    def prefix(self) -> str:
        return loopback_prefix(self.directory)

    @property
    def logical_ip(self) -> str:
        return f"{self.prefix}.{self.logical_suffix}"

    def node_ip(self, node: str) -> str:
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
