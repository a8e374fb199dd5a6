"""The fault matrix: one row per fault, what the administrator expects of the cluster, and
how long they would wait for it.

Development tool for tests/faults: a row says how to inject the fault and which outcome an
administrator expects (nothing, a local restart, a failover, a clean Start failure, a Stop
that completes) within a bound stated from the resource's own timing properties. `run_row`
sends mail first, injects, waits for the outcome, clears the fault, waits until healthy, and
returns what it saw, so a test asserts the outcome, the time, that no process is left where
the group left, that nothing is Stop_failed, and that no mail is lost.
"""

from __future__ import annotations

import enum
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from imsguide import faults, proof
from imsguide.site import Site
from imsguide.testbed import HEAL_TIMEOUT, Cluster, generic_cluster

TPI = 5
"""Thorough_probe_interval, the RTR's minimum."""
PROBE_TIMEOUT = 2
"""Probe_timeout, the RTR's minimum."""
START_TIMEOUT = 60
STOP_TIMEOUT = 60
RETRY_COUNT = 10
"""The RTR's maximum: a module of restart rows must not turn into a failover by accident."""
MARGIN = 10.0
"""Slack for a loaded machine on top of every bound (seconds)."""
DETECT = TPI + PROBE_TIMEOUT + MARGIN
"""A hung or refusing service is noticed within one probe interval and one probe timeout."""
RESTART = 30.0
"""What an administrator allows a local restart (Stop, Start, Monitor_start) of a healthy
Messaging Server to take."""
SWITCH = 45.0
"""What an administrator allows a switchover of the group to take."""
WATCHER_REPAIR = 10.0
"""Messaging Server's watcher restarts a crashed daemon within this (seconds)."""
RESULT_WAIT = 600.0
"""The longest a row's test waits for the row's result, and a teardown for the threads."""
MAIL_USER = "faultrow"
DEBUG_LEVEL = "5"
"""The loglevel the matrix runs with: the probe's cycle lines show that a cycle passed."""

RESTARTING = "Restarting Messaging Server on this node"
UP = "ims_svc_start]: [ID 693544 daemon.info] Messaging Server is up"
PROBE_CYCLE = "daemon.debug] Probe cycle:"


class Outcome(enum.Enum):
    NOTHING = "nothing"
    """The agent takes no action (Messaging Server repairs it, or it is not a failure)."""
    LOCAL_RESTART = "local restart"
    """The agent restarts the resource on the same node."""
    FAILOVER = "failover"
    """The group ends up online on the other node."""
    START_FAILURE = "clean Start failure"
    """Start fails on the target node, leaves nothing there, the group comes back."""
    STOP_COMPLETES = "Stop completes"
    """The administrator's switchover completes: Stop ends, the group runs on the other node."""


@dataclass
class Scene:
    """A row as it runs: the cluster, the node where the group was healthy, syslog marks."""

    cluster: Cluster
    node: str
    marks: dict[str, int] = field(default_factory=dict)
    started: float = 0.0
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def site(self) -> Site:
        return self.cluster.site

    @property
    def other(self) -> str:
        return self.cluster.other(self.node)

    def lines(self, node: Optional[str] = None) -> list[str]:
        node = node or self.node
        return faults.since(self.site, node, self.marks[node])

    def wait_line(self, text: str, timeout: float, node: Optional[str] = None) -> float:
        node = node or self.node
        return faults.wait_for_line(self.site, node, self.marks[node], text, timeout)


Action = Callable[[Scene], None]


def nothing(scene: Scene) -> None:
    """No extra step."""


@dataclass(frozen=True)
class Row:
    name: str
    inject: Action
    outcome: Outcome
    bound: float
    """Seconds from the injection to the service healthy again (the administrator's
    expectation, stated from the resource's timing properties)."""
    observe: Action = nothing
    """For NOTHING rows: wait until the fault has visibly happened (and been repaired)."""
    clear_on_detection: bool = False
    """Clear the fault as soon as the agent acted (a hang persists across restarts)."""
    restore: Action = nothing
    """Undo what `mssim fault clear` does not (files moved, a node panicked)."""
    check: Action = nothing
    """Assertions particular to the row, run after recovery."""

    def __str__(self) -> str:
        return self.name


@dataclass
class Result:
    row: Row
    node: str
    """Where the group was healthy before the fault."""
    ended_on: str
    took: float
    restarts_before: int
    restarts_after: int


def restarts(cluster: Cluster, node: str) -> int:
    lines = proof.ask(cluster.site, node, "scha_resource_get", "-O", "Num_resource_restarts",
                      "-R", cluster.site.mail_resource, "-G", cluster.site.group)
    return int(lines[0]) if lines else 0


