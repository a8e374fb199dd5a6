"""The OCF front door: SUNW.ims's agent as the resource agent `ocf:sunw:ims` for Pacemaker.

The same library as the SUNW.ims methods, called through the same entry points: Validate's
checks of the installation (`installation.inspect`, where the trust rules live), Start
(`service_control.start`: start-msg ha, waiting until every enabled service answers), the
complete Stop (`service_control.stop`), the fault monitor's watcher check and probe cycle
(`fault_monitor.FaultMonitor`). What differs is only what the RGM provided:

* properties come from `OCF_RESKEY_<name>` (the RTR's extension properties in lower case,
  `scims.ocf_metadata`), the rest from the RTR's defaults and the operation's own
  `OCF_RESKEY_CRM_meta_timeout` / `_interval`;
* there is no process monitor facility: `UnsupervisedTree` starts start-msg ha detached
  and knows Messaging Server's processes by the library's own identification;
* hatimerun becomes a child in its own process group, killed with it when time is up;
* scha_control becomes the monitor's exit code (`Verdict`).

Failure semantics (ocf_sunw_ims(7) says the same to administrators): Pacemaker owns
restart-versus-move (migration-threshold, failure-timeout). A failed or hung service, or a
watcher that died while services run, is OCF_ERR_GENERIC: a soft failure, which Pacemaker
recovers by a restart in place until the fail count reaches migration-threshold. The
watcher giving up in HA mode (nothing of Messaging Server left while it should run) is
OCF_ERR_ARGS: a hard failure, which bans the resource from this node at once, so Pacemaker
moves it. A partial failure (a wrong reply) or a slow reply is OCF_DEGRADED. The monitor
ends within its operation's timeout whatever hangs.

Logging follows the OCF conventions: syslog (facility HA_LOGFACILITY, default daemon) with
the tag `ims(<resource>)[<pid>]`, catalogue lines with their IDs, debug lines when HA_debug
is set (or the SUNW.ims loglevel file asks), and an `ocf-exit-reason:` line on stderr for
every failure, which Pacemaker shows in crm_mon.
"""

from __future__ import annotations

import enum
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Any, Optional

from scims import RESOURCE_TYPE, fault_monitor, ocf_metadata, service_control, trust, validation
from scims.cluster.commands import TimedRun
from scims.cluster.invocation import Invocation, Scope
from scims.cluster.protocols import Count, ProcessMonitor
from scims.cluster.rtr import PropertyValueError, ResourceType, UnknownPropertyError, parse_file
from scims.cluster.scha_errors import SchaError
from scims.errors import AgentError, CheckFailed, ConfigError
from scims.log import messages
from scims.log.syslog import FACILITIES, AgentLog, LogRecord, Transport, default_transport
from scims.messaging import installation
from scims.messaging.processes import MessagingInstance
from scims.method_runtime import MethodContext


class Ocf(enum.IntEnum):
    """OCF exit codes (resource-agent-api 1.1, "Exit Status Codes")."""

    SUCCESS = 0
    ERR_GENERIC = 1
    ERR_ARGS = 2
    ERR_UNIMPLEMENTED = 3
    ERR_PERM = 4
    ERR_INSTALLED = 5
    ERR_CONFIGURED = 6
    NOT_RUNNING = 7
    DEGRADED = 190


HARD_FAILURE = Ocf.ERR_ARGS
"""What the monitor returns when Messaging Server asked to fail over: a hard error bans the
resource from this node (pacemaker: "Preventing ... from restarting ... because of hard
failure"), so it moves at once, whatever migration-threshold says."""

CLEAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
STATE_DIRECTORY = "/run/resource-agents"
"""HA_RSCTMP of resource-agents: a root-only tmpfs directory, emptied at boot."""
REASON_PREFIX = "ocf-exit-reason:"
TIMED_OUT = 99
"""The status a timed-out program gets, as under hatimerun."""
ALARM_MARGIN = 2.0
"""Seconds before the operation's timeout at which the monitor stops waiting and reports."""
MILLISECONDS = 1000.0
RGM_ACTION_WORDS = ("; restarting Messaging Server", "; failing over")
DEFAULT_PROBE_TIMEOUT = 30


