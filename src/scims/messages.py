"""The message catalogue: every line SUNW.ims can write to a user's log.

Each message is a printf format (its ID is the STRLOG_MAKE_MSGID of that format, so the
format text is part of the outside contract: changing a word changes the ID), a syslog
priority, and the cause and action an administrator reads in the messages guide, which is
generated from `all_messages()`. Debug messages carry the level (1-9) at which
`/var/cluster/rgm/rt/SUNW.ims/loglevel` starts showing them.

Code logs only messages defined here: `log.emit(messages.USER_EXISTS, user)`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional

from scims.cformat import conversions
from scims.msgid import msgid


class Priority(enum.IntEnum):
    """syslog(3C) levels; `label` is the word Solaris prints in `[ID n daemon.<label>]`."""

    EMERG = 0
    ALERT = 1
    CRIT = 2
    ERROR = 3
    WARNING = 4
    NOTICE = 5
    INFO = 6
    DEBUG = 7

    @property
    def label(self) -> str:
        return self.name.lower()


# Debug levels, as the DSDL samples name them (DBG_LEVEL_LOW/MED/HIGH).
DEBUG_LOW = 1
DEBUG_MED = 5
DEBUG_HIGH = 9


@dataclass(frozen=True)
class Message:
    """One catalogue entry; `name` is its constant's name here, for the guide."""

    name: str
    fmt: str
    priority: Priority
    cause: str
    action: str
    debug_level: Optional[int] = None
    msgid: int = field(init=False)
    conversions: tuple[str, ...] = field(init=False, repr=False)
    """The printf conversions of `fmt` (s, d, u), one per argument."""

    def __post_init__(self) -> None:
        # conversions() refuses a format the logger could not pass to libc.
        object.__setattr__(self, "conversions", conversions(self.fmt))
        if (self.priority == Priority.DEBUG) != (self.debug_level is not None):
            raise ValueError(f"{self.name}: debug messages, and only they, have a debug level")
        if self.debug_level is not None and not 1 <= self.debug_level <= 9:
            raise ValueError(f"{self.name}: debug level must be 1-9")
        object.__setattr__(self, "msgid", msgid(self.fmt))

    @property
    def is_debug(self) -> bool:
        return self.debug_level is not None


_CATALOGUE: dict[str, Message] = {}


def _define(
    name: str,
    fmt: str,
    priority: Priority,
    cause: str,
    action: str,
    *,
    debug_level: Optional[int] = None,
) -> Message:
    if name in _CATALOGUE:
        raise ValueError(f"message {name} defined twice")
    message = Message(name, fmt, priority, cause, action, debug_level)
    _CATALOGUE[name] = message
    return message


def all_messages() -> tuple[Message, ...]:
    """Every message, in catalogue order (the order of the messages guide)."""
    return tuple(_CATALOGUE.values())


_NO_ACTION = "None. This message is for information."
_DEBUG_ACTION = "None. This message appears only when debugging is turned on."
_SERVICE = "Contact your authorized service provider with the messages logged before this one."

# --- messages of the original SUNW.ims agent (seen in the Messaging Server 6.3 guide) ----

GROUP_EXISTS = _define(
    "GROUP_EXISTS",
    "Groupname %s exists.",
    Priority.DEBUG,
    "The runtime group of Messaging Server is present in /etc/group on this node.",
    _DEBUG_ACTION,
    debug_level=DEBUG_HIGH,
)
USER_EXISTS = _define(
    "USER_EXISTS",
    "Username %s exists.",
    Priority.DEBUG,
    "The runtime user of Messaging Server is present in /etc/passwd on this node.",
    _DEBUG_ACTION,
    debug_level=DEBUG_HIGH,
)
SERVERROOT_VALUE = _define(
    "SERVERROOT_VALUE",
    "IMS_serverroot = %s",
    Priority.DEBUG,
    "The method uses this Messaging Server base directory (extension property IMS_serverroot).",
    _DEBUG_ACTION,
    debug_level=DEBUG_HIGH,
)
STARTING_UNDER_PMF = _define(
    "STARTING_UNDER_PMF",
    "Attempting to start the data service under process monitor facility.",
    Priority.INFO,
    "The Start method is starting Messaging Server under the control of the process monitor "
    "facility (PMF).",
    _NO_ACTION,
)
CONFIG_INFO_UNAVAILABLE = _define(
    "CONFIG_INFO_UNAVAILABLE",
    # The argument is "" or ": <detail>"; with "" the line reads exactly as the original
    # agent's, whose ID 855581 is that of this format.
    "Failed to get the configuration info%s",
    Priority.ERROR,
    "The method could not read the properties of the resource, or the Messaging Server "
    "configuration they point to.",
    "Check that the resource's properties are set (IMS_serverroot in particular) and that "
    "the Messaging Server configuration is reachable on this node, then repeat the operation.",
)

# --- stock Sun Cluster data-service (DSDL) messages ---------------------------------------

