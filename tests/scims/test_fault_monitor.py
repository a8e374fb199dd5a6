"""The fault monitor's behaviour as an administrator sees it: Status and Status_msg, the log
lines, and the cluster requests it makes, with the cluster, the watcher and the clock faked.

The probes are scripted, except where the wording of Status_msg is checked: there a real
server that accepts and never answers is probed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from helpers_scims import ManualClock, MonitorContext, RecordingTransport, make_node_root, on_node

from scims import fault_monitor
from scims.cluster.commands import Reply
from scims.cluster.scha_errors import SchaError
from scims.failure_history import RefusalFacts
from scims.fault_monitor import FaultMonitor, Settings
from scims.log import messages
from scims.log.syslog import AgentLog
from scims.messaging.delivery import DeliveryWatch, StoreSpace
from scims.messaging.liveness import LivenessWatch
from scims.messaging.probes import ProbeResult, Target, probe

IMAP = Target("imap", "imap", "127.0.1.155", 143)
SMTP = Target("smtp", "smtp", "127.0.1.155", 25)


class FakeCluster:
    """scha_control and scha_resource_get as the monitor calls them."""

    def __init__(self, restarts: int = 0, **verdicts: SchaError) -> None:
        self.restarts = restarts
        self.verdicts = verdicts
        self.controls: list[str] = []
        self.on_control: Callable[[str], None] = lambda tag: None

    def control(self, tag: str, g: str, r: str) -> SchaError:
        assert (g, r) == ("MAIL-RG", "mail-rs")
        self.on_control(tag)
        self.controls.append(tag)
        return self.verdicts.get(tag, SchaError.NOERR)

    def resource_get(self, optag: str, r: str, g: str) -> Reply:
        assert optag == "Num_resource_restarts"
        return Reply("scha_resource_get", optag, (str(self.restarts),))


@dataclass
class FakeProcess:
    pid: int
    alive: bool = True
    program: str = "/opt/SUNWmsgsr/lib/watcher"
    state: str = "S"
    """What the kernel says it is doing: S sleeping, T stopped."""
    create_time: float = 1000.0

    def is_alive(self) -> bool:
        return self.alive

    @property
    def name(self) -> str:
        return self.program.rsplit("/", 1)[-1]


class FakeInstance:
    """The Messaging Server processes: a watcher and one service."""

    def __init__(self) -> None:
        self.watcher_process: Optional[FakeProcess] = FakeProcess(100)
        self.others = [FakeProcess(101, program="/opt/SUNWmsgsr/lib/imapd")]

    def watcher(self) -> Optional[FakeProcess]:
        found = self.watcher_process
        return found if found is not None and found.alive else None

    def processes(self) -> list[FakeProcess]:
        everyone = [self.watcher_process, *self.others]
        return [p for p in everyone if p is not None and p.alive]

    def activity(self, pid: int) -> tuple[str, int, int]:
        """The kernel's word on a process (messaging.liveness reads this)."""
        return next(p.state for p in self.processes() if p.pid == pid), 0, 0


class Script:
    """Probe answers per target, one per cycle; the last one repeats."""

    def __init__(self, **answers: list[tuple[int, str]]) -> None:
        self.answers = answers
        self.calls: dict[str, int] = {}

    def __call__(self, target: Target, timeout: float) -> ProbeResult:
        n = self.calls.get(target.service, 0)
        self.calls[target.service] = n + 1
        plan = self.answers.get(target.service, [(0, "")])
        score, detail = plan[min(n, len(plan) - 1)]
        if score == -1:  # slow, but answered
            return ProbeResult(target, 0, f"{target.label} {detail}", 20.0, slow=True)
        text = f"{target.label} {detail}" if detail else f"{target.label} answered in 0.01 s"
        return ProbeResult(target, score, text, 0.01)