def _env_bool(value: Optional[str]) -> bool:
    return (value or "").strip().lower() in ("1", "yes", "true", "on", "y")


# --- the operation ----------------------------------------------------------------------------


class Operation:
    """What Pacemaker asks: the action, the resource, its parameters and the operation's
    timing, read once from the environment (Pacemaker exports no __OCF_ACTION: the action is
    argv[1] alone)."""

    def __init__(self, action: str, env: Mapping[str, str]) -> None:
        self.action = action
        self.env = env
        self.instance = env.get("OCF_RESOURCE_INSTANCE", "") or "ims"
        self.timeout = self._seconds("OCF_RESKEY_CRM_meta_timeout")
        self.interval = self._seconds("OCF_RESKEY_CRM_meta_interval")

    def _seconds(self, name: str) -> Optional[float]:
        text = self.env.get(name, "").strip()
        if not text.isdigit():
            return None
        return int(text) / MILLISECONDS

    @property
    def is_probe(self) -> bool:
        """A one-time monitor that asks for the state (interval 0), not a check of health."""
        return self.action == "monitor" and not self.interval

    @property
    def thorough(self) -> bool:
        """OCF_CHECK_LEVEL 10 or more: the thorough monitor (every service's protocol, as
        Sun's Thorough_probe_interval); 0, the default, is the quick one (the watcher and
        the kernel's word on every process, as Sun's Cheap_probe_interval): a hung or dead
        process either way, a refusing or wrongly answering service only when thorough."""
        text = self.env.get("OCF_CHECK_LEVEL", "").strip()
        return text.isdigit() and int(text) >= ocf_metadata.THOROUGH_DEPTH

    def monitor_budget(self) -> float:
        """The seconds this monitor operation may take (its timeout, else the advertised)."""
        return self.timeout or float(ocf_metadata.monitor_timeout(DEFAULT_PROBE_TIMEOUT))

    def parameter(self, name: str) -> Optional[str]:
        return self.env.get(f"OCF_RESKEY_{name}")


# --- properties ------------------------------------------------------------------------------


