"""The Start/Stop attacks of issue #11 replayed on the stand-in cluster, as the RGM runs the
methods: a switchover must go through, and nothing but Messaging Server be killed, whatever
the runtime user or another local user planted.

Attacks 3, 5, 6 and 7 (the unit tests beside this file cover each in detail)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator

import pytest
from security_support import OTHER_UID, RUNTIME_UID, as_user

from scenarios import faults, proof
from scenarios.testbed import HEAL_TIMEOUT, Cluster

pytestmark = pytest.mark.e2e

TIMEOUT = 60
"""Start_timeout and Stop_timeout, the RTR's minimum."""


@pytest.fixture(scope="module")
def tuned(cluster: Cluster) -> Cluster:
    cluster.set_props("-y", f"Start_timeout={TIMEOUT}", "-y", f"Stop_timeout={TIMEOUT}")
    cluster.set_group_props("-y", "Pingpong_interval=0")
    return cluster


@pytest.fixture
def here(tuned: Cluster) -> Iterator[str]:
    node = tuned.healthy()
    yield node
    faults.clear_faults(tuned.site)


@pytest.fixture
def planted() -> Iterator[list[subprocess.Popen]]:
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_a_fake_watcher_and_roots_editor_do_not_stop_a_switchover(
        tuned: Cluster, here: str, planted: list[subprocess.Popen]) -> None:
    """Attack 5: another user's process whose command line runs <B>/lib/watcher on the node
    the group moves to made Start refuse and the switchover fail. Attack 6: root's editor of
    config/msg.conf on the node being left was SIGKILLed by Stop."""
    site = tuned.site
    there = tuned.other(here)
    # "python3 <B>/lib/watcher" as ps shows it; the kernel runs tail -f on the script.
    fake = subprocess.Popen(["python3", faults.server_root(site, there) + "/lib/watcher", "-f"],
                            executable="/usr/bin/tail", preexec_fn=as_user(OTHER_UID),  # noqa: PLW1509
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    planted.append(fake)
    editor = subprocess.Popen(
        ["vi", faults.server_root(site, here) + "/config/msg.conf", "-f"],
        executable="/usr/bin/tail", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    planted.append(editor)
    time.sleep(0.5)
    where = faults.mark(site, there)
    tuned.switch(there)
    node, _ = faults.wait_healthy(site, HEAL_TIMEOUT)
    assert node == there, "the switchover did not go through"
    assert editor.poll() is None, "Stop killed root's editor"
    assert fake.poll() is None, "a process that is not Messaging Server was killed"
    lines = faults.agent_lines(site, there, where, "ims_svc_start")
    assert any(f"Process {fake.pid} (user " in line and "left alone" in line
               for line in lines), lines


def test_stop_does_not_run_a_stop_msg_of_the_runtime_user(tuned: Cluster, here: str) -> None:
    """Attack 3: stop-msg chowned to the runtime user after Validate: the next Stop ran it as
    root. Now Stop says so, kills Messaging Server instead, and the switchover succeeds."""
    site = tuned.site
    there = tuned.other(here)
    stop_msg = site.on(here, site.server_root + "/sbin/stop-msg")
    saved = stop_msg.with_name("stop-msg.saved")
    shutil.copy2(stop_msg, saved)
    marker = site.on(here, "/var/tmp/stop-msg-ran")
    marker.parent.mkdir(parents=True, exist_ok=True)
    try:
        stop_msg.write_text(f"#!/bin/sh\ntouch {marker}\nexec {saved} \"$@\"\n")
        os.chown(stop_msg, RUNTIME_UID, -1)
        where = faults.mark(site, here)
        tuned.switch(there)
        node, _ = faults.wait_healthy(site, HEAL_TIMEOUT)
    finally:
        shutil.move(saved, stop_msg)
        os.chown(stop_msg, 0, 0)
    assert node == there
    assert not marker.exists(), "root ran the runtime user's stop-msg"
    assert faults.resource_state(site, here) == "OFFLINE"
    assert not faults.processes(site, here), "Messaging Server left after Stop"
    lines = faults.agent_lines(site, here, where, "ims_svc_stop")
    assert any("Refusing to run /opt/SUNWmsgsr/sbin/stop-msg as root" in line
               and f"owner user ID {RUNTIME_UID}" in line for line in lines), lines
    assert any("Messaging Server stopped." in line for line in lines), lines


def test_a_fifo_for_msg_conf_does_not_make_stop_fail(tuned: Cluster, here: str) -> None:
    """Attack 7: msg.conf replaced by a FIFO: Stop blocked until the RGM's timeout and the
    resource and its storage ended STOP_FAILED. Now the group goes offline cleanly."""
    site = tuned.site
    # The file on the shared disk itself: the node's path goes when the storage goes offline.
    msg_conf = site.on(here, site.config_dir + "/config/msg.conf").resolve()
    saved = msg_conf.with_name("msg.conf.saved")
    info = msg_conf.stat()
    msg_conf.rename(saved)
    try:
        os.mkfifo(msg_conf)
        os.chown(msg_conf, info.st_uid, info.st_gid)
        where = faults.mark(site, here)
        tuned.cmd(here, "scswitch", "-F", "-g", site.group, expect=None)
        proof.wait_for(lambda: faults.group_state(site, here) in ("OFFLINE", "ERROR_STOP_FAILED"),
                       2 * TIMEOUT, f"{site.group} offline on {here}")
        state = faults.resource_state(site, here)
        lines = faults.agent_lines(site, here, where, "ims_svc_stop")
    finally:
        if stat.S_ISFIFO(os.lstat(msg_conf).st_mode):
            msg_conf.unlink()
        saved.rename(msg_conf)
    assert state == "OFFLINE", f"Stop ended {state}: " + "\n".join(lines)
    assert not faults.processes(site, here)
    assert any("Messaging Server stopped." in line for line in lines), lines
    tuned.cmd(here, "scswitch", "-Z", "-g", site.group)
    faults.wait_healthy(site, HEAL_TIMEOUT)
