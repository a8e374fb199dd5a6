"""hatimerun(1M): exit status contract, timeouts, process groups, SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clustersim import procs
from clustersim.hatimerun import main
from support.waiting import wait_for

pytestmark = pytest.mark.e2e


def run(*args: str) -> int:
    return main(list(args))


def read_pid(path: Path) -> int:
    return int(wait_for(lambda: path.exists() and path.read_text().strip(), what=str(path)))


def test_child_exit_status_passes_through() -> None:
    assert run("-t", "30", "sh", "-c", "exit 7") == 7
    assert run("-t", "30", "true") == 0


def test_child_killed_by_a_signal_gives_128_plus_n() -> None:
    assert run("-t", "30", "sh", "-c", "kill -TERM $$") == 128 + signal.SIGTERM


def test_timeout_kills_the_whole_process_group_and_exits_99(tmp_path: Path) -> None:
    bg = tmp_path / "bg.pid"
    started = time.monotonic()

    rc = run("-t", "1", "sh", "-c", f'sleep 1000 & echo $! > "{bg}"; wait')

    assert rc == 99
    assert time.monotonic() - started < 15
    assert procs.wait_gone([read_pid(bg)], 10), "the background child was in the group"


def test_timeout_exit_code_with_e(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("-v", "-t", "1", "-e", "42", "sleep", "1000") == 42
    err = capsys.readouterr().err
    assert "timed out after 1s" in err and "SIGKILL" in err


def test_k_sends_the_given_signal(tmp_path: Path) -> None:
    caught, ready = tmp_path / "caught", tmp_path / "ready"
    script = f'trap \'echo term > "{caught}"; exit 0\' TERM\ntouch "{ready}"\n' \
             "while :; do sleep 0.05; done\n"  # fmt: skip

    assert run("-t", "2", "-k", "term", "sh", "-c", script) == 99

    wait_for(caught.exists, what="the TERM trap to run")


def test_a_leaves_the_child_running(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    rc = run("-a", "-t", "1", "sh", "-c", f'echo $$ > "{pidfile}"; exec sleep 1000')
    pid = read_pid(pidfile)
    try:
        assert rc == 99
        assert procs.is_alive(pid)
    finally:
        os.killpg(pid, signal.SIGKILL)
    assert procs.wait_gone([pid], 10)


@pytest.mark.parametrize(
    "args",
    [[], ["true"], ["-t"], ["-t", "x", "true"], ["-t", "1", "-a", "-k", "KILL", "true"],
     ["-t", "1", "-k", "NOSUCH", "true"], ["-t", "1", "-e", "300", "true"], ["-x", "true"],
     ["-t", "1", "/nonexistent/program"]],
)  # fmt: skip
def test_own_errors_exit_98(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(*args) == 98
    err = capsys.readouterr().err
    assert err.startswith("hatimerun: ") and "Traceback" not in err


def test_sigterm_kills_the_child_and_exits_98(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    proc = subprocess.Popen(
        [sys.executable, "-m", "clustersim.hatimerun", "-t", "600", "sh", "-c",
         f'echo $$ > "{pidfile}"; sleep 1000 & wait'],
    )  # fmt: skip
    try:
        child = read_pid(pidfile)
        group = [child, *procs.descendants(child)]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 98
        assert procs.wait_gone(group, 10)
    finally:
        if proc.poll() is None:
            procs.kill_tree(proc.pid)
            proc.wait()
