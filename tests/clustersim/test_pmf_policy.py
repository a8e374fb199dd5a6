"""PMF's restart decision and signal names, without processes."""

from __future__ import annotations

import signal

import pytest

from clustersim.options import signal_number
from clustersim.pmf_policy import RestartPolicy, failures_in_window, record_failure
from clustersim.pmfadm import UsageError, build_request, format_status, parse


def decisions(policy: RestartPolicy, times: list[float]) -> list[bool]:
    history: list[float] = []
    result = []
    for now in times:
        history, restart = record_failure(history, now, policy)
        result.append(restart)
    return result


def test_default_policy_never_restarts() -> None:
    assert decisions(RestartPolicy(), [0.0]) == [False]


def test_retries_within_an_unbounded_period() -> None:
    assert decisions(RestartPolicy(2, -1), [0, 1000, 99999]) == [True, True, False]


def test_infinite_retries() -> None:
    assert all(decisions(RestartPolicy(-1, 1), [float(t) for t in range(50)]))


def test_failures_older_than_the_period_no_longer_count() -> None:
    policy = RestartPolicy(retries=2, period=1)  # 2 restarts per minute
    assert decisions(policy, [0, 10, 61, 70, 75]) == [True, True, True, True, False]
    assert failures_in_window([0, 10, 61, 70], 100, policy) == [61, 70]


@pytest.mark.parametrize(
    ("text", "number"),
    [("TERM", signal.SIGTERM), ("SIGKILL", signal.SIGKILL), ("hup", signal.SIGHUP),
     ("9", 9), ("Usr1", signal.SIGUSR1)],
)  # fmt: skip
def test_signal_names(text: str, number: int) -> None:
    assert signal_number(text) == number


@pytest.mark.parametrize("text", ["NOPE", "0", "999", "", "-9"])
def test_bad_signal_names(text: str) -> None:
    with pytest.raises(ValueError):
        signal_number(text)


def test_pmfadm_parses_like_getopt() -> None:
    opts, rest = parse(["-c", "rg,rs,0.svc", "-n", "-1", "-t", "-1", "-ekey=v", "cmd", "-n", "x"])
    assert opts == {"c": "rg,rs,0.svc", "n": "-1", "t": "-1", "e": ["key=v"]}
    assert rest == ["cmd", "-n", "x"]
    request = build_request(opts, rest, "mars")
    assert request["env"] == {"key": "v"} and request["env_args"] == ["-e", "key=v"]
    assert (request["retries"], request["period"], request["level"]) == (-1, -1, -1)
    stop = build_request(*parse(["-s", "t", "-w", "30", "SIGTERM"]), "mars")
    assert stop == {"op": "stop", "tag": "t", "sig": 15, "wait": 30.0}
    assert build_request(*parse(["-s", "t"]), "mars")["sig"] is None
    assert build_request(*parse(["-k", "t"]), "mars")["sig"] == signal.SIGKILL
    assert build_request(*parse(["-L", "-h", "mars"]), "mars") == {"op": "list"}


@pytest.mark.parametrize(
    "argv",
    [["-c", "t"], ["-c", "t", "-w", "3", "x"], ["-q"], ["-L", "-h", "venus"],
     ["-k", "t", "a", "b"], ["-c", "t", "-C", "-1", "x"], ["-m", "t", "-n", "x"],
     ["-s", "t", "-w", "-5"], ["-c", "t", "-e", "NOEQ", "x"]],
)  # fmt: skip
def test_pmfadm_usage_errors(argv: list[str]) -> None:
    with pytest.raises(UsageError):
        build_request(*parse(argv), "mars")


def test_status_block() -> None:
    status = {"tag": "rg,rs,0.svc", "argv": ["/opt/x/bin/start", "a b"], "action": "/bin/act x",
              "retries": 2, "period": 5, "level": 1, "env_args": ["-e", "A=1"], "owner": "root",
              "restarts": 1, "pids": [10, 11]}  # fmt: skip
    assert format_status(status) == (
        "STATUS rg,rs,0.svc\n"
        "pmfadm -c rg,rs,0.svc -a '/bin/act x' -e A=1 -n 2 -t 5 -C 1 /opt/x/bin/start 'a b'\n"
        "\tretries: 1\n\towner: root\n\tmonitor children: 1\n\tpids: 10 11\n"
    )
