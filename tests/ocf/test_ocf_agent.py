"""The installed agent on one host, run as Pacemaker runs it: ocf-tester passes, and each
outcome has its OCF code, one log line and an exit reason."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pacemakerbed.agent_host import AGENT, AgentHost
from pacemakerbed.bed import MSSIM, SERVER_ROOT

pytestmark = pytest.mark.e2e

REASON = "ocf-exit-reason:"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory, deb: Path, capable: None
         ) -> Iterator[AgentHost]:
    made = AgentHost.create(tmp_path_factory.mktemp("agent"), deb)
    try:
        yield made
    finally:
        made.agent("stop")
        made.destroy()


@pytest.fixture
def stopped(node: AgentHost) -> Iterator[AgentHost]:
    assert node.agent("stop").returncode == 0
    yield node
    node.run([*MSSIM, "fault", SERVER_ROOT, "clear"], check=False)
    assert node.agent("stop").returncode == 0
    assert node.agent("monitor").returncode == 7


def test_ocf_tester_passes(stopped: AgentHost) -> None:
    done = stopped.run(["ocf-tester", "-n", "ms", "-o", f"ims_serverroot={SERVER_ROOT}",
                        AGENT], check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{AGENT} passed all tests" in done.stdout


def test_start_monitor_stop_are_idempotent_and_logged(stopped: AgentHost) -> None:
    assert stopped.agent("monitor", OCF_RESKEY_CRM_meta_interval="0").returncode == 7
    assert stopped.agent("start").returncode == 0
    assert stopped.agent("start").returncode == 0
    assert stopped.agent("monitor", OCF_RESKEY_CRM_meta_interval="10000").returncode == 0
    assert stopped.agent("stop").returncode == 0
    assert stopped.agent("stop").returncode == 0
    log = stopped.syslog_text()
    assert "ims(ms)[" in log and "[ID " in log and "Messaging Server is up" in log


def monitor_after(stopped: AgentHost, fault: str, interval_ms: str,
                  level: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Start, `mssim fault imapd <fault>`, one monitor at OCF_CHECK_LEVEL `level`: what it
    said, and how long it took."""
    assert stopped.agent("start").returncode == 0
    stopped.run([*MSSIM, "fault", SERVER_ROOT, "imapd", fault])
    began = time.monotonic()
    done = stopped.agent("monitor", OCF_RESKEY_CRM_meta_interval=interval_ms,
                         OCF_RESKEY_CRM_meta_timeout="20000", OCF_CHECK_LEVEL=level)
    return done, time.monotonic() - began


def test_a_hung_service_fails_the_monitor_within_its_timeout(stopped: AgentHost) -> None:
    """A server that accepts and never answers while its process runs (a deadlock: mssim's
    `stall`) is for the thorough monitor's protocol probe (OCF_CHECK_LEVEL 10)."""
    done, took = monitor_after(stopped, "stall", "10000", "10")
    assert done.returncode == 1
    assert REASON in done.stderr and "timed out" in done.stderr
    assert took < 20  # within the operation's timeout: the agent reported, not Pacemaker


def test_a_stopped_server_fails_even_the_quick_monitor_in_seconds(stopped: AgentHost) -> None:
    """A hung (SIGSTOPped) imapd: the quick monitor (OCF_CHECK_LEVEL 0) sees its state."""
    done, took = monitor_after(stopped, "hang", "2000", "0")
    assert done.returncode == 1
    assert REASON in done.stderr and "imapd (pid " in done.stderr
    assert "is hung: stopped by a signal (process state T)" in done.stderr
    assert took < 10, f"the quick monitor took {took:.1f} s"


def test_the_watcher_giving_up_is_a_hard_error(stopped: AgentHost) -> None:
    assert stopped.agent("start").returncode == 0
    stopped.run([*MSSIM, "fault", SERVER_ROOT, "imapd", "crash"])
    deadline = time.monotonic() + 30
    while not stopped.run(["pgrep", "-f", f"^{SERVER_ROOT}/lib/imapd"],
                          check=False).stdout.strip():
        assert time.monotonic() < deadline, "the watcher did not restart imapd"
        time.sleep(0.2)
    stopped.run([*MSSIM, "fault", SERVER_ROOT, "imapd", "crash"])
    deadline = time.monotonic() + 30
    while stopped.run(["pgrep", "-f", f"^{SERVER_ROOT}/lib/"], check=False).stdout.strip():
        assert time.monotonic() < deadline, "the watcher did not give up"
        time.sleep(0.2)
    done = stopped.agent("monitor", OCF_RESKEY_CRM_meta_interval="10000")
    assert done.returncode == 2
    assert "gave up" in done.stderr
    # a probe reports the state, not the failure: nothing runs
    assert stopped.agent("monitor", OCF_RESKEY_CRM_meta_interval="0").returncode == 7


def test_a_killed_watcher_with_services_still_answering_is_a_soft_error(
        stopped: AgentHost) -> None:
    """The watcher SIGKILLed, its services (running as the runtime user) still up: a failed
    Messaging Server to restart in place (OCF_ERR_GENERIC), not one that shut itself down
    (OCF_ERR_ARGS, which would ban the node)."""
    assert stopped.agent("start").returncode == 0
    before = len(stopped.syslog_text())
    stopped.run(["pkill", "-KILL", "-f", f"^{SERVER_ROOT}/lib/watcher"])
    assert stopped.run(["pgrep", "-f", f"^{SERVER_ROOT}/lib/imapd"],
                       check=False).stdout.strip(), "imapd died with its watcher"
    done = stopped.agent("monitor", OCF_RESKEY_CRM_meta_interval="10000")
    assert done.returncode == 1, done.stderr
    assert "shut itself down" not in done.stderr and "watcher" in done.stderr
    assert "shut itself down" not in stopped.syslog_text()[before:]


def test_a_hung_stop_msg_is_cut_short_within_the_stop_timeout(stopped: AgentHost) -> None:
    assert stopped.agent("start").returncode == 0
    stopped.run([*MSSIM, "fault", SERVER_ROOT, "stop-msg", "hang"])
    began = time.monotonic()
    done = stopped.agent("stop", OCF_RESKEY_CRM_meta_timeout="10000")
    took = time.monotonic() - began
    assert done.returncode == 0
    assert took < 10
    assert not stopped.run(["pgrep", "-f", f"^{SERVER_ROOT}/"], check=False).stdout.strip()
    assert "did not finish in" in stopped.syslog_text()


@pytest.mark.parametrize(("params", "code", "reason"), [
    ({"ims_serverroot": ""}, 6, "IMS_serverroot"),
    ({"ims_serverroot": "relative/path"}, 6, "absolute"),
    ({"ims_serverroot": "/opt/nothing-here"}, 5, "/opt/nothing-here"),
    ({"probe_timeout": "1"}, 6, "probe_timeout"),
    ({"probe_timeout": "soon"}, 6, "probe_timeout"),
])
def test_bad_parameters_are_refused_with_a_reason(
        node: AgentHost, params: dict[str, str], code: int, reason: str) -> None:
    for action in ("validate-all", "start"):
        done = node.agent(action, **params)
        assert done.returncode == code, (action, done.stderr)
        assert REASON in done.stderr and reason in done.stderr
        assert "Traceback" not in done.stderr
    assert node.agent("stop", **params).returncode == 0  # stop never fails on bad config


def test_unknown_action_and_usage(node: AgentHost) -> None:
    assert node.agent("promote").returncode == 3
    assert node.agent("usage").returncode == 0
    assert node.run([AGENT], check=False).returncode == 2