@dataclass
class Rig:
    monitor: FaultMonitor
    ctx: MonitorContext
    cluster: FakeCluster
    instance: FakeInstance
    clock: ManualClock
    recorder: RecordingTransport
    ended: list[int]
    """The pids of the hung processes the monitor killed (faked: nothing is signalled)."""

    def cycle(self, times: int = 1) -> None:
        for _ in range(times):
            self.monitor.probe_cycle()
            self.clock.now += self.monitor.settings.thorough_probe_interval

    def lines(self) -> list[str]:
        """What an administrator reads at the default debug level 0 (no debug lines)."""
        return [f"{r.priority.label}: {r.text}" for r in self.recorder.records]


@pytest.fixture(autouse=True)
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_node_root(tmp_path / "mars")
    on_node(monkeypatch, root)
    return root


def rig(probe_one: Callable[[Target, float], ProbeResult], *, targets: Optional[list] = None,
        failover_mode: str = "SOFT", restarts: int = 0, watch_watcher: bool = False,
        autorestart: bool = False, probe_timeout: int = 30,
        **verdicts: SchaError) -> Rig:
    recorder = RecordingTransport()
    ctx = MonitorContext(AgentLog("SUNW.ims", "MAIL-RG", "mail-rs", "ims_probe",
                               transport=recorder, facility="daemon"))
    cluster = FakeCluster(restarts, **verdicts)
    instance = FakeInstance()
    clock = ManualClock()
    ended: list[int] = []
    settings = Settings(thorough_probe_interval=10, probe_timeout=probe_timeout,
                        retry_count=2, retry_interval=600, failover_mode=failover_mode)
    monitor = FaultMonitor(ctx, settings, instance,  # type: ignore[arg-type]
                           [IMAP, SMTP] if targets is None else targets,
                           server_root="/opt/SUNWmsgsr", watch_watcher=watch_watcher,
                           autorestart=autorestart, cluster=cluster, probe_one=probe_one,
                           clock=clock, sleep=clock.sleep, watch_interval=0.05,
                           liveness=LivenessWatch(read=instance.activity),
                           refusal_facts=lambda g: RefusalFacts(g, "mars", ("mars", "venus"),
                                                                (), 3600),
                           end=lambda hang: ended.append(hang.pid) is None)
    return Rig(monitor, ctx, cluster, instance, clock, recorder, ended)


# --- Status_msg in words -------------------------------------------------------------------


