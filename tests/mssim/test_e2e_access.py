"""start-msg when the runtime user cannot reach the installation: one clear line naming the
directory and the user, nothing started, no traceback anywhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.mssim import Ms, our_processes

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("command", [["ha"], []])
@pytest.mark.parametrize("what", ["configuration directory", "server root"])
def test_a_parent_closed_to_mailsrv_is_named_and_nothing_starts(ms: Ms, what: str,
                                                                command: list[str]) -> None:
    closed = (ms.config if what == "configuration directory" else ms.base).parent
    os.chmod(closed, 0o700)
    try:
        result = ms.sbin("start-msg", *command)
    finally:
        os.chmod(closed, 0o755)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("start-msg: the runtime user mailsrv (uid ")
    assert f"cannot reach the {what} " in lines[0]
    assert f"{closed} (mode 0700, owner uid 0) does not let it search" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert our_processes(ms.base) == []
    logs = Path(ms.config, "log")
    stderr_files = list(logs.glob("*.stderr")) if logs.is_dir() else []
    assert all("Traceback" not in f.read_text() for f in stderr_files)
    # Opened again, the same command starts Messaging Server.
    assert ms.sbin("start-msg", *command).returncode == 0
