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
from dataclasses import dataclass
from functools import cached_property
from typing import Optional

from scims.log.cformat import conversions
from scims.log.msgid import msgid


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

    def __post_init__(self) -> None:
        if (self.priority == Priority.DEBUG) != (self.debug_level is not None):
            raise ValueError(f"{self.name}: debug messages, and only they, have a debug level")
        if self.debug_level is not None and not 1 <= self.debug_level <= 9:
            raise ValueError(f"{self.name}: debug level must be 1-9")

    # msgid and conversions are worked out when a message is first logged, not for the whole
    # catalogue whenever a method starts (about 2 ms of every method's imports); the tests of
    # the catalogue work them out for every message.

    @cached_property
    def msgid(self) -> int:
        """The Solaris message ID of `fmt` (STRLOG_MAKE_MSGID)."""
        return msgid(self.fmt)

    @cached_property
    def conversions(self) -> tuple[str, ...]:
        """The printf conversions of `fmt` (s, d, u), one per argument; refuses a format the
        logger could not pass to libc."""
        return conversions(self.fmt)

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

# --- the SUNW.ims methods: configuration checks (Validate, Start, Monitor_check) ----------

_FIX_PROPERTY = "Correct the property with scrgadm -c -j <resource> -x IMS_serverroot=<path>."

SERVERROOT_NOT_SET = _define(
    "SERVERROOT_NOT_SET",
    "Extension property IMS_serverroot is not set.",
    Priority.ERROR,
    "The resource does not name its Messaging Server installation.",
    "Create the resource with -x IMS_serverroot=<msg-svr-base>, the directory in which "
    "Messaging Server is installed.",
)
SERVERROOT_NOT_ABSOLUTE = _define(
    "SERVERROOT_NOT_ABSOLUTE",
    "IMS_serverroot %s is not an absolute path.",
    Priority.ERROR,
    "IMS_serverroot must be the full path of the Messaging Server base directory.",
    _FIX_PROPERTY,
)
SERVERROOT_UNSAFE = _define(
    "SERVERROOT_UNSAFE",
    "IMS_serverroot %s is refused: %s.",
    Priority.ERROR,
    "The agent runs programs below IMS_serverroot as root, so the path may hold only letters, "
    "digits and the characters . _ + - /, and no empty, '.' or '..' component.",
    _FIX_PROPERTY,
)
SERVERROOT_NOT_DIRECTORY = _define(
    "SERVERROOT_NOT_DIRECTORY",
    "IMS_serverroot %s is not a directory on this node: %s.",
    Priority.ERROR,
    "The Messaging Server base directory named by IMS_serverroot does not exist on this node, "
    "or is not a directory.",
    "Install Messaging Server on this node (or mount the file system that holds it), or "
    "correct IMS_serverroot.",
)
COMMAND_UNUSABLE = _define(
    "COMMAND_UNUSABLE",
    "Messaging Server command %s %s.",
    Priority.ERROR,
    "The agent runs start-msg and stop-msg of the installation as root; this one is missing, "
    "not an executable file, or could be changed by a user other than root.",
    "Reinstall Messaging Server, or make the command and its directories owned by root and "
    "writable by root only (chmod go-w).",
)

# --- the trust boundary (scims.trust; docs/security.md) -----------------------------------

