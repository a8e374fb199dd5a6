"""The fault matrix of "Prove recovery and measure it": one row per fault, each asserting the
outcome an administrator expects, a time bound, no process left where the group left, nothing
Stop_failed, status OK again, and no lost mail (every message accepted before the fault is
readable by IMAP afterwards, wherever the group ends up).

Rows run on four clusters side by side (SHARDS), in table order on each; each row starts
healthy and ends healthy, its fault cleared. Timing is as tight as the RTR allows
(src/imsguide/faultmatrix.py): Thorough_probe_interval 5, Probe_timeout 2, Start/Stop_timeout
60, Retry_interval 60, Retry_count 10 (so restart rows never add up to a failover by
accident), Failover_mode SOFT, Pingpong_interval 0 on the group. Bounds are the
administrator's expectation: a hang or refusal is noticed within Thorough_probe_interval +
Probe_timeout + a margin and healed within that plus a restart.

Not in the table, on purpose: stored hang/refuse/slow (stored is process-only, it answers
nothing and listens nowhere); job_controller and enpd hang and slow (the agent may only
connect to them, and a hung or slow server still accepts connections: invisible to a connect,
which is why they are probed only for a refusal).
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from imsguide import faults, proof, testbed
from imsguide.faultmatrix import (
    DETECT,
    RESTART,
    RESULT_WAIT,
    RETRY_COUNT,
    START_TIMEOUT,
    STOP_TIMEOUT,
    SWITCH,
    TPI,
    WATCHER_REPAIR,
    Action,
    Outcome,
    Row,
    Scene,
    set_loglevel,
)
from imsguide.matrixprocess import MatrixProcess

pytestmark = pytest.mark.e2e

# --- how to inject ---------------------------------------------------------------------------


def daemon_fault(daemon: str, fault: str) -> Action:
    def inject(scene: Scene) -> None:
        if fault == "crash":
            scene.notes["pid"] = _pid(scene, daemon)
        faults.inject(scene.site, scene.node, daemon, fault)
    return inject


def _pid(scene: Scene, daemon: str) -> int | None:
    path = scene.site.on(scene.node, scene.site.config_dir) / "run" / f"{daemon}.pid"
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def restarted_by_watcher(daemon: str) -> Action:
    """The crashed daemon runs again with a new pid, and the watcher did it."""
    def observe(scene: Scene) -> None:
        old = scene.notes["pid"]
        proof.wait_for(lambda: _pid(scene, daemon) not in (None, old) and
                       faults.healthy_on(scene.site) == scene.node, WATCHER_REPAIR,
                       f"{daemon} restarted by Messaging Server's watcher")
    return observe


def reported_slow(scene: Scene) -> None:
    """The probe saw the slow answer and says so in Status_msg (DEGRADED), nothing more."""
    proof.wait_for(lambda: "answered in" in proof.resource_status(scene.site, scene.node)[1],
                   DETECT, "status DEGRADED naming the slow answer")
    scene.notes["status"] = proof.resource_status(scene.site, scene.node)


def kill_watcher(scene: Scene) -> None:
    faults.kill_watcher(scene.site, scene.node)


def watcher_gives_up(scene: Scene) -> None:
    """imapd crashes and every restart of it fails: the watcher gives up (HA mode)."""
    faults.inject(scene.site, scene.node, "imapd", "exit-on-start")
    faults.inject(scene.site, scene.node, "imapd", "crash")


def switch_away(scene: Scene) -> None:
    scene.cluster.switch(scene.other, expect=None)


def switch_with(*fault: str, on_target: bool) -> Action:
    def inject(scene: Scene) -> None:
        faults.inject(scene.site, scene.other if on_target else scene.node, *fault)
        switch_away(scene)
    return inject


def panic_node(scene: Scene) -> None:
    scene.cluster.node_action("panic", scene.node)


def node_declared_dead_by_silence(scene: Scene) -> None:
    """The survivor noticed the silence (nobody told it), and held quorum."""
    lines = faults.messages(scene.site, scene.other)
    assert any(f"CMM: node {scene.node} not heard for" in line and "declared dead" in line
               for line in lines), "the survivor did not declare the node dead by silence"


def cut_cable(scene: Scene) -> None:
    scene.cluster.node_action("isolate", scene.node)


def partitioned_side_panicked(scene: Scene) -> None:
    """The side without quorum (it cannot reach the quorum server) powered itself off; the
    other side declared it dead and took the group. (The row's restore has booted the node
    again by now: whether it still ran is noted when its cable is mended.)"""
    assert scene.notes.get("cut-off node running at mend") is False, \
        f"{scene.node} still ran, cut off, when the other side had taken the group"
    assert any("CMM: quorum lost" in line for line in scene.lines(scene.node)), \
        f"{scene.node} did not log its panic for lost quorum"
    node_declared_dead_by_silence(scene)


def mend_and_boot(scene: Scene) -> None:
    scene.notes["cut-off node running at mend"] = scene.site.host(scene.node) is not None
    scene.cluster.node_action("reconnect", scene.node)
    boot_node("self")(scene)


def boot_node(which: str) -> Action:
    def restore(scene: Scene) -> None:
        node = scene.node if which == "self" else scene.other
        scene.cluster.node_action("boot", node)
        proof.wait_for(lambda: faults.group_state(scene.site, node) == "OFFLINE", 60,
                       f"{node} back in the cluster")
    return restore


def intruder(scene: Scene) -> Path:
    """The mount point on the other node (not mounted there: the node's own directory)."""
    return scene.site.on(scene.other, scene.site.config_dir)


def storage_offline_at_start(scene: Scene) -> None:
    """A file in the mount point: the shared file system cannot be mounted on the target."""
    scene.cluster.cmd(scene.node, "scrgadm", "-c", "-j", scene.site.storage_resource,
                      "-y", "Failover_mode=SOFT")
    intruder(scene).rmdir()
    intruder(scene).write_text("a file where the mount point should be: mount refuses\n")
    switch_away(scene)


def remove_intruder(scene: Scene) -> None:
    if intruder(scene).is_file():
        intruder(scene).unlink()
        intruder(scene).mkdir()


def busy_storage_then_switch(scene: Scene) -> None:
    """root's shell sits in the shared file system on the node being left: the switchover's
    unmount fails with the kernel's EBUSY, and HAStoragePlus, as Solaris documents for a
    busy unmount (fuser -c -u, fuser -c -k), names the process in the log and the status,
    kills it and unmounts, so the group moves instead of staying ERROR_STOP_FAILED until a
    human acts."""
    site = scene.site
    host = site.host(scene.node)
    assert host is not None
    shell = host.popen(["sleep", "600"], cwd=site.config_dir)
    try:
        proof.wait_for(lambda: shell.program_pid is not None, 10, "root's shell on the disk")
        scene.cluster.switch(scene.other)
        scene.notes["group after the busy unmount"] = faults.group_state(site, scene.node)
        scene.notes["shell"] = shell.wait(10)
        scene.notes["busy"] = [line for line in scene.lines(scene.node)
                               if "is busy: killing the processes that use it" in line]
    finally:
        if shell.poll() is None:
            shell.kill()
            shell.wait(10)


def busy_users_named_and_killed(scene: Scene) -> None:
    assert scene.notes["group after the busy unmount"] == "OFFLINE", scene.notes
    assert scene.notes["shell"] == -9, "the process in the file system was not killed"
    assert any("(sleep) of user root, working directory in it" in line
               for line in scene.notes["busy"]), scene.notes
    stop = faults.agent_lines(scene.site, scene.node, scene.marks[scene.node], "ims_svc_stop")
    assert any("Messaging Server stopped." in line for line in stop), stop


def loglevel(content: str | None) -> Action:
    def inject(scene: Scene) -> None:
        for node in scene.site.nodes:
            set_loglevel(scene.cluster, node, content)
        switch_away(scene)
    return inject


def restore_loglevel(scene: Scene) -> None:
    for node in scene.site.nodes:
        set_loglevel(scene.cluster, node, "5")


def rt_dir(scene: Scene, node: str) -> Path:
    return scene.site.on(node, "/var/cluster/rgm/rt")


def rt_missing(scene: Scene) -> None:
    for node in scene.site.nodes:
        rt_dir(scene, node).rename(rt_dir(scene, node).with_name("rt.moved"))
    switch_away(scene)


def restore_rt(scene: Scene) -> None:
    for node in scene.site.nodes:
        moved = rt_dir(scene, node).with_name("rt.moved")
        if moved.is_dir():
            shutil.rmtree(rt_dir(scene, node), ignore_errors=True)
            moved.rename(rt_dir(scene, node))


def admin_during_restart(scene: Scene) -> None:
    """imapd hangs; while the probe's restart runs, the administrator switches the group
    and changes a property at once: the RGM serialises them."""
    faults.inject(scene.site, scene.node, "imapd", "hang")
    scene.wait_line("Restarting Messaging Server on this node", DETECT)
    faults.clear_faults(scene.site)
    site = scene.site
    commands = [
        lambda: scene.cluster.switch(scene.other, expect=None),
        lambda: scene.cluster.cmd(site.nodes[0], "scrgadm", "-c", "-j", site.mail_resource,
                                  "-y", "R_description=changed during a restart",
                                  expect=None),
    ]
    threads = [threading.Thread(target=command) for command in commands]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SWITCH + RESTART)


