"""How the RGM calls a method, and the properties the method sees.

Every method is run `method -R resource -T type -G group [-Z zone]`. Validate adds `-c`
(creation) or `-u` (update) and the proposed property values: `-r` system properties of the
resource, `-x` extension properties, `-g` properties of the group, `-X prop{node}=value`
per-node extension properties. As scds_initialize(3HA) does, a value given on the command
line wins over the stored one: Validate judges the configuration *about to be* applied.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Callable, Optional, TypeVar, Union

from scims.cluster import commands, getopt3c
from scims.cluster.protocols import PropertyQueries
from scims.errors import ConfigError, UsageError
from scims.log import messages

T = TypeVar("T")

CREATE = "create"
UPDATE = "update"

_FLAGS = "cu"
_VALUED = "RTGZrxgX"
TAKES_VALUE = frozenset(_VALUED)
"""The options that take a value (getopt's "x:"), for reading a line that does not parse."""
_VALIDATE_ONLY = ("-c", "-u", "-r", "-x", "-g", "-X")
_PROPERTY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PER_NODE = re.compile(r"([^{}=]+)\{([^{}=]+)\}=(.*)\Z", re.DOTALL)


@dataclass(frozen=True)
class Invocation:
    """The parsed command line of one method call."""

    resource: str
    resource_type: str
    group: str
    zone: Optional[str] = None
    mode: Optional[str] = None
    """CREATE or UPDATE for Validate, None for every other method."""
    resource_properties: Mapping[str, str] = field(default_factory=dict)
    extension_properties: Mapping[str, str] = field(default_factory=dict)
    group_properties: Mapping[str, str] = field(default_factory=dict)
    node_extension_properties: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """`-X prop{node}=value`, keyed by (property, node): accepted, not interpreted."""

    @property
    def type_name(self) -> str:
        """The resource type without `:version` (`SUNW.ims`)."""
        return self.resource_type.split(":", 1)[0]


def _word(option: str, value: str) -> str:
    try:
        return commands.checked_word(value, f"the value of {option}")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _put(properties: dict[str, str], name: str, value: str) -> None:
    """Set a property; names are case-insensitive, the last assignment wins."""
    for existing in [k for k in properties if k.lower() == name.lower()]:
        del properties[existing]
    properties[name] = value


def _assignment(option: str, text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals:
        raise UsageError(f"{option} {text!r} has no '=' (expected {option} property=value)")
    if not _PROPERTY_NAME.match(name):
        raise UsageError(f"{option} {text!r} does not start with a property name")
    return name, value


def parse(argv: Sequence[str], *, validate: bool = False) -> Invocation:
    """Parse a method's arguments (without the program name); UsageError if malformed."""
    try:
        pairs, operands = getopt3c.parse(list(argv), _FLAGS, _VALUED)
    except getopt3c.UsageError as exc:
        raise UsageError(str(exc)) from None
    options = [(f"-{letter}", value) for letter, value in pairs]
    if operands:
        raise UsageError(f"unexpected argument {operands[0]!r}")

    names: dict[str, str] = {}
    modes: list[str] = []
    props: dict[str, dict[str, str]] = {"-r": {}, "-x": {}, "-g": {}}
    per_node: dict[tuple[str, str], str] = {}
    for option, value in options:
        if option in _VALIDATE_ONLY and not validate:
            raise UsageError(f"option {option} is only for the Validate method")
        if option in ("-R", "-T", "-G", "-Z"):
            if option in names:
                raise UsageError(f"option {option} given twice")
            names[option] = _word(option, value)
        elif option in ("-c", "-u"):
            modes.append(option)
        elif option in props:
            _put(props[option], *_assignment(option, value))
        else:  # -X
            match = _PER_NODE.match(value)
            if match is None or not _PROPERTY_NAME.match(match.group(1)):
                raise UsageError(f"-X {value!r} is not of the form property{{node}}=value")
            per_node[(match.group(1), match.group(2))] = match.group(3)

    for required in ("-R", "-T", "-G"):
        if required not in names:
            raise UsageError(f"option {required} is missing")
    mode = None
    if validate:
        if len(set(modes)) != 1:
            raise UsageError("Validate needs exactly one of -c and -u")
        mode = CREATE if modes[0] == "-c" else UPDATE
    return Invocation(
        resource=names["-R"],
        resource_type=names["-T"],
        group=names["-G"],
        zone=names.get("-Z"),
        mode=mode,
        resource_properties=props["-r"],
        extension_properties=props["-x"],
        group_properties=props["-g"],
        node_extension_properties=per_node,
    )


# --- the property view ----------------------------------------------------------------------


class Scope(enum.Enum):
    RESOURCE = "resource"
    GROUP = "group"


SYSTEM_PROPERTIES = frozenset(
    name.lower()
    for name in (
        "Affinity_timeout", "Boot_timeout", "Cheap_probe_interval", "Failover_mode",
        "Fini_timeout", "Global_zone_override", "Group", "Init_timeout",
        "Load_balancing_policy", "Load_balancing_weights", "Monitor_check_timeout",
        "Monitor_start_timeout", "Monitor_stop_timeout", "Monitored_switch",
        "Network_resources_used", "Num_resource_restarts", "Num_rg_restarts",
        "On_off_switch", "Port_list", "Postnet_stop_timeout", "Prenet_start_timeout",
        "R_description", "Resource_dependencies", "Resource_dependencies_offline_restart",
        "Resource_dependencies_restart", "Resource_dependencies_weak", "Resource_name",
        "Resource_project_name", "Resource_state", "Retry_count", "Retry_interval",
        "RT_basedir", "Scalable", "Start_timeout", "Status", "Status_msg", "Stop_timeout",
        "Thorough_probe_interval", "Type", "Type_version", "UDP_affinity", "Update_timeout",
        "Validate_timeout", "Weak_affinity",
    )
)  # fmt: skip
"""Resource properties the cluster defines (r_properties(5)), read with `-O <name>`; every
other resource property is an extension property, read with `-O Extension <name>`."""

_Raw = Union[str, tuple, int, bool, list]
# str: from the command line; tuple: output lines of a system property query;
# int/bool/str/list: a typed extension property value.


@dataclass(frozen=True)
class _Found:
    value: _Raw
    from_argv: bool


class PropertyView:
    """Properties of the resource and its group as this method must see them.

    The command line first (case-insensitive names; string arrays comma-separated), then
    the cluster, each answer cached for the life of the view; `refresh()` forgets them.
    """

    def __init__(self, invocation: Invocation, cluster: PropertyQueries = commands) -> None:
        self.invocation = invocation
        self._cluster = cluster
        self._cache: dict[tuple[Scope, str], _Found] = {}

    def refresh(self) -> None:
        self._cache.clear()

    def _from_argv(self, name: str, scope: Scope) -> Optional[str]:
        inv = self.invocation
        sources = (
            (inv.extension_properties, inv.resource_properties)
            if scope is Scope.RESOURCE
            else (inv.group_properties,)
        )
        for source in sources:
            for key, value in source.items():
                if key.lower() == name.lower():
                    return value
        return None

    def _lookup(self, name: str, scope: Scope) -> _Found:
        key = (scope, name.lower())
        if key not in self._cache:
            given = self._from_argv(name, scope)
            if given is not None:
                self._cache[key] = _Found(given, True)
            else:
                self._cache[key] = _Found(self._ask_cluster(name, scope), False)
        return self._cache[key]

    def _ask_cluster(self, name: str, scope: Scope) -> _Raw:
        inv = self.invocation
        if scope is Scope.GROUP:
            return tuple(self._cluster.resourcegroup_get(name, inv.group).lines)
        if name.lower() in SYSTEM_PROPERTIES:
            return tuple(self._cluster.resource_get(name, inv.resource, inv.group).lines)
        _kind, value = self._cluster.extension(inv.resource, inv.group, name)
        return value

    def _invalid(self, name: str, value: object, expected: str) -> ConfigError:
        shown = ",".join(value) if isinstance(value, (list, tuple)) else value
        return ConfigError(messages.PROPERTY_VALUE_INVALID, name, shown, expected)

    def get_str(self, name: str, scope: Scope = Scope.RESOURCE) -> str:
        value = self._lookup(name, scope).value
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, tuple):
            if len(value) > 1:
                raise self._invalid(name, value, "a single value")
            return value[0] if value else ""
        if isinstance(value, list):
            return ",".join(value)
        return str(value)

    def get_int(self, name: str, scope: Scope = Scope.RESOURCE) -> int:
        value = self._lookup(name, scope).value
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, bool) or isinstance(value, list):
            raise self._invalid(name, value, "an integer")
        return self._parsed(name, scope, commands.parse_int, "an integer")

    def get_bool(self, name: str, scope: Scope = Scope.RESOURCE) -> bool:
        value = self._lookup(name, scope).value
        if isinstance(value, bool):
            return value
        if not isinstance(value, (str, tuple)):
            raise self._invalid(name, value, "TRUE or FALSE")
        return self._parsed(name, scope, commands.parse_bool, "TRUE or FALSE")

    def _parsed(self, name: str, scope: Scope, parse: Callable[[str], T], what: str) -> T:
        """A value the cluster gave as text, read by `parse`; one that is not `what` is
        the invalid-value error naming the property."""
        text = self.get_str(name, scope)
        try:
            return parse(text)
        except ValueError:
            raise self._invalid(name, text, what) from None

    def get_list(self, name: str, scope: Scope = Scope.RESOURCE) -> list[str]:
        found = self._lookup(name, scope)
        value = found.value
        if isinstance(value, list):
            return list(value)
        if isinstance(value, tuple):
            return [line for line in value if line]
        if isinstance(value, str):
            if found.from_argv:
                return [item.strip() for item in value.split(",") if item.strip()]
            return [value] if value else []
        raise self._invalid(name, value, "a list of strings")
