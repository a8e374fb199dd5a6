"""The restart-or-failover rules of the fault monitor (scds_fm_action semantics)."""

from __future__ import annotations

import pytest

from scims.cluster.scha_errors import SchaError
from scims.failure_history import (
    COMPLETE_FAILURE,
    IMMEDIATE_FAILOVER,
    Action,
    FailureHistory,
    RefusalFacts,
    after_rejected_giveover,
    decide,
    explain_refusal,
)


def test_history_sums_scores_within_retry_interval_and_forgets_older_ones() -> None:
    history = FailureHistory(retry_interval=300)
    assert history.record(0.0, 50) == 50
    assert history.record(100.0, 25) == 75
    # the first failure is now older than Retry_interval
    assert history.record(301.0, 0) == 25
    assert history.total(401.0) == 0


def test_scores_above_complete_failure_count_as_complete() -> None:
    history = FailureHistory(retry_interval=60)
    assert history.record(0.0, IMMEDIATE_FAILOVER) == COMPLETE_FAILURE


def test_history_rejects_a_nonsense_interval() -> None:
    with pytest.raises(ValueError):
        FailureHistory(retry_interval=0)


def test_healthy_cycle_with_clean_history_is_healthy() -> None:
    assert decide(0, 0, 0, 2, "SOFT").action is Action.HEALTHY


def test_partial_failures_below_100_only_degrade() -> None:
    decision = decide(50, 75, 0, 2, "SOFT")
    assert decision.action is Action.DEGRADED
    assert decision.failure_sum == 75


def test_a_healthy_cycle_after_recent_failures_is_healthy_again() -> None:
    # Healed: status OK at once, though the failure stays in the history for Retry_interval.
    decision = decide(0, 50, 0, 2, "SOFT")
    assert decision.action is Action.HEALTHY
    assert decision.failure_sum == 50
    assert "failure history 50" in decision.why


def test_a_healthy_cycle_is_healthy_even_when_the_history_holds_a_complete_failure() -> None:
    # LOG_ONLY keeps the history (nothing restarted, nothing cleared); healed is still OK.
    assert decide(0, 300, 0, 2, "LOG_ONLY").action is Action.HEALTHY


def test_the_history_still_counts_after_healing() -> None:
    history = FailureHistory(retry_interval=300)
    assert decide(50, history.record(0.0, 50), 0, 2, "SOFT").action is Action.DEGRADED
    assert decide(0, history.record(30.0, 0), 0, 2, "SOFT").action is Action.HEALTHY
    # a second partial failure within Retry_interval adds up to a complete one
    assert decide(50, history.record(60.0, 50), 0, 2, "SOFT").action is Action.RESTART


def test_complete_failure_restarts_while_restarts_remain() -> None:
    decision = decide(COMPLETE_FAILURE, 100, 1, 2, "SOFT")
    assert decision.action is Action.RESTART
    assert "restart 2 of 2" in decision.why


def test_complete_failure_after_retry_count_restarts_gives_the_group_over() -> None:
    assert decide(COMPLETE_FAILURE, 100, 2, 2, "SOFT").action is Action.GIVEOVER
    assert decide(COMPLETE_FAILURE, 100, 0, 0, "NONE").action is Action.GIVEOVER


def test_immediate_failover_request_skips_restarts() -> None:
    assert decide(IMMEDIATE_FAILOVER, 100, 0, 2, "SOFT").action is Action.GIVEOVER


@pytest.mark.parametrize("score", [COMPLETE_FAILURE, IMMEDIATE_FAILOVER])
def test_log_only_never_acts(score: int) -> None:
    assert decide(score, 100, 0, 2, "LOG_ONLY").action is Action.REPORT_ONLY


def test_restart_only_restarts_but_never_gives_over() -> None:
    assert decide(COMPLETE_FAILURE, 100, 1, 2, "restart_only").action is Action.RESTART
    assert decide(COMPLETE_FAILURE, 100, 2, 2, "RESTART_ONLY").action is Action.EXHAUSTED
    assert decide(IMMEDIATE_FAILOVER, 100, 0, 2, "RESTART_ONLY").action is Action.RESTART
    assert decide(IMMEDIATE_FAILOVER, 100, 2, 2, "RESTART_ONLY").action is Action.EXHAUSTED


