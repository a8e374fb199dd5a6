"""The RGM state machine with a scripted method runner: no processes, only the state
store and the node roots on disk. Shows the ordering and Failover_mode/membership rules
as the administrator would see them in scha_*_get."""

from __future__ import annotations

import contextlib
import multiprocessing
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clustersim import cli
from clustersim.builtin import METHODS
from clustersim.builtin import methods as builtin_methods
from clustersim.commands import scrgadm, scstat, scswitch
from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout
from clustersim.rgm import MethodResult, Rgm
from clustersim.store import Store

SLEEPER_RTR = Path(__file__).resolve().parent / "sleeper" / "TEST.sleeper"


class ScriptedRunner:
    """Records (node, method file, resource); answers from `outcomes`. The built-in types'
    methods (HAStoragePlus, HAStorage, LogicalHostname) really run, in this process."""

    def __init__(self, layout: ClusterLayout) -> None:
        self.layout = layout
        self.calls: list[tuple[str, str, str]] = []
        self.outcomes: dict[tuple[str, str], str] = {}

    def run(self, node: str, argv: list[str], timeout: float) -> MethodResult:
        method = Path(argv[0]).name
        rs = argv[argv.index("-R") + 1]
        self.calls.append((node, method, rs))
        if method in METHODS:
            rc = builtin_methods.main(argv[1:], layout=self.layout, node=node, method=method)
            return MethodResult("ok" if rc == 0 else "failed", rc, 0.01)
        return MethodResult(self.outcomes.get((node, method), "ok"), 0, 0.01)

    def on(self, node: str) -> list[tuple[str, str]]:
        """(method, resource) run on `node`, without the sleeper_ prefix."""
        return [(m.removeprefix("sleeper_"), r) for n, m, r in self.calls if n == node]


def make_engine(tmp_path: Path, nodes: list[str]) -> tuple[Rgm, ScriptedRunner]:
    """A cluster of `nodes` (no daemons) with TEST.sleeper registered and resource app in
    failover group rg, created but not yet online."""
    layout = cli.create(str(tmp_path / "cl"), nodes, "unit", start=False)
    for node in nodes:
        bindir = layout.node_root(node) / "opt/TESTsleep/bin"
        bindir.mkdir(parents=True)
        for m in ("prenet_start", "start", "stop", "postnet_stop", "validate", "update",
                  "monitor_start", "monitor_stop", "monitor_check"):
            (bindir / f"sleeper_{m}").write_text("#!/bin/sh\n")
    runner = ScriptedRunner(layout)
    engine = Rgm(layout, Store(layout.state_db), runner)
    for node in nodes:
        engine.node_up(node)
    engine.register_type(nodes[0], None, str(SLEEPER_RTR))
    engine.create_rg("rg", nodes, {})
    engine.create_rs("app", "rg", "TEST.sleeper", {"Failover_mode": "SOFT"}, {})
    return engine, runner


@pytest.fixture
def rgm(tmp_path: Path) -> tuple[Rgm, ScriptedRunner]:
    return make_engine(tmp_path, ["mars", "venus"])


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


STORE_IN_A_QUERY_PROCESS = """
import sys
sys.path[:0] = [{src!r}]
from clustersim.store import Store
assert "functools" not in sys.modules, "the query shortcut was not taken"
store = Store({db!r})
for _ in range(3):  # the same statements again: served from _sqlite3's statement cache
    with store.tx():
        store.set_rs_status("app", "mars", "DEGRADED", "slow")
    print(store.rs_state("app", "mars"), store.rs("app")["rg"], store.up_nodes())
import functools  # the real one is still there for whoever needs it
print(functools.lru_cache.__module__)
"""


