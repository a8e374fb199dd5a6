"""The Start/Stop attacks of issue #11 replayed on the stand-in cluster, as the RGM runs the
methods: a switchover must go through, and nothing but Messaging Server be killed, whatever
the runtime user or another local user planted.

Attacks 3, 5, 6 and 7 (the unit tests beside this file cover each in detail)."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from security_support import GID, OTHER_UID, RUNTIME_UID

import hostlab
from imsguide import faults, proof
from imsguide.testbed import HEAL_TIMEOUT, Cluster
from support.agent import healthy_node

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
    yield from healthy_node(tuned)




def _named(site, node: str, argv: list[str], uid: int | None = None) -> hostlab.HostProcess:
    """`tail` started on the node under the name `argv[0]` with `argv[1:]` (as `ps` there
    shows it), as root or as the local user `uid`."""
    host = site.host(node)
    assert host is not None, f"{node} is down"
    who = [] if uid is None else ["setpriv", f"--reuid={uid}", f"--regid={GID}",
                                  "--clear-groups"]
    return host.popen([*who, "bash", "-c", 'exec -a "$0" /usr/bin/tail "$@"', *argv],
                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def _pid_on_node(proc: hostlab.HostProcess) -> int:
    """The program's pid as its node's PID namespace numbers it (what the agent logs)."""
    pid = proc.program_pid
    assert pid is not None, "the planted program is gone"
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    raise AssertionError(f"no NSpid for {pid}")


def test_a_fake_watcher_and_roots_editor_do_not_stop_a_switchover(
        tuned: Cluster, here: str, started: list[subprocess.Popen]) -> None:
    """Attack 5: another user's process whose command line runs <B>/lib/watcher on the node
    the group moves to made Start refuse and the switchover fail. Attack 6: root's editor of
    config/msg.conf on the node being left was SIGKILLed by Stop. The agent names the editor
    as keeping the configuration directory busy and leaves it alone; the storage resource,
    which runs after Stop, then finds it still there, names it and forces the unmount (Sun's
    HAStoragePlus: "checks, mounts, and forced unmounts"), so the switchover completes."""
    site = tuned.site
    there = tuned.other(here)
    # "python3 <B>/lib/watcher" as ps on the node shows it; the kernel runs tail -f on the
    # script.
    fake = _named(site, there, ["python3", faults.server_root(site, there) + "/lib/watcher",
                                "-f"], uid=OTHER_UID)
    started.append(fake)
    editor = _named(site, here, ["vi", faults.server_root(site, here) + "/config/msg.conf",
                                 "-f"])
    started.append(editor)
    time.sleep(0.5)
    editor_pid = _pid_on_node(editor)
    left = faults.mark(site, here)
    tuned.switch(there)
    node, _ = faults.wait_healthy(site, HEAL_TIMEOUT)
    assert node == there, "the switchover did not go through"
    stop = faults.agent_lines(site, here, left, "ims_svc_stop")
    assert any("Messaging Server stopped." in line for line in stop), stop
    assert any(f"Process {editor_pid} (" in line and "keeps" in line for line in stop), stop
    # The editor was alive when the storage resource looked, after the agent's Stop.
    busy = [line for line in faults.since(site, here, left)
            if "is busy: killing the processes that use it" in line]
    assert any(str(editor_pid) in line for line in busy), busy
    assert fake.poll() is None, "the fake watcher (another user's) was killed"


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
    relative = "config/msg.conf"
    msg_conf = site.on(here, f"{site.config_dir}/{relative}")
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
        # The file is on the shared disk, which left the node with the group (if Stop
        # completed): mount it on the node for a moment to put msg.conf back.
        with _shared_disk(site, here) as top:
            fifo, kept = top / relative, (top / relative).with_name("msg.conf.saved")
            if stat.S_ISFIFO(os.lstat(fifo).st_mode):
                fifo.unlink()
            kept.rename(fifo)
    assert state == "OFFLINE", f"Stop ended {state}: " + "\n".join(lines)
    assert not faults.processes(site, here)
    assert any("Messaging Server stopped." in line for line in lines), lines
    tuned.cmd(here, "scswitch", "-Z", "-g", site.group)
    faults.wait_healthy(site, HEAL_TIMEOUT)


@contextlib.contextmanager
def _shared_disk(site, node: str) -> Iterator[Path]:
    """The top of the file system of `site.config_dir`, as seen from this machine: where the
    node has it mounted, else mounted on the node for the time of the block (its device
    from the node's /etc/vfstab)."""
    mounted = site.on(node, site.config_dir)
    if os.path.ismount(mounted):
        yield mounted
        return
    host = site.host(node)
    assert host is not None, f"{node} is down"
    device = next(fields[0] for fields in (line.split() for line in
                  site.on(node, "/etc/vfstab").read_text().splitlines())
                  if len(fields) > 2 and fields[2] == site.config_dir)
    where = "/var/tmp/shared-disk"
    host.run(["mkdir", "-p", where], check=True)
    host.run(["mount", "-t", "ext4", device, where], check=True)
    try:
        yield site.on(node, where)
    finally:
        host.run(["umount", where], check=True)