COMMAND_UNTRUSTED = _define(
    "COMMAND_UNTRUSTED",
    "Refusing to run %s as root: %s.",
    Priority.ERROR,
    "The methods run as root, so they run a program only if every directory and file on its "
    "path from /, symbolic links resolved, is owned by root (or by an account the "
    "administrator names in /etc/opt/SUNWscims/trusted_owners) and writable by no one else "
    "(a sticky bit excuses directories only). The line names the component at fault with its "
    "owner and mode. The check is made each time the program is about to run; Start then "
    "fails, Stop kills the instance's processes instead.",
    "Make the named component owned by root and writable by root only (chown root, chmod "
    "go-w), or reinstall Messaging Server. If the owner is an account you trust as you trust "
    "root, name it in /etc/opt/SUNWscims/trusted_owners (a file only root can write).",
)
RUNTIME_USER_REFUSED = _define(
    "RUNTIME_USER_REFUSED",
    "The runtime user %s (user ID %d) named in msg.conf is refused: %s.",
    Priority.ERROR,
    "local.serveruid is read from msg.conf, a file the runtime user can write, so the agent "
    "believes it only when that user owns the configuration directory and is not a system "
    "account (user ID below 100, nobody, noaccess).",
    "Make the configuration directory owned by the Messaging Server runtime user "
    "(chown mailsrv <msg-svr-base>/config/), or correct local.serveruid.",
)
SERVERROOT_SYSTEM_DIRECTORY = _define(
    "SERVERROOT_SYSTEM_DIRECTORY",
    "IMS_serverroot %s is refused: it is or contains the system directory %s.",
    Priority.ERROR,
    "The agent treats processes running programs below IMS_serverroot as Messaging Server's; "
    "a system directory would make unrelated host daemons look like Messaging Server.",
    _FIX_PROPERTY,
)
INSTANCE_NESTED = _define(
    "INSTANCE_NESTED",
    "IMS_serverroot %s is refused: it %s the installation %s of resource %s.",
    Priority.ERROR,
    "Two installations nested in one another would share processes and files, so one "
    "instance's Stop could end the other's processes.",
    "Give each instance an installation directory of its own, side by side, for example "
    "/opt/mars/SUNWmsgsr and /opt/venus/SUNWmsgsr.",
)
NOT_THE_INSTANCE = _define(
    "NOT_THE_INSTANCE",
    "Process %d (user %s, %s) is not %s; left alone.",
    Priority.WARNING,
    "The process's command line names a program of the installation, but the kernel says it "
    "runs another executable or as another user, so it is not the instance's to kill.",
    "None, unless the process should not be there; then find who started it.",
)
RESTART_COUNT_UNKNOWN = _define(
    "RESTART_COUNT_UNKNOWN",
    "The number of restarts within Retry_interval cannot be read (%s); counting the %d "
    "restarts this fault monitor asked for.",
    Priority.WARNING,
    "scha_resource_get -O Num_resource_restarts failed. An unknown count is not zero: the "
    "fault monitor keeps its own record of the restarts it requested, so Retry_count still "
    "leads to a failover.",
    "Check that the cluster is running on this node.",
)
PMF_UNANSWERED = _define(
    "PMF_UNANSWERED",
    "pmfadm did not answer for PMF tag %s (%s); stopping Messaging Server anyway.",
    Priority.WARNING,
    "A pmfadm query failed or hung. Stop does not take that for 'nothing runs': it goes on "
    "with stop-msg and kills the instance's processes within Stop_timeout.",
    "Check the process monitor facility (rpc.pmfd) on this node.",
)
RUNTIME_ACCOUNT_NOT_SET = _define(
    "RUNTIME_ACCOUNT_NOT_SET",
    "The Messaging Server configuration in %s does not name its runtime %s (%s).",
    Priority.ERROR,
    "local.serveruid and local.servergid name the user and group Messaging Server runs as; "
    "one of them is not set.",
    "Run the Messaging Server initial runtime configuration, or set the parameter with "
    "configutil.",
)
GROUP_MISSING = _define(
    "GROUP_MISSING",
    "Groupname %s does not exist.",
    Priority.ERROR,
    "The runtime group of Messaging Server is not in /etc/group on this node.",
    "Create the group on every node of the resource group, with the same group ID everywhere "
    "(groupadd -g <gid> mail).",
)
USER_MISSING = _define(
    "USER_MISSING",
    "Username %s does not exist.",
    Priority.ERROR,
    "The runtime user of Messaging Server is not in /etc/passwd on this node.",
    "Create the user on every node of the resource group, with the same user ID everywhere "
    "(useradd -u <uid> -g mail -d / mailsrv).",
)
USER_IS_ROOT = _define(
    "USER_IS_ROOT",
    "Username %s is the superuser; Messaging Server must run as an ordinary user.",
    Priority.ERROR,
    "The runtime user of Messaging Server has user ID 0.",
    "Configure Messaging Server to run as an ordinary user, by default mailsrv.",
)

# --- Validate: the cluster around the resource ---------------------------------------------

