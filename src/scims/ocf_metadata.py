"""The OCF meta-data of the `ims` resource agent, made from `rtr/SUNW.ims`.

The RTR file is the one source of truth for the properties of a Messaging Server resource;
the OCF agent exposes the same ones as instance parameters, so the two never drift: a
parameter's name is the property's name in lower case (the OCF convention,
`OCF_RESKEY_ims_serverroot`), its type, default and description are the RTR's.

Not every property has a meaning under Pacemaker, and which ones do is decided here, in one
table (`NOT_PARAMETERS`), so that a new extension property in the RTR becomes an OCF
parameter unless someone says why not. The system properties that configure *the cluster's*
behaviour map to Pacemaker's own settings instead: the method timeouts to the operations'
timeouts (their RTR defaults become the advertised minimums), Thorough_probe_interval to the
thorough monitor's interval (OCF_CHECK_LEVEL 10), Cheap_probe_interval's quick look to the
quick monitor (depth 0, every QUICK_MONITOR_INTERVAL), Retry_count and Retry_interval to
the meta attributes migration-threshold and failure-timeout.

Pure: text in, text out. ocf-tester validates the output against ra-api-1.dtd (so no
OCF 1.1 `unique-group` or `select` here: that DTD has neither).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional
from xml.sax.saxutils import escape, quoteattr

from scims.cluster.rtr import ResourceProperty, ResourceType

AGENT_NAME = "ims"
PROVIDER = "sunw"
OCF_VERSION = "1.1"

NOT_PARAMETERS = {
    "monitor_retry_count": "the fault monitor is no daemon under Pacemaker: each monitor "
                           "operation is one run, there is nothing for PMF to restart",
    "monitor_retry_interval": "as Monitor_retry_count",
    "child_mon_level": "there is no process monitor facility: Pacemaker's monitor looks at "
                       "every process of the installation",
    "failover_enabled": "Pacemaker decides between a restart here and a move (the meta "
                        "attributes migration-threshold and failure-timeout), not the agent",
}
"""Extension properties of SUNW.ims that are not OCF parameters, and why."""

UNIQUE = ("ims_serverroot",)
"""Two resources may not share an installation (Validate's contention check)."""

_TYPES = {"STRING": "string", "INT": "integer", "BOOLEAN": "boolean", "ENUM": "string",
          "STRINGARRAY": "string"}

QUICK_DEPTH = 0
THOROUGH_DEPTH = 10
"""OCF_CHECK_LEVEL of the quick and the thorough monitor (20 is as thorough as 10)."""
QUICK_MONITOR_INTERVAL = 2
"""Seconds between two quick monitors: each takes about two seconds (two looks at the
processes, HANG_AFTER apart), so a hung process is reported within about 4 s of hanging."""
QUICK_MONITOR_TIMEOUT = 20
"""The quick monitor's timeout: two looks and the watcher check, with room for load."""
MONITOR_MARGIN = 15
"""Seconds of a monitor operation kept beyond two probe timeouts: a probe that fails fast
is retried once while the watcher restores the service (the fault monitor's grace)."""


@dataclass(frozen=True)
class Parameter:
    """One OCF instance parameter, and the RTR property behind it."""

    name: str
    prop: ResourceProperty

    @property
    def content_type(self) -> str:
        return _TYPES[self.prop.type]

    @property
    def required(self) -> bool:
        return self.prop.required

    @property
    def default_text(self) -> Optional[str]:
        value = self.prop.default
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ",".join(value)
        return str(value)

    @property
    def longdesc(self) -> str:
        text = self.prop.description or self.prop.name
        bounds = []
        if self.prop.min is not None:
            bounds.append(f"at least {self.prop.min}")
        if self.prop.max is not None:
            bounds.append(f"at most {self.prop.max}")
        if self.prop.enum_values:
            bounds.append("one of " + ", ".join(self.prop.enum_values))
        suffix = f" ({'; '.join(bounds)})" if bounds else ""
        return f"{text}{suffix}. The {self.prop.name} property of SUNW.ims."

    @property
    def facts(self) -> str:
        """Its type and default in words: pcs's `resource describe` prints a parameter's
        long description but neither its content type nor its default, so the long
        description of the meta-data says them too."""
        default = self.default_text
        said = f"default {default}" if default is not None else "no default"
        return f"Type {self.content_type}, {said}{' (required)' if self.required else ''}."

    @property
    def shortdesc(self) -> str:
        first = (self.prop.description or self.prop.name).split(",")[0]
        return first if len(first) <= 60 else self.prop.name


def parameters(rt: ResourceType) -> list[Parameter]:
    """The agent's parameters: the extension properties of the RTR, in its order."""
    return [Parameter(p.name.lower(), p) for p in rt.resource_properties()
            if p.extension and p.name.lower() not in NOT_PARAMETERS]


@dataclass(frozen=True)
class Action:
    name: str
    timeout: int
    interval: Optional[int] = None
    depth: Optional[int] = None


def actions(rt: ResourceType) -> list[Action]:
    """The operations with their minimum recommended timeouts, from the RTR's defaults."""

    def default(name: str) -> int:
        value = rt.default(name)
        assert isinstance(value, int)
        return value

    probe_timeout = default("Probe_timeout")
    return [
        Action("start", default("Start_timeout")),
        Action("stop", default("Stop_timeout")),
        Action("monitor", QUICK_MONITOR_TIMEOUT, interval=QUICK_MONITOR_INTERVAL,
               depth=QUICK_DEPTH),
        Action("monitor", monitor_timeout(probe_timeout),
               interval=default("Thorough_probe_interval"), depth=THOROUGH_DEPTH),
        Action("validate-all", default("Validate_timeout")),
        Action("meta-data", 5),
    ]


def monitor_timeout(probe_timeout: int) -> int:
    """The monitor operation's timeout that lets a probe use all of `probe_timeout`."""
    return 2 * probe_timeout + MONITOR_MARGIN


def probe_budget(probe_timeout: int, operation_timeout: float) -> int:
    """The probe timeout a monitor operation of `operation_timeout` seconds can afford: the
    configured one, or less when the operation is shorter than `monitor_timeout` of it."""
    affordable = int((operation_timeout - MONITOR_MARGIN) // 2)
    return max(1, min(probe_timeout, affordable))


LONGDESC = (
    "Sun Java System Messaging Server 6.3 under Pacemaker: the agent of SUNW.ims (Sun Cluster "
    "HA for Messaging Server) as an OCF resource agent, on the same library. Start runs "
    "start-msg ha and returns once every enabled service answers its protocol; stop runs "
    "stop-msg ha within the stop operation's timeout and kills whatever is left; monitor "
    "checks the watcher and holds one real protocol conversation (SMTP, IMAP, POP, HTTP) with "
    "every enabled service, so a hung daemon is a failure, not only a dead one. When the "
    "watcher gives up restarting a failing service, monitor returns a hard error "
    "(OCF_ERR_ARGS), which makes Pacemaker move the resource to another node. "
    "See ocf_sunw_ims(7)."
)


def metadata_xml(rt: ResourceType) -> str:
    """The meta-data document (OCF 1.1, valid against ra-api-1.dtd)."""
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">',
        f"<resource-agent name={quoteattr(AGENT_NAME)} "
        f"version={quoteattr(rt.rt_version or '1.0')}>",
        f"<version>{OCF_VERSION}</version>",
        f'<longdesc lang="en">{escape(LONGDESC)}</longdesc>',
        f'<shortdesc lang="en">{escape(rt.rt_description or rt.name)}</shortdesc>',
        "<parameters>",
    ]
    for param in parameters(rt):
        attrs = f"name={quoteattr(param.name)}"
        attrs += f' required="{1 if param.required else 0}"'
        attrs += f' unique="{1 if param.name in UNIQUE else 0}"'
        content = f"type={quoteattr(param.content_type)}"
        if param.default_text is not None:
            content += f" default={quoteattr(param.default_text)}"
        lines += [
            f"<parameter {attrs}>",
            f'<longdesc lang="en">{escape(param.longdesc)} {escape(param.facts)}</longdesc>',
            f'<shortdesc lang="en">{escape(param.shortdesc)}</shortdesc>',
            f"<content {content} />",
            "</parameter>",
        ]
    lines += ["</parameters>", "<actions>"]
    for action in actions(rt):
        attrs = f'name="{action.name}" timeout="{action.timeout}s"'
        if action.interval is not None:
            attrs += f' interval="{action.interval}s"'
        if action.depth is not None:
            attrs += f' depth="{action.depth}"'
        lines.append(f"<action {attrs} />")
    lines += ["</actions>", "</resource-agent>"]
    return "\n".join(lines) + "\n"
