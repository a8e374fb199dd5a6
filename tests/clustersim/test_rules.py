"""The RGM's decisions, without processes: start order, candidates, Failover_mode,
ping-pong, scha_control refusals, group states, Init_nodes."""

from __future__ import annotations

from clustersim import rules


def test_strong_dependencies_start_first_and_stop_last() -> None:
    deps = {"mail-rs": ["disk-rs", "meadow"], "disk-rs": [], "meadow": []}
    order = rules.online_order(["mail-rs", "disk-rs", "meadow"], deps)
    assert order.index("disk-rs") < order.index("mail-rs")
    assert order.index("meadow") < order.index("mail-rs")
    assert rules.offline_order(["mail-rs", "disk-rs", "meadow"], deps)[0] == "mail-rs"


def test_network_resources_first_when_implicit_dependencies() -> None:
    order = rules.online_order(["app", "lh"], {}, network=["lh"], implicit_network=True)
    assert order == ["lh", "app"]
    assert rules.online_order(["app", "lh"], {}, ["lh"], implicit_network=False) == ["app", "lh"]


def test_creation_order_kept_and_cycles_do_not_hang() -> None:
    assert rules.online_order(["b", "a", "c"], {}) == ["b", "a", "c"]
    assert sorted(rules.online_order(["a", "b"], {"a": ["b"], "b": ["a"]})) == ["a", "b"]
    assert rules.dependency_cycle("a", {"a": ["b"], "b": ["a"]})
    assert not rules.dependency_cycle("a", {"a": ["b"], "b": []})


def test_candidates_follow_nodelist_and_skip_down_and_excluded() -> None:
    assert rules.candidate_nodes(["venus", "mars"], ["mars", "venus"]) == ["venus", "mars"]
    assert rules.candidate_nodes(["venus", "mars"], ["mars"]) == ["mars"]
    assert rules.candidate_nodes(["mars", "venus"], ["mars", "venus"], ["mars"]) == ["venus"]


def test_pingpong_interval() -> None:
    assert rules.pingpong_blocked([100.0], now=150.0, interval=3600)
    assert not rules.pingpong_blocked([100.0], now=4000.0, interval=3600)
    assert not rules.pingpong_blocked([], now=1.0, interval=3600)
    assert not rules.pingpong_blocked([100.0], now=150.0, interval=3600, threshold=2)


def test_failover_mode_on_start_and_stop_failure() -> None:
    assert rules.start_failure_relocates("SOFT") and rules.start_failure_relocates("hard")
    for mode in ("NONE", "RESTART_ONLY", "LOG_ONLY"):
        assert not rules.start_failure_relocates(mode)
    assert rules.stop_failure_aborts_node("HARD")
    assert not rules.stop_failure_aborts_node("SOFT")


def test_scha_control_refusals() -> None:
    assert rules.scha_control_refusal("GIVEOVER", "NONE") is None
    assert rules.scha_control_refusal("GIVEOVER", "RESTART_ONLY")
    assert rules.scha_control_refusal("RESTART", "RESTART_ONLY")
    assert rules.scha_control_refusal("RESOURCE_RESTART", "RESTART_ONLY") is None
    assert rules.scha_control_refusal("RESOURCE_RESTART", "LOG_ONLY")


def test_group_states() -> None:
    assert rules.rg_state_after_online(["ONLINE", "ONLINE_NOT_MONITORED"]) == "ONLINE"
    assert rules.rg_state_after_online(["ONLINE", "START_FAILED"]) == "ONLINE_FAULTED"
    assert rules.rg_state_after_offline(["OFFLINE", "STOP_FAILED"]) == "ERROR_STOP_FAILED"
    assert rules.rg_state_after_offline(["OFFLINE"]) == "OFFLINE"


def test_init_nodes() -> None:
    assert rules.init_nodes("RG_PRIMARIES", ["venus", "mars"], ["*"], ["mars"]) == ["mars"]
    assert rules.init_nodes("RT_INSTALLED_NODES", ["mars"], ["mars", "venus"],
                            ["mars", "venus"]) == ["mars", "venus"]


def test_restart_counter_window() -> None:
    assert rules.restarts_within([10.0, 50.0, 95.0], now=100.0, window=60) == 2
