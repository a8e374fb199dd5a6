"""The resource types every Sun Cluster ships: SUNW.LogicalHostname, SUNW.HAStoragePlus,
SUNW.HAStorage.

They are real RTR files (beside this file) and real method executables run by the node
agents like any other type's methods, so timeouts and process accounting are uniform. This
package also holds what the RGM itself must do when a node dies: release the node's
failover mounts (no Stop method runs on a dead node). Its logical addresses need nothing:
they died with the node's interface.
"""

from __future__ import annotations

TYPE_CHECKING = False  # a built-in method imports this package: keep it light
if TYPE_CHECKING:
    from pathlib import Path

    from clustersim.layout import ClusterLayout

RTR_FILES = ("SUNW.LogicalHostname", "SUNW.HAStoragePlus", "SUNW.HAStorage")

# method executable -> (directory under /usr/cluster/lib/rgm/rt, method kind)
METHODS: dict[str, tuple[str, str]] = {}
for _prefix, _dir in (("hafoip", "hafoip"), ("hastorageplus", "hastorageplus"),
                      ("hastorage", "hastorage")):
    for _kind in ("prenet_start", "start", "stop", "postnet_stop", "validate", "update",
                  "monitor_check"):
        METHODS[f"{_prefix}_{_kind}"] = (_dir, _kind)


def node_file(path: Path | str) -> str:
    """The text of one of the node's files (/etc/hosts, /etc/vfstab); "" if there is none
    (the methods then refuse what the administrator named in it, by name)."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def __getattr__(name: str) -> Path:
    """`RTR_DIR`, where the RTR files are: made on first use (a method needs no pathlib)."""
    if name == "RTR_DIR":
        from pathlib import Path  # noqa: PLC0415

        return Path(__file__).resolve().parent
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def release_node(layout: ClusterLayout, node: str) -> None:
    """What a dead node loses: its failover file systems."""
    from clustersim.builtin import storage  # noqa: PLC0415

    storage.release(layout, node)
