"""ims_probe: the fault monitor of one SUNW.ims resource.

Three loops in one:
- every half second, is the watcher (pid and start time) still alive? Between two looks
  the monitor waits on the watcher's end itself (a pidfd, where the kernel has one), so a
  dead watcher is noticed at once, elsewhere within half a second; not at the next probe.
  If Messaging Server processes are left, the watcher crashed: a complete failure, so a
  restart. If nothing is left, Messaging Server shut itself down, which in HA mode is its
  request to fail over.
- every Thorough_probe_interval, every enabled service gets a real protocol exchange, all at
  once, each bounded by Probe_timeout (`messaging.probes`). The watcher is still checked every
  half second while the probes are in flight, so a slow cycle does not delay that.
- every Cheap_probe_interval, a cheap look at what the kernel says each process of the
  instance is doing (`messaging.liveness`): one stopped in every look for HANG_AFTER seconds
  is hung, a complete failure, decided in a second or two and never by load (a slow server
  is never stopped). The looks go on while the probes are in flight, so a hung server is
  acted on without waiting for its probe's Probe_timeout. A hung watcher is ended first when
  the resource is restarted or given over (stop-msg would wait on it), and the restart
  follows as for a dead one. The same look lists the local store channel's queue: mail
  arriving and none leaving for a few seconds is stuck delivery, a complete failure
  (`messaging.delivery`); and asks how full the store's file system is: a full one is
  DEGRADED in words and never restarted, since it moves with the group.

A failed probe while the watcher lives and local.autorestart is on is given a short grace:
the watcher restarts crashed services itself, and a restart of the whole resource on top of
it would only lengthen the outage. A hung service gets no grace: it has already used its
Probe_timeout.

The decision is `failure_history.decide` (scds_fm_action): restart through the RGM
(scha_control RESOURCE_RESTART, which counts the restart and replaces this process), give
the group over when the restarts within Retry_interval reach Retry_count, restart when a
giveover is refused, and nothing but a report under Failover_mode LOG_ONLY. Status and
Status_msg always say what is wrong in words, and return to OK when it is healed; info lines
appear only when something changes, per-cycle detail is debug.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from scims import trust
from scims.cluster import commands
from scims.cluster.protocols import RestartRequests
from scims.cluster.scha_errors import SchaError
from scims.errors import AgentError, FrameworkError
from scims.failure_history import (
    COMPLETE_FAILURE,
    IMMEDIATE_FAILOVER,
    Action,
    Decision,
    FailureHistory,
    RefusalFacts,
    after_rejected_giveover,
    decide,
    explain_refusal,
)
from scims.log import messages
from scims.messaging import installation
from scims.messaging.delivery import DeliveryWatch, StoreSpace, store_space
from scims.messaging.liveness import Hang, LivenessWatch, end_hung
from scims.messaging.probes import ProbeResult, Target, describe, probe, service_targets
from scims.messaging.processes import MessagingInstance, ProcessIdentity, await_exit
from scims.method_runtime import MethodContext

WATCH_INTERVAL = 0.5
"""How often the watcher's life is checked (seconds)."""
GRACE_LIMIT = 10.0
"""The longest the watcher is given to restore a service it restarts itself (seconds)."""
GRACE_POLL = 1.0
WATCHER_START_GRACE = 2.0
"""How long a watcher may be missing right after the monitor starts (seconds)."""
RECHECK_AFTER = 2.0
"""Seconds after the watcher was left to restart a hung server before the services are
probed again (instead of at the next Thorough_probe_interval), for the status to return."""
DEFAULT_CHEAP_PROBE_INTERVAL = 1
"""Cheap_probe_interval of a resource registered before the RTR declared it (seconds)."""

Probe = Callable[[Target, float], ProbeResult]