def standby_down_then_failures(scene: Scene) -> None:
    """The other node panics; then imapd hangs with Retry_count 0, so the first failure
    asks for a failover, which the cluster must reject: no healthy candidate."""
    scene.cluster.node_action("panic", scene.other)
    scene.cluster.wait_declared_dead(scene.other)
    scene.cluster.cmd(scene.node, "scrgadm", "-c", "-j", scene.site.mail_resource,
                      "-y", "Retry_count=0")
    faults.inject(scene.site, scene.node, "imapd", "hang")


def restore_standby(scene: Scene) -> None:
    boot_node("other")(scene)
    scene.cluster.set_props("-y", f"Retry_count={RETRY_COUNT}")


# --- what else an administrator checks ---------------------------------------------------


def giveover_rejected(scene: Scene) -> None:
    lines = faults.agent_lines(scene.site, scene.node, scene.marks[scene.node], "ims_probe")
    assert any("Failing resource group" in line for line in lines), lines
    assert any("The cluster rejected the failover" in line for line in lines), lines


def watcher_gave_up(scene: Scene) -> None:
    lines = faults.agent_lines(scene.site, scene.node, scene.marks[scene.node], "ims_probe")
    assert any("its watcher gave up" in line for line in lines), lines
    assert not any("Restarting Messaging Server" in line for line in lines), lines


