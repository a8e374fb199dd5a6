"""Fixtures: a configured stand-in installation per test (the helpers: support.mssim)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.mssim import MSSIM, Ms, clean_env, free_loopback, install, kill_leftovers


@pytest.fixture
def topdir() -> Iterator[Path]:
    top = Path(tempfile.mkdtemp(prefix="mssim-"))
    os.chmod(top, 0o755)
    yield top
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def ms(topdir: Path) -> Iterator[Ms]:
    inst = install(topdir, "mars", free_loopback())
    yield inst
    subprocess.run(check=False, args=[*MSSIM, "fault", str(inst.base), "clear"],
                   capture_output=True, timeout=60, env=clean_env())
    subprocess.run(check=False, args=[str(inst.base / "sbin" / "stop-msg"), "ha"],
                   capture_output=True, timeout=60, env=clean_env())
    # stop-msg ha must leave nothing; whatever it leaves is killed, then fails the test
    assert kill_leftovers(inst.base) == [], "stop-msg ha left processes running"
