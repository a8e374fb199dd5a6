"""Monitor_start, Monitor_stop, Monitor_check and Update: the fault monitor's lifecycle.

The fault monitor `ims_probe` runs under the PMF tag `<RG>,<R>,0.mon`, restarted by PMF up
to Monitor_retry_count times within Monitor_retry_interval minutes. It lives in the same
directory as the methods (the DSDL convention), so it is found without any environment.
Update restarts it so that changed properties take effect; Messaging Server is not touched.
While the monitor runs, PMF does not restart Messaging Server (the service tag's restarts are
set to 0): the monitor decides between a restart and a failover. Monitor_stop gives PMF back
its Retry_count restarts within Retry_interval, so that with the monitor disabled a dead
Messaging Server is still started again (see `service_control`).
Monitor_check answers whether this node could host the service, with Validate's node-local
checks, before the RGM fails the group over to it (the configuration on shared storage only
where that storage is online here).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import TYPE_CHECKING, Callable, Optional

from scims import trust
from scims.cluster.protocols import ProcessMonitor
from scims.errors import FrameworkError
from scims.log import messages
from scims.log.messages import Message
from scims.method_runtime import MethodContext

if TYPE_CHECKING:
    from scims.messaging.processes import ProcessIdentity

PROBE_PROGRAM = "ims_probe"
STOP_SHARE = 0.9
"""Monitor_stop is done within this share of Monitor_stop_timeout, or it has failed."""
PMF_STOP_SHARE = 0.25
"""The most of Monitor_stop_timeout that `pmfadm -s <mon tag> KILL` may take, waiting
included: a process monitor that does not answer must leave Monitor_stop the time to end the
fault monitor by the kernel's account (`_end_probe_directly`) and succeed, since a failed
Monitor_stop is a failed Stop to the RGM (STOP_FAILED)."""


def probe_path() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), PROBE_PROGRAM)


def pmf_restarts(ctx: MethodContext) -> tuple[int, int]:
    """(retries, period in minutes) for the service's PMF tag when the fault monitor does not
    run: Retry_count within Retry_interval, the seconds rounded up to minutes as the
    Developer's Guide's sample Start does."""
    return (ctx.props.get_int("Retry_count"),
            max(1, -(-ctx.props.get_int("Retry_interval") // 60)))


def _start_probe(ctx: MethodContext, pmf: ProcessMonitor) -> None:
    """Start ims_probe under PMF, if root may run it now (trust.check_executable)."""
    program = trust.check_executable(probe_path())
    pmf.start(ctx.mon_tag,
              [program, "-R", ctx.resource, "-T", ctx.resource_type, "-G", ctx.group],
              retries=ctx.props.get_int("Monitor_retry_count"),
              period_minutes=ctx.props.get_int("Monitor_retry_interval"))


def _attempt(ctx: MethodContext, action: Callable[[], None], failed: Message,
             done: Message) -> int:
    """Run a PMF action; the cluster command's own complaint, then the method's verdict."""
    try:
        action()
    except (FrameworkError, trust.Untrusted) as exc:
        ctx.log.emit(exc.message, *exc.arguments)
        ctx.log.emit(failed)
        return 1
    ctx.log.emit(done)
    return 0


def _service_restarts(ctx: MethodContext, pmf: ProcessMonitor, *, monitored: bool) -> None:
    """Who restarts a Messaging Server whose process tree died: the monitor (PMF 0), or PMF.
    Nothing to change when Messaging Server does not run: pmfadm -m is tried at once (it
    refuses a tag it does not hold) and pmfadm -q asked only when it fails, since the
    methods that get here run, as a rule, while Messaging Server does."""
    retries, period = (0, -1) if monitored else pmf_restarts(ctx)
    pmf.modify(ctx.svc_tag, retries=retries, period_minutes=period, missing_ok=True)


def monitor_start(ctx: MethodContext) -> int:
    pmf = ctx.process_monitor()

    def start() -> None:
        # The RGM starts a monitor that does not run: pmfadm -c at once, and only when it
        # refuses, pmfadm -q whether that is because the monitor runs already (success).
        # A pmfadm that did not answer at all is not asked again: it would not answer either.
        try:
            _start_probe(ctx, pmf)
        except (FrameworkError, trust.Untrusted) as exc:
            if getattr(exc, "timed_out", False) or not pmf.is_running(ctx.mon_tag):
                raise
        _service_restarts(ctx, pmf, monitored=True)

    return _attempt(ctx, start, messages.MONITOR_START_FAILED, messages.MONITOR_STARTED)


def _stop_probe(ctx: MethodContext, pmf: ProcessMonitor, running: Optional[bool] = None,
                deadline: Optional[float] = None) -> None:
    """Kill the monitor's tree; `running=True` when pmfadm -q has just said it runs. Without
    that word, pmfadm -s is tried at once (the RGM stops a monitor that runs) and pmfadm -q
    is asked only when it fails. pmfd waits for the tree to die a second less than the
    PMF_STOP_SHARE of Monitor_stop_timeout, and the call, its wait included, ends by
    `deadline` (time.monotonic) when one is given."""
    wait = max(1, int(PMF_STOP_SHARE * ctx.seconds("Monitor_stop_timeout")) - 1)
    with trust.Budget.until(float("inf") if deadline is None else deadline):
        pmf.stop(ctx.mon_tag, "KILL", wait=wait, running=running, ask_first=False)


def probe_processes(ctx: MethodContext) -> list[ProcessIdentity]:
    """The fault monitor of this resource as the kernel shows it (docs/security.md, rule 3):
    its command line names our ims_probe with this resource's -R and -G, and the kernel
    confirms that it runs that program (or the interpreter of its `#!` line) as root.
    A process of any other user that names ims_probe is not the monitor. Only looked for
    when the process monitor fails, so only then imported."""
    from scims import process_table  # noqa: PLC0415
    from scims.messaging.processes import ProcessIdentity  # noqa: PLC0415
    from scims.process_table import Gone  # noqa: PLC0415

    program = os.path.realpath(probe_path())
    names = {program, probe_path()}
    words = tuple(name.encode("utf-8", "surrogateescape") for name in names)
    me = os.getpid()
    found: list[ProcessIdentity] = []
    for pid in process_table.pids():
        if pid == me:
            continue
        try:
            argv = process_table.cmdline_naming(pid, words)
            if argv is None or not _names_probe_of(argv, names, ctx.resource, ctx.group):
                continue
            if process_table.real_uid(pid) != 0:
                continue
            if not trust.runs_program(process_table.exe(pid), program):
                continue
            start, zombie = process_table.started(pid)
        except (Gone, OSError):
            continue
        if not zombie:
            found.append(ProcessIdentity(pid, start))
    return found


def _names_probe_of(argv: list[str], programs: set[str], resource: str, group: str) -> bool:
    """Whether `argv` is `[interpreter] <ims_probe> ... -R resource ... -G group ...`, as
    `_start_probe` starts it."""
    for at in (0, 1):
        if len(argv) > at and argv[at] in programs:
            rest = argv[at + 1:]
            pairs = {(rest[i], rest[i + 1]) for i in range(len(rest) - 1)}
            return ("-R", resource) in pairs and ("-G", group) in pairs
    return False


def _end_probe_directly(ctx: MethodContext, deadline: float) -> bool:
    """The process monitor did not answer: SIGKILL the fault monitor by the kernel's account
    (probe_processes) and wait for it to go, until `deadline`. True when none is left."""
    from scims.messaging.processes import wait_gone  # noqa: PLC0415

    victims = probe_processes(ctx)
    for ident in victims:
        if ident.is_alive():
            try:
                os.kill(ident.pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
    survivors = wait_gone(victims, deadline)
    ctx.log.emit(messages.MONITOR_ENDED_DIRECTLY, ctx.mon_tag, len(victims) - len(survivors))
    return not survivors


def monitor_stop(ctx: MethodContext) -> int:
    """Stop the fault monitor (pmfadm -s <mon tag> KILL), then give PMF back its restarts of
    Messaging Server. When pmfadm does not answer within its share (a hung pmfd), the monitor
    is ended by the kernel's account and Monitor_stop succeeds once it is gone: the RGM
    treats a failed Monitor_stop as a failed Stop, and the fault monitor, not PMF, is what
    Monitor_stop must end. PMF's restarts are then left as they are (logged)."""
    started = time.monotonic()
    timeout = ctx.seconds("Monitor_stop_timeout")
    pmf = ctx.process_monitor()
    try:
        _stop_probe(ctx, pmf, deadline=started + PMF_STOP_SHARE * timeout)
    except FrameworkError as exc:
        ctx.log.emit(exc.message, *exc.arguments)
        if not _end_probe_directly(ctx, started + STOP_SHARE * timeout):
            ctx.log.emit(messages.MONITOR_STOP_FAILED)
            return 1
        if exc.timed_out:
            ctx.log.emit(messages.PMF_RESTARTS_UNCHANGED, ctx.svc_tag)
            ctx.log.emit(messages.MONITOR_STOPPED)
            return 0
    return _attempt(ctx, lambda: _service_restarts(ctx, pmf, monitored=False),
                    messages.MONITOR_STOP_FAILED, messages.MONITOR_STOPPED)