def one_loglevel_warning_per_method(scene: Scene) -> None:
    """The garbage is reported, once per method run at most: never a flood."""
    for node in scene.site.nodes:
        lines = faults.agent_lines(scene.site, node, scene.marks[node])
        warned = [line for line in lines if "does not hold a number from 0 to 9" in line]
        by_method: dict[str, int] = {}
        for line in warned:
            method = line.split("]", 1)[0].rsplit(",", 1)[1]
            by_method[method] = by_method.get(method, 0) + 1
        assert all(count == 1 for count in by_method.values()), by_method
    assert any("does not hold a number" in line for node in scene.site.nodes
               for line in faults.agent_lines(scene.site, node, scene.marks[node])), \
        "the garbage in the loglevel file was never reported"


def no_warning_at_all(scene: Scene) -> None:
    for node in scene.site.nodes:
        lines = faults.agent_lines(scene.site, node, scene.marks[node])
        assert not [line for line in lines if "debug level file" in line], lines


def start_failed_logged(scene: Scene) -> None:
    lines = faults.agent_lines(scene.site, scene.other, scene.marks[scene.other],
                               "ims_svc_start")
    assert any("Failed to start Messaging Server" in line for line in lines), lines


def stop_bounded(scene: Scene) -> None:
    lines = faults.agent_lines(scene.site, scene.node, scene.marks[scene.node], "ims_svc_stop")
    assert any("stop-msg ha did not stop Messaging Server" in line for line in lines), lines
    assert any("Messaging Server stopped." in line for line in lines), lines
    assert not faults.storage_mounted(scene.site, scene.node)


# --- the table ---------------------------------------------------------------------------

SILENCE = testbed.HEARTBEAT_TIMEOUT / 1000 + 2
"""heartbeat_timeout of the test clusters, and the quorum server's answer."""
HANG = DETECT + RESTART
"""Hang or refusal: detected within Thorough_probe_interval + Probe_timeout + margin, then
a restart."""
PROBED = ("dispatcher", "imapd", "popd", "mshttpd")
"""Daemons the agent talks a protocol to (SMTP, IMAP, POP3, HTTP)."""
CONNECT_ONLY = ("job_controller", "enpd")
"""Daemons the agent can only connect to: a hang (connection accepted, never answered) is
invisible to a connect, so hang and slow rows do not apply to them; a refusal does."""
SLOW = {"dispatcher": 0.2, "imapd": 0.4, "popd": 0.6, "mshttpd": 1.2}
"""Per-reply delays whose whole exchange takes 1-1.5 s: more than half of Probe_timeout
(reported), less than all of it (not a failure)."""