def tune(cluster: Cluster) -> None:
    """Timing as tight as the RTR allows; a node the group left stays eligible."""
    cluster.set_props("-y", f"Thorough_probe_interval={TPI}", "-x",
                      f"Probe_timeout={PROBE_TIMEOUT}", "-y", "Retry_interval=60",
                      "-y", f"Retry_count={RETRY_COUNT}", "-y", f"Start_timeout={START_TIMEOUT}",
                      "-y", f"Stop_timeout={STOP_TIMEOUT}", "-y", "Failover_mode=SOFT")
    cluster.set_group_props("-y", "Pingpong_interval=0")
    for node in cluster.site.nodes:
        set_loglevel(cluster, node, DEBUG_LEVEL)


def set_loglevel(cluster: Cluster, node: str, content: Optional[str]) -> None:
    path = cluster.site.on(node, "/var/cluster/rgm/rt/SUNW.ims/loglevel")
    if content is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content + "\n")


def mail_readable(cluster: Cluster, sent: list[str], timeout: float) -> None:
    """Every message in `sent` can be read by IMAP on the logical host."""
    missing: list[str] = []

    def all_there() -> bool:
        missing[:] = [m for m in sent if m not in
                      set(proof.imap_message_ids(cluster.site, MAIL_USER, timeout=5))]
        return not missing

    try:
        proof.wait_for(all_there, timeout, "every message accepted before the fault")
    except TimeoutError as exc:
        raise AssertionError(f"mail lost: {missing}") from exc


def stop_failed_anywhere(cluster: Cluster) -> list[str]:
    """mail-rs Stop_failed, or the group ERROR_STOP_FAILED (which any Stop_failed resource
    of it makes it), on any node."""
    site = cluster.site
    bad: list[str] = []
    for node in site.nodes:
        state = faults.resource_state(site, node)
        if "STOP_FAILED" in state:
            bad.append(f"{site.mail_resource} {state} on {node}")
        state = faults.group_state(site, node)
        if "STOP_FAILED" in state:
            bad.append(f"{site.group} {state} on {node}")
    return bad


def _wait_outcome(scene: Scene, row: Row) -> str:
    """Wait for the row's outcome; the node where the group ends up healthy."""
    site, node = scene.site, scene.node
    deadline = scene.started + row.bound
    left = max(1.0, deadline - time.monotonic())
    if row.outcome is Outcome.LOCAL_RESTART:
        scene.wait_line(RESTARTING, left)
        if row.clear_on_detection:
            faults.clear_faults(site)
        scene.wait_line(UP, max(1.0, deadline - time.monotonic()))
    elif row.outcome is Outcome.NOTHING:
        row.observe(scene)
        faults.clear_faults(site)
        # One whole probe cycle after the fault: the agent must not act on it.
        faults.wait_for_line(site, node, faults.mark(site, node), PROBE_CYCLE,
                             TPI + PROBE_TIMEOUT + MARGIN)
    found: list[str] = []

    def healthy() -> bool:
        where = faults.healthy_on(site)
        if where is None:
            return False
        if row.outcome in (Outcome.FAILOVER, Outcome.STOP_COMPLETES) and where == node:
            return False
        found[:] = [where]
        return True

    proof.wait_for(healthy, max(1.0, deadline - time.monotonic()),
                   f"{row.name}: {row.outcome.value}, then healthy")
    return found[0]


def run_row(cluster: Cluster, row: Row, sent: list[str]) -> Result:
    """Run one row; every message of `sent` (and the row's own) must survive it."""
    node, _ = faults.wait_healthy(cluster.site, HEAL_TIMEOUT)  # the last row cleared up
    scene = Scene(cluster, node)
    site = cluster.site
    sent.append(proof.send_mail(site, MAIL_USER, f"before {row.name}", f"row {row.name}\n"))
    before = restarts(cluster, node)
    for n in site.nodes:
        scene.marks[n] = faults.mark(site, n)
    scene.started = time.monotonic()
    try:
        row.inject(scene)
        ended_on = _wait_outcome(scene, row)
        took = time.monotonic() - scene.started
    finally:
        faults.clear_faults(site)
        row.restore(scene)
    after = restarts(cluster, node)
    # Healthy again (status OK, services answering) before anything else is judged.
    back, _ = faults.wait_healthy(site, HEAL_TIMEOUT)
    assert back == ended_on, f"the group moved again after {row.name}: {ended_on} -> {back}"
    _assert_common(scene, row, ended_on, sent)
    if row.outcome is Outcome.LOCAL_RESTART:
        assert ended_on == node, f"{row.name}: a local restart moved the group to {ended_on}"
        # The RGM counted it (within Retry_interval, so older restarts may have dropped out).
        assert after >= 1, f"{row.name}: Num_resource_restarts is {after} after a restart"
        assert any(UP in line for line in scene.lines()), f"{row.name}: no Start ran"
    elif row.outcome is Outcome.NOTHING:
        assert ended_on == node
        # (The count is kept over Retry_interval, so an older restart may drop out of it.)
        assert after <= before, f"{row.name}: Num_resource_restarts {before} -> {after}"
        started = [line for line in scene.lines() if RESTARTING in line or
                   "ims_svc_start]" in line or "ims_svc_stop]" in line]
        assert not started, f"{row.name}: the agent acted: {started}"
    elif row.outcome is Outcome.START_FAILURE:
        assert ended_on == node, f"{row.name}: the group stayed on {ended_on}"
        assert faults.resource_state(site, scene.other) == "OFFLINE"
        assert not faults.processes(site, scene.other), \
            f"Messaging Server left on {scene.other} after the failed Start"
    else:
        assert ended_on == scene.other
    row.check(scene)
    return Result(row, node, ended_on, took, before, after)