HANDLE_INIT_FAILED = _define(
    "HANDLE_INIT_FAILED",
    "Failed to initialize the handle.",
    Priority.ERROR,
    "The method could not read its arguments or the properties of its resource from the "
    "cluster.",
    "Check the messages logged before this one for the reason. " + _SERVICE,
)
VALIDATE_FAILED = _define(
    "VALIDATE_FAILED",
    "Failed to validate configuration.",
    Priority.ERROR,
    "The resource's configuration is not valid on this node; the operation is refused.",
    "Correct the problem named in the messages logged before this one and repeat the operation.",
)
MONITOR_START_FAILED = _define(
    "MONITOR_START_FAILED",
    "Failed to start fault monitor.",
    Priority.ERROR,
    "The fault monitor of the resource could not be started under the process monitor facility.",
    "Check the messages logged before this one. " + _SERVICE,
)
MONITOR_STARTED = _define(
    "MONITOR_STARTED",
    "Started the fault monitor.",
    Priority.INFO,
    "The fault monitor of the resource is running.",
    _NO_ACTION,
)
MONITOR_STOP_FAILED = _define(
    "MONITOR_STOP_FAILED",
    "Failed to stop fault monitor.",
    Priority.ERROR,
    "The fault monitor of the resource did not stop.",
    "Check the messages logged before this one. Kill the fault monitor process by hand if "
    "needed, then clear the error state of the resource.",
)
MONITOR_STOPPED = _define(
    "MONITOR_STOPPED",
    "Stopped the fault monitor.",
    Priority.INFO,
    "The fault monitor of the resource has been stopped.",
    _NO_ACTION,
)
PROBING_PORT = _define(
    "PROBING_PORT",
    "Probing the service on port: %d.",
    Priority.INFO,
    "The fault monitor is checking the service listening on this port.",
    _NO_ACTION,
)
PROBE_CONNECT_FAILED = _define(
    "PROBE_CONNECT_FAILED",
    "Failed to connect to port <%d> of resource <%s>.",
    Priority.ERROR,
    "The fault monitor could not connect to the service on this port.",
    "None if the service recovers: the fault monitor restarts it or fails it over. Otherwise "
    "check the Messaging Server logs for why the service does not accept connections.",
)
RESOURCE_PROPERTY_UNAVAILABLE = _define(
    "RESOURCE_PROPERTY_UNAVAILABLE",
    "Failed to retrieve the resource property %s: %s.",
    Priority.ERROR,
    "The cluster did not answer a query for this property of the resource.",
    "Check that the cluster is up and the resource exists. " + _SERVICE,
)
RESOURCE_TYPE_PROPERTY_UNAVAILABLE = _define(
    "RESOURCE_TYPE_PROPERTY_UNAVAILABLE",
    "Failed to retrieve the resource type property %s: %s.",
    Priority.ERROR,
    "The cluster did not answer a query for this property of the resource type.",
    "Check that the resource type SUNW.ims is registered. " + _SERVICE,
)
RESOURCE_GROUP_PROPERTY_UNAVAILABLE = _define(
    "RESOURCE_GROUP_PROPERTY_UNAVAILABLE",
    "Failed to retrieve the resource group property %s: %s.",
    Priority.ERROR,
    "The cluster did not answer a query for this property of the resource group.",
    "Check that the cluster is up and the resource group exists. " + _SERVICE,
)

# --- messages of this implementation ------------------------------------------------------

CLUSTER_COMMAND_FAILED = _define(
    "CLUSTER_COMMAND_FAILED",
    "The cluster command %s failed: %s.",
    Priority.ERROR,
    "A Sun Cluster command run by the agent (scha_*, pmfadm or hatimerun) failed or did not "
    "answer in time.",
    "Check that the cluster software is running on this node and the messages logged before "
    "this one. " + _SERVICE,
)
INVALID_ARGUMENTS = _define(
    "INVALID_ARGUMENTS",
    "Invalid arguments to the method: %s.",
    Priority.ERROR,
    "The method was called with arguments it does not understand. The resource group manager "
    "always passes valid arguments, so the method was probably run by hand.",
    "Run methods only through the cluster commands (scswitch, scrgadm), or with the arguments "
    "documented in rt_callbacks(1HA).",
)
PROPERTY_VALUE_INVALID = _define(
    "PROPERTY_VALUE_INVALID",
    "Property %s has the value \"%s\", which is not %s.",
    Priority.ERROR,
    "A property of the resource holds a value of the wrong kind.",
    "Set the property to a valid value with scrgadm -c.",
)
LOGLEVEL_MALFORMED = _define(
    "LOGLEVEL_MALFORMED",
    "The debug level file %s does not hold a number from 0 to 9; debugging is off.",
    Priority.WARNING,
    "The file that turns on debug messages holds something other than one integer from 0 "
    "to 9. Debug messages stay off until it is corrected.",
    "Write the wanted level into the file (for example, echo 9 into it), or remove the file.",
)
LOGLEVEL_UNREADABLE = _define(
    "LOGLEVEL_UNREADABLE",
    "Cannot read the debug level file %s: %s; debugging is off.",
    Priority.WARNING,
    "The file that turns on debug messages, or its directory, cannot be read.",
    "Make the directory and the file readable by root, or remove the file.",
)
SYSLOG_FACILITY_UNAVAILABLE = _define(
    "SYSLOG_FACILITY_UNAVAILABLE",
    "Cannot get the syslog facility of the cluster (%s); logging to facility daemon.",
    Priority.WARNING,
    "scha_cluster_get -O SYSLOG_FACILITY failed or named an unknown facility, so the agent "
    "logs to the default facility.",
    "Check that the cluster is running on this node. " + _SERVICE,
)
ACCOUNT_FILE_UNREADABLE = _define(
    "ACCOUNT_FILE_UNREADABLE",
    "Cannot read %s: %s.",
    Priority.ERROR,
    "The agent reads the runtime user and group of Messaging Server from /etc/passwd and "
    "/etc/group on each node, and this file cannot be read.",
    "Restore the file and its permissions.",
)
ACCOUNT_FILE_LINE_MALFORMED = _define(
    "ACCOUNT_FILE_LINE_MALFORMED",
    "Skipped line %d of %s: %s.",
    Priority.WARNING,
    "A line of /etc/passwd or /etc/group is not in the documented format; the agent ignores it.",
    "Correct the line (see passwd(4) and group(4)).",
)
INTERNAL_ERROR = _define(
    "INTERNAL_ERROR",
    "Internal error: %s.",
    Priority.ERROR,
    "The agent met a condition it does not expect.",
    _SERVICE,
)
