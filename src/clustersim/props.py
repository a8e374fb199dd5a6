"""Property catalogues the RTR does not declare: resource group properties (rg_properties(5))
and the resource properties every resource has whatever its type (r_properties(5)).

Values are typed Python values: INT -> int, BOOLEAN -> bool, STRINGARRAY -> list[str],
STRING/ENUM -> str. `convert` turns an admin's `-y name=value` text into one, with the
checks scrgadm makes, and names the property in every refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clustersim.errors import ClusterError


@dataclass(frozen=True)
class PropSpec:
    name: str
    type: str  # STRING INT BOOLEAN ENUM STRINGARRAY
    default: Any
    tunable: str = "ANYTIME"  # NONE ANYTIME AT_CREATION WHEN_DISABLED (WHEN_OFFLINE for RGs)
    enum: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None


RG_PROPS: dict[str, PropSpec] = {p.name.lower(): p for p in (
    PropSpec("RG_name", "STRING", "", "NONE"),
    PropSpec("RG_description", "STRING", ""),
    PropSpec("Nodelist", "STRINGARRAY", []),
    PropSpec("RG_mode", "ENUM", "Failover", "AT_CREATION", ("Failover", "Scalable")),
    PropSpec("Maximum_primaries", "INT", 1, min=1),
    PropSpec("Desired_primaries", "INT", 1, min=0),
    PropSpec("Failback", "BOOLEAN", False),
    PropSpec("Pingpong_interval", "INT", 3600, min=0),
    PropSpec("RG_dependencies", "STRINGARRAY", []),
    PropSpec("RG_affinities", "STRINGARRAY", []),
    PropSpec("Global_resources_used", "STRINGARRAY", ["*"]),
    PropSpec("Pathprefix", "STRING", ""),
    PropSpec("Auto_start_on_new_cluster", "BOOLEAN", True),
    PropSpec("Implicit_network_dependencies", "BOOLEAN", True),
    PropSpec("RG_project_name", "STRING", "default"),
    PropSpec("RG_system", "BOOLEAN", False),
    PropSpec("Suspend_automatic_recovery", "BOOLEAN", False, "NONE"),
)}

FAILOVER_MODES = ("NONE", "SOFT", "HARD", "RESTART_ONLY", "LOG_ONLY")

# Resource properties the framework gives every resource (r_properties(5) "Required",
# "Optional" and "Query-only" ones that do not depend on the RTR declaring them).
FRAMEWORK_RS_PROPS: dict[str, PropSpec] = {p.name.lower(): p for p in (
    PropSpec("R_description", "STRING", ""),
    PropSpec("Resource_project_name", "STRING", "default"),
    PropSpec("Resource_dependencies", "STRINGARRAY", []),
    PropSpec("Resource_dependencies_weak", "STRINGARRAY", []),
    PropSpec("Resource_dependencies_restart", "STRINGARRAY", []),
    PropSpec("Failover_mode", "ENUM", "NONE", "ANYTIME", FAILOVER_MODES),
)}

QUERY_ONLY_RS = {"type", "type_version", "resource_name", "on_off_switch", "monitored_switch",
                 "resource_state", "status", "num_resource_restarts", "num_rg_restarts"}


def split_array(raw: str) -> list[str]:
    """`a,b, c` -> ['a', 'b', 'c']: blanks after commas are the seed's quoted habit."""
    return [item.strip() for item in raw.split(",") if item.strip()]


def convert(spec: PropSpec, raw: str, owner: str) -> Any:
    """Typed value of `raw` for `spec`, or a ClusterError naming the property and `owner`."""
    where = f"property {spec.name} of {owner}"
    if spec.type == "INT":
        try:
            value = int(raw.strip())
        except ValueError:
            raise ClusterError(f"invalid value \"{raw}\" for {where}: an integer is required",
                               "PROP") from None
        if spec.min is not None and value < spec.min:
            raise ClusterError(f"value {value} for {where} is below its minimum {spec.min}",
                               "PROP")
        if spec.max is not None and value > spec.max:
            raise ClusterError(f"value {value} for {where} is above its maximum {spec.max}",
                               "PROP")
        return value
    if spec.type == "BOOLEAN":
        low = raw.strip().lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        raise ClusterError(f"invalid value \"{raw}\" for {where}: TRUE or FALSE is required",
                           "PROP")
    if spec.type == "ENUM":
        for choice in spec.enum:
            if choice.lower() == raw.strip().lower():
                return choice
        raise ClusterError(f"invalid value \"{raw}\" for {where}: one of "
                           f"{', '.join(spec.enum)} is required", "PROP")
    if spec.type == "STRINGARRAY":
        return split_array(raw)
    return raw


def format_value(ptype: str, value: Any) -> list[str]:
    """Lines scha_*_get prints for a value (booleans TRUE/FALSE, arrays one per line)."""
    if isinstance(value, bool):
        return ["TRUE" if value else "FALSE"]
    if isinstance(value, list):
        return [str(v) for v in value]
    if value is None:
        return [""] if ptype not in ("STRINGARRAY",) else []
    return [str(value)]


def rg_defaults(name: str) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for spec in RG_PROPS.values():
        props[spec.name] = list(spec.default) if isinstance(spec.default, list) else spec.default
    props["RG_name"] = name
    return props