RETRY_INTERVAL_TOO_SHORT = _define(
    "RETRY_INTERVAL_TOO_SHORT",
    "Retry_interval %d is shorter than Thorough_probe_interval %d x Retry_count %d.",
    Priority.ERROR,
    "The fault monitor counts restarts within Retry_interval and fails the group over when "
    "they reach Retry_count. Restarts come at most one per Thorough_probe_interval, so with a "
    "shorter Retry_interval the count could never be reached and the resource would be "
    "restarted on this node forever. scds_initialize(3HA) checks the same relation.",
    "Make Retry_interval at least Thorough_probe_interval x Retry_count, for example with "
    "scrgadm -c -j <resource> -y Retry_interval=<seconds>, or lower the other two.",
)

STORAGE_NOT_MANAGED = _define(
    "STORAGE_NOT_MANAGED",
    "The configuration directory %s is not on a file system of a SUNW.HAStoragePlus or "
    "SUNW.HAStorage resource in Resource_dependencies%s.",
    Priority.ERROR,
    "Messaging Server keeps its configuration, queues and message store in the configuration "
    "directory, which must fail over with the resource group; no storage resource this "
    "resource depends on manages it.",
    "Put the configuration directory on a file system of the resource group's "
    "SUNW.HAStoragePlus resource and name that resource in Resource_dependencies.",
)
STORAGE_IN_OTHER_GROUP = _define(
    "STORAGE_IN_OTHER_GROUP",
    "Storage resource %s is in resource group %s, not in %s.",
    Priority.ERROR,
    "One or more of the SUNW.HAStoragePlus resources that this resource depends on is in a "
    "different resource group.",
    "Put the storage resource in the same resource group as this resource.",
)
STORAGE_NOT_ONLINE = _define(
    "STORAGE_NOT_ONLINE",
    "Storage resource %s is not online on any node; the Messaging Server installation cannot "
    "be checked.",
    Priority.ERROR,
    "One or more of the SUNW.HAStoragePlus resources that this resource depends on is not "
    "online anywhere, so the files the resource needs cannot be read.",
    "Bring the storage resource online (scswitch -e -j <storage resource>, scswitch -Z -g "
    "<group>) and repeat the operation.",
)
STORAGE_ONLINE_ELSEWHERE = _define(
    "STORAGE_ONLINE_ELSEWHERE",
    "The storage this resource depends on is online on another node; skipping the checks of "
    "the Messaging Server installation on this node.",
    Priority.INFO,
    "All the SUNW.HAStoragePlus resources that this resource depends on are online, but not "
    "on this node, so the files on them cannot be checked here.",
    _NO_ACTION,
)
INSTANCE_CONTENTION = _define(
    "INSTANCE_CONTENTION",
    "Resource %s already uses the Messaging Server %s %s.",
    Priority.ERROR,
    "Two Messaging Server instances cannot share an installation or a configuration "
    "directory: after a failover both would run on one node and collide (the contention "
    "problem of the symmetric configuration).",
    "Give each instance its own installation and configuration directories, for example "
    "/opt/mars/SUNWmsgsr with /var/opt/mars/SUNWmsgsr and /opt/venus/SUNWmsgsr with "
    "/var/opt/venus/SUNWmsgsr.",
)
NOT_BOUND_TO_LOGICAL_HOST = _define(
    "NOT_BOUND_TO_LOGICAL_HOST",
    "Messaging Server service %s listens on %s, not on a logical host address of this "
    "resource (%s).",
    Priority.WARNING,
    "The service does not bind to the logical host's address, so clients may reach it only "
    "on one node, or it may collide with another instance: ha_ip_config was probably not run.",
    "Run <msg-svr-base>/sbin/ha_ip_config once on the node where the resource group is "
    "online and give it the logical IP address.",
)
IMTA_NAMES_PHYSICAL_HOST = _define(
    "IMTA_NAMES_PHYSICAL_HOST",
    "imta.cnf line %d names the physical host %s.",
    Priority.WARNING,
    "The MTA configuration still names a cluster node instead of the logical host, so mail "
    "routing changes when the resource group fails over.",
    "Replace every physical host name in imta.cnf with the logical host name, then run "
    "imsimta cnbuild.",
)
HA_PARAMETER_OFF = _define(
    "HA_PARAMETER_OFF",
    "configutil parameter %s is off.",
    Priority.WARNING,
    "local.watcher.enable and local.autorestart make Messaging Server restart its own failed "
    "services; with either off, every failure costs a restart of the whole resource.",
    "Run ha_ip_config, or set the parameter with configutil -o <parameter> -v 1.",
)

# --- Start and Stop -------------------------------------------------------------------------