TABLE: list[Row] = [
    # Crash of each daemon the watcher supervises: the watcher restarts it (local.autorestart
    # is on after ha_ip_config); the agent must not restart the resource on top of it.
    *[Row(f"{d} crash", daemon_fault(d, "crash"), Outcome.NOTHING, WATCHER_REPAIR + DETECT,
          observe=restarted_by_watcher(d))
      for d in (*PROBED, *CONNECT_ONLY, "stored")],
    # Hang of each daemon spoken to (stored is process-only; job_controller and enpd
    # connect-only: see CONNECT_ONLY).
    *[Row(f"{d} hang", daemon_fault(d, "hang"), Outcome.LOCAL_RESTART, HANG,
          clear_on_detection=True) for d in PROBED],
    # Refused connection of each daemon that listens (stored does not).
    *[Row(f"{d} refuse", daemon_fault(d, "refuse"), Outcome.LOCAL_RESTART, HANG,
          clear_on_detection=True) for d in (*PROBED, *CONNECT_ONLY)],
    # Slow replies within Probe_timeout: reported (DEGRADED), not a failure.
    *[Row(f"{d} slow:{s}", daemon_fault(d, f"slow:{s}"), Outcome.NOTHING, DETECT + TPI,
          observe=reported_slow) for d, s in SLOW.items()],
    Row("watcher crash", kill_watcher, Outcome.LOCAL_RESTART, 5 + RESTART),
    Row("watcher gives up (HA mode)", watcher_gives_up, Outcome.FAILOVER,
        WATCHER_REPAIR + SWITCH, check=watcher_gave_up),
    Row("start-msg fails on the target", switch_with("start-msg", "fail", on_target=True),
        Outcome.START_FAILURE, 2 * SWITCH, check=start_failed_logged),
    Row("start-msg hangs on the target", switch_with("start-msg", "hang", on_target=True),
        Outcome.START_FAILURE, START_TIMEOUT + 2 * SWITCH, check=start_failed_logged),
    Row("stop-msg hangs", switch_with("stop-msg", "hang", on_target=False),
        Outcome.STOP_COMPLETES, STOP_TIMEOUT + SWITCH, check=stop_bounded),
    Row("node panic (noticed by silence)", panic_node, Outcome.FAILOVER, SILENCE + SWITCH,
        restore=boot_node("self"), check=node_declared_dead_by_silence),
    Row("network partition (cable cut)", cut_cable, Outcome.FAILOVER, SILENCE + SWITCH,
        restore=mend_and_boot, check=partitioned_side_panicked),
    Row("storage busy at stop (a shell in it)", busy_storage_then_switch, Outcome.FAILOVER,
        SWITCH, check=busy_users_named_and_killed),
    Row("storage offline at start", storage_offline_at_start, Outcome.START_FAILURE,
        2 * SWITCH, restore=remove_intruder),
    Row("loglevel file garbage", loglevel("garbage\x01 \u00e9 99999"), Outcome.STOP_COMPLETES,
        SWITCH, restore=restore_loglevel, check=one_loglevel_warning_per_method),
    Row("loglevel file missing", loglevel(None), Outcome.STOP_COMPLETES, SWITCH,
        restore=restore_loglevel, check=no_warning_at_all),
    Row("/var/cluster/rgm/rt missing", rt_missing, Outcome.STOP_COMPLETES, SWITCH,
        restore=restore_rt, check=no_warning_at_all),
    Row("scswitch -z and scrgadm -c during a probe-triggered restart", admin_during_restart,
        Outcome.FAILOVER, HANG + SWITCH),
    Row("failover with no healthy candidate (standby down)", standby_down_then_failures,
        Outcome.LOCAL_RESTART, HANG, clear_on_detection=True, restore=restore_standby,
        check=giveover_rejected),
]


SHARDS = (
    ("start-msg", "stop-msg", "storage", "partition"),
    ("hang", "dispatcher refuse", "imapd refuse", "loglevel", "rgm/rt"),
    ("refuse", "watcher crash", "candidate", "during"),
    ("crash", "slow", "gives up", "panic"),
)
"""Which cluster a row runs on (the first shard with a word of the row's name): four
clusters side by side, each about a quarter of the table's time; rows on one cluster run in
table order."""


def shard_of(row: Row) -> int:
    return next(number for number, words in enumerate(SHARDS)
                if any(word in row.name for word in words))


def test_every_row_has_a_cluster() -> None:
    assert [shard_of(row) for row in TABLE]
    assert len({row.name for row in TABLE}) == len(TABLE), "row names must be unique"


@pytest.mark.parametrize("row", TABLE, ids=str)
def test_fault(matrix: MatrixProcess, row: Row) -> None:
    result = matrix.result(row, RESULT_WAIT)
    assert result.took < row.bound, f"{row.name}: {result.took:.1f} s, bound {row.bound:.0f} s"
    print(f"{row.name}: {row.outcome.value} on {result.ended_on} after {result.took:.1f} s "
          f"(bound {row.bound:.0f} s)")