@pytest.fixture
def hung_server() -> Iterator[tuple[str, int]]:
    """A server that accepts connections (the kernel does) and never says a word."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()
    sock.close()


def test_status_msg_says_which_service_timed_out_and_after_how_long(
        hung_server: tuple[str, int]) -> None:
    address, port = hung_server
    imap = Target("imap", "imap", address, port)
    r = rig(probe, targets=[imap], probe_timeout=1)
    r.cycle()
    said = f"IMAP on {address}:{port} timed out after 1 s waiting for the greeting"
    assert r.ctx.statuses == [("DEGRADED", f"{said}; restarting Messaging Server")]
    assert r.cluster.controls == ["RESOURCE_RESTART"]
    assert f"error: Probe failed: {said}." in r.lines()


def test_a_refusal_is_given_the_watchers_grace_a_hang_is_not() -> None:
    """With local.autorestart the watcher restarts a crashed service itself: a refused
    connection is probed again for a moment before the agent acts. A hang is not what the
    watcher cures: the probe result says it timed out, and the agent acts at once."""
    refused = rig(Script(imap=[(100, "refused the connection"), (0, "")]),
                  watch_watcher=True, autorestart=True)
    refused.monitor._check_watcher()
    refused.cycle()
    assert refused.cluster.controls == []
    assert refused.ctx.statuses == [("OK", "Service is online.")]

    def hung_imap(target: Target, timeout: float) -> ProbeResult:
        if target.service != "imap":
            return ProbeResult(target, 0, f"{target.label} answered in 0.01 s", 0.01)
        return ProbeResult(target, 100, f"{target.label} did not answer", timeout,
                           timed_out=True)

    hung = rig(hung_imap, watch_watcher=True, autorestart=True)
    hung.monitor._check_watcher()
    started = hung.clock.now
    hung.cycle()
    assert hung.cluster.controls == ["RESOURCE_RESTART"]
    assert hung.clock.now - started == hung.monitor.settings.thorough_probe_interval  # no grace


def test_a_partial_failure_degrades_then_ok_once_healed_and_info_only_on_change() -> None:
    # 25 + 25 within Retry_interval stays below a complete failure: no restart.
    answers = [(25, "answered 'p2 NO' to LOGOUT")] * 2 + [(0, "")]
    r = rig(Script(imap=answers))
    r.cycle(4)
    detail = "IMAP on 127.0.1.155:143 answered 'p2 NO' to LOGOUT"
    assert r.ctx.statuses == [("DEGRADED", detail), ("OK", "Service is online.")]
    assert r.lines() == [
        f"error: Probe failed: {detail}.",
        "info: Messaging Server is healthy again: imap 127.0.1.155:143, "
        "smtp 127.0.1.155:25.",
    ]
    assert r.cluster.controls == []


def test_healing_does_not_forget_the_failure_history() -> None:
    # 50 at the first cycle, healthy, then 50 again within Retry_interval: 100, a restart.
    answers = [(50, "closed the connection waiting for the greeting"), (0, ""),
               (50, "closed the connection waiting for the greeting")]
    r = rig(Script(imap=answers))
    r.cycle(3)
    assert [s for s, _ in r.ctx.statuses] == ["DEGRADED", "OK", "DEGRADED"]
    assert r.cluster.controls == ["RESOURCE_RESTART"]


def test_a_slow_service_is_warned_about_once_per_slow_spell() -> None:
    slow = (-1, "answered in 20.0 s (Probe_timeout 30 s)")
    r = rig(Script(smtp=[slow, slow, slow, (0, ""), slow]))
    r.cycle(5)
    warning = ("warning: Probe slow: SMTP on 127.0.1.155:25 answered in 20.0 s "
               "(Probe_timeout 30 s).")
    assert r.lines() == [
        warning,
        "info: Messaging Server is healthy again: imap 127.0.1.155:143, smtp 127.0.1.155:25.",
        warning,
    ]
    assert [s for s, _ in r.ctx.statuses] == ["DEGRADED", "OK", "DEGRADED"]
    assert r.cluster.controls == []


# --- Failover_mode and the cluster's answers ----------------------------------------------


REFUSED = [(100, "refused the connection")]


def test_restart_only_restarts_but_never_fails_over() -> None:
    r = rig(Script(imap=REFUSED), failover_mode="RESTART_ONLY", restarts=1)
    r.cycle()
    assert r.cluster.controls == ["RESOURCE_RESTART"]
    r.cluster.restarts = 2  # Retry_count restarts used up within Retry_interval
    r.cycle(2)
    assert r.cluster.controls == ["RESOURCE_RESTART"]
    assert r.ctx.statuses[-1] == ("FAULTED", "IMAP on 127.0.1.155:143 refused the connection")
    faulted = [line for line in r.lines() if "no action is taken" in line]
    assert faulted == ["error: Messaging Server is faulted and no action is taken: 2 restarts "
                       "within Retry_interval reach Retry_count 2 and Failover_mode is "
                       "RESTART_ONLY."]


def test_log_only_reports_and_never_acts_then_heals() -> None:
    r = rig(Script(imap=REFUSED * 2 + [(0, "")]), failover_mode="LOG_ONLY")
    r.cycle(3)
    assert r.cluster.controls == []
    assert r.ctx.statuses == [("FAULTED", "IMAP on 127.0.1.155:143 refused the connection"),
                              ("OK", "Service is online.")]
    assert sum("no action is taken" in line for line in r.lines()) == 1


def test_a_rejected_giveover_is_followed_by_restarts_here() -> None:
    r = rig(Script(imap=REFUSED), restarts=2, GIVEOVER=SchaError.CHECKS)
    r.cycle(2)
    assert r.cluster.controls == ["GIVEOVER", "RESOURCE_RESTART"] * 2
    rejected = [line for line in r.lines() if "rejected the failover" in line]
    assert len(rejected) == 2
    why = ("venus is up, so the cluster kept the group off it by Pingpong_interval (3600 s: "
           "a node that gave resource group MAIL-RG up, or failed to start it, within that "
           "time may not master it) or because Monitor_check failed there (SCHA_ERR_CHECKS: "
           "sanity checks failed)")
    assert rejected[0] == f"warning: The cluster rejected the failover: {why}."
    assert r.ctx.statuses[-1] == ("DEGRADED", "IMAP on 127.0.1.155:143 refused the "
                                  f"connection; the failover was refused ({why}); "
                                  "restarting Messaging Server")
    assert any(line.startswith(f"error: Restarting Messaging Server on this node: the "
                               f"failover was refused ({why}); restarting on this node "
                               "instead: IMAP") for line in r.lines()), r.lines()


def test_a_refused_restart_leaves_the_resource_faulted_with_the_reason() -> None:
    r = rig(Script(imap=REFUSED), RESOURCE_RESTART=SchaError.CHECKS)
    r.cycle()
    assert r.cluster.controls == ["RESOURCE_RESTART"]
    assert r.ctx.statuses[-1] == ("FAULTED", "IMAP on 127.0.1.155:143 refused the connection; "
                                  "the cluster refused to restart it: the restart was "
                                  "refused (SCHA_ERR_CHECKS: sanity checks failed)")


# --- the watcher ---------------------------------------------------------------------------


def test_watcher_death_during_a_slow_probe_cycle_is_acted_on_at_once() -> None:
    released = threading.Event()
    started = threading.Event()
    ended = threading.Event()
    r: Optional[Rig] = None

    def slow_probe(target: Target, timeout: float) -> ProbeResult:
        started.set()
        assert r is not None and r.instance.watcher_process is not None
        r.instance.watcher_process.alive = False  # the watcher dies while this probe hangs
        released.wait(timeout=5)
        ended.set()
        return ProbeResult(target, 100, f"{target.label} timed out after 30 s", 30.0,
                           timed_out=True)

    r = rig(slow_probe, targets=[IMAP], watch_watcher=True)
    in_flight: list[bool] = []
    r.cluster.on_control = lambda tag: in_flight.append(not ended.is_set())
    try:
        r.monitor._check_watcher()  # the loop finds the watcher before the first cycle
        r.monitor.probe_cycle()
    finally:
        released.set()
    assert started.is_set()
    assert r.cluster.controls == ["RESOURCE_RESTART"]
    assert in_flight == [True], "the restart waited for the probe to end"
    assert r.lines()[0] == ("error: The Messaging Server watcher (pid 100) died while 1 "
                            "Messaging Server processes still run.")
    assert not any("Probe failed" in line for line in r.lines())


class Stop(Exception):
    pass


def run_for(r: Rig, seconds: float, event_at: float = -1.0,
            event: Callable[[], None] = lambda: None) -> None:
    """The monitor's own loop on the fake clock for `seconds`; `event` happens once, when
    `event_at` seconds have passed."""
    begin = r.clock.now
    pending = [event]

    def sleep(step: float) -> None:
        r.clock.now += step
        if pending and event_at >= 0 and r.clock.now - begin >= event_at:
            pending.pop()()
        if r.clock.now - begin >= seconds:
            raise Stop

    r.monitor.sleep = sleep
    with pytest.raises(Stop):
        r.monitor.run()


def test_messaging_server_giving_up_in_ha_mode_fails_the_group_over() -> None:
    r = rig(Script(), watch_watcher=True)

    def gives_up() -> None:  # the watcher stops every service, then exits
        assert r.instance.watcher_process is not None
        r.instance.watcher_process.alive = False
        r.instance.others = []

    run_for(r, 3, event_at=1, event=gives_up)
    assert r.cluster.controls == ["GIVEOVER"]
    assert ("error: Messaging Server shut itself down: its watcher gave up restarting a "
            "failing service.") in r.lines()
    assert r.ctx.statuses == [("OK", "Service is online."),
                              ("FAULTED", "Messaging Server shut itself down: its watcher "
                               "gave up restarting a failing service; failing over")]


def test_a_watcher_that_dies_between_probes_is_noticed_before_the_next_probe() -> None:
    script = Script()
    r = rig(script, watch_watcher=True)

    def dies() -> None:
        assert r.instance.watcher_process is not None
        r.instance.watcher_process.alive = False

    # Thorough_probe_interval is 10 s: only the first cycle runs in these 3 s.
    run_for(r, 3, event_at=1, event=dies)
    assert script.calls == {"imap": 1, "smtp": 1}
    assert r.cluster.controls == ["RESOURCE_RESTART"]
    assert r.lines()[1] == ("error: The Messaging Server watcher (pid 100) died while 1 "
                            "Messaging Server processes still run.")


def test_at_loglevel_9_each_cycle_lists_every_probe_in_a_debug_line(node: Path) -> None:
    (node / "var/cluster/rgm/rt/SUNW.ims/loglevel").write_text("9\n")
    r = rig(Script())
    r.cycle()
    debug = [rec.text for rec in r.recorder.records if rec.message is messages.PROBE_CYCLE]
    assert debug == ["Probe cycle: imap ok 0.01s; smtp ok 0.01s."]
    assert r.ctx.statuses == [("OK", "Service is online.")]


def test_a_monitor_without_installation_sets_faulted_and_logs_one_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from scims.errors import AgentError

    failure = AgentError(messages.SERVERROOT_NOT_SET)

    def cannot_inspect(cls: type, ctx: Any, **effects: Any) -> FaultMonitor:
        raise failure

    monkeypatch.setattr(FaultMonitor, "for_resource", classmethod(cannot_inspect))
    ctx = MonitorContext(AgentLog("SUNW.ims", "MAIL-RG", "mail-rs", "ims_probe",
                               transport=RecordingTransport(), facility="daemon"))
    with pytest.raises(AgentError):
        fault_monitor.run_probe(ctx)  # type: ignore[arg-type]
    assert ctx.statuses == [("FAULTED", "Extension property IMS_serverroot is not set.")]


def test_failover_enabled_false_never_fails_over_after_retry_count_restarts() -> None:
    r = rig(Script(imap=REFUSED), restarts=2)
    r.monitor.settings.failover_enabled = False
    r.cycle(2)
    assert r.cluster.controls == []
    assert r.ctx.statuses[-1] == ("FAULTED", "IMAP on 127.0.1.155:143 refused the connection")
    assert ("error: Messaging Server is faulted and no action is taken: 2 restarts within "
            "Retry_interval reach Retry_count 2 and Failover_enabled is FALSE.") in r.lines()


def test_a_probe_round_answers_in_the_targets_order_and_raises_a_probes_bug() -> None:
    targets = [Target(name, "tcp", "127.0.0.1", port)
               for name, port in (("smtp", 25), ("imap", 143), ("pop", 110))]
    release = threading.Event()

    def slow_first(target: Target, timeout: float) -> ProbeResult:
        if target.service == "smtp":
            release.wait(10)
        return ProbeResult(target, 0, f"{target.service} ok", 0.0)

    round_ = fault_monitor.ProbeRound(slow_first, targets, 5.0)
    assert not round_.wait(0.05), "a round is not over while one probe still runs"
    release.set()
    assert round_.wait(5)
    assert [r.target.service for r in round_.results()] == ["smtp", "imap", "pop"]

    def buggy(target: Target, timeout: float) -> ProbeResult:
        if target.service == "imap":
            raise RuntimeError("a bug in the IMAP probe")
        release.wait(10)
        return ProbeResult(target, 0, "ok", 0.0)

    release.clear()
    failing = fault_monitor.ProbeRound(buggy, targets, 5.0)
    assert failing.wait(5), "a probe's failure ends the wait at once"
    with pytest.raises(RuntimeError, match="IMAP probe"):
        failing.results()
    release.set()


def test_between_looks_the_monitor_waits_on_the_watcher_itself() -> None:
    """With a way to wait for the watcher's end (a pidfd on Linux), the pause between two
    looks is that wait, so its death ends the pause: noticed at once, not up to half a
    second later."""
    script = Script()
    r = rig(script, watch_watcher=True)
    waited: list[tuple[int, float]] = []

    def await_exit(ident: Any, seconds: float) -> None:
        waited.append((ident.pid, seconds))
        r.instance.watcher_process.alive = False  # it dies while the monitor waits

    def sleep(seconds: float) -> None:  # once no watcher is left to wait on
        raise Stop

    r.monitor.await_exit = await_exit
    r.monitor.sleep = sleep
    with pytest.raises(Stop):
        r.monitor.run()
    assert waited[0] == (100, 0.05)
    assert r.cluster.controls == ["RESOURCE_RESTART"]  # acted on at the very next look


# --- hangs: the kernel's word, every Cheap_probe_interval ----------------------------------


def test_a_stopped_server_is_left_to_the_watcher_within_seconds_and_counted() -> None:
    """imapd stopped (SIGSTOP): the probes would wait their whole 30 s; the cheap look sees
    it stopped about a second later, ends it for the living watcher to restart, and has the
    restart counted (RESOURCE_IS_RESTARTED), then probes again soon for the status."""
    script = Script()
    r = rig(script, watch_watcher=True, autorestart=True)

    def hangs() -> None:
        r.instance.others[0].state = "T"

    run_for(r, 5, event_at=1, event=hangs)
    assert r.ended == [101]
    assert r.cluster.controls == ["RESOURCE_IS_RESTARTED"]
    said = "imapd (pid 101) is hung: stopped by a signal (process state T) for 1.0 s"
    assert f"error: Messaging Server process hung: {said}." in r.lines()
    assert ("error: Ending the hung imapd process (pid 101) for the watcher to restart it: "
            "restart 1 of 2 within Retry_interval.") in r.lines()
    assert ("DEGRADED", f"{said}; the watcher is restarting it") in r.ctx.statuses
    assert script.calls["imap"] == 2, "probed again after the repair, not 10 s later"


def test_without_the_watchers_restarts_a_hung_server_restarts_the_resource() -> None:
    r = rig(Script(), watch_watcher=True, autorestart=False)

    def hangs() -> None:
        r.instance.others[0].state = "T"

    run_for(r, 5, event_at=1, event=hangs)
    assert r.ended == [] and r.cluster.controls == ["RESOURCE_RESTART"]
    said = "imapd (pid 101) is hung: stopped by a signal (process state T) for 1.0 s"
    assert r.ctx.statuses[-1] == ("DEGRADED", f"{said}; restarting Messaging Server")


def test_a_hung_server_is_acted_on_while_its_probe_still_waits() -> None:
    """The probe of a hung server waits Probe_timeout; the cheap looks go on meanwhile."""
    release = threading.Event()
    r: Optional[Rig] = None

    def hung_probe(target: Target, timeout: float) -> ProbeResult:
        assert r is not None
        r.instance.others[0].state = "T"
        release.wait(5)
        return ProbeResult(target, 100, f"{target.label} timed out after 30 s", 30.0,
                           timed_out=True)

    r = rig(hung_probe, targets=[IMAP], watch_watcher=True)
    r.monitor.clock = time.monotonic  # the probes' round waits in real time
    try:
        r.monitor.probe_cycle()
        assert r.cluster.controls == ["RESOURCE_RESTART"]
        assert not release.is_set(), "the restart waited for the probe"
    finally:
        release.set()
    assert not any("Probe failed" in line for line in r.lines())


def test_a_hung_watcher_is_ended_before_the_restart_it_would_hold_up() -> None:
    r = rig(Script(), watch_watcher=True, autorestart=True)
    ended = r.ended
    r.cluster.on_control = lambda tag: ended.append(-1)  # the order: end first, then ask

    def hangs() -> None:
        assert r.instance.watcher_process is not None
        r.instance.watcher_process.state = "T"

    run_for(r, 4, event_at=1, event=hangs)
    assert ended == [100, -1]
    assert r.cluster.controls == ["RESOURCE_RESTART"]
    assert ("warning: Ending the hung watcher process (pid 100) so that Messaging Server "
            "can be stopped.") in r.lines()


def test_under_log_only_a_hang_is_reported_and_nothing_is_ended() -> None:
    r = rig(Script(), watch_watcher=True, failover_mode="LOG_ONLY")
    ended = r.ended

    def hangs() -> None:
        assert r.instance.watcher_process is not None
        r.instance.watcher_process.state = "T"

    run_for(r, 6, event_at=1, event=hangs)
    assert ended == [] and r.cluster.controls == []
    assert r.ctx.statuses[-1][0] == "FAULTED"
    assert sum("process hung" in line for line in r.lines()) == 1, "once, not every look"


def test_load_is_no_hang_however_long_it_lasts() -> None:
    """Every process runnable (R) or in disk wait (D) for a whole minute: no action."""
    r = rig(Script(), watch_watcher=True, autorestart=True)

    def loaded() -> None:
        assert r.instance.watcher_process is not None
        r.instance.watcher_process.state = "R"
        r.instance.others[0].state = "D"

    run_for(r, 60, event_at=0.5, event=loaded)
    assert r.cluster.controls == []
    assert set(r.ctx.statuses) == {("OK", "Service is online.")}


def test_the_cheap_look_follows_cheap_probe_interval() -> None:
    r = rig(Script(), watch_watcher=True)
    r.monitor.settings.cheap_probe_interval = 5
    looks: list[float] = []
    real = r.monitor.liveness.read
    r.monitor.liveness.read = lambda pid: (looks.append(r.clock.now), real(pid))[1]
    run_for(r, 12)
    begin = looks[0]
    assert sorted({round(t - begin) for t in looks}) == [0, 5, 10]


def test_the_quick_ocf_check_sees_a_hang_without_probing() -> None:
    """OCF_CHECK_LEVEL 0: the watcher and the processes, no protocol exchange."""
    script = Script()
    r = rig(script, watch_watcher=True)
    r.instance.others[0].state = "T"
    r.monitor.check_once(thorough=False)
    assert script.calls == {}
    assert r.cluster.controls == ["RESOURCE_RESTART"]
    healthy = rig(Script(), watch_watcher=True)
    healthy.monitor.check_once(thorough=False)
    assert healthy.ctx.statuses == [("OK", "Service is online.")]
    assert healthy.cluster.controls == []


# --- mail that does not move, a store that is full ----------------------------------------


def mail_rig(queue: set[str], space: list[StoreSpace]) -> Rig:
    r = rig(Script(), watch_watcher=True, autorestart=True)
    r.monitor.delivery = DeliveryWatch("/unused", read=lambda c: frozenset(queue))
    r.monitor.store = lambda: space[0]
    return r


ROOM = StoreSpace("/var/opt/SUNWmsgsr", 32 << 20, 16 << 20)
FULL = StoreSpace("/var/opt/SUNWmsgsr", 32 << 20, 12 << 10)


def test_mail_piling_up_undelivered_is_a_restart() -> None:
    """The job controller runs (sleeping, as an idle one) but delivers nothing: SMTP still
    answers, the queue grows, nothing leaves."""
    queue = {"000/ZZ0.00"}
    r = mail_rig(queue, [ROOM])

    def arrives() -> None:
        queue.add(f"000/ZZ{len(queue)}.00")

    for _ in range(12):
        r.monitor._look()
        r.clock.now += 1
        arrives()
    assert r.cluster.controls == ["RESOURCE_RESTART"]
    said = [line for line in r.lines() if "not delivering mail" in line]
    assert said == ["error: Messaging Server is not delivering mail: mail is not being "
                    "delivered: 9 messages queued for the ims-ms channel, 8 of them arrived "
                    "meanwhile, and none delivered for 8 s."]


def test_a_full_store_is_degraded_in_words_and_never_restarted() -> None:
    queue = {"000/ZZ0.00"}
    space = [FULL]
    r = mail_rig(queue, space)
    for n in range(20):  # mail piles up: nothing can be stored
        queue.add(f"000/ZZ{n + 1}.00")
        r.monitor._look()
        r.clock.now += 1
    r.cycle()  # a probe cycle with every service answering keeps it DEGRADED, not OK
    assert r.cluster.controls == []
    problem = FULL.describe()
    assert r.ctx.statuses == [("DEGRADED", problem)]
    assert [line for line in r.lines() if "cannot store mail" in line] == [
        f"error: Messaging Server cannot store mail: {problem}."]
    space[0] = ROOM
    queue.clear()
    r.monitor._look()
    assert r.ctx.statuses[-1] == ("OK", "Service is online.")
    assert "notice: The message store file system has room again." in r.lines()


def test_wrong_answers_while_the_store_is_full_are_not_scored() -> None:
    """SMTP answering 452 (no room) is the full store's doing: no restart, no ping-pong."""
    r = rig(Script(smtp=[(50, "answered '452 4.3.1 Insufficient system storage' to EHLO")]))
    r.monitor.store = lambda: FULL
    r.monitor._look()
    r.cycle(4)
    assert r.cluster.controls == []
    assert r.ctx.statuses[-1] == ("DEGRADED", FULL.describe())