ALREADY_RUNNING = _define(
    "ALREADY_RUNNING",
    "Messaging Server of %s is already running outside the control of the cluster (%s).",
    Priority.ERROR,
    "Messaging Server processes of this installation run on this node although the resource "
    "is offline here, probably started by hand with start-msg.",
    "Stop them with <msg-svr-base>/sbin/stop-msg, then start the resource again "
    "(scswitch -e -j <resource>).",
)
STARTED = _define(
    "STARTED",
    "Messaging Server is up: %s.",
    Priority.INFO,
    "Messaging Server started, and every enabled service answered on its address.",
    _NO_ACTION,
)
START_FAILED = _define(
    "START_FAILED",
    "Failed to start Messaging Server: %s.",
    Priority.ERROR,
    "Messaging Server did not come up within Start_timeout. The method stopped every "
    "process it had started, so the resource can be started elsewhere.",
    "Read the Messaging Server logs in <msg-svr-base>/log for the cause, correct it and start "
    "the resource again. When start-msg ha ended at once and the logs are empty, run "
    "<msg-svr-base>/sbin/start-msg ha by hand on that node: it names a directory on the way "
    "to the server root or the configuration directory that the runtime user cannot search "
    "(mode 0700, for example); open it and stop Messaging Server again with stop-msg ha.",
)
STOPPING = _define(
    "STOPPING",
    "Stopping Messaging Server with %s.",
    Priority.INFO,
    "The Stop method asks Messaging Server to shut down cleanly.",
    _NO_ACTION,
)
STOP_COMMAND_FAILED = _define(
    "STOP_COMMAND_FAILED",
    "%s did not stop Messaging Server (%s); killing its processes.",
    Priority.WARNING,
    "The clean shutdown failed or did not finish within 80 per cent of Stop_timeout, so the "
    "method kills what is left. Killed message store processes can leave a lock that the "
    "next start clears.",
    "Check the Messaging Server logs for why the shutdown hung.",
)
STOPPED = _define(
    "STOPPED",
    "Messaging Server stopped.",
    Priority.INFO,
    "No process of the Messaging Server installation is left on this node.",
    _NO_ACTION,
)
STOP_FAILED = _define(
    "STOP_FAILED",
    "Failed to stop Messaging Server: process %s survived SIGKILL.",
    Priority.ERROR,
    "A Messaging Server process did not exit even after SIGKILL (it may be stuck in the "
    "kernel, for example on an unresponsive file system). The resource enters STOP_FAILED.",
    "Find out why the process cannot exit; once it is gone, clear the error with "
    "scswitch -c -h <node> -j <resource> -f STOP_FAILED.",
)
STORAGE_HELD = _define(
    "STORAGE_HELD",
    "Process %d (%s, user %s) keeps %s busy.",
    Priority.WARNING,
    "A process that is not part of Messaging Server has a file open, or its working "
    "directory, in the configuration directory, so the file system cannot be taken offline.",
    "End that process, or move it out of the directory.",
)

# --- the fault monitor ----------------------------------------------------------------------

