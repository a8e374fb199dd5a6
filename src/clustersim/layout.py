"""Where everything of one stand-in cluster lives on disk.

One object names every path, so that the node layer (node daemon, PMF, syslog) and the
resource group manager never disagree about a location. Unix sockets live in a short
run directory under /tmp because AF_UNIX addresses are limited to 108 bytes and a
cluster directory (a pytest tmp_path, say) can be deeper than that.
"""

from __future__ import annotations

import os
from pathlib import Path

from clustersim import paths


class ClusterLayout:
    """Paths of one cluster, rooted at the directory given to `clustersim create`.

    A plain immutable class, not a dataclass: every command that needs a path loads this
    module, and dataclasses (with inspect and ast) cost each of them ~8 ms."""

    __slots__ = ("base",)
    base: Path

    def __init__(self, base: Path) -> None:
        object.__setattr__(self, "base", base)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ClusterLayout is immutable: cannot set {name}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClusterLayout) and other.base == self.base

    def __hash__(self) -> int:
        return hash(self.base)

    def __repr__(self) -> str:
        return f"ClusterLayout(base={self.base!r})"

    @classmethod
    def at(cls, directory: str | os.PathLike[str]) -> ClusterLayout:
        return cls(Path(directory).resolve())

    # --- cluster-wide -------------------------------------------------------------
    @property
    def state_db(self) -> Path:
        """SQLite state store (WAL mode)."""
        return self.base / paths.STATE_DB

    @property
    def config_file(self) -> Path:
        """Static facts fixed at creation: node names and ids, interpreter, address prefix."""
        return self.base / "cluster.json"

    @property
    def disks(self) -> Path:
        """Shared disks: one directory per disk (`disks/<name>`)."""
        return self.base / "disks"

    def disk(self, name: str) -> Path:
        return self.disks / name

    @property
    def run_dir(self) -> Path:
        """Short directory for sockets and pid files of this cluster's daemons."""
        return Path(paths.run_dir(str(self.base)))

    @property
    def rgmd_socket(self) -> Path:
        return Path(paths.rgmd_socket(str(self.run_dir)))

    @property
    def rgmd_pidfile(self) -> Path:
        return self.run_dir / "rgmd.pid"

    # --- per node -----------------------------------------------------------------
    @property
    def nodes_dir(self) -> Path:
        return self.base / "nodes"

    def node_root(self, node: str) -> Path:
        return self.nodes_dir / node

    def node_socket(self, node: str) -> Path:
        """Control socket of the node agent (runs methods for the RGM, accounts processes)."""
        return self.run_dir / f"{node}.sock"

    def node_pidfile(self, node: str) -> Path:
        return self.run_dir / f"{node}.pid"

    def pmfd_socket(self, node: str) -> Path:
        """Control socket of the node's process monitor facility daemon (pmfadm talks to it)."""
        return Path(paths.pmfd_socket(str(self.run_dir), node))

    def pmfd_pidfile(self, node: str) -> Path:
        return self.run_dir / f"{node}.pmfd.pid"

    def node_log_socket(self, node: str) -> Path:
        """Syslog datagram socket of the node; `<root>/dev/log` is a symlink to it."""
        return Path(paths.node_log_socket(str(self.run_dir), node))

    def syslogd_pidfile(self, node: str) -> Path:
        return self.run_dir / f"{node}.syslogd.pid"

    def node_messages(self, node: str) -> Path:
        return self.node_root(node) / "var" / "adm" / "messages"

    def node_bin(self, node: str) -> Path:
        return self.node_root(node) / "usr" / "cluster" / "bin"

    # --- added by the node layer (pmfd, syslogd) --------------------------------------
    def pmfd_logfile(self, node: str) -> Path:
        """pmfd's own stderr (and that of the programs it runs): for post-mortems."""
        return self.run_dir / f"{node}.pmfd.err"

    def syslogd_logfile(self, node: str) -> Path:
        """The node syslog daemon's own stderr: for post-mortems."""
        return self.run_dir / f"{node}.syslogd.err"

    # --- added by the cluster layer (rgmd, node agent, built-in types) ---------------------
    @property
    def rgmd_logfile(self) -> Path:
        """rgmd's own stderr: for post-mortems."""
        return self.run_dir / "rgmd.err"

    def node_logfile(self, node: str) -> Path:
        """The node agent's own stderr: for post-mortems."""
        return self.run_dir / f"{node}.noded.err"

    def node_console(self, node: str) -> Path:
        """Where method stdout/stderr go: the node's console (`/dev/console` of the seed)."""
        return self.node_root(node) / "dev" / "console"

    def node_addresses(self, node: str) -> Path:
        """Logical host addresses up on the node: one file per address, named by it
        (what `ifconfig -a` would show); only that node may serve the address."""
        return self.node_root(node) / "var" / "cluster" / "run" / "ipaddr"

    def node_rtreg(self, node: str) -> Path:
        return self.node_root(node) / "usr" / "cluster" / "lib" / "rgm" / "rtreg"

    def node_rt_dir(self, node: str, rt_dir: str) -> Path:
        """Built-in types' method directory (`/usr/cluster/lib/rgm/rt/<dir>`)."""
        return self.node_root(node) / "usr" / "cluster" / "lib" / "rgm" / "rt" / rt_dir

    def node_pkgdb(self, node: str) -> Path:
        """Installed-package database of the node (`/var/sadm`)."""
        return self.node_root(node) / "var" / "sadm"
