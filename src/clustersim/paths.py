"""The few paths of a cluster a short-lived command needs, as plain strings.

Why a module of its own: `scha_*`, `pmfadm` and `hatimerun` run several times per method,
and `ClusterLayout` (pathlib, dataclasses, hashlib) costs them ~15 ms of imports, more than
the rest of such a command. `ClusterLayout` takes these names from here, so the two never
disagree about a location.
"""

from __future__ import annotations

try:
    from _sha1 import sha1  # the built-in module: no OpenSSL to load
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import sha1

STATE_DB = "cluster.db"


def run_dir(base: str) -> str:
    """The short directory under /tmp for a cluster's sockets (AF_UNIX paths are limited
    to 108 bytes; a cluster directory can be deeper)."""
    return f"/tmp/csim-{sha1(base.encode()).hexdigest()[:10]}"  # noqa: S324 - a name, not a secret


def pmfd_socket(run: str, node: str) -> str:
    return f"{run}/{node}.pmfd.sock"


def rgmd_socket(run: str) -> str:
    return f"{run}/rgmd.sock"


def node_log_socket(run: str, node: str) -> str:
    """The node's syslog datagram socket (`<root>/dev/log` links to it)."""
    return f"{run}/{node}.log"


class CommandLayout:
    """What a node command asks of a cluster's layout, without importing pathlib; anything
    else is answered by the full `ClusterLayout`, imported on first use."""

    def __init__(self, cluster: str) -> None:
        self.base = cluster
        self.state_db = f"{cluster}/{STATE_DB}"
        self.run_dir = run_dir(cluster)
        self.rgmd_socket = rgmd_socket(self.run_dir)
        self._full = None

    def pmfd_socket(self, node: str) -> str:
        return pmfd_socket(self.run_dir, node)

    def node_log_socket(self, node: str) -> str:
        return node_log_socket(self.run_dir, node)

    def node_root(self, node: str) -> str:
        """The node's directory (its own files; the built-in methods read its /etc)."""
        return f"{self.base}/nodes/{node}"

    def __getattr__(self, name: str) -> object:
        if self._full is None:
            from pathlib import Path  # noqa: PLC0415

            from clustersim.layout import ClusterLayout  # noqa: PLC0415

            self._full = ClusterLayout(Path(self.base))
        return getattr(self._full, name)
