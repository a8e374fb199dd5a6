"""A fake watcher on the standby node: the stand-in's start-msg (issue #23).

Any local user can run a process whose command line names `<B>/lib/watcher` (`exec -a`,
setproctitle, or `python3 <B>/lib/watcher` run on something else). The stand-in's `start-msg
ha` took such a process for the running watcher, asked it for its mode, got no answer and
refused to start ("does not answer on its port"): Start failed on the node the group failed
over to. Messaging Server's own start-msg, like its servers, finds the watcher on the watcher
port (each registered service opens a connection to the watcher); the stand-in now does the
same, and counts as servers running without a watcher only processes of root or the runtime
user."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from security_support import GID, OTHER_UID

from support.mssim import MSSIM, Ms, clean_env, free_loopback, install, kill_leftovers

pytestmark = pytest.mark.e2e


@pytest.fixture
def ms() -> Iterator[Ms]:
    top = Path(tempfile.mkdtemp(prefix="mssim-"))
    os.chmod(top, 0o755)
    inst = install(top, "mars", free_loopback())
    try:
        yield inst
    finally:
        subprocess.run(check=False, args=[str(inst.base / "sbin" / "stop-msg"), "ha"],
                       capture_output=True, timeout=60, env=clean_env())
        subprocess.run(check=False, args=[*MSSIM, "fault", str(inst.base), "clear"],
                       capture_output=True, timeout=60, env=clean_env())
        kill_leftovers(inst.base)
        shutil.rmtree(top, ignore_errors=True)


@pytest.mark.parametrize("spelling", ["{b}/lib/watcher", "{b}/lib/../lib/watcher",
                                      "{b}//lib/./watcher", "{b}/lib/imapd"])
def test_another_users_fake_program_does_not_stop_start_msg_ha(
        ms: Ms, started: list[subprocess.Popen], spelling: str) -> None:
    """A fake watcher made start-msg ha refuse ("does not answer on its port"), a fake
    `<B>/lib/imapd` likewise ("processes of this installation run without a watcher")."""
    fake = subprocess.Popen([spelling.format(b=ms.base), "1000"], executable="/bin/sleep",
                            stdin=subprocess.DEVNULL, user=OTHER_UID, group=GID,
                            extra_groups=[])
    started.append(fake)
    time.sleep(0.3)
    res = ms.sbin("start-msg", "ha", timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Launching watcher" in res.stdout
    assert fake.poll() is None


def test_stop_msg_kills_no_process_of_another_user(
        ms: Ms, started: list[subprocess.Popen]) -> None:
    """stop-msg ha, run as root by the agent's Stop, SIGTERMed (then SIGKILLed) every process
    whose command line named a program of B: another user's among them."""
    fakes = [subprocess.Popen([f"{ms.base}/lib/{name}", "1000"], executable="/bin/sleep",
                              stdin=subprocess.DEVNULL, user=OTHER_UID, group=GID,
                              extra_groups=[]) for name in ("watcher", "imapd")]
    started.extend(fakes)
    ms.sbin("start-msg", "ha", check=True, timeout=120)
    res = ms.sbin("stop-msg", "ha", timeout=120)
    assert res.returncode == 0, res.stderr
    assert all(fake.poll() is None for fake in fakes), "stop-msg killed another user's process"
    left = {p.pid for procs in ms.processes().values() for p in procs}
    assert left == {fake.pid for fake in fakes}, "stop-msg left Messaging Server running"