class OcfProperties:
    """The properties a library function asks for (as PropertyView answers them), from the
    operation's environment and the RTR's defaults."""

    def __init__(self, operation: Operation, rt: ResourceType, parameter_names: set[str]
                 ) -> None:
        self.operation = operation
        self.rt = rt
        self.parameter_names = parameter_names

    def refresh(self) -> None:
        """Nothing is cached: the environment does not change within an operation."""
    def _value(self, name: str) -> Any:
        key = name.lower()
        op = self.operation
        if key in ("start_timeout", "stop_timeout", "validate_timeout") and op.timeout:
            return max(1, int(op.timeout))
        if key == "thorough_probe_interval" and op.interval:
            return max(1, int(op.interval))
        if key == "network_resources_used":
            return []
        try:
            prop = self.rt.resource_property(name)
        except UnknownPropertyError:
            raise ConfigError(messages.PROPERTY_VALUE_INVALID, name, "",
                              "a property of SUNW.ims") from None
        given = op.parameter(key) if key in self.parameter_names else None
        value = prop.default
        if given:  # an empty parameter is an unset one, as in crm_resource --set-parameter
            try:
                value = self.rt.check_value(prop.name, given)
            except PropertyValueError as exc:
                problem = str(exc).split(": ", 1)[-1]
                raise ConfigError(messages.PROPERTY_VALUE_INVALID, f"OCF_RESKEY_{key}", given,
                                  f"valid ({problem})") from None
        if key == "probe_timeout" and op.action == "monitor" and isinstance(value, int):

            value = ocf_metadata.probe_budget(value, op.monitor_budget())
        return value

    def get_str(self, name: str, scope: Scope = Scope.RESOURCE) -> str:
        value = self._value(name)
        if isinstance(value, list):
            return ",".join(value)
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        return "" if value is None else str(value)

    def get_int(self, name: str, scope: Scope = Scope.RESOURCE) -> int:
        value = self._value(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(messages.PROPERTY_VALUE_INVALID, name, str(value), "an integer")
        return value

    def get_bool(self, name: str, scope: Scope = Scope.RESOURCE) -> bool:
        return bool(self._value(name))

    def get_list(self, name: str, scope: Scope = Scope.RESOURCE) -> list[str]:
        value = self._value(name)
        if isinstance(value, list):
            return list(value)
        return [value] if value else []


# --- processes without PMF -------------------------------------------------------------------


def _clean_environment() -> dict[str, str]:
    """What start-msg and stop-msg get: as little as PMF passes on (cwd /, a PATH)."""
    return {"PATH": CLEAN_PATH, "LANG": "C"}


class UnsupervisedTree:
    """PMF's part where there is no PMF: start a program detached, tell whether Messaging
    Server's processes run, kill them. Pacemaker supervises by its monitor operation, so
    nothing here restarts anything; "the tree" is every process the library identifies as
    the installation's (`MessagingInstance`), plus the program this operation started."""

    def __init__(self, ctx: OcfContext) -> None:
        self.ctx = ctx
        self._child: Optional[subprocess.Popen[bytes]] = None

    def _instance(self) -> Optional[MessagingInstance]:
        return self.ctx.instance()

    def start(self, tag: str, argv: Sequence[str], *, retries: int = 0,
              period_minutes: int = -1, child_level: int = -1,
              env: Optional[Mapping[str, str]] = None, action: Optional[str] = None) -> None:
        if not argv or not argv[0].startswith("/"):
            raise ValueError("the program must be named by an absolute path")
        self._child = subprocess.Popen(
            list(argv), cwd="/", env=_clean_environment(), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            close_fds=True)

    def modify(self, tag: str, *, retries: int, period_minutes: int,
               missing_ok: bool = False) -> bool:
        """PMF's restarts have no counterpart: Pacemaker restarts, by its own rules."""
        return False

    def is_running(self, tag: str) -> bool:
        if self._child is not None and self._child.poll() is None:
            return True
        instance = self._instance()
        return bool(instance and instance.processes())

    def stop(self, tag: str, signal_name: Optional[str] = "TERM",
             wait: Optional[float] = None, *, running: Optional[bool] = None,
             ask_first: bool = True) -> bool:
        """`running` (what a pmfadm -q said) and `ask_first` mean nothing here: the kernel
        is asked. True, as Pmf.stop, when nothing of the tree is left to stop."""
        if signal_name is None:
            # "stop monitoring": there is no monitoring to stop; say whether anything runs
            return not self.is_running(tag)
        deadline = time.monotonic() + (wait if wait is not None else 0)
        if self._child is not None and self._child.poll() is None:
            try:
                os.killpg(self._child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._child.wait()
        instance = self._instance()
        if instance is not None:
            instance.kill_all(deadline)
        return False


def run_with_timeout(timeout: int, argv: Sequence[str]) -> TimedRun:
    """hatimerun without the cluster: the program in its own process group, SIGKILLed with
    its group when `timeout` seconds have passed."""
    if int(timeout) < 1:
        raise ValueError("a timed run needs at least one second")
    child = subprocess.Popen(list(argv), cwd="/", env=_clean_environment(),
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True,
                             close_fds=True)
    try:
        return TimedRun(child.wait(timeout=int(timeout)), False)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()
        return TimedRun(TIMED_OUT, True)


# --- logging ---------------------------------------------------------------------------------


class OcfLog(AgentLog):
    """The agent's log with the OCF tag and switches: `ims(<resource>)[<pid>]`, facility
    HA_LOGFACILITY, debug on with HA_debug."""

    def __init__(self, operation: Operation, *, transport: Optional[Transport] = None) -> None:
        facility = (operation.env.get("HA_LOGFACILITY", "") or "daemon").strip().lower()
        if facility not in FACILITIES:
            facility = "daemon"
        super().__init__(RESOURCE_TYPE, "", operation.instance, operation.action,
                         transport=transport, facility=facility)
        self.tag = f"ims({operation.instance})[{os.getpid()}]"
        self._all_debug = _env_bool(operation.env.get("HA_debug"))

    def debug_enabled(self, level: int) -> bool:
        return self._all_debug or super().debug_enabled(level)


class StderrCopy:
    """A transport wrapper that also remembers the last error line, for the exit reason."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.last_error: Optional[str] = None

    def deliver(self, record: LogRecord) -> None:
        if record.priority <= messages.Priority.ERROR:
            self.last_error = record.text
        self.inner.deliver(record)


# --- the context -------------------------------------------------------------------------------


class OcfContext(MethodContext):
    """A method's context for a library function, answered from the OCF operation."""

    def __init__(self, operation: Operation, rt: ResourceType, log: AgentLog,
                 parameter_names: set[str]) -> None:
        inv = Invocation(resource=operation.instance, resource_type=RESOURCE_TYPE,
                         group=operation.instance)
        super().__init__(operation.action, inv, log)
        self.operation = operation
        self.props = OcfProperties(operation, rt, parameter_names)  # type: ignore[assignment]
        self.status_now: Optional[tuple[str, str]] = None

    def process_monitor(self, timeout: Optional[float] = None) -> ProcessMonitor:
        return UnsupervisedTree(self)  # no pmfadm to wait for: the kernel answers at once

    def timed_run(self, timeout: int, argv: Sequence[str]) -> TimedRun:
        return run_with_timeout(timeout, argv)

    def logical_addresses(self) -> list[str]:
        """Pacemaker's IPaddr2 does not tell us its address: a service that listens on all
        interfaces is probed on loopback (configure service.listenaddr, as ha_ip_config
        does, to have the virtual address itself probed)."""
        return []

    def set_status(self, status: str, message: Optional[str]) -> None:
        self.status_now = (status, message or "")

    def instance(self) -> Optional[MessagingInstance]:
        """The installation's processes as far as it can still be known, as Stop knows it
        (stop and probe must work when the configuration is gone) -- with its runtime user:
        its services run as that user, and without it a SIGKILLed watcher left "nothing of
        Messaging Server" to see while every service still answered."""
        return service_control.instance_as_known(self)[1]


class StartedMark:
    """Whether this node's resource should be running: set by a successful start, cleared
    by stop. Without it, "nothing of Messaging Server runs" could not tell a resource that
    was stopped from one whose watcher gave up."""

    def __init__(self, operation: Operation) -> None:
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in operation.instance)
        directory = operation.env.get("HA_RSCTMP", "") or STATE_DIRECTORY
        self.directory = directory
        self.path = os.path.join(directory, f"scims-ims-{safe}.started")

    def _directory_is_safe(self) -> bool:
        try:
            info = os.lstat(self.directory)
        except FileNotFoundError:
            os.makedirs(self.directory, mode=0o755, exist_ok=True)
            info = os.lstat(self.directory)
        return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()
                and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))

    def set(self) -> None:
        if not self._directory_is_safe():
            return
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        os.close(fd)

    def clear(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def is_set(self) -> bool:
        try:
            return stat.S_ISREG(os.lstat(self.path).st_mode) and self._directory_is_safe()
        except OSError:
            return False


# --- the actions -----------------------------------------------------------------------------


class Failure(Exception):
    """An action's outcome other than success, with the reason Pacemaker shows."""

    def __init__(self, code: Ocf, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class MonitorTimedOut(Exception):
    """The monitor operation's time is nearly up."""


class Verdict:
    """The fault monitor's `cluster`: where the RGM would restart the resource or give its
    group over, Pacemaker is told by the monitor's exit code."""

    def __init__(self) -> None:
        self.requested: Optional[str] = None

    def control(self, tag: str, g: str, r: str) -> SchaError:
        self.requested = tag
        return SchaError.NOERR

    def resource_get(self, optag: str, r: str, g: str) -> Count:
        return _Zero()


class _Zero:
    """Num_resource_restarts: Pacemaker counts failures itself (fail-count)."""

    def as_int(self) -> int:
        return 0


def _checked_parameters(ctx: OcfContext) -> None:
    """Every parameter given must be a legal value of its RTR property."""
    assert isinstance(ctx.props, OcfProperties)
    for name in sorted(ctx.props.parameter_names):
        try:
            ctx.props.get_str(name)
        except ConfigError as exc:
            ctx.log.report(exc)
            raise Failure(Ocf.ERR_CONFIGURED, str(exc)) from None


def _checked_installation(ctx: OcfContext) -> Any:
    """Validate's node-local checks, with the OCF code for each kind of refusal."""
    _checked_parameters(ctx)
    try:
        server_root = installation.checked_server_root(ctx.server_root_value())
    except CheckFailed as exc:
        ctx.log.report(exc)
        raise Failure(Ocf.ERR_CONFIGURED, str(exc)) from None
    try:
        return installation.inspect(server_root, ctx.log)
    except ConfigError as exc:
        ctx.log.report(exc)
        raise Failure(Ocf.ERR_CONFIGURED, str(exc)) from None
    except AgentError as exc:  # CheckFailed and the configuration's own errors
        ctx.log.report(exc)
        raise Failure(Ocf.ERR_INSTALLED, str(exc)) from None


def validate_all(ctx: OcfContext) -> Ocf:
    try:
        validation.check_probe_timing(ctx)
    except AgentError as exc:
        ctx.log.report(exc)
        raise Failure(Ocf.ERR_CONFIGURED, str(exc)) from None
    _checked_installation(ctx)
    return Ocf.SUCCESS


def start(ctx: OcfContext, mark: StartedMark) -> Ocf:
    _checked_installation(ctx)
    instance = ctx.instance()
    if instance is not None and instance.processes():
        code = monitor(ctx, mark, already_started=True)
        if code in (Ocf.SUCCESS, Ocf.DEGRADED):
            mark.set()
            return Ocf.SUCCESS  # start is idempotent: already running and answering
        raise Failure(Ocf.ERR_GENERIC, "Messaging Server runs here but does not answer; "
                      "stop it first")
    if service_control.start(ctx) != 0:
        raise Failure(Ocf.ERR_GENERIC, "Messaging Server did not start (see the log)")
    mark.set()
    return Ocf.SUCCESS


def stop(ctx: OcfContext, mark: StartedMark) -> Ocf:
    mark.clear()
    try:
        server_root = ctx.server_root_value()
    except ConfigError as exc:
        # No installation is named, so none can run from it: a stop must not fail (and get
        # the node fenced) over a parameter that a start would have refused.
        ctx.log.report(exc)
        return Ocf.SUCCESS
    if server_root is None:
        ctx.log.emit(messages.STOPPED)
        return Ocf.SUCCESS
    if service_control.stop(ctx) != 0:
        raise Failure(Ocf.ERR_GENERIC, "Messaging Server processes survived the stop")
    return Ocf.SUCCESS


def monitor(ctx: OcfContext, mark: StartedMark, *, already_started: bool = False) -> Ocf:
    probe = ctx.operation.is_probe
    try:
        installation.checked_server_root(ctx.server_root_value())
    except CheckFailed as exc:
        if probe:
            return Ocf.NOT_RUNNING  # nothing can run from an installation that is not named
        ctx.log.report(exc)
        raise Failure(Ocf.ERR_CONFIGURED, str(exc)) from None
    instance = ctx.instance()
    if instance is None or not instance.processes():
        if mark.is_set() and not probe and not already_started:
            ctx.log.emit(messages.SERVER_GAVE_UP)
            raise Failure(HARD_FAILURE, "Messaging Server shut itself down: its watcher gave "
                          "up restarting a failing service (or every process of it died)")
        return Ocf.NOT_RUNNING

    verdict = Verdict()
    budget = ctx.operation.monitor_budget()
    try:
        watcher = fault_monitor.FaultMonitor.for_resource(ctx, cluster=verdict,
                                                          local_repair=False)
    except AgentError as exc:
        ctx.log.report(exc)
        raise Failure(Ocf.ERR_GENERIC, f"Messaging Server runs, but: {exc}") from None
    with _bounded(budget - ALARM_MARGIN):
        try:
            watcher.check_once(thorough=ctx.operation.thorough)
        except MonitorTimedOut:
            raise Failure(Ocf.ERR_GENERIC, f"the monitor did not finish within its "
                          f"{budget:.0f} s timeout: Messaging Server does not answer") from None
    status, detail = ctx.status_now or ("OK", "")
    for suffix in RGM_ACTION_WORDS:  # what the RGM would do next; Pacemaker decides here
        detail = detail.split(suffix)[0]
    if verdict.requested == "GIVEOVER":
        raise Failure(HARD_FAILURE, detail or "Messaging Server asked for a failover")
    if verdict.requested is not None:
        raise Failure(Ocf.ERR_GENERIC, detail or "Messaging Server failed")
    if status == "DEGRADED":
        return Ocf.DEGRADED
    if status == "FAULTED":
        raise Failure(Ocf.ERR_GENERIC, detail or "Messaging Server failed")
    return Ocf.SUCCESS


class _bounded:
    """Raise MonitorTimedOut in the main thread after `seconds` (SIGALRM): probes run in
    threads with their own timeouts, this keeps the whole operation inside Pacemaker's."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(0.5, seconds)
        self._previous: Any = None

    def __enter__(self) -> _bounded:
        def fire(signum: int, frame: Optional[FrameType]) -> None:
            raise MonitorTimedOut()

        self._previous = signal.signal(signal.SIGALRM, fire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._previous)


USAGE = "usage: ims {start|stop|monitor|validate-all|meta-data|usage}"
ACTIONS = ("start", "stop", "monitor", "validate-all", "meta-data", "usage", "methods")


def main(argv: Sequence[str], rtr_path: str, env: Optional[Mapping[str, str]] = None, *,
         transport: Optional[Transport] = None) -> int:
    """Run one OCF action; the exit code for Pacemaker."""

    environment = dict(os.environ if env is None else env)
    if len(argv) != 1:
        sys.stderr.write(USAGE + "\n")
        return Ocf.ERR_ARGS
    action = argv[0]
    if action in ("usage", "help"):
        sys.stdout.write(USAGE + "\n")
        return Ocf.SUCCESS
    if action == "methods":
        sys.stdout.write("\n".join(a for a in ACTIONS if a != "methods") + "\n")
        return Ocf.SUCCESS
    try:
        rt = parse_file(rtr_path)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"{REASON_PREFIX}cannot read {rtr_path}: {exc}\n")
        return Ocf.ERR_INSTALLED
    if action == "meta-data":
        sys.stdout.write(ocf_metadata.metadata_xml(rt))
        return Ocf.SUCCESS
    if action not in ACTIONS:
        sys.stderr.write(USAGE + "\n")
        return Ocf.ERR_UNIMPLEMENTED

    operation = Operation(action, environment)

    errors = StderrCopy(transport if transport is not None else default_transport())
    log = OcfLog(operation, transport=errors)
    names = {p.name for p in ocf_metadata.parameters(rt)}
    ctx = OcfContext(operation, rt, log, names)
    mark = StartedMark(operation)
    trust.use_state_directory(os.path.join(mark.directory, "scims-state"))
    try:
        if action == "validate-all":
            return validate_all(ctx)
        if action == "start":
            return start(ctx, mark)
        if action == "stop":
            return stop(ctx, mark)
        return monitor(ctx, mark)
    except Failure as failure:
        sys.stderr.write(f"{REASON_PREFIX}{failure.reason}\n")
        return failure.code
    except AgentError as exc:
        log.report(exc)
        sys.stderr.write(f"{REASON_PREFIX}{exc}\n")
        return Ocf.ERR_CONFIGURED if isinstance(exc, ConfigError) else Ocf.ERR_GENERIC
    except Exception as exc:  # the last line of defence: one line, never a traceback
        log.emit(messages.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
        sys.stderr.write(f"{REASON_PREFIX}internal error: {type(exc).__name__}: {exc}\n")
        return Ocf.ERR_GENERIC


def run(rtr_path: str) -> None:
    """The launcher's whole job: the action's exit code, at once. A probe thread still
    waiting on a hung service must not keep the process (and Pacemaker) waiting."""
    code = main(sys.argv[1:], rtr_path)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(int(code))