def test_rejected_giveover_falls_back_to_a_local_restart() -> None:
    giveover = decide(COMPLETE_FAILURE, 100, 2, 2, "SOFT")
    fallback = after_rejected_giveover(giveover)
    assert fallback.action is Action.RESTART
    assert "rejected" in fallback.why


def test_unknown_failover_mode_is_an_error() -> None:
    with pytest.raises(ValueError):
        decide(0, 0, 0, 2, "SOMETIMES")


@pytest.mark.parametrize("mode", ["NONE", "SOFT", "HARD"])
def test_failover_enabled_false_restarts_but_never_gives_over(mode: str) -> None:
    """Failover_enabled FALSE (SUNW.iws, SUNW.iim, SUNW.gds): no failover once the restarts
    exceed Retry_count, and none on Messaging Server's own request either."""
    def action(score: int, restarts: int, enabled: bool = False) -> Action:
        return decide(score, 100, restarts, 2, mode, failover_enabled=enabled).action

    assert action(COMPLETE_FAILURE, 1) is Action.RESTART
    assert action(COMPLETE_FAILURE, 2) is Action.EXHAUSTED
    assert decide(COMPLETE_FAILURE, 100, 2, 2, mode, failover_enabled=False).why.endswith(
        "and Failover_enabled is FALSE")
    assert action(IMMEDIATE_FAILOVER, 0) is Action.RESTART
    assert action(IMMEDIATE_FAILOVER, 2) is Action.EXHAUSTED
    assert action(COMPLETE_FAILURE, 2, enabled=True) is Action.GIVEOVER


def test_failover_enabled_false_leaves_log_only_as_it_is() -> None:
    decision = decide(COMPLETE_FAILURE, 100, 0, 2, "LOG_ONLY", failover_enabled=False)
    assert decision.action is Action.REPORT_ONLY


# --- a refusal explained in the administrator's terms --------------------------------------


def facts(nodelist: tuple[str, ...] = ("mars", "venus"), down: tuple[str, ...] = (),
          pingpong: int | None = 3600) -> RefusalFacts:
    return RefusalFacts("MAIL-RG", "mars", nodelist, down, pingpong)


def test_a_refused_failover_names_pingpong_interval_and_the_node_it_excludes() -> None:
    why = explain_refusal("the failover", SchaError.CHECKS, facts())
    assert why.startswith("venus is up, so the cluster kept the group off it by "
                          "Pingpong_interval (3600 s: a node that gave resource group MAIL-RG "
                          "up, or failed to start it, within that time may not master it)")
    assert why.endswith("(SCHA_ERR_CHECKS: sanity checks failed)")


def test_a_refused_failover_with_no_other_member_says_so() -> None:
    why = explain_refusal("the failover", SchaError.CHECKS,
                          facts(("mars", "venus", "pluto"), down=("venus", "pluto")))
    assert why.startswith("no other node can master resource group MAIL-RG: venus and pluto "
                          "are not a cluster member now")


def test_a_refused_failover_of_a_one_node_group_names_the_nodelist() -> None:
    why = explain_refusal("the failover", SchaError.CHECKS, facts(("mars",)))
    assert why.startswith("no other node can master resource group MAIL-RG: its Nodelist "
                          "names only mars")


def test_without_pingpong_the_refusal_is_monitor_checks() -> None:
    why = explain_refusal("the failover", SchaError.CHECKS, facts(pingpong=0))
    assert why.startswith("Monitor_check of the resource failed on venus, which is up")


def test_a_restart_refused_for_the_resources_state_says_it_is_not_online() -> None:
    why = explain_refusal("the restart", SchaError.STATE, facts())
    assert why.startswith("the restart was refused: the resource is not online on mars "
                          "(disabled, or being switched or restarted by an administrator)")