def test_a_refused_failover_of_a_hung_server_falls_back_to_the_watchers_restart() -> None:
    """Retry_count reached, the giveover refused (Pingpong_interval): the restart here is
    the quickest one, the watcher's, and says why the failover was not made."""
    r = rig(Script(), watch_watcher=True, autorestart=True, restarts=2,
            GIVEOVER=SchaError.CHECKS)

    def hangs() -> None:
        r.instance.others[0].state = "T"

    run_for(r, 4, event_at=1, event=hangs)
    assert r.cluster.controls == ["GIVEOVER", "RESOURCE_IS_RESTARTED"]
    assert r.ended == [101]
    assert any(line.startswith("error: Ending the hung imapd process (pid 101) for the "
                               "watcher to restart it: the failover was refused (venus is up")
               for line in r.lines()), r.lines()


def test_a_server_hung_again_soon_restarts_the_resource_not_the_watchers_give_up() -> None:
    """The watcher restarted imapd a minute ago: a second failure within
    local.autorestart.timeout would make it shut Messaging Server down, so the second hang
    restarts the resource (counted as ever), and the line says why."""
    r = rig(Script(), watch_watcher=True, autorestart=True)
    imapd = r.instance.others[0]
    imapd.state = "T"
    run_for(r, 3)
    assert r.cluster.controls == ["RESOURCE_IS_RESTARTED"]
    r.instance.others[0] = FakeProcess(102, program="/opt/SUNWmsgsr/lib/imapd")  # restarted
    r.clock.now += 60
    run_for(r, 3)
    assert r.cluster.controls == ["RESOURCE_IS_RESTARTED"]
    r.instance.others[0].state = "T"
    run_for(r, 3)
    assert r.cluster.controls == ["RESOURCE_IS_RESTARTED", "RESOURCE_RESTART"]
    assert any("the watcher restarted imapd 6" in line
               and "within local.autorestart.timeout (600 s)" in line
               and line.startswith("error: Restarting Messaging Server on this node")
               for line in r.lines()), r.lines()
