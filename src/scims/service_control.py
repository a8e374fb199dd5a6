"""Start and Stop of Messaging Server under the process monitor facility.

Start runs `<IMS_serverroot>/sbin/start-msg ha` under the PMF tag `<RG>,<R>,0.svc` and
returns only when the watcher runs and every enabled service answers on its address (the
RGM takes a returned Start to mean "available"). Having just seen every service answer, it
sets the status OK itself, as Sun's agents do once their Start has verified the service
(the HA-Ingres agent's "Ingres DBMS server online."), so that `scstat` does not show the RGM's
"Unknown" until the first probe cycle.

Once it is up, PMF is given Retry_count restarts within Retry_interval (rounded up to
minutes), as Sun's agents start their service (the Developer's Guide's HA-DNS Start:
`pmfadm -c tag -n $RETRY_CNT -t $RETRY_INTRVAL`), so that a Messaging Server whose whole
process tree dies is started again even while the fault monitor is disabled (`scswitch -n
-M`). While the fault monitor runs, it decides instead (`monitor_control` sets the tag's
restarts to 0 and back): in HA mode Messaging Server exits precisely to ask for a failover,
which a PMF restart would undo, and a dead watcher is acted on within about a second.

Stop asks Messaging Server to shut down (`stop-msg ha`) with 80 % of Stop_timeout, kills
whatever is left of the PMF tree with 15 %, sweeps any process of the installation that
escaped the tree, and keeps the rest for its own overhead (the DSDL split). It succeeds when
nothing is left — also when nothing was running or the configuration is gone — and fails
only when a process truly survives, which is what STOP_FAILED is for.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import time
from typing import TYPE_CHECKING, Optional

from scims import trust
from scims.cluster.protocols import ProcessMonitor
from scims.errors import AgentError, CheckFailed, FrameworkError
from scims.log import messages
from scims.messaging import installation
from scims.messaging.installation import Installation
from scims.messaging.processes import Impostor, MessagingInstance, ProcessIdentity, wait_gone
from scims.method_runtime import MethodContext
from scims.monitor_control import pmf_restarts
from scims.msconfig.source import MsConfigError

if TYPE_CHECKING:
    from scims.messaging.probes import ProbeResult, Target

READY_SHARE = 0.85
"""Share of Start_timeout spent waiting for Messaging Server; the rest is for cleaning up."""
READY_PROBE_TIMEOUT = 3.0
READY_POLL = 0.05
"""How often Start looks again while Messaging Server comes up (about 0.2 s on the stand-in):
a look is a read of /proc and, once the watcher runs, one connection per service, so a short
poll costs little and Start returns soon after the services answer, on average half a poll
later, in every switchover and restart (bench_calls, alternating runs: Start's wall time 555
and 568 ms at 0.1 s against 594 and 604 ms at 0.25 s, CPU 278 against 270-277 ms; 0.05 s
halves that wait once more)."""
STOP_COMMAND_SHARE = 0.80
STOP_KILL_SHARE = 0.15
PMF_QUERY_SHARE = 0.10
"""The most of Stop_timeout one pmfadm call may take: a hanging pmfadm must leave stop-msg
and the kill their time."""
STOP_TERM_GRACE = 10.0
"""Seconds the instance's processes get to end after SIGTERM when Stop ends them itself
instead of stop-msg (`_stop_without_stop_msg`): about what stop-msg gives them (the watcher
5 s, each server 3 s), within the command share."""
STOP_MSG_INPUTS = ("config/msg.conf", "config/msg.conf.defaults")
"""Files of the configuration directory that stop-msg reads, which the runtime user owns."""
PID_FILE_DIRECTORY = "run"
PID_FILE_SUFFIX = ".pid"
PID_FILE_SCAN = 512
"""The most entries of C/run looked at for pid files: the runtime user may fill it."""
RUNTIME_RECORD = "runtime_uid"
ONLINE_STATUS_MSG = "Service is online."
"""Status_msg of a resource whose every service answers (the fault monitor's words too)."""


# --- Start ---------------------------------------------------------------------------------


def start(ctx: MethodContext) -> int:
    started = time.monotonic()
    timeout = ctx.seconds("Start_timeout")
    inst = installation.inspect(ctx.server_root_value(), ctx.log)
    blocked = blocking_input(inst.config_dir)
    if blocked is not None:  # start-msg would wait on it for 85 % of Start_timeout
        raise AgentError(messages.START_INPUT_BLOCKS, *blocked)
    instance = MessagingInstance(inst.path, inst.config_dir, inst.user.uid)
    pmf = ctx.process_monitor()

    running, impostors = instance.survey()
    report_impostors(ctx, impostors)
    if running:
        raise AgentError(messages.ALREADY_RUNNING, inst.server_root,
                         " ".join(str(p.pid) for p in running))

    ctx.log.emit(messages.STARTING_UNDER_PMF)
    child_level = ctx.props.get_int("Child_mon_level")
    start_msg = installation.check_command(inst.path, installation.START_MSG, inst.server_root)
    try:
        # No restarts until it is up: a start-msg ha that fails is a failed Start, and its
        # cleanup must not race PMF starting it again. No pmfadm -q first: pmfadm -c
        # refuses a tag it already holds (scds_pmf_start's "already running"), and only
        # then is pmfadm asked why it refused.
        pmf.start(ctx.svc_tag, [start_msg, "ha"],
                  retries=0, period_minutes=-1, child_level=child_level)
    except FrameworkError as exc:
        if _registered(pmf, ctx.svc_tag):  # not ours to clean up, nor its record
            raise AgentError(messages.ALREADY_RUNNING, inst.server_root,
                             "PMF tag " + ctx.svc_tag) from None
        ctx.log.emit(messages.START_FAILED, f"pmfadm could not start start-msg ha: "
                     f"{exc.detail or exc.name}")
        _clean_up(ctx, instance, pmf, started + 0.97 * timeout)
        return 1
    # The user Stop may signal, as checked here, recorded once the tree is this Start's.
    trust.RuntimeRecord(ctx.group, ctx.resource, RUNTIME_RECORD).write(f"{inst.user.uid}\n")

    # What to probe is asked while start-msg starts (it takes a while before anything can
    # answer), not before: the logical hosts' questions are then off the switchover's path.
    failure: Optional[str] = None
    from scims.messaging.probes import describe, service_targets  # noqa: PLC0415 - Stop probes nothing

    targets: list[Target] = []
    try:
        targets = service_targets(inst.config, ctx.logical_addresses())
    except AgentError as exc:
        ctx.log.report(exc)
        failure = "the addresses to probe are unknown"
    if failure is None:
        failure = _wait_until_ready(ctx, inst, instance, pmf, targets,
                                    deadline=started + READY_SHARE * timeout)
    if failure is None:
        retries, period = pmf_restarts(ctx)
        try:
            pmf.modify(ctx.svc_tag, retries=retries, period_minutes=period)
        except FrameworkError as exc:
            failure = f"pmfadm could not set its restarts: {exc.detail or exc.name}"
    if failure is None:
        ctx.log.emit(messages.STARTED, describe(targets))
        ctx.set_status("OK", ONLINE_STATUS_MSG)
        return 0
    ctx.log.emit(messages.START_FAILED, failure)
    survivors = _clean_up(ctx, instance, pmf, started + 0.97 * timeout)
    if survivors:
        ctx.log.emit(messages.STOP_FAILED, " ".join(str(p.pid) for p in survivors))
    return 1


def _registered(pmf: ProcessMonitor, tag: str) -> bool:
    """Whether PMF holds `tag`, asked after pmfadm -c failed; a pmfadm that cannot say is
    taken as "no": Start then cleans up as after any failed pmfadm -c."""
    try:
        return pmf.is_running(tag)
    except FrameworkError:
        return False


def _wait_until_ready(ctx: MethodContext, inst: Installation, instance: MessagingInstance,
                      pmf: ProcessMonitor, targets: list[Target], *,
                      deadline: float) -> Optional[str]:
    """None once Messaging Server is up; otherwise why it is not, when the time is up."""
    from scims.messaging.probes import probe_all  # noqa: PLC0415

    want_watcher = inst.config.ha.watcher_enabled.value
    why = "nothing answered yet"
    while True:
        # The kernel first: while any process of the instance runs, start-msg has not failed
        # yet, and pmfadm need not be asked (once a cycle) what it would only confirm.
        if not instance.processes() and not pmf.is_running(ctx.svc_tag):
            return ("start-msg ha ended and no Messaging Server process is left "
                    "(see the Messaging Server logs)")
        if want_watcher and instance.watcher() is None:
            why = "the watcher is not running"
        else:
            remaining = deadline - time.monotonic()
            results = probe_all(targets, max(0.5, min(READY_PROBE_TIMEOUT, remaining)))
            failing: list[ProbeResult] = [r for r in results if not r.ok]
            if not failing:
                return None
            why = failing[0].detail
        if time.monotonic() >= deadline:
            return f"not up within {READY_SHARE:.0%} of Start_timeout: {why}"
        time.sleep(READY_POLL)


def _clean_up(ctx: MethodContext, instance: MessagingInstance, pmf: ProcessMonitor,
              deadline: float) -> list[ProcessIdentity]:
    """After a failed Start: kill everything at once (nothing ever served, nothing to save)."""
    try:
        pmf.stop(ctx.svc_tag, "KILL", wait=max(1, int(deadline - time.monotonic())))
    except FrameworkError:
        pass  # the sweep below finds whatever the tag still held
    return instance.kill_all(deadline)


# --- Stop ----------------------------------------------------------------------------------


def instance_as_known(ctx: MethodContext) -> tuple[Optional[str], Optional[MessagingInstance]]:
    """The installation as far as it can still be known: Stop must work when the property is
    bad or the configuration is gone, so every step here tolerates what is missing.

    The runtime user is the one Start checked and recorded; msg.conf may have been rewritten
    since by the runtime user itself. Without a record, msg.conf's user if it passes the
    cross-check (trust.check_runtime_user), else the owner of the configuration directory if
    that is no system account."""
    try:
        server_root = installation.checked_server_root(ctx.server_root_value())
    except (CheckFailed, FrameworkError):
        return None, None
    path = server_root
    config_dir = installation.config_dir_of(path)
    runtime_uid = _recorded_runtime_uid(ctx)
    try:
        config = installation.load_configuration(server_root, path)
        config_dir = str(config.config_dir)
        if runtime_uid is None:
            user, _ = installation.runtime_accounts(config, ctx.log)
            runtime_uid = user.uid
    except (MsConfigError, OSError, AgentError):
        pass
    if runtime_uid is None:
        try:
            owner = os.stat(os.path.join(path, "config")).st_uid
        except OSError:
            owner = 0
        if not trust.is_system_account(owner):
            runtime_uid = owner
    return path, MessagingInstance(path, config_dir, runtime_uid)


def _recorded_runtime_uid(ctx: MethodContext) -> Optional[int]:
    text = trust.RuntimeRecord(ctx.group, ctx.resource, RUNTIME_RECORD).read()
    if text is None or not text.strip().isdigit():
        return None
    uid = int(text.strip())
    return None if trust.is_system_account(uid) else uid


class _StopPmf:
    """pmfadm for Stop: each call bounded by its share of Stop_timeout; once pmfadm failed to
    answer, Stop does not wait for it again and relies on the kernel's word instead."""

    def __init__(self, ctx: MethodContext, timeout: float) -> None:
        self.ctx = ctx
        self.pmf = ctx.process_monitor(timeout=max(1.0, PMF_QUERY_SHARE * timeout))
        self.answers = True
        self.registered: Optional[bool] = None
        """What pmfadm said last, while nothing has happened since that could change it."""

    def _failed(self, exc: FrameworkError) -> None:
        if self.answers:
            self.ctx.log.emit(messages.PMF_UNANSWERED, self.ctx.svc_tag, exc.detail or exc.name)
        self.answers = False

    def is_running(self) -> Optional[bool]:
        """True/False, or None when pmfadm cannot say (which is not 'not running')."""
        if not self.answers:
            return None
        if self.registered is not None:
            return self.registered  # just asked, or just seen gone by pmfadm -s
        try:
            return self.pmf.is_running(self.ctx.svc_tag)
        except FrameworkError as exc:
            self._failed(exc)
            return None

    def stop(self, signal: Optional[str], wait: Optional[float] = None, *,
             ask_first: bool = True) -> None:
        if not self.answers:
            return
        known, self.registered = self.registered, None
        try:
            if self.pmf.stop(self.ctx.svc_tag, signal, wait=wait, running=known,
                             ask_first=ask_first) is True:
                self.registered = False  # pmfadm said the tag is gone: asking again would too
        except FrameworkError as exc:
            if exc.timed_out:
                self._failed(exc)
            # otherwise the tree did not die in time: the sweep below tries once more

    def stop_monitoring(self) -> Optional[bool]:
        """pmfadm -s without a signal, at once: PMF restarts nothing and reports no failure
        while Messaging Server stops. Whether the tag was registered (None: pmfadm cannot
        say): pmfadm -s refuses a tag it does not hold, and only then is -q asked."""
        self.stop(None, ask_first=False)
        if not self.answers:
            return None
        return self.registered is not False


def stop(ctx: MethodContext) -> int:
    started = time.monotonic()
    timeout = ctx.seconds("Stop_timeout")
    command_deadline = started + STOP_COMMAND_SHARE * timeout
    kill_deadline = started + (STOP_COMMAND_SHARE + STOP_KILL_SHARE) * timeout
    pmf = _StopPmf(ctx, timeout)
    with trust.Budget.until(command_deadline):
        path, instance = instance_as_known(ctx)
        tag_running = pmf.stop_monitoring()  # no restarts, no "Failed to stay up" from here
        running, impostors = instance.survey() if instance else ([], [])
        report_impostors(ctx, impostors)
        if tag_running is False and not running:
            ctx.log.emit(messages.STOPPED)
            _report_holders(ctx, instance)
            return 0
        if path is not None:
            _stop_cleanly(ctx, path, command_deadline, instance)

    with trust.Budget.until(kill_deadline):
        pmf.stop("KILL", wait=max(1, int(kill_deadline - time.monotonic())))
        survivors = instance.kill_all(kill_deadline) if instance else []
        if survivors:
            ctx.log.emit(messages.STOP_FAILED, " ".join(str(p.pid) for p in survivors))
            return 1
        if pmf.is_running():
            ctx.log.emit(messages.STOP_FAILED, "of PMF tag " + ctx.svc_tag)
            return 1
    _report_holders(ctx, instance)
    ctx.log.emit(messages.STOPPED)
    return 0


def blocking_input(config_dir: Optional[str]) -> Optional[tuple[str, str]]:
    """The first file stop-msg reads that would make it wait, and what it is: msg.conf,
    msg.conf.defaults or a pid file (`C/run/*.pid`) that is a FIFO or a device. These are the
    runtime user's files; root's stop-msg opens them with a plain open(2), which waits on a
    FIFO until a writer comes (or reads a device without end), so Stop used to spend 80 % of
    Stop_timeout there. Only stat(2) is used here: it never opens, so it never blocks."""
    if config_dir is None:
        return None
    candidates = [os.path.join(config_dir, name) for name in STOP_MSG_INPUTS]
    run_dir = os.path.join(config_dir, PID_FILE_DIRECTORY)
    try:
        with os.scandir(run_dir) as entries:
            for count, entry in enumerate(entries):
                if count >= PID_FILE_SCAN:
                    break
                if entry.name.endswith(PID_FILE_SUFFIX):
                    candidates.append(entry.path)
    except OSError:
        pass
    for path in candidates:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue
        kind = _blocking_kind(mode)
        if kind is not None:
            return path, kind
    return None


def _blocking_kind(mode: int) -> Optional[str]:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return None


def _stop_without_stop_msg(instance: MessagingInstance, deadline: float) -> None:
    """End the instance's processes as stop-msg would, by the kernel's account (rule 3 of
    docs/security.md): SIGTERM, and a grace of at most STOP_TERM_GRACE until `deadline`;
    the kill step that follows SIGKILLs whatever is left."""
    victims = instance.processes()
    for ident in victims:
        if ident.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(ident.pid, signal.SIGTERM)
    wait_gone(victims, min(deadline, time.monotonic() + STOP_TERM_GRACE))


def _stop_cleanly(ctx: MethodContext, path: str, deadline: float,
                  instance: Optional[MessagingInstance] = None) -> None:
    """stop-msg ha, if root may run it now (it may have been handed to the runtime user since
    Validate), within what is left of the command share; without it when a file it reads
    would make it wait (blocking_input)."""
    shown = "stop-msg ha"
    blocked = blocking_input(instance.config_dir) if instance is not None else None
    if instance is not None and blocked is not None:
        ctx.log.emit(messages.STOP_INPUT_BLOCKS, *blocked)
        _stop_without_stop_msg(instance, deadline)
        return
    server_root = ctx.server_root_value() or path
    try:
        stop_msg = installation.check_command(path, installation.STOP_MSG, server_root)
    except AgentError as exc:
        ctx.log.report(exc)
        ctx.log.emit(messages.STOP_COMMAND_FAILED, shown, "root may not run it")
        return
    budget = int(deadline - time.monotonic() - 1)  # a second for hatimerun to report
    if budget < 1:
        ctx.log.emit(messages.STOP_COMMAND_FAILED, shown, "no time was left for it")
        return
    ctx.log.emit(messages.STOPPING, shown)
    try:
        result = ctx.timed_run(budget, [stop_msg, "ha"])
    except FrameworkError as exc:
        ctx.log.emit(messages.STOP_COMMAND_FAILED, shown, exc.detail or exc.name)
        return
    if result.timed_out:
        ctx.log.emit(messages.STOP_COMMAND_FAILED, shown, f"it did not finish in {budget} s")
    elif result.status != 0:
        ctx.log.emit(messages.STOP_COMMAND_FAILED, shown, f"it exited with status {result.status}")


def report_impostors(ctx: MethodContext, impostors: list[Impostor]) -> None:
    """Processes that claim to be the instance's and are not: logged, never signalled."""
    for impostor in impostors:
        ctx.log.emit(messages.NOT_THE_INSTANCE, impostor.pid, impostor.user,
                     impostor.executable, impostor.claimed)


def _report_holders(ctx: MethodContext, instance: Optional[MessagingInstance]) -> None:
    if instance is None:
        return
    for holder in instance.holders():
        ctx.log.emit(messages.STORAGE_HELD, holder.pid, holder.name, holder.user, holder.path)