def _assert_common(scene: Scene, row: Row, ended_on: str, sent: list[str]) -> None:
    cluster, site = scene.cluster, scene.site
    stop_failed = stop_failed_anywhere(cluster)
    assert not stop_failed, f"{row.name}: {stop_failed}"
    for node in site.nodes:
        if node != ended_on:
            assert not faults.processes(site, node), \
                f"{row.name}: Messaging Server processes left on {node}: " \
                f"{faults.processes(site, node)}"
        tracebacks = [line for line in scene.lines(node) if "Traceback" in line]
        assert not tracebacks, f"{row.name}: a traceback in {node}'s messages: {tracebacks}"
    status = proof.resource_status(site, ended_on)
    assert status[0] == "OK", f"{row.name}: status {status}"
    mail_readable(cluster, sent, 30)


# --- running a table on several clusters at once -----------------------------------------------


LOG_LINES = 80
"""How many of each node's last syslog lines a failed row reports."""


class RowFailed(AssertionError):
    """A row failed: what went wrong, and the node logs at that moment (the cluster is
    destroyed before anyone can look)."""


class RowNotRun(Exception):
    """An earlier row of the same cluster failed (or the run was stopped): the cluster's state
    is not known to be healthy, so this row was not run."""


@dataclass
class Shard:
    """Rows that run one after the other on a cluster of their own."""

    rows: list[Row]
    sent: list[str] = field(default_factory=list)


class Results:
    """Rows' results as they become known; a row's test waits for its own."""

    def __init__(self, names: list[str]) -> None:
        self.results: dict[str, Result | BaseException] = {}
        self.done: dict[str, threading.Event] = {name: threading.Event() for name in names}
        self.teardown_errors: list[str] = []

    def _publish(self, row: Row | str, outcome: Result | BaseException) -> None:
        name = row if isinstance(row, str) else row.name
        self.results[name] = outcome
        self.done[name].set()

    def result(self, row: Row, timeout: float) -> Result:
        if not self.done[row.name].wait(timeout):
            raise TimeoutError(f"{row.name}: no result within {timeout:g} s")
        outcome = self.results[row.name]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class MatrixRun(Results):
    """Each shard on its own cluster, all shards at once (most of a row is waiting for probe
    intervals and timeouts, so clusters side by side cost little); each row's result is
    published as soon as it is known."""

    def __init__(self, package_dir: Path, shards: list[Shard],
                 on_publish: Optional[Callable[[Row, Result | BaseException], None]] = None,
                 ) -> None:
        super().__init__([row.name for shard in shards for row in shard.rows])
        self.package_dir = package_dir
        self.on_publish = on_publish
        self.shards = shards
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run_shard, args=(shard,), daemon=True,
                                         name=f"shard-{number}")
                        for number, shard in enumerate(shards) if shard.rows]
        """A shard none of whose rows was selected gets no cluster."""

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _publish(self, row: Row | str, outcome: Result | BaseException) -> None:
        super()._publish(row, outcome)
        if self.on_publish is not None and isinstance(row, Row):
            self.on_publish(row, outcome)

    def _run_shard(self, shard: Shard) -> None:
        failed: Optional[str] = None
        try:
            with generic_cluster(self.package_dir) as cluster:
                tune(cluster)
                for row in shard.rows:
                    if failed is not None or self.stopping.is_set():
                        self._publish(row, RowNotRun(failed or "the run was stopped"))
                        continue
                    try:
                        self._publish(row, run_row(cluster, row, shard.sent))
                    except BaseException as exc:  # handed to the row's test
                        failed = f"row {row.name!r} failed before it: {exc!r}"
                        detail = getattr(exc, "stderr", None) or ""
                        print(f"[{threading.current_thread().name}] {row.name}: {exc!r} "
                              f"{detail}", file=sys.stderr, flush=True)
                        failure = RowFailed(
                            f"{exc!r} {detail}\n"
                            f"{faults.node_logs(cluster.site.directory, LOG_LINES)}")
                        failure.__cause__ = exc  # the row's own traceback stays in the report
                        self._publish(row, failure)
        except BaseException as exc:  # cluster setup or teardown
            self.teardown_errors.append(f"{exc}")
            for row in shard.rows:
                if not self.done[row.name].is_set():
                    self._publish(row, RowNotRun(f"the cluster failed: {exc}"))

    def stop(self, timeout: float) -> None:
        """Let the current rows finish, run no more, tear every cluster down."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)
        alive = [t.name for t in self.threads if t.is_alive()]
        if alive:
            self.teardown_errors.append(f"still running after {timeout:g} s: {alive}")