def test_store_in_a_fresh_query_process(rgm) -> None:
    """scha_* commands import the store in a bare interpreter (python -IS), where _sqlite3
    is imported without functools: reads and writes must work there as anywhere."""
    engine, _runner = rgm
    src = str(Path(__file__).resolve().parents[2] / "src")
    code = STORE_IN_A_QUERY_PROCESS.format(src=src, db=str(engine.layout.state_db))
    done = subprocess.run([sys.executable, "-IS", "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    seen = "('OFFLINE', 'DEGRADED', 'slow') rg ['mars', 'venus']"
    assert done.stdout.splitlines() == [seen, seen, seen, "functools"]
    assert engine.store.rs_state("app", "mars") == ("OFFLINE", "DEGRADED", "slow")


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


@pytest.fixture
def admin(rgm, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run scrgadm/scswitch on node mars as the administrator types them, with their
    requests going straight to the engine instead of to rgmd: (exit code, stderr)."""
    engine, _runner = rgm

    def to_engine(_layout: ClusterLayout, op: str, **args: object) -> object:
        return getattr(engine, op)(**args)

    commands = {"scrgadm": scrgadm, "scswitch": scswitch}
    for module in commands.values():
        monkeypatch.setattr(module, "call_rgmd", to_engine)

    def run(command: str, *argv: str) -> tuple[int, str]:
        capsys.readouterr()
        rc = commands[command].main(list(argv), layout=engine.layout, node="mars")
        return rc, capsys.readouterr().err

    return run


# ---------------------------------------------------------------- Failover_mode HARD
def _online_with_hard_failing_stop(engine: Rgm, runner: ScriptedRunner) -> list[str]:
    """app online on mars under Failover_mode HARD, its Stop there about to fail; the
    nodes the engine aborts are collected in the list returned."""
    aborted: list[str] = []
    engine.abort_node = aborted.append
    engine.change_rs("app", {"Failover_mode": "HARD"}, {})
    engine.bring_online(["rg"])
    runner.outcomes[("mars", "sleeper_stop")] = "failed"
    runner.calls.clear()
    return aborted


@pytest.mark.parametrize("request_kind", ["switch", "giveover", "restart"])
def test_hard_stop_failure_aborts_the_node_and_the_group_fails_over(rgm, request_kind) -> None:
    """r_properties(5) HARD: a failed Stop aborts the node, which forces the group offline
    there; the group then fails over as on any node death. Nothing is left to clear."""
    engine, runner = rgm
    aborted = _online_with_hard_failing_stop(engine, runner)
    if request_kind == "switch":
        engine.switch(["rg"], ["venus"])
    elif request_kind == "giveover":
        engine.scha_control("GIVEOVER", "rg", "app", "mars")
    else:
        engine.restart(["rg"], None)
    assert aborted == ["mars"]
    assert engine.store.node_state("mars") == "DOWN"
    assert engine.store.rg_state("rg", "mars") == "OFFLINE", "not ERROR_STOP_FAILED"
    assert engine.store.rs_state("app", "mars")[0] == "OFFLINE"
    assert engine.store.rg_state("rg", "venus") == "ONLINE"
    assert runner.on("mars")[-1] == ("stop", "app"), "nothing runs on an aborted node"
    assert runner.on("venus").count(("start", "app")) == 1, "started once, not twice"


@pytest.mark.parametrize("request_kind", ["switch", "giveover", "evacuate"])
def test_hard_abort_during_a_move_never_leaves_two_masters(tmp_path: Path,
                                                           request_kind: str) -> None:
    """Three nodes: the request aims at pluto, but the abort of mars already failed the
    group over (to venus, first in its node list): the failover group has one master."""
    engine, runner = make_engine(tmp_path, ["mars", "venus", "pluto"])
    _online_with_hard_failing_stop(engine, runner)
    runner.outcomes[("venus", "sleeper_monitor_check")] = "failed"  # giveover picks pluto
    if request_kind == "switch":
        engine.switch(["rg"], ["pluto"])
    elif request_kind == "giveover":
        engine.scha_control("GIVEOVER", "rg", "app", "mars")
    else:
        engine.evacuate("mars")
    masters = [n for n in ("mars", "venus", "pluto")
               if engine.store.rg_state("rg", n) in ("ONLINE", "PENDING_ONLINE")]
    assert len(masters) == 1, masters
    assert engine.store.node_state("mars") == "DOWN"


def test_hard_stop_failure_while_taking_the_group_offline_keeps_it_offline(rgm) -> None:
    """scswitch -F with a failing Stop under HARD: the node is aborted, the group is offline
    everywhere, and neither the death nor the node's return brings it back online."""
    engine, runner = rgm
    aborted = _online_with_hard_failing_stop(engine, runner)
    engine.take_offline(["rg"])  # no "clear ERROR_STOP_FAILED" refusal: the node is gone
    assert aborted == ["mars"]
    assert [engine.store.rg_state("rg", n) for n in ("mars", "venus")] == ["OFFLINE",
                                                                          "OFFLINE"]
    assert runner.on("venus") == []
    runner.outcomes.clear()
    engine.node_up("mars")
    assert engine.store.rg_state("rg", "mars") == "OFFLINE"
    assert ("start", "app") not in runner.on("mars")


def test_stop_failure_without_hard_does_not_abort(rgm) -> None:
    engine, runner = rgm
    aborted: list[str] = []
    engine.abort_node = aborted.append
    engine.bring_online(["rg"])
    runner.outcomes[("mars", "sleeper_stop")] = "failed"
    with pytest.raises(ClusterError, match="ERROR_STOP_FAILED"):
        engine.take_offline(["rg"])
    assert aborted == [] and engine.store.node_state("mars") == "UP"


# ---------------------------------------------------------------- Start failure modes
@pytest.mark.parametrize(("mode", "relocated"), [("HARD", True), ("RESTART_ONLY", False),
                                                 ("LOG_ONLY", False), ("NONE", False)])
def test_start_failure_by_failover_mode(rgm, mode: str, relocated: bool) -> None:
    """SOFT and HARD relocate the group after a failed Start (HARD aborts nothing: that is
    for Stop failures); the other modes leave it Online_faulted with Start_failed."""
    engine, runner = rgm
    aborted: list[str] = []
    engine.abort_node = aborted.append
    engine.change_rs("app", {"Failover_mode": mode}, {})
    runner.outcomes[("mars", "sleeper_start")] = "failed"
    runner.calls.clear()
    engine.bring_online(["rg"])
    assert aborted == [] and engine.store.node_state("mars") == "UP"
    if relocated:
        assert engine.store.rg_state("rg", "venus") == "ONLINE"
        assert engine.store.rg_state("rg", "mars") == "OFFLINE"
        assert engine.store.rs_state("app", "venus")[0] == "ONLINE"
    else:
        assert engine.store.rs_state("app", "mars")[0] == "START_FAILED"
        assert engine.store.rg_state("rg", "mars") == "ONLINE_FAULTED"
        assert engine.store.rg_state("rg", "venus") == "OFFLINE"
        assert runner.on("venus") == [], "nothing starts on venus"


# ---------------------------------------------------------------- property changes
def test_group_property_change_runs_update_where_resources_are_online(rgm) -> None:
    engine, runner = rgm
    engine.bring_online(["rg"])
    runner.calls.clear()
    engine.change_rg("rg", None, {"Pingpong_interval": "60"})
    assert runner.on("mars") == [("validate", "app"), ("update", "app")]
    assert runner.on("venus") == [("validate", "app")], "app is not online on venus"
    assert engine.store.rg("rg")["props"]["Pingpong_interval"] == 60
    runner.calls.clear()
    runner.outcomes[("venus", "sleeper_validate")] = "failed"
    with pytest.raises(ClusterError, match="venus"):
        engine.change_rg("rg", None, {"Pingpong_interval": "90"})
    assert ("update", "app") not in runner.on("mars"), "a cancelled change runs no Update"
    assert engine.store.rg("rg")["props"]["Pingpong_interval"] == 60


# ---------------------------------------------------------------- scswitch -R, -e/-n -M
def test_scswitch_restart_stops_and_starts_the_group_in_place(rgm, admin) -> None:
    engine, runner = rgm
    engine.bring_online(["rg"])
    runner.calls.clear()
    assert admin("scswitch", "-R", "-g", "rg") == (0, "")
    assert runner.on("mars") == [("monitor_stop", "app"), ("stop", "app"),
                                 ("postnet_stop", "app"), ("prenet_start", "app"),
                                 ("start", "app"), ("monitor_start", "app")]
    assert runner.on("venus") == []
    assert engine.store.rg_state("rg", "mars") == "ONLINE"
    rc, err = admin("scswitch", "-R", "-g", "nosuch")
    assert rc == 12 and "nosuch" in err


def test_scswitch_monitor_disable_and_enable(rgm, admin) -> None:
    engine, runner = rgm
    engine.bring_online(["rg"])
    runner.calls.clear()
    assert admin("scswitch", "-n", "-M", "-j", "app") == (0, "")
    assert runner.on("mars") == [("monitor_stop", "app")]
    assert engine.store.rs_state("app", "mars")[0] == "ONLINE_NOT_MONITORED"
    assert engine.store.switches("app") == (True, False)
    runner.calls.clear()
    engine.switch(["rg"], ["venus"])  # an unmonitored resource comes up unmonitored
    assert ("monitor_start", "app") not in runner.on("venus")
    assert engine.store.rs_state("app", "venus")[0] == "ONLINE_NOT_MONITORED"
    runner.calls.clear()
    assert admin("scswitch", "-e", "-M", "-j", "app") == (0, "")
    assert runner.on("venus") == [("monitor_start", "app")]
    assert engine.store.rs_state("app", "venus")[0] == "ONLINE"
    assert engine.store.switches("app") == (True, True)


# ---------------------------------------------------------------- scha_control
def test_check_restart_checks_without_restarting(rgm) -> None:
    engine, runner = rgm
    engine.bring_online(["rg"])
    runner.calls.clear()
    engine.scha_control("CHECK_RESTART", "rg", "app", "mars")
    assert runner.calls == []
    assert engine.store.events("rg_restart", "rg", 0) == [], "Num_rg_restarts unchanged"
    assert engine.store.rs_state("app", "mars")[0] == "ONLINE"
    with pytest.raises(ClusterError, match="not online on node venus"):
        engine.scha_control("CHECK_RESTART", "rg", "app", "venus")
    engine.change_rs("app", {"Failover_mode": "RESTART_ONLY"}, {})
    with pytest.raises(ClusterError, match="RESTART_ONLY") as refused:
        engine.scha_control("CHECK_RESTART", "rg", "app", "mars")
    assert refused.value.err == "CHECKS"


# ---------------------------------------------------------------- registration with -f
def test_scrgadm_registers_a_type_from_a_file(rgm, admin) -> None:
    engine, _runner = rgm
    rtr = engine.layout.node_root("mars") / "opt/TESTsleep/etc/TEST.napper"
    rtr.parent.mkdir(parents=True)
    rtr.write_text(SLEEPER_RTR.read_text().replace('RESOURCE_TYPE = "sleeper"',
                                                   'RESOURCE_TYPE = "napper"'))
    rc, err = admin("scrgadm", "-a", "-t", "TEST.nap", "-f", "/opt/TESTsleep/etc/TEST.napper")
    assert rc == 13 and "TEST.napper" in err and "TEST.nap" in err
    rc, err = admin("scrgadm", "-a", "-t", "TEST.napper", "-f", "opt/TESTsleep/etc/TEST.napper")
    assert rc == 3 and "absolute" in err
    rc, err = admin("scrgadm", "-a", "-t", "TEST.napper", "-f", "/opt/TESTsleep/etc/missing")
    assert rc == 13 and "/opt/TESTsleep/etc/missing" in err and "not found" in err
    assert admin("scrgadm", "-a", "-t", "TEST.napper", "-f",
                 "/opt/TESTsleep/etc/TEST.napper") == (0, "")
    # No #$upgrade in the file: no version in the name.
    assert engine.store.resolve_rt("TEST.napper") == "TEST.napper"
    rc, err = admin("scrgadm", "-a", "-t", "TEST.napper", "-f", "/opt/TESTsleep/etc/TEST.napper")
    assert rc == 13 and "already registered" in err
    engine.create_rs("nap", "rg", "TEST.napper", {}, {})  # usable like any type


# ---------------------------------------------------------------- scstat, clustersim status
def test_scstat_p_and_pv_show_nodes_groups_resources_and_quorum(rgm) -> None:
    engine, _runner = rgm
    engine.bring_online(["rg"])
    with engine.store.tx():
        engine.store.set_rs_status("app", "mars", "OK", "Service is online.")
    engine.node_down("venus")
    for flags in (["-p"], ["-pv"]):
        text = scstat.render(engine.layout, flags)
        rows = [ln.split() for ln in text.splitlines()]
        assert ["Cluster", "node:", "mars", "Online"] in rows
        assert ["Cluster", "node:", "venus", "Offline"] in rows
        assert ["Resources:", "rg", "app"] in rows
        assert ["Group:", "rg", "mars", "Online"] in rows
        assert ["Group:", "rg", "venus", "Offline"] in rows
        assert ["Resource:", "app", "mars", "Online", "Online", "-", "Service", "is",
                "online."] in rows
        assert ["Resource:", "app", "venus", "Offline", "Offline"] in rows
        assert ["Quorum", "votes", "present:", "1"] in rows
    only = scstat.render(engine.layout, ["-g", "-h", "venus"])
    assert "Cluster node:" not in only and "mars" not in only
    with pytest.raises(ClusterError, match="pluto"):
        scstat.render(engine.layout, ["-p", "-h", "pluto"])


def test_clustersim_status_of_a_stopped_cluster(rgm, capsys) -> None:
    engine, _runner = rgm
    engine.bring_online(["rg"])
    assert cli.main(["status", str(engine.layout.base)]) == 0
    out = capsys.readouterr().out
    assert f"at {engine.layout.base}" in out
    assert "rgmd: stopped" in out
    assert f"node mars: down, 198.18.0.11, files in {engine.layout.node_root('mars')}" in out
    assert ["Group:", "rg", "mars", "Online"] in [ln.split() for ln in out.splitlines()]
    assert cli.main(["status", str(engine.layout.base / "nowhere")]) == 19
    assert "no cluster at" in capsys.readouterr().err


# ---------------------------------------------------------------- built-in storage types
# (mounting is end to end, on real hosts: tests/clustersim/test_nodes_storage_e2e.py)
VFSTAB = ("/dev/global/dsk/d4s0 /dev/global/rdsk/d4s0 /global/mail ufs 2 yes global,logging\n"
          "/dev/md/penguin/dsk/d500 /dev/md/penguin/rdsk/d500 /var/opt/mail ufs 2 no logging\n")


def test_hastorage_validates_its_service_paths(rgm) -> None:
    engine, _runner = rgm
    for node in ("mars", "venus"):
        with open(engine.layout.node_root(node) / "etc/vfstab", "a") as fh:
            fh.write(VFSTAB)
    engine.register_type("mars", "SUNW.HAStorage", None)
    with pytest.raises(ClusterError, match="ServicePaths"):
        engine.create_rs("hast", "rg", "SUNW.HAStorage", {}, {})
    with pytest.raises(ClusterError, match="VALIDATE"):
        engine.create_rs("hast", "rg", "SUNW.HAStorage", {}, {"ServicePaths": "/nowhere"})
    engine.create_rs("hast", "rg", "SUNW.HAStorage", {},
                     {"ServicePaths": "/global/mail,/var/opt/mail"})


def test_storage_methods_refuse_to_run_off_their_node(rgm) -> None:
    """Run outside the node's host (here, in this process), Prenet_start mounts nothing:
    an address or a disk is never brought up on the machine itself."""
    engine, runner = rgm
    for node in ("mars", "venus"):
        with open(engine.layout.node_root(node) / "etc/vfstab", "a") as fh:
            fh.write(VFSTAB)
    engine.register_type("mars", "SUNW.HAStoragePlus", None)
    engine.create_rs("disk", "rg", "SUNW.HAStoragePlus", {},
                     {"FilesystemMountPoints": "/var/opt/mail"})
    with contextlib.suppress(ClusterError):
        engine.bring_online(["rg"])
    assert ("hastorageplus_prenet_start", "disk") in runner.on("mars")
    assert {engine.store.rs_state("disk", n)[0] for n in ("mars", "venus")} != {"ONLINE"}
    assert engine.store.rs_state("disk", "mars")[0] != "ONLINE"
    assert engine.store.rs_state("disk", "venus")[0] != "ONLINE"


@pytest.mark.parametrize("tag", ["GIVEOVER", "CHECK_GIVEOVER"])
def test_monitor_check_runs_only_for_the_resource_that_asked(rgm, tag: str) -> None:
    """The Developer's Guide: scha_control calls Monitor_check to learn whether a node can
    master "the resource group that contains the resource" that asked; the group's other
    resources are not asked."""
    engine, runner = rgm
    engine.create_rs("other", "rg", "TEST.sleeper", {}, {})
    engine.bring_online(["rg"])
    runner.calls.clear()
    engine.scha_control(tag, "rg", "app", "mars")
    checks = [(n, m, r) for n, m, r in runner.calls if m == "sleeper_monitor_check"]
    assert checks == [("venus", "sleeper_monitor_check", "app")]
    assert engine.store.rg_state("rg", "venus") == ("ONLINE" if tag == "GIVEOVER"
                                                    else "OFFLINE")


def test_a_refused_giveover_says_which_node_pingpong_interval_excluded_and_when(rgm) -> None:
    """The RGM logs why it refused (the node that gave the group up, how long ago, the
    Pingpong_interval) and scha_control's message says the same; the exit code stays
    SCHA_ERR_CHECKS, all that scha_control(1HA) documents."""
    engine, _runner = rgm
    engine.bring_online(["rg"])
    engine.scha_control("GIVEOVER", "rg", "app", "mars")  # mars gives the group to venus
    assert engine.store.rg_state("rg", "venus") == "ONLINE"
    with pytest.raises(ClusterError) as refused:
        engine.scha_control("GIVEOVER", "rg", "app", "venus")
    assert refused.value.exit_code == 16
    assert re.search(r"node mars gave the group up \d+ s ago, within Pingpong_interval "
                     r"\(3600 s\)", str(refused.value)), str(refused.value)


def test_a_refused_giveover_names_the_failed_monitor_check(rgm) -> None:
    engine, runner = rgm
    engine.bring_online(["rg"])
    runner.outcomes[("venus", "sleeper_monitor_check")] = "failed"
    with pytest.raises(ClusterError, match="Monitor_check of resource app failed on node "
                                           "venus"):
        engine.scha_control("GIVEOVER", "rg", "app", "mars")
