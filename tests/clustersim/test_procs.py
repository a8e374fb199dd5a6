"""Process-tree helpers: subreaper containment and race-free tree killing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from clustersim import procs
from support.waiting import wait_for

pytestmark = pytest.mark.e2e

# A subreaper that starts a double-forking daemon and a busy forker, then waits forever.
REAPER = textwrap.dedent(
    """
    import os, subprocess, sys, time
    from clustersim import procs
    procs.set_child_subreaper()
    subprocess.Popen(["sh", "-c", '( setsid sh -c "echo \\\\$\\\\$ > $0; exec sleep 1000" & )',
                      sys.argv[1]])
    subprocess.Popen(["sh", "-c", "while :; do sleep 1000 & sleep 0.01; done"])
    while True:
        time.sleep(1000)
    """
)


def test_subreaper_keeps_orphans_and_kill_tree_kills_them_all(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    reaper = subprocess.Popen([sys.executable, "-c", REAPER, str(pidfile)])
    try:
        daemon = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip()))
        wait_for(lambda: len(procs.descendants(reaper.pid)) > 6, what="a busy tree")
        assert daemon in procs.descendants(reaper.pid), "the orphan was adopted, not lost"
        assert procs.children_of(reaper.pid).count(daemon) == 1

        killed = procs.kill_tree(reaper.pid)

        assert reaper.pid in killed and daemon in killed
        assert procs.wait_gone(killed, 10)
        assert reaper.wait(timeout=10) == -9
    finally:
        if reaper.poll() is None:
            procs.kill_tree(reaper.pid)
            reaper.wait()


def test_subreaper_flag_and_liveness() -> None:
    code = (
        "from clustersim import procs\n"
        "procs.set_child_subreaper()\n"
        "print(procs.is_child_subreaper())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    proc = subprocess.Popen(["sleep", "1000"])
    try:
        assert procs.is_alive(proc.pid)
        assert not procs.wait_gone([proc.pid], 0.1)
    finally:
        proc.kill()
        proc.wait()
    assert not procs.is_alive(proc.pid)

