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
import sys
from typing import Callable, Optional

from scims import trust
from scims.cluster.protocols import ProcessMonitor
from scims.errors import FrameworkError
from scims.log import messages
from scims.log.messages import Message
from scims.method_runtime import MethodContext

PROBE_PROGRAM = "ims_probe"
STOP_SHARE = 0.9


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
        try:
            _start_probe(ctx, pmf)
        except (FrameworkError, trust.Untrusted):
            if not pmf.is_running(ctx.mon_tag):
                raise
        _service_restarts(ctx, pmf, monitored=True)

    return _attempt(ctx, start, messages.MONITOR_START_FAILED, messages.MONITOR_STARTED)


def _stop_probe(ctx: MethodContext, pmf: ProcessMonitor, running: Optional[bool] = None) -> None:
    """Kill the monitor's tree; `running=True` when pmfadm -q has just said it runs. Without
    that word, pmfadm -s is tried at once (the RGM stops a monitor that runs) and pmfadm -q
    is asked only when it fails."""
    wait = max(1, int(STOP_SHARE * ctx.seconds("Monitor_stop_timeout")))
    pmf.stop(ctx.mon_tag, "KILL", wait=wait, running=running, ask_first=False)


def monitor_stop(ctx: MethodContext) -> int:
    pmf = ctx.process_monitor()

    def stop() -> None:
        _stop_probe(ctx, pmf)
        _service_restarts(ctx, pmf, monitored=False)

    return _attempt(ctx, stop, messages.MONITOR_STOP_FAILED, messages.MONITOR_STOPPED)


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