MONITOR_WATCHING = _define(
    "MONITOR_WATCHING",
    "Fault monitor watching %s: %s.",
    Priority.INFO,
    "The fault monitor has started; it names the services it probes.",
    _NO_ACTION,
)
WATCHER_DIED = _define(
    "WATCHER_DIED",
    "The Messaging Server watcher (pid %d) died while %d Messaging Server processes still run.",
    Priority.ERROR,
    "The watcher, which restarts failed Messaging Server services, is gone. Without it the "
    "next failure would go unrepaired, so the fault monitor restarts Messaging Server.",
    "None: the fault monitor restarts or fails over the resource. Look for the cause in the "
    "Messaging Server logs.",
)
SERVER_GAVE_UP = _define(
    "SERVER_GAVE_UP",
    "Messaging Server shut itself down: its watcher gave up restarting a failing service.",
    Priority.ERROR,
    "In HA mode the watcher stops Messaging Server when a service fails more than once "
    "within local.autorestart.timeout, to have the cluster fail it over.",
    "None: the fault monitor fails the resource group over. Look in the Messaging Server "
    "logs for the service that failed.",
)
SERVICE_FAILED = _define(
    "SERVICE_FAILED",
    "Probe failed: %s.",
    Priority.ERROR,
    "A probe of a Messaging Server service failed: the service refused the connection, did "
    "not answer within Probe_timeout (at any point of the exchange, its reply to LOGOUT or "
    "QUIT included: a complete failure), or answered wrongly.",
    "None if the fault monitor recovers the service. Otherwise look in the Messaging Server "
    "logs for the cause.",
)
SERVICE_SLOW = _define(
    "SERVICE_SLOW",
    "Probe slow: %s.",
    Priority.WARNING,
    "A Messaging Server service answered, but slower than half of Probe_timeout.",
    "Check the load of the node and of Messaging Server.",
)
SERVICES_HEALTHY = _define(
    "SERVICES_HEALTHY",
    "Messaging Server is healthy again: %s.",
    Priority.INFO,
    "Every probe succeeded after a failure had been reported.",
    _NO_ACTION,
)
RESTARTING = _define(
    "RESTARTING",
    "Restarting Messaging Server on this node: %s.",
    Priority.ERROR,
    "The failure history reached a complete failure and the resource may still be restarted "
    "on this node (fewer than Retry_count restarts within Retry_interval).",
    _NO_ACTION,
)
GIVING_OVER = _define(
    "GIVING_OVER",
    "Failing resource group %s over to another node: %s.",
    Priority.ERROR,
    "Messaging Server failed again after Retry_count restarts within Retry_interval, or asked "
    "for a failover itself.",
    "Find the cause of the failures in the Messaging Server logs of this node.",
)
CONTROL_REJECTED = _define(
    "CONTROL_REJECTED",
    "The cluster rejected %s: %s.",
    Priority.WARNING,
    "The request to restart or fail over was refused, for example because no other node can "
    "master the group or because of Pingpong_interval. A rejected failover is followed by a "
    "restart on this node.",
    "Check that other nodes of the group's node list are up and can master it.",
)
NO_ACTION_TAKEN = _define(
    "NO_ACTION_TAKEN",
    "Messaging Server is faulted and no action is taken: %s.",
    Priority.ERROR,
    "Failover_mode is LOG_ONLY, or RESTART_ONLY or the extension property Failover_enabled "
    "FALSE with the restarts used up, so the fault monitor only reports the failure.",
    "Repair Messaging Server by hand, or restart the resource with scswitch -n -j and "
    "scswitch -e -j.",
)
PROBE_CYCLE = _define(
    "PROBE_CYCLE",
    "Probe cycle: %s.",
    Priority.DEBUG,
    "The result of one round of probes, with the time each service took.",
    _DEBUG_ACTION,
    debug_level=DEBUG_MED,
)
STATUS_NOT_SET = _define(
    "STATUS_NOT_SET",
    "Cannot set the status of the resource: %s.",
    Priority.WARNING,
    "scha_resource_setstatus failed; scstat may show an outdated status.",
    "Check that the cluster is running on this node.",
)
MONITOR_RESTARTED = _define(
    "MONITOR_RESTARTED",
    "Restarted the fault monitor so that the new property values take effect.",
    Priority.INFO,
    "An administrator changed properties of the resource; the fault monitor was restarted to "
    "read them. Messaging Server itself was not touched.",
    _NO_ACTION,
)
WATCHER_NOT_RUNNING = _define(
    "WATCHER_NOT_RUNNING",
    "The Messaging Server watcher is not running while %d Messaging Server processes run.",
    Priority.ERROR,
    "Messaging Server runs without its watcher, so failed services would not be restarted.",
    "None: the fault monitor restarts Messaging Server. Check local.watcher.enable.",
)

# --- time and liveness: a process monitor or a file that makes a method wait (issue 23) ---