def ask_refusal_facts(group: str) -> RefusalFacts:
    """What the cluster's documented queries say of the other nodes, once it refused a
    request (scha_control says only SCHA_ERR_CHECKS): the Nodelist, which of its nodes are
    not members, Pingpong_interval. What cannot be read stays unknown."""
    def ask(query: Callable[[], Any], otherwise: Any) -> Any:
        try:
            return query()
        except FrameworkError:
            return otherwise

    here = ask(lambda: commands.cluster_get("Nodename_local").as_str(), "")
    nodelist = tuple(ask(lambda: commands.resourcegroup_get("Nodelist", group).as_list(), []))
    down = tuple(n for n in nodelist if n != here and ask(
        lambda n=n: commands.cluster_get("NODESTATE_NODE", n).as_str().upper(), "UP") != "UP")
    pingpong = ask(lambda: commands.resourcegroup_get("Pingpong_interval", group).as_int(),
                   None)
    return RefusalFacts(group, here or "this node", nodelist, down, pingpong)


class RestartLedger:
    """The restarts this resource's fault monitors asked for (wall-clock times), kept where
    only root writes (trust.RuntimeRecord) because each restart replaces the monitor process.

    It is what the Retry_count rule falls back on when the RGM cannot say how often it
    restarted the resource: an unknown count is not zero, or every restart would be
    "restart 1" and the group would never fail over.
    """

    def __init__(self, record: Optional[trust.RuntimeRecord] = None) -> None:
        self.record = record
        self._memory: list[float] = []

    def _load(self) -> list[float]:
        if self.record is None:
            return list(self._memory)
        text = self.record.read() or ""
        times: list[float] = []
        for word in text.split():
            try:
                times.append(float(word))
            except ValueError:
                continue
        return times

    def note(self, now: float, window: float) -> None:
        times = [t for t in self._load() if now - t < window] + [now]
        self._memory = times
        if self.record is not None:
            self.record.write("".join(f"{t:.3f}\n" for t in times))

    def within(self, now: float, window: float) -> int:
        return sum(1 for t in self._load() if 0 <= now - t < window)


@dataclass
class Settings:
    thorough_probe_interval: int
    probe_timeout: int
    retry_count: int
    retry_interval: int
    failover_mode: str
    failover_enabled: bool = True
    cheap_probe_interval: int = DEFAULT_CHEAP_PROBE_INTERVAL
    """Seconds between two cheap looks at the processes (`messaging.liveness`)."""

    @classmethod
    def read(cls, ctx: MethodContext) -> Settings:
        try:
            cheap = ctx.props.get_int("Cheap_probe_interval")
        except (FrameworkError, AgentError):  # a resource of an older RTR: not declared
            cheap = DEFAULT_CHEAP_PROBE_INTERVAL
        return cls(
            thorough_probe_interval=ctx.props.get_int("Thorough_probe_interval"),
            probe_timeout=ctx.props.get_int("Probe_timeout"),
            retry_count=ctx.props.get_int("Retry_count"),
            retry_interval=ctx.props.get_int("Retry_interval"),
            failover_mode=ctx.props.get_str("Failover_mode"),
            failover_enabled=ctx.props.get_bool("Failover_enabled"),
            cheap_probe_interval=max(1, cheap),
        )


