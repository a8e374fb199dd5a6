"""The system-defined resource properties of r_properties(5), as one table.

An RTR file may override the attributes of a system-defined property (its default, bounds,
tunability) but never its type, and the RGM decides which of them a resource has at all:
some exist for every resource, some ("conditional") only when the RTR declares them, the
method timeouts only for methods the RTR declares, and the query-only ones are kept by the
RGM itself. `scims.cluster.rtr` reads this table to check declarations and to list a resource's
properties; keeping it apart lets the man page and the cluster stand-in share one truth.

Values follow the Sun Cluster 3.1/3.2 r_properties(5) and rt_reg(4) pages; where the two
releases differ the 3.2 value is used (Messaging Server 6.3 was supported on 3.2).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional, Union

from scims.failure_history import FAILOVER_MODES  # the fault monitor decides on each mode

Value = Union[int, bool, str, list[str], None]
"""A typed property value: INT -> int, BOOLEAN -> bool, STRING/ENUM -> str, STRINGARRAY -> list."""

TYPES = ("STRING", "INT", "BOOLEAN", "ENUM", "STRINGARRAY")
TUNABLES = ("NONE", "ANYTIME", "AT_CREATION", "WHEN_DISABLED")

LOAD_BALANCING_POLICIES = ("Lb_weighted", "Lb_sticky", "Lb_sticky_wild")
RESOURCE_STATES = (
    "ONLINE", "OFFLINE", "START_FAILED", "STOP_FAILED", "MONITOR_FAILED",
    "ONLINE_NOT_MONITORED", "STARTING", "STOPPING", "DETACHED",
)
STATUSES = ("OK", "DEGRADED", "FAULTED", "UNKNOWN", "OFFLINE")
SWITCHES = ("Disabled", "Enabled")

METHODS = (
    "Start", "Stop", "Validate", "Update", "Init", "Fini", "Boot",
    "Monitor_start", "Monitor_stop", "Monitor_check", "Prenet_start", "Postnet_stop",
)
"""Callback methods (rt_callbacks(1HA)) in their canonical spelling."""

METHOD_TIMEOUT_DEFAULT = 3600
"""r_properties(5): 3600 seconds "if the method itself is declared in the RTR file"."""


class Category(enum.Enum):
    """When a resource has a system-defined property (r_properties(5) "Category")."""

    ALWAYS = "always"
    """Required or optional: every resource has it; the RTR may override its attributes."""
    CONDITIONAL = "conditional"
    """Exists only when the RTR declares it."""
    SCALABLE = "scalable"
    """Exists when the RTR declares it, or declares Scalable (network load balancing)."""
    METHOD_TIMEOUT = "method_timeout"
    """`<method>_timeout`: exists exactly when the method is declared."""
    QUERY_ONLY = "query_only"
    """Kept by the RGM; no administrative tool sets it and the RTR cannot declare it."""


@dataclass(frozen=True)
class SystemProperty:
    """One r_properties(5) entry: the attributes a resource gets when the RTR says nothing."""

    name: str
    type: str
    default: Value
    """None: no default, so the administrator must give a value when creating a resource."""
    tunable: str
    category: Category
    description: str
    enum_values: tuple[str, ...] = ()
    min: Optional[int] = None
    max: Optional[int] = None


_P = SystemProperty
_A, _C, _S, _Q = Category.ALWAYS, Category.CONDITIONAL, Category.SCALABLE, Category.QUERY_ONLY

_TABLE: tuple[SystemProperty, ...] = (
    # Every resource has these.
    _P("R_description", "STRING", "", "ANYTIME", _A, "A brief description of the resource."),
    _P("Resource_dependencies", "STRINGARRAY", [], "ANYTIME", _A,
       "Resources that must be online before this resource starts (strong dependencies)."),
    _P("Resource_dependencies_weak", "STRINGARRAY", [], "ANYTIME", _A,
       "Resources this resource prefers to start after (weak dependencies)."),
    _P("Resource_dependencies_restart", "STRINGARRAY", [], "ANYTIME", _A,
       "Resources whose restart restarts this resource."),
    _P("Resource_dependencies_offline_restart", "STRINGARRAY", [], "ANYTIME", _A,
       "Resources whose going offline takes this resource offline, and whose coming back "
       "online restarts it."),
    _P("Resource_project_name", "STRING", "default", "ANYTIME", _A,
       "The Solaris project name the resource's methods and processes run in."),
    _P("Failover_mode", "ENUM", "NONE", "ANYTIME", _A,
       "What the RGM does when Start or Stop fails, and which recovery a fault monitor "
       "may ask for: NONE, SOFT, HARD, RESTART_ONLY or LOG_ONLY.", FAILOVER_MODES),
    _P("Type_version", "STRING", None, "AT_CREATION", _A,
       "The version of the resource type this resource is associated with."),
    # Only when the RTR declares them.
    _P("Cheap_probe_interval", "INT", None, "WHEN_DISABLED", _C,
       "Seconds between quick fault probes of the resource."),
    _P("Thorough_probe_interval", "INT", None, "WHEN_DISABLED", _C,
       "Seconds between thorough fault probes of the resource."),
    _P("Retry_count", "INT", None, "WHEN_DISABLED", _C,
       "How many times the fault monitor restarts the resource within Retry_interval "
       "before it fails the resource group over."),
    _P("Retry_interval", "INT", None, "WHEN_DISABLED", _C,
       "The time window, in seconds, over which restarts are counted against Retry_count."),
    _P("Network_resources_used", "STRINGARRAY", [], "ANYTIME", _C,
       "The logical host name or shared address resources the resource uses."),
    _P("Scalable", "BOOLEAN", False, "AT_CREATION", _C,
       "Whether the resource uses the cluster's network load balancing."),
    # Scalable services (network load balancing).
    _P("Port_list", "STRINGARRAY", None, "ANYTIME", _S,
       "The ports the server listens on, as port/protocol (for example 25/tcp)."),
    _P("Load_balancing_policy", "ENUM", "Lb_weighted", "AT_CREATION", _S,
       "How client load is spread over the nodes: Lb_weighted, Lb_sticky or Lb_sticky_wild.",
       LOAD_BALANCING_POLICIES),
    _P("Load_balancing_weights", "STRINGARRAY", [], "ANYTIME", _S,
       "Load weights per node, as weight@node."),
    _P("Affinity_timeout", "INT", 0, "ANYTIME", _S,
       "Seconds during which a client's connections go to the same node (sticky policies)."),
    _P("UDP_affinity", "BOOLEAN", False, "WHEN_DISABLED", _S,
       "Whether UDP traffic from a client goes to the node that serves its TCP traffic."),
    _P("Weak_affinity", "BOOLEAN", False, "WHEN_DISABLED", _S,
       "Whether client affinity is the weak form."),
    _P("Generic_affinity", "BOOLEAN", False, "WHEN_DISABLED", _S,
       "Whether affinity applies to all protocols."),
    # The RGM keeps these.
    _P("Resource_name", "STRING", None, "NONE", _Q, "The name of the resource."),
    _P("Type", "STRING", None, "NONE", _Q, "The resource type of the resource."),
    _P("On_off_switch", "ENUM", "Disabled", "NONE", _Q,
       "Whether the resource is enabled.", SWITCHES),
    _P("Monitored_switch", "ENUM", "Enabled", "NONE", _Q,
       "Whether the resource's fault monitor is enabled.", SWITCHES),
    _P("Resource_state", "ENUM", "OFFLINE", "NONE", _Q,
       "The state of the resource on each node, as the RGM sees it.", RESOURCE_STATES),
    _P("Status", "ENUM", "UNKNOWN", "NONE", _Q,
       "The status of the resource on each node, as its fault monitor sets it.", STATUSES),
    _P("Status_msg", "STRING", "", "NONE", _Q,
       "The message that goes with Status."),
    _P("Num_resource_restarts", "INT", 0, "NONE", _Q,
       "Restarts of the resource on this node within Retry_interval."),
    _P("Num_rg_restarts", "INT", 0, "NONE", _Q,
       "Restarts of the resource group on this node within Retry_interval."),
)

_METHOD_TIMEOUTS: tuple[SystemProperty, ...] = tuple(
    SystemProperty(
        f"{method}_timeout", "INT", METHOD_TIMEOUT_DEFAULT, "ANYTIME", Category.METHOD_TIMEOUT,
        f"Seconds after which the RGM counts a {method} method invocation as failed.",
        min=1,
    )
    for method in METHODS
)

SYSTEM_PROPERTIES: dict[str, SystemProperty] = {
    p.name.lower(): p for p in _TABLE + _METHOD_TIMEOUTS
}
"""Every system-defined resource property, keyed by lower-case name."""

TIMEOUT_METHOD: dict[str, str] = {f"{m.lower()}_timeout": m for m in METHODS}
"""Lower-case `<method>_timeout` name -> canonical method name."""


def lookup(name: str) -> Optional[SystemProperty]:
    """The system-defined property called `name` (any case), or None for other names."""
    return SYSTEM_PROPERTIES.get(name.lower())
