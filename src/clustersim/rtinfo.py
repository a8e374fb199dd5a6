"""Registered resource types: the one place that talks to the RTR parser (`scims.cluster.rtr`).

At registration the RTR file is copied into the cluster directory (as Sun Cluster keeps a
type's registration in its CCR), parsed, and summarised as a JSON-able dict stored in the
state store; queries read that dict, rgmd re-parses the copy to check values with the
parser's own rules (`check_value`), so there is a single definition of what is valid.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout

RTREG_DIRS = ("usr/cluster/lib/rgm/rtreg", "opt/cluster/lib/rgm/rtreg")


def find_rtr(layout: ClusterLayout, node: str, name: str) -> Path | None:
    """The RTR file for type `name` (with or without :version) in the node's rtreg dirs."""
    root = layout.node_root(node)
    base = name.split(":", 1)[0]
    for sub in RTREG_DIRS:
        for candidate in (name, base):
            path = root / sub / candidate
            if path.is_file():
                return path
    return None


def parse(path: Path) -> Any:
    """Parsed ResourceType; an RTR syntax error becomes a refusal naming file:line:col."""
    from scims.cluster import rtr  # noqa: PLC0415 - only rgmd needs the parser

    try:
        return rtr.parse_file(str(path))
    except rtr.RtrError as exc:
        raise ClusterError(f"registration file {path} is invalid: {exc}", "RT") from None


def _attr(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "value") and not isinstance(value, (str, int, bool, list)):
        return value.value  # enums
    return value


def summarise(rt: Any, rtr_copy: Path) -> dict[str, Any]:
    """What queries need about a type, as plain JSON data."""
    props: dict[str, Any] = {}
    for p in rt.resource_properties():
        if getattr(p, "query_only", False):
            continue
        default = _plain(p.default)
        if str(_plain(p.type)).upper() == "STRINGARRAY" and isinstance(default, (str, list)):
            items = default.split(",") if isinstance(default, str) else default
            default = [str(i).strip() for i in items if str(i).strip()]
        enum_values = _attr(p, "enum_values", "enum", "values", default=()) or ()
        props[p.name] = {
            "type": str(_plain(p.type)).upper(),
            "default": default,
            "tunable": str(_plain(_attr(p, "tunable", default="ANYTIME"))).upper(),
            "extension": bool(_attr(p, "extension", default=False)),
            "enum": list(enum_values),
            "min": _attr(p, "min", default=None),
            "max": _attr(p, "max", default=None),
            "description": _attr(p, "description", default="") or "",
        }
    methods = {k: v for k, v in dict(rt.methods).items() if v}
    return {
        "name": rt.full_name,
        "base": rt.name,
        "rt_version": str(rt.rt_version or ""),
        "api_version": int(rt.api_version or 2),
        "failover": bool(rt.failover),
        "init_nodes": str(_plain(rt.init_nodes) or "RG_PRIMARIES").upper(),
        "single_instance": bool(rt.single_instance),
        "rt_basedir": str(rt.rt_basedir or ""),
        "pkglist": list(rt.pkglist or []),
        "description": str(_attr(rt, "rt_description", "description", default="") or ""),
        "methods": methods,
        "installed_nodes": ["*"],
        "rtr_copy": str(rtr_copy),
        "properties": props,
    }


def register_copy(layout: ClusterLayout, source: Path, full_name: str) -> Path:
    """Keep the cluster's own copy so a later pkgrm does not break the registered type."""
    target_dir = layout.base / "rtreg"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / full_name.replace("/", "_")
    shutil.copyfile(source, target)
    return target


def method_path(layout: ClusterLayout, node: str, rt: dict[str, Any], method: str) -> Path | None:
    """Absolute path of `method` as the node runs it: relative names live under
    RT_basedir (the node is a host of its own: the path is the real one)."""
    del layout, node
    name = rt["methods"].get(method)
    if not name:
        return None
    return Path(name if name.startswith("/") else f"{rt['rt_basedir'].rstrip('/')}/{name}")


def on_node(layout: ClusterLayout, node: str, path: str) -> Path:
    """Where a node's absolute path lies on this machine, for the RGM's own checks: the
    node's directory, which its /opt, /usr/cluster, /var/... are bind-mounted from."""
    return layout.node_root(node) / path.lstrip("/")
