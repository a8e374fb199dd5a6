"""Issue #23's fake watcher replayed on the stand-in cluster: a process of another local user
on the node the group moves to, whose command line names `<B>/lib/watcher` -- plainly, through
`..` or `//` and `.` -- must not make Start fail there, in the agent (it took such a process
for Messaging Server "already running outside the control of the cluster") nor in start-msg
(which asked it for its mode and refused when it did not answer). The unit tests beside this
file cover each side in detail (test_process_identity.py, test_standby_watcher.py)."""

from __future__ import annotations

import subprocess
import time

import pytest
from security_support import OTHER_UID
from test_e2e_trust import _named, _pid_on_node, here, tuned  # noqa: F401 - fixtures

from imsguide import faults
from imsguide.testbed import HEAL_TIMEOUT, Cluster

pytestmark = pytest.mark.e2e


def test_fake_watchers_of_another_user_do_not_stop_a_failover(
        tuned: Cluster, here: str, started: list[subprocess.Popen]) -> None:  # noqa: F811
    site = tuned.site
    there = tuned.other(here)
    root = faults.server_root(site, there)
    fakes = [_named(site, there, [word, "-f", "/dev/null"], uid=OTHER_UID)
             for word in (f"{root}/lib/watcher", f"{root}/lib/../lib/watcher",
                          f"{root}//lib/./watcher")]
    started.extend(fakes)
    time.sleep(0.5)
    where = faults.mark(site, there)
    tuned.switch(there)
    node, _ = faults.wait_healthy(site, HEAL_TIMEOUT)
    assert node == there, "the switchover did not go through"
    assert all(fake.poll() is None for fake in fakes), "a process of another user was killed"
    lines = faults.agent_lines(site, there, where, "ims_svc_start")
    assert not any("already running outside" in line for line in lines), lines
    for fake in fakes:
        assert any(f"Process {_pid_on_node(fake)} (user " in line and "left alone" in line
                   for line in lines), lines