class ProbeRound:
    """Every target probed at once, each on a thread of its own, while the caller watches the
    watcher between waits. Plain daemon threads (not concurrent.futures, which would import
    logging into the monitor, and whose workers the interpreter waits for at exit): a probe
    left behind when the watcher's death is acted on ends within Probe_timeout by itself."""

    def __init__(self, probe_one: Probe, targets: list[Target], timeout: float) -> None:
        self._probe_one = probe_one
        self._timeout = timeout
        self._settled = threading.Condition()
        self._results: list[Optional[ProbeResult]] = [None] * len(targets)
        self._left = len(targets)
        self._error: Optional[BaseException] = None
        for index, target in enumerate(targets):
            threading.Thread(target=self._run, args=(index, target), daemon=True,
                             name=f"probe-{index}").start()

    def _run(self, index: int, target: Target) -> None:
        result: Optional[ProbeResult] = None
        error: Optional[BaseException] = None
        try:
            result = self._probe_one(target, self._timeout)
        except BaseException as exc:  # a bug in a probe: results() raises it in the caller
            error = exc
        with self._settled:
            self._results[index] = result
            if error is not None and self._error is None:
                self._error = error
            self._left -= 1
            self._settled.notify_all()

    def _over(self) -> bool:
        return self._left == 0 or self._error is not None

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds`; True once every probe has answered, or one has failed."""
        with self._settled:
            return self._settled.wait_for(self._over, timeout=seconds)

    def results(self) -> list[ProbeResult]:
        """The results in the targets' order; the first failure of a probe raised instead."""
        with self._settled:
            if self._error is not None:
                raise self._error
            return [r for r in self._results if r is not None]


class FaultMonitor:
    """The monitor of one resource. Its effects come in from outside (the cluster commands,
    the probe, the clock) so that every decision can be followed without a cluster;
    `for_resource` wires it to the real ones."""

    def __init__(self, ctx: MethodContext, settings: Settings, instance: MessagingInstance,
                 targets: list[Target], *, server_root: str, watch_watcher: bool,
                 autorestart: bool, cluster: RestartRequests = commands, probe_one: Probe = probe,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 watch_interval: float = WATCH_INTERVAL,
                 wall_clock: Callable[[], float] = time.time,
                 ledger: Optional[RestartLedger] = None,
                 await_exit: Optional[Callable[[ProcessIdentity, float], None]] = None,
                 liveness: Optional[LivenessWatch] = None,
                 refusal_facts: Callable[[str], RefusalFacts] = ask_refusal_facts,
                 delivery: Optional[DeliveryWatch] = None,
                 store: Optional[Callable[[], Optional[StoreSpace]]] = None,
                 end: Callable[[Hang], bool] = end_hung,
                 local_repair: bool = True,
                 autorestart_timeout: float = 600.0
                 ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.instance = instance
        self.targets = targets
        self.server_root = server_root
        self.watch_watcher = watch_watcher
        self.autorestart = autorestart
        self.cluster = cluster
        self.probe_one = probe_one
        self.clock = clock
        self.sleep = sleep
        self.watch_interval = watch_interval
        self.wall_clock = wall_clock
        self.ledger = ledger if ledger is not None else RestartLedger()
        self.await_exit = await_exit
        """Waits for the watcher to end, up to a time (messaging_processes.await_exit);
        None: the monitor sleeps between its looks instead."""
        self.history = FailureHistory(settings.retry_interval)
        self.watcher: Optional[ProcessIdentity] = None
        self.watcher_handled = False
        self.watcher_missing_since: Optional[float] = None
        self.status: Optional[tuple[str, str]] = None
        self.reported_failures: set[str] = set()
        self.reported_slow: set[Target] = set()
        self.liveness = liveness if liveness is not None else LivenessWatch()
        self.refusal_facts = refusal_facts
        self.delivery = delivery
        """The queue of the local store channel, looked at with the processes; None: not."""
        self.store = store
        self.store_problem: Optional[str] = None
        """A full message store, in words: DEGRADED while it lasts, never a restart."""
        self.end = end
        self.local_repair = local_repair
        """A hung server under a living watcher is ended for the watcher to restart (counted
        with RESOURCE_IS_RESTARTED) instead of a restart of the resource; False under an
        engine that restarts the resource itself on the monitor's word (Pacemaker)."""
        self.recheck_at: Optional[float] = None
        self.autorestart_timeout = autorestart_timeout
        """local.autorestart.timeout: a server that fails twice within it makes the watcher
        give up and, in HA mode, shut Messaging Server down."""
        self.left_to_watcher: dict[str, float] = {}
        """When each server was last ended for the watcher to restart (monotonic)."""
        self.next_look = 0.0
        self.hangs_acted: set[tuple[int, float]] = set()
        """The hung processes (pid, start time) already acted on: once each."""

    @classmethod
    def for_resource(cls, ctx: MethodContext, **effects: Any) -> FaultMonitor:
        """The monitor of the resource `ctx` names, from its properties and installation."""
        settings = Settings.read(ctx)
        inst = installation.inspect(ctx.server_root_value(), ctx.log)
        effects.setdefault("ledger", RestartLedger(
            trust.RuntimeRecord(ctx.group, ctx.resource, "restarts")))
        if "sleep" not in effects:  # real time: woken by the watcher's death itself
            effects.setdefault("await_exit", await_exit)
        effects.setdefault("delivery", DeliveryWatch(inst.config_dir))
        effects.setdefault("store", lambda: store_space(inst.config_dir))
        return cls(ctx, settings,
                   MessagingInstance(inst.path, inst.config_dir, inst.user.uid),
                   service_targets(inst.config, ctx.logical_addresses()),
                   server_root=inst.server_root,
                   watch_watcher=bool(inst.config.ha.watcher_enabled.value),
                   autorestart=bool(inst.config.ha.autorestart.value),
                   autorestart_timeout=float(inst.config.ha.autorestart_timeout.value),
                   **effects)

    # --- the loop -------------------------------------------------------------------------
    def run(self) -> int:
        self.ctx.log.emit(messages.MONITOR_WATCHING, self.server_root, describe(self.targets))
        next_cycle = self.clock()  # the first cycle at once: it reports OK after a restart
        while True:
            self._watch()
            if self.clock() >= next_cycle or (
                    self.recheck_at is not None and self.clock() >= self.recheck_at):
                self.recheck_at = None
                self.probe_cycle()
                next_cycle = self.clock() + self.settings.thorough_probe_interval
            self._pause(self.watch_interval)

    def _pause(self, seconds: float) -> None:
        """Until the next look: `seconds`, or less when the watched watcher dies meanwhile."""
        if self.await_exit is not None and self.watcher is not None:
            self.await_exit(self.watcher, seconds)
        else:
            self.sleep(seconds)

    def check_once(self, thorough: bool = True) -> None:
        """One watcher check, the cheap looks of one HANG_AFTER span and, when `thorough`,
        one probe cycle, for a cluster engine that runs the monitor as a short operation of
        its own (the OCF monitor action) instead of as a daemon: the watcher gets no start-up
        grace, since the operation follows a completed start."""
        if self.watch_watcher:
            self.watcher_missing_since = self.clock() - WATCHER_START_GRACE
            if self._check_watcher():
                return
        began = self.clock()
        if self._look():
            return
        if thorough:
            if self.probe_cycle():
                return
        # A judgement needs looks spanning HANG_AFTER: wait out what the probes did not.
        while self.clock() - began < self.liveness.hang_after + self.watch_interval / 2:
            self._pause(self.watch_interval)
            if self._look():
                return
        if not thorough and self.status is None:
            self._set_status("OK", "Service is online.")

    def _watch(self) -> bool:
        """The watcher's life, and the processes' when a cheap look is due; True if either
        was acted on."""
        if self.watch_watcher and self._check_watcher():
            return True
        if self.clock() >= self.next_look:
            self.next_look = self.clock() + self.settings.cheap_probe_interval
            return self._look()
        return False

    def _look(self) -> bool:
        """One cheap look at every process of the instance, the store's space and the queue;
        True if a hang or stuck delivery was acted on."""
        hangs = [h for h in self.liveness.look(self.instance.processes(), self.clock())
                 if (h.pid, h.create_time) not in self.hangs_acted]
        if not hangs:
            return self._look_at_mail()
        for hang in hangs:
            self.hangs_acted.add((hang.pid, hang.create_time))
            self.ctx.log.emit(messages.PROCESS_HUNG, hang.describe())
        self._act_on(COMPLETE_FAILURE, "; ".join(h.describe() for h in hangs), hangs=hangs)
        return True

    def _check_watcher(self) -> bool:
        """Act once when the watcher dies (or is missing after start-up), not every half
        second after: further failures are the probe cycles' business. True if it acted."""
        dead: Optional[ProcessIdentity] = None
        if self.watcher is not None:
            if self.watcher.is_alive():
                return False
            dead, self.watcher = self.watcher, None
        else:
            found = self.instance.watcher()
            if found is not None:
                self.watcher, self.watcher_handled, self.watcher_missing_since = found, False, None
                return False
            if self.watcher_handled:
                return False
            if self.watcher_missing_since is None:
                self.watcher_missing_since = self.clock()
                return False
            if self.clock() - self.watcher_missing_since < WATCHER_START_GRACE:
                return False
        self.watcher_handled = True
        left = [p for p in self.instance.processes() if dead is None or p.pid != dead.pid]
        if left:
            if dead is not None:
                self.ctx.log.emit(messages.WATCHER_DIED, dead.pid, len(left))
                detail = (f"Messaging Server watcher (pid {dead.pid}) died; "
                          f"{len(left)} Messaging Server processes still run")
            else:
                self.ctx.log.emit(messages.WATCHER_NOT_RUNNING, len(left))
                detail = "the Messaging Server watcher is not running"
            self._act_on(COMPLETE_FAILURE, detail)
        else:
            self.ctx.log.emit(messages.SERVER_GAVE_UP)
            self._act_on(IMMEDIATE_FAILOVER, "Messaging Server shut itself down: its watcher "
                         "gave up restarting a failing service")
        return True

    def _look_at_mail(self) -> bool:
        """A full store is said (DEGRADED, once in the log) and never acted on; mail that
        stopped moving while there is room is a complete failure."""
        space = self.store() if self.store is not None else None
        if space is not None and space.full:
            problem = space.describe()
            if self.store_problem is None:
                self.ctx.log.emit(messages.STORE_FULL, problem)
            self.store_problem = problem
            self._set_status("DEGRADED", problem)
            if self.delivery is not None:
                self.delivery.forget()  # nothing can be delivered: not the job controller's
            return False
        if self.store_problem is not None:
            self.store_problem = None
            self.ctx.log.emit(messages.STORE_SPACE_AGAIN)
            self._set_status("OK", "Service is online.")
        stuck = self.delivery.look(self.clock()) if self.delivery is not None else None
        if stuck is None:
            return False
        assert self.delivery is not None
        self.delivery.forget()
        self.ctx.log.emit(messages.DELIVERY_STUCK, stuck.describe())
        self._act_on(COMPLETE_FAILURE, stuck.describe())
        return True

    def probe_cycle(self) -> bool:
        """One round of probes, and what follows from it; True if the watcher's death or a
        hang seen meanwhile was acted on instead."""
        results = self._probe_watching()
        if results is None:
            return True  # the watcher died or a process hung meanwhile: that decided
        results = self._with_grace(results)
        if self._watch():
            return True
        self.ctx.log.emit(messages.PROBE_CYCLE, "; ".join(
            f"{r.target.service} {'ok' if r.ok else 'score ' + str(r.score)} "
            f"{r.elapsed:.2f}s" for r in results) or "no network service")
        failing = [r for r in results if not r.ok]
        if self.store_problem is not None:
            # Wrong answers while the store is full (no space to take mail) are its doing:
            # reported, never scored; a refusal or a hang still is.
            failing = [r for r in failing if r.score >= COMPLETE_FAILURE]
        for result in failing:
            if result.detail not in self.reported_failures:
                self.reported_failures.add(result.detail)
                self.ctx.log.emit(messages.SERVICE_FAILED, result.detail)
        score = max((r.score for r in failing), default=0)
        detail = "; ".join(r.detail for r in failing)
        if not failing:
            slow = [r for r in results if r.slow]
            for result in slow:  # once per slow spell of a service, not every cycle
                if result.target not in self.reported_slow:
                    self.ctx.log.emit(messages.SERVICE_SLOW, result.detail)
            self.reported_slow = {r.target for r in slow}
            detail = "; ".join(r.detail for r in slow)
        self._act_on(score, detail, slow=bool(detail) and not failing)
        return False

    def _probe_watching(self) -> Optional[list[ProbeResult]]:
        """Probe every target at once, checking the watcher meanwhile; None when its death
        was acted on before the probes finished (they are then left to time out alone)."""
        if not self.targets:
            return []
        probes = ProbeRound(self.probe_one, self.targets, self.settings.probe_timeout)
        while not probes.wait(self.watch_interval):
            if self._watch():
                return None  # never wait for the probes: each ends within Probe_timeout
        return probes.results()

    def _with_grace(self, results: list[ProbeResult]) -> list[ProbeResult]:
        """Give the watcher a moment to restore the services it is restarting itself, or to
        finish shutting Messaging Server down when it gives up in HA mode (a failover, not a
        restart): one grace for every service that failed in this cycle, not one per service
        in turn (seven refusing services would otherwise wait seven graces). It lasts until
        the next cycle would be due, at most GRACE_LIMIT: hangs are not graced, so
        Probe_timeout, which an administrator lowers to see hangs sooner, does not shorten
        the watcher's moment."""
        if not (self.watch_watcher and self.autorestart):
            return results
        graced = {i for i, r in enumerate(results) if not r.ok
                  and not r.timed_out}
        if not graced:
            return results
        results = list(results)
        deadline = self.clock() + min(GRACE_LIMIT, self.settings.thorough_probe_interval)
        while graced and self.clock() < deadline:
            if self.watcher is not None and not self.watcher.is_alive():
                return results  # the watcher is gone: _check_watcher decides
            self.sleep(GRACE_POLL)
            for i in sorted(graced):
                left = deadline - self.clock()
                if left <= 0:
                    break
                again = self.probe_one(results[i].target,
                                       min(float(self.settings.probe_timeout), max(0.5, left)))
                if again.ok:
                    results[i] = again
                    graced.discard(i)
        return results

    # --- deciding and acting ----------------------------------------------------------------
    def _restarts(self) -> int:
        try:
            return self.cluster.resource_get("Num_resource_restarts", self.ctx.resource,
                                             self.ctx.group).as_int()
        except FrameworkError as exc:
            own = self.ledger.within(self.wall_clock(), self.settings.retry_interval)
            self.ctx.log.emit(messages.RESTART_COUNT_UNKNOWN, exc.detail or exc.name, own)
            return own

    def _act_on(self, score: int, detail: str, slow: bool = False,
                hangs: Optional[list[Hang]] = None) -> None:
        failure_sum = self.history.record(self.clock(), score)
        restarts = self._restarts() if score > 0 and (
            failure_sum >= COMPLETE_FAILURE or score == IMMEDIATE_FAILOVER) else 0
        decision = decide(score, failure_sum, restarts, self.settings.retry_count,
                          self.settings.failover_mode,
                          failover_enabled=self.settings.failover_enabled)
        self._carry_out(decision, detail, slow, hangs or [])

    def _is_watcher(self, hang: Hang) -> bool:
        return self.watcher is not None and hang.pid == self.watcher.pid

    def _carry_out(self, decision: Decision, detail: str, slow: bool,
                   hangs: list[Hang]) -> None:
        """`hangs`: the hung processes behind the decision. A restart of hung servers while
        the watcher lives and restarts services is the watcher's: the servers are ended and
        the RGM told the resource was restarted (Retry_count counts it as any restart). A
        hung watcher would hold up a restart or a giveover (stop-msg asks it to stop the
        servers and would wait on it): it is ended before either is asked for. Nothing is
        ended when the decision is to do nothing."""
        action = decision.action
        hung_watcher = [h for h in hangs if self._is_watcher(h)]
        again = self._hung_again(hangs)
        if action is Action.RESTART and hangs and not hung_watcher and self._watcher_repairs():
            if again is None:
                self._leave_to_watcher(decision, detail, hangs)
                return
            decision = Decision(decision.action, decision.failure_sum,
                                f"{decision.why}; {again}")
        if action in (Action.RESTART, Action.GIVEOVER):
            for hang in hung_watcher:
                self.ctx.log.emit(messages.ENDING_HUNG, hang.name, hang.pid)
                self.end(hang)
                self.watcher, self.watcher_handled = None, True
        if action is Action.HEALTHY:
            if self.store_problem is not None:
                self._set_status("DEGRADED", self.store_problem)
                return
            if slow:
                self._set_status("DEGRADED", detail)
                return
            if self.status is not None and self.status[0] != "OK":
                self.ctx.log.emit(messages.SERVICES_HEALTHY, describe(self.targets))
            self.reported_failures.clear()
            self._set_status("OK", "Service is online.")
            return
        if action is Action.DEGRADED:
            self._set_status("DEGRADED", detail or decision.why)
            return
        if action in (Action.REPORT_ONLY, Action.EXHAUSTED):
            if self.status != ("FAULTED", detail):
                self.ctx.log.emit(messages.NO_ACTION_TAKEN, decision.why)
            self._set_status("FAULTED", detail)
            return
        if action is Action.GIVEOVER:
            self.ctx.log.emit(messages.GIVING_OVER, self.ctx.group, f"{decision.why}: {detail}")
            self._set_status("FAULTED", f"{detail}; failing over")
            verdict = self.cluster.control("GIVEOVER", self.ctx.group, self.ctx.resource)
            if verdict is SchaError.NOERR:
                return
            why = explain_refusal("the failover", verdict, self.refusal_facts(self.ctx.group))
            self.ctx.log.emit(messages.CONTROL_REJECTED, "the failover", why)
            decision = after_rejected_giveover(decision, why)
            if hangs and not hung_watcher and self._watcher_repairs() and again is None:
                self._leave_to_watcher(decision, detail, hangs)  # the quickest restart here
                return
            self._restart(decision, detail, f"the failover was refused ({why}); ")
            return
        self._restart(decision, detail)

    def _watcher_repairs(self) -> bool:
        """The watcher lives and restarts failed services (local.autorestart)."""
        return (self.local_repair and self.watch_watcher and self.autorestart
                and self.watcher is not None and self.watcher.is_alive())

    def _hung_again(self, hangs: list[Hang]) -> Optional[str]:
        """Why the watcher must not be left a hung server (None: it may): it restarted that
        server within local.autorestart.timeout, so a second failure would make it give up
        and shut Messaging Server down; the resource is restarted instead, counted as ever."""
        now = self.clock()
        for hang in hangs:
            when = self.left_to_watcher.get(hang.name)
            if when is not None and now - when < self.autorestart_timeout:
                return (f"the watcher restarted {hang.name} {now - when:.0f} s ago, within "
                        f"local.autorestart.timeout ({self.autorestart_timeout:.0f} s), and "
                        "would give up on it now")
        return None

    def _leave_to_watcher(self, decision: Decision, detail: str, hangs: list[Hang]) -> None:
        """End each hung server: to the watcher it is a crash, restarted at once (a killed
        dispatcher answers again 0.2 s later) instead of the whole resource's stop and
        start. scha_control RESOURCE_IS_RESTARTED counts it, as scha_control(1HA) provides
        for a monitor that restarts the service itself: Retry_count and Retry_interval hold
        as for any restart, and a server that hangs again soon makes the watcher give up
        (local.autorestart.timeout) and ask for the failover."""
        for hang in hangs:
            self.ctx.log.emit(messages.ENDING_HUNG_FOR_WATCHER, hang.name, hang.pid,
                              decision.why)
            self.end(hang)
            self.left_to_watcher[hang.name] = self.clock()
        self._set_status("DEGRADED", f"{detail}; the watcher is restarting it")
        self.ledger.note(self.wall_clock(), self.settings.retry_interval)
        verdict = self.cluster.control("RESOURCE_IS_RESTARTED", self.ctx.group,
                                       self.ctx.resource)
        if verdict is not SchaError.NOERR:
            why = explain_refusal("the count of the restart", verdict,
                                  self.refusal_facts(self.ctx.group))
            self.ctx.log.emit(messages.CONTROL_REJECTED, "the count of the restart", why)
        self.history.clear()
        self.recheck_at = self.clock() + RECHECK_AFTER

    def _restart(self, decision: Decision, detail: str, refused: str = "") -> None:
        """`refused`: why the failover that was tried first was not made, for Status_msg."""
        self.ctx.log.emit(messages.RESTARTING, f"{decision.why}: {detail}")
        self._set_status("DEGRADED", f"{detail}; {refused}restarting Messaging Server")
        self.ledger.note(self.wall_clock(), self.settings.retry_interval)
        verdict = self.cluster.control("RESOURCE_RESTART", self.ctx.group, self.ctx.resource)
        if verdict is SchaError.NOERR:
            # The RGM replaced this monitor; if it still runs, start afresh.
            self.history.clear()
            return
        why = explain_refusal("the restart", verdict, self.refusal_facts(self.ctx.group))
        self.ctx.log.emit(messages.CONTROL_REJECTED, "the restart", why)
        self._set_status("FAULTED", f"{detail}; the cluster refused to restart it: {why}")

    def _set_status(self, status: str, message: str) -> None:
        if self.status == (status, message):
            return
        self.status = (status, message)
        self.ctx.set_status(status, message)


def run_probe(ctx: MethodContext) -> int:
    try:
        with commands.remembered_answers():  # its start-up only: the loop asks afresh
            monitor = FaultMonitor.for_resource(ctx)
    except AgentError as exc:
        # Without a readable installation there is nothing to watch; PMF restarts the
        # monitor (Monitor_retry_count), and the log says why each time.
        ctx.set_status("FAULTED", str(exc))
        raise
    return monitor.run()
