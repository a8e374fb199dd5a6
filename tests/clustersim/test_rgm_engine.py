"""The RGM state machine with a scripted method runner: no processes, only the state
store and the node roots on disk. Shows the ordering and Failover_mode/membership rules
as the administrator would see them in scha_*_get."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from clustersim import cli
from clustersim.errors import ClusterError
from clustersim.rgm import MethodResult, Rgm
from clustersim.store import Store

SLEEPER_RTR = Path(__file__).resolve().parent / "sleeper" / "TEST.sleeper"


class ScriptedRunner:
    """Records (node, method file, resource); answers from `outcomes`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.outcomes: dict[tuple[str, str], str] = {}

    def run(self, node: str, argv: list[str], timeout: float) -> MethodResult:
        method = Path(argv[0]).name
        rs = argv[argv.index("-R") + 1]
        self.calls.append((node, method, rs))
        return MethodResult(self.outcomes.get((node, method), "ok"), 0, 0.01)


@pytest.fixture
def rgm(tmp_path: Path) -> tuple[Rgm, ScriptedRunner]:
    layout = cli.create(str(tmp_path / "cl"), ["mars", "venus"], "unit", start=False)
    for node in ("mars", "venus"):
        bindir = layout.node_root(node) / "opt/TESTsleep/bin"
        bindir.mkdir(parents=True)
        for m in ("prenet_start", "start", "stop", "postnet_stop", "validate", "update",
                  "monitor_start", "monitor_stop", "monitor_check"):
            (bindir / f"sleeper_{m}").write_text("#!/bin/sh\n")
    runner = ScriptedRunner()
    engine = Rgm(layout, Store(layout.state_db), runner)
    for node in ("mars", "venus"):
        engine.node_up(node)
    engine.register_type("mars", None, str(SLEEPER_RTR))
    engine.create_rg("rg", ["mars", "venus"], {})
    engine.create_rs("app", "rg", "TEST.sleeper", {"Failover_mode": "SOFT"}, {})
    return engine, runner


def test_validate_runs_on_every_init_node_before_creation(rgm) -> None:
    engine, runner = rgm
    assert {(n, m) for n, m, _r in runner.calls} == {("mars", "sleeper_validate"),
                                                      ("venus", "sleeper_validate")}
    runner.outcomes[("venus", "sleeper_validate")] = "failed"
    with pytest.raises(ClusterError, match="venus"):
        engine.create_rs("other", "rg", "TEST.sleeper", {}, {})
    assert engine.store.rs("other") is None


def test_start_failure_with_soft_relocates(rgm) -> None:
    engine, runner = rgm
    runner.outcomes[("mars", "sleeper_start")] = "timeout"
    engine.bring_online(["rg"])
    assert engine.store.rg_state("rg", "venus") == "ONLINE"
    assert engine.store.rg_state("rg", "mars") == "OFFLINE"
    assert ("mars", "sleeper_stop", "app") in runner.calls, "Stop runs after a failed Start"


def test_stop_failure_blocks_switchover_until_cleared(rgm) -> None:
    engine, runner = rgm
    engine.bring_online(["rg"])
    runner.outcomes[("mars", "sleeper_stop")] = "failed"
    with pytest.raises(ClusterError, match="ERROR_STOP_FAILED"):
        engine.switch(["rg"], ["venus"])
    assert engine.store.rs_state("app", "mars")[0] == "STOP_FAILED"
    runner.outcomes.clear()
    engine.clear(["mars"], ["app"], "STOP_FAILED")
    engine.switch(["rg"], ["venus"])
    assert engine.store.rs_state("app", "venus")[0] == "ONLINE"


def test_node_death_fails_over_without_stop(rgm) -> None:
    engine, runner = rgm
    engine.bring_online(["rg"])
    runner.calls.clear()
    engine.node_down("mars")
    assert engine.store.rg_state("rg", "venus") == "ONLINE"
    assert all(node == "venus" for node, _m, _r in runner.calls)
    engine.node_up("mars")
    assert engine.store.rg_state("rg", "venus") == "ONLINE", "Failback is FALSE"


def _bump(db: str, n: int) -> None:
    store = Store(db)
    for _ in range(n):
        with store.tx():
            store.next_counter("race")


def test_store_transactions_are_atomic_across_processes(tmp_path: Path) -> None:
    db = tmp_path / "cluster.db"
    Store.create(db, ["mars"]).close()
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_bump, args=(str(db), 40)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    store = Store(db)
    with store.tx():
        assert store.next_counter("race") == 121