MONITOR_ENDED_DIRECTLY = _define(
    "MONITOR_ENDED_DIRECTLY",
    "The process monitor did not stop PMF tag %s; ended %d fault monitor processes by the "
    "kernel's account.",
    Priority.WARNING,
    "pmfadm failed or did not answer within its share of Monitor_stop_timeout, so "
    "Monitor_stop killed the fault monitor itself: only root's ims_probe of this resource, "
    "as the kernel identifies it.",
    "Check pmfd on this node (a hung or stopped pmfd); restart the node when it does not "
    "answer again.",
)
PMF_RESTARTS_UNCHANGED = _define(
    "PMF_RESTARTS_UNCHANGED",
    "The process monitor did not answer: the restarts of PMF tag %s are left unchanged.",
    Priority.WARNING,
    "With the fault monitor stopped, PMF would restart a Messaging Server that dies; PMF "
    "could not be told so. The next Start or Monitor_start sets the restarts again.",
    "Check pmfd on this node; while it does not answer, no process tree is restarted.",
)
STOP_INPUT_BLOCKS = _define(
    "STOP_INPUT_BLOCKS",
    "%s is not a regular file (%s); stopping Messaging Server without stop-msg.",
    Priority.WARNING,
    "stop-msg reads this file, which the runtime user can replace, and would wait on it "
    "(a FIFO, a device) until its time ran out. Stop ends the instance's processes itself "
    "instead, as the kernel identifies them: SIGTERM, then SIGKILL.",
    "Find out who replaced the file, and remove it; Messaging Server recreates its pid "
    "files.",
)
START_INPUT_BLOCKS = _define(
    "START_INPUT_BLOCKS",
    "%s is not a regular file (%s); start-msg would wait on it: Messaging Server is not "
    "started.",
    Priority.ERROR,
    "start-msg reads this file, which the runtime user can replace, and would wait on it (a "
    "FIFO, a device) until Start_timeout ran out. Start refuses at once instead; the file is "
    "on the shared disk, so every node refuses until it is removed.",
    "Find out who replaced the file, and remove it; Messaging Server recreates its pid "
    "files. Then bring the resource group online again.",
)

# --- issue 22: hangs told from slowness by the kernel's word, decisions in words ---------------
PROCESS_HUNG = _define(
    "PROCESS_HUNG",
    "Messaging Server process hung: %s.",
    Priority.ERROR,
    "The fault monitor's cheap look (every Cheap_probe_interval) found a process of the "
    "instance stopped in every look for over a second: it cannot answer or deliver anything "
    "until it is resumed. Load never looks like this (a slow process runs or waits, it is not "
    "stopped), so this is a complete failure, acted on without waiting for Probe_timeout.",
    "None: the fault monitor restarts or fails over the resource. Find out who stopped the "
    "process (a SIGSTOP, a debugger left attached).",
)
ENDING_HUNG = _define(
    "ENDING_HUNG",
    "Ending the hung %s process (pid %d) so that Messaging Server can be stopped.",
    Priority.WARNING,
    "A hung watcher would hold up stop-msg, which asks the watcher to stop the servers; the "
    "fault monitor kills it (SIGKILL) before it asks the cluster for a restart or a failover.",
    _NO_ACTION,
)
STORE_FULL = _define(
    "STORE_FULL",
    "Messaging Server cannot store mail: %s.",
    Priority.ERROR,
    "The file system that holds the message store is full. The file system moves with the "
    "resource group, so restarting Messaging Server or failing the group over would find it "
    "just as full: the fault monitor sets the status DEGRADED and takes no action for it.",
    "Free space on the file system (or grow it); the status returns to OK by itself.",
)
STORE_SPACE_AGAIN = _define(
    "STORE_SPACE_AGAIN",
    "The message store file system has room again.",
    Priority.NOTICE,
    "The file system that holds the message store was full and has free space again.",
    _NO_ACTION,
)
DELIVERY_STUCK = _define(
    "DELIVERY_STUCK",
    "Messaging Server is not delivering mail: %s.",
    Priority.ERROR,
    "Mail keeps arriving in the queue of the local store channel (ims-ms) and none has left "
    "it for several seconds while the store has room: the job controller or the delivery is "
    "stuck. Every protocol may still answer. A complete failure: the fault monitor restarts "
    "or fails over the resource; the queued mail is delivered afterwards.",
    "Look in the job controller's log (C/log/job_controller.log) for the cause.",
)
ENDING_HUNG_FOR_WATCHER = _define(
    "ENDING_HUNG_FOR_WATCHER",
    "Ending the hung %s process (pid %d) for the watcher to restart it: %s.",
    Priority.ERROR,
    "A Messaging Server server is hung while the watcher lives and restarts failed services "
    "(local.autorestart). The fault monitor kills it (SIGKILL); the watcher restarts it at "
    "once, as after a crash, and the cluster counts the restart (RESOURCE_IS_RESTARTED) "
    "towards Retry_count within Retry_interval.",
    "None. If it hangs again, find out who stops it (a SIGSTOP, a debugger left attached).",
)
