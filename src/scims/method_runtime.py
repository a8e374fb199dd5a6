"""What every SUNW.ims method does before and after its own work.

scds_initialize and scds_close in one place: parse the arguments the RGM passes, open the
log with the `SC[SUNW.ims,<RG>,<R>,<method>]` tag, offer the properties (command line over
stored values), and turn whatever goes wrong into one catalogue line in syslog and an exit
status. No traceback ever reaches a user's log: an unexpected exception is an internal
error, logged in one line.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Sequence
from typing import Callable, Optional

from scims import RESOURCE_TYPE, trust
from scims.cluster import commands, invocation
from scims.cluster.commands import Pmf, TimedRun
from scims.cluster.invocation import Invocation, PropertyView
from scims.cluster.protocols import ProcessMonitor
from scims.errors import AgentError, FrameworkError, UsageError
from scims.log import messages
from scims.log.syslog import AgentLog


class MethodContext:
    """One method call: who we are, where we log, what our properties are."""

    def __init__(self, method: str, inv: Invocation, log: AgentLog) -> None:
        self.method = method
        self.invocation = inv
        self.log = log
        self.props = PropertyView(inv)
        self.resource = inv.resource
        self.group = inv.group
        self.resource_type = inv.resource_type

    @property
    def svc_tag(self) -> str:
        """PMF tag of Messaging Server (DSDL's `<RG>,<R>,<instance>.svc`)."""
        return f"{self.group},{self.resource},0.svc"

    @property
    def mon_tag(self) -> str:
        """PMF tag of the fault monitor."""
        return f"{self.group},{self.resource},0.mon"

    def server_root_value(self) -> Optional[str]:
        try:
            value = self.props.get_str("IMS_serverroot")
        except FrameworkError:
            if self.invocation.mode is not None:
                return None  # Validate of a resource being created: only argv counts
            raise
        return value or None

    def seconds(self, name: str) -> int:
        return self.props.get_int(name)

    # --- the framework's services, one seam for another front door (scims.ocf) -------------
    def process_monitor(self, timeout: Optional[float] = None) -> ProcessMonitor:
        """What runs and contains a process tree under a tag, the one place it is made: PMF
        under the RGM, each pmfadm call bounded by `timeout` seconds when given."""
        return Pmf() if timeout is None else Pmf(timeout=timeout)

    def timed_run(self, timeout: int, argv: Sequence[str]) -> TimedRun:
        """Run a program within `timeout` seconds, its process group killed after that."""
        return commands.hatimerun(timeout, argv)

    def logical_addresses(self) -> list[str]:
        """The addresses a service that listens on all interfaces is probed on."""
        from scims.cluster import logical_hosts  # noqa: PLC0415 - Start and the monitor only

        return logical_hosts.logical_host_addresses(
            self.group, self.resource, self.props.get_list("Network_resources_used"),
            self.resource_type)

    def ask_ahead(self, names: Sequence[str], facility: bool = True) -> None:
        """Start the cluster's answers about these properties of the resource now, all at
        once (commands.ask_ahead_resource), and the log's syslog facility with them: the
        method then collects each when it asks, instead of waiting for one after another.
        A property the RGM passed on the command line is not asked at all."""
        if facility:
            commands.ask_ahead_cluster("SYSLOG_FACILITY")
        inv = self.invocation
        given = {key.lower() for key in (*inv.extension_properties, *inv.resource_properties)}
        for name in names:
            if name.lower() in given:
                continue
            if name.lower() in invocation.SYSTEM_PROPERTIES:
                commands.ask_ahead_resource(name, self.resource, self.group)
            else:
                commands.ask_ahead_extension(self.resource, self.group, name)

    def set_status(self, status: str, message: Optional[str]) -> None:
        """Set Status/Status_msg; a failure is logged, never fatal (scstat may lag)."""
        try:
            commands.set_status(self.resource, self.group, status, message)
        except FrameworkError as exc:
            self.log.emit(messages.STATUS_NOT_SET, exc.detail or exc.name)


Body = Callable[[MethodContext], int]
LogFactory = Callable[[str, str, str, str], AgentLog]
"""Makes the log of a method from (resource type, group, resource, method)."""

_NAME_OPTIONS = ("-G", "-R")

METHOD_TIMEOUTS = {
    "ims_svc_start": "Start_timeout",
    "ims_svc_stop": "Stop_timeout",
    "ims_svc_validate": "Validate_timeout",
    "ims_svc_update": "Update_timeout",
    "ims_monitor_start": "Monitor_start_timeout",
    "ims_monitor_stop": "Monitor_stop_timeout",
    "ims_monitor_check": "Monitor_check_timeout",
}
"""The property holding each method's timeout: every call the method makes is bounded by
what is left of it (trust.Budget), so the method ends before the RGM has to kill it."""

ASKED_AHEAD = {
    "ims_svc_start": ("Start_timeout", "IMS_serverroot", "Child_mon_level",
                      "Network_resources_used", "Retry_count", "Retry_interval"),
    "ims_svc_stop": ("Stop_timeout", "IMS_serverroot"),
    "ims_monitor_start": ("Monitor_start_timeout", "Monitor_retry_count",
                          "Monitor_retry_interval"),
    "ims_monitor_stop": ("Monitor_stop_timeout", "Retry_count", "Retry_interval"),
    "ims_svc_update": ("Update_timeout",),
    "ims_monitor_check": ("Monitor_check_timeout", "IMS_serverroot", "Resource_dependencies"),
}
"""What each method asks of its own resource on every call that goes well (and the syslog
facility, for its log): started at once, before the method needs the first of them
(MethodContext.ask_ahead). Only what every such call asks: a property some calls need (the
monitor's in Update, the neighbours' in Start) is asked when it is needed."""
DEADLINE_MARGIN_SHARE = 0.05
"""Of each method's timeout, what its calls may not use: a method whose framework calls all
hang still logs why and exits before the RGM's timeout kills it (DSDL keeps the same 5 % of
a timeout for its own overhead, scds_pmf_stop(3HA))."""
FIRST_QUESTION_BOUND = 10.0
"""Seconds a method may wait to learn its own timeout, before it is known: well inside the
least any method may have (60 s, the RTR's MIN)."""
QUIET_METHODS = frozenset({"ims_monitor_check"})
"""Methods that log nothing when all goes well: their syslog facility is not asked ahead."""


def _method_deadline(ctx: MethodContext, started: float) -> float:
    """When the method must be done; far away when it has no timeout (ims_probe) or the
    timeout cannot be read (the RGM's own timeout still holds, every call its own bound)."""
    name = METHOD_TIMEOUTS.get(ctx.method)
    if name is not None:
        try:
            with trust.Budget.until(started + FIRST_QUESTION_BOUND):
                return started + (1 - DEADLINE_MARGIN_SHARE) * ctx.seconds(name)
        except (AgentError, ValueError, KeyError):
            pass
    return float("inf")


def _answers_for(method: str) -> contextlib.AbstractContextManager[None]:
    """Each question asked once (commands.remembered_answers) in a method the RGM runs with
    a timeout, which makes it short-lived; not in the fault monitor, which runs for days and
    remembers only while it starts up."""
    if method in METHOD_TIMEOUTS:
        return commands.remembered_answers()
    return contextlib.nullcontext()


def names_given(args: Sequence[str]) -> dict[str, str]:
    """The -G and -R values of a command line that does not parse, for the log tag: the line
    about the malformed call then still names the resource it was meant for. Values a tag
    could not carry (empty, control characters, a leading '-') are left out. The type stays
    SUNW.ims, the only one these methods serve."""
    found: dict[str, str] = {}
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--" or not arg.startswith("-") or len(arg) < 2:
            break  # getopt stops here too
        option = arg[:2]
        if option[1] not in invocation.TAKES_VALUE:
            continue
        value = arg[2:] or (rest.pop(0) if rest else "")
        if option in _NAME_OPTIONS and option not in found:
            try:
                found[option] = commands.checked_word(value, option)
            except ValueError:
                continue
    return found


def run_method(method: str, body: Body, argv: Optional[Sequence[str]] = None, *,
               validate: bool = False, make_log: LogFactory = AgentLog) -> int:
    """Run `body` as method `method`; the exit status for the RGM (0 success)."""
    started = time.monotonic()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        inv = invocation.parse(args, validate=validate)
    except UsageError as exc:
        names = names_given(args)
        log = make_log(RESOURCE_TYPE, names.get("-G", ""), names.get("-R", ""), method)
        return log.report(exc)
    log = make_log(inv.resource_type, inv.group, inv.resource, method)
    if argv is None:  # run by the RGM (or PMF), not called in process by a test
        commands.become_subreaper()  # what a command leaves behind comes back here, and ends
    try:
        ctx = MethodContext(method, inv, log)
        with _answers_for(method):
            if method in ASKED_AHEAD:
                ctx.ask_ahead(ASKED_AHEAD[method], facility=method not in QUIET_METHODS)
            with trust.Budget.until(_method_deadline(ctx, started)):
                return body(ctx)
    except AgentError as exc:  # msconfig's errors too: CONFIG_INFO_UNAVAILABLE
        return log.report(exc)
    except Exception as exc:  # the last line of defence: one line, never a traceback
        log.emit(messages.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
        return 1