def monitor_check(ctx: MethodContext) -> int:
    """The RGM asks before it moves the group here, while the shared storage that holds the
    configuration is still online on the node being left: then only what this node holds
    itself (the installation and its commands) can be checked, as scds_hasp_check allows.

    Only Monitor_check reads the installation and asks about the storage: Monitor_start,
    Monitor_stop and Update do not import what that takes."""
    from scims.cluster import storage  # noqa: PLC0415
    from scims.messaging import installation  # noqa: PLC0415

    server_root = installation.checked_server_root(ctx.server_root_value())
    view = storage.storage_view(ctx.group, ctx.props.get_list("Resource_dependencies"))
    if view.status is storage.HaspStatus.ONLINE_NOT_LOCAL:
        path = installation.server_root_on_node(server_root)
        installation.check_command(path, installation.START_MSG, server_root)
        installation.check_command(path, installation.STOP_MSG, server_root)
        return 0
    installation.inspect(server_root, ctx.log)
    return 0


def update(ctx: MethodContext) -> int:
    """Restart the fault monitor where it runs; a disabled monitor stays disabled."""
    pmf = ctx.process_monitor()
    if not pmf.is_running(ctx.mon_tag):
        # Unmonitored: PMF restarts Messaging Server, with the new Retry_count/_interval.
        try:
            _service_restarts(ctx, pmf, monitored=False)
        except FrameworkError as exc:
            ctx.log.emit(exc.message, *exc.arguments)
            return 1
        return 0

    def restart() -> None:
        _stop_probe(ctx, pmf, running=True)  # it ran a moment ago: no second pmfadm -q
        _start_probe(ctx, pmf)

    return _attempt(ctx, restart, messages.MONITOR_START_FAILED, messages.MONITOR_RESTARTED)
