"""`make demo ARGS="--engine pacemaker"` runs to the end and leaves nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TOP = Path(__file__).resolve().parents[2]


def test_the_pacemaker_demo_proves_every_step(tmp_path: Path, capable: None) -> None:
    done = subprocess.run([sys.executable, "-m", "imsguide.demo", "--engine", "pacemaker",
                           "--quiet", "--dir", str(tmp_path / "demo")], capture_output=True,
                          text=True, timeout=900, cwd=TOP, check=False)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert out.count("all read back over IMAP") == 5
    assert "the group runs on" in out and "fenced by fence_hostlab: True" in out
    assert "monitor rc error" in out and "invalid parameter" in out
    assert "processes left: 0" in out
    # imsreport, read by ssh from one node, tells the same story in four incidents
    story = re.findall(r"^ +\d\d:\d\d:\d\d  ([\w-]+) on (n\d), ms", out, re.M)
    assert [cls for cls, _ in story] == ["switchover", "hang-daemon", "kill-daemon",
                                          "power-off"], out
