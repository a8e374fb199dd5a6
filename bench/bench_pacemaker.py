"""ocf:sunw:ims under Pacemaker, beside resource-agents' own dovecot agent, in one cluster.

Builds the three-node Pacemaker bed (pacemakerbed) with the group mail (Filesystem, IPaddr2,
ocf:sunw:ims, monitor every 3 s, probe_timeout 5 s) and, pinned to another node,
ocf:heartbeat:dovecot serving IMAP on that node's address, monitored just as often. Then:

  hang        the same hang for both: every IMAP process stopped with SIGSTOP (connections
              are accepted by the kernel and never answered, as when a daemon is stuck).
              Detected when crm_mon lists a failed monitor of the resource; both hangs start
              at the same instant, and the run ends when ours is detected and the other has
              had LIMIT seconds. Then SIGCONT, crm_resource --cleanup.
  node kill   the node running the group is powered off (every process, its interface). Until
              IMAP greets at the virtual address again, from the client host on the segment:
              corosync notices the silence, the cluster fences the node (fence_hostlab) and
              starts the group on a survivor. One run: a second kill would leave one of three
              nodes, without quorum.

Times on this process's clock; crm_mon is polled every 0.2 s, the IMAP greeting every 0.1 s.

    .venv/bin/python bench/bench_pacemaker.py [RUNS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "packaging"))

import debian  # noqa: E402

from pacemakerbed.bed import (  # noqa: E402
    ADDRESSES,
    NODES,
    SERVER_ROOT,
    VIRTUAL_IP,
    PacemakerBed,
    Timing,
    wait_for,
)

RUNS = 3
LIMIT = 60.0
POLL = 0.2


def stop_processes(bed: PacemakerBed, node: str, pattern: str, sig: str) -> None:
    bed.run(node, ["pkill", f"-{sig}", "-f", pattern], check=False)


def monitor_failure(bed: PacemakerBed, resource: str) -> str | None:
    """How the resource's monitor failed ("error", "Timed Out", ...), if it has."""
    for failure in bed.failures(resource):
        if failure.get("task") == "monitor":
            status = failure.get("status", "")
            return status if status and status != "complete" else failure.get("exitstatus", "")
    return None


Outcome = tuple[float, str, float | None, str, bool]


def hang_run(bed: PacemakerBed, dovecot_node: str) -> Outcome:
    """Seconds until each monitor failed (None: not within LIMIT) and how it failed (the
    agent's own error, or Pacemaker's operation timeout), and whether Dovecot still
    answered IMAP while hung (it must not: the hang is real)."""
    node = bed.wait_started()
    ours = f"^{SERVER_ROOT}/lib/imapd"
    theirs = "dovecot|imap"
    began = time.monotonic()
    stop_processes(bed, node, ours, "STOP")
    stop_processes(bed, dovecot_node, theirs, "STOP")
    ours_at: float | None = None
    theirs_at: float | None = None
    ours_how = theirs_how = ""
    try:
        while time.monotonic() - began < LIMIT or ours_at is None:
            now = time.monotonic() - began
            if ours_at is None and (how := monitor_failure(bed, "ms")) is not None:
                ours_at, ours_how = now, how
            if theirs_at is None and (how := monitor_failure(bed, "dovecot")) is not None:
                theirs_at, theirs_how = now, how
            if ours_at is not None and (theirs_at is not None or now >= LIMIT):
                break
            if now > 3 * LIMIT:
                raise AssertionError("our monitor did not report the hang")
            time.sleep(POLL)
        dovecot_answered = bed.imap_greets(ADDRESSES[dovecot_node], timeout=2.0)
    finally:
        stop_processes(bed, node, ours, "CONT")
        stop_processes(bed, dovecot_node, theirs, "CONT")
    bed.cleanup("ms")
    bed.cleanup("dovecot")
    wait_for("dovecot answering again",
             lambda: bed.imap_greets(ADDRESSES[dovecot_node]), timeout=60)
    assert ours_at is not None
    return ours_at, ours_how, theirs_at, theirs_how, dovecot_answered


def node_kill_run(bed: PacemakerBed) -> tuple[str, float, float]:
    """(node, seconds until IMAP greets at the virtual address again, until fenced)."""
    node = bed.wait_started()
    began = time.monotonic()
    bed.kill_node(node)
    answered = wait_for("IMAP at the virtual address on a survivor",
                        lambda: bed.imap_greets(VIRTUAL_IP, timeout=0.5) or None,
                        timeout=120, interval=0.1)
    assert answered
    took = time.monotonic() - began
    fenced = [e.at - began for e in bed.switch.events
              if e.node == node and e.action == "fence"]
    return node, took, fenced[0] if fenced else float("nan")


def fmt(value: float | None, how: str = "") -> str:
    if value is None:
        return f"not in {LIMIT:.0f} s (monitor rc 0)"
    return f"{value:.1f} s ({how})" if how else f"{value:.1f} s"


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    with tempfile.TemporaryDirectory(prefix="bench-pacemaker-") as scratch:
        top = Path(scratch)
        deb = debian.build(top / "deb")
        timing = Timing(dovecot=True)
        began = time.monotonic()
        bed = PacemakerBed.create(top / "bed", deb, timing)
        try:
            created = time.monotonic() - began
            first = bed.wait_started()
            dovecot_node = next(n for n in NODES if n != first)
            bed.add_dovecot(dovecot_node)
            wait_for("dovecot started", lambda: bed.where("dovecot") == dovecot_node)
            wait_for("dovecot answering", lambda: bed.imap_greets(ADDRESSES[dovecot_node]))
            hangs = [hang_run(bed, dovecot_node) for _ in range(runs)]
            node, recovered, fenced = node_kill_run(bed)
        finally:
            t = time.monotonic()
            bed.destroy()
            teardown = time.monotonic() - t
            left = bed.leftovers()

    print(f"Pacemaker {timing.monitor_interval} s monitor interval, ims probe_timeout "
          f"{timing.probe_timeout} s, monitor timeout {timing.monitor_timeout} s (both agents)")
    print(f"bed: 3 nodes + group up in {created:.1f} s, destroyed in {teardown:.2f} s, "
          f"processes left {len(left)}")
    print()
    print("| hang (SIGSTOP of every IMAP process) | ocf:sunw:ims | ocf:heartbeat:dovecot |")
    print("|---|---|---|")
    for i, (ours, ours_how, theirs, theirs_how, answered) in enumerate(hangs, 1):
        print(f"| run {i}: monitor failure after | {fmt(ours, ours_how)} | "
              f"{fmt(theirs, theirs_how)}; IMAP {'answered' if answered else 'silent'} |")
    ours_all = [h[0] for h in hangs]
    theirs_all = [h[2] for h in hangs if h[2] is not None]
    theirs_text = (f"{len(theirs_all)} of {len(hangs)} runs, median "
                   f"{statistics.median(theirs_all):.1f} s" if theirs_all
                   else f"never ({len(hangs)} runs)")
    print(f"| detected | {len(hangs)} of {len(hangs)} runs, median "
          f"{statistics.median(ours_all):.1f} s | {theirs_text} |")
    print(f"| bound | interval + probe_timeout = "
          f"{timing.monitor_interval + timing.probe_timeout} s | interval + monitor timeout = "
          f"{timing.monitor_interval + timing.monitor_timeout} s, if its check blocks |")
    print()
    print("| node kill (power off of the group's node) | seconds |")
    print("|---|---|")
    print(f"| {node} fenced by fence_hostlab after | {fenced:.1f} |")
    print(f"| IMAP greets at {VIRTUAL_IP} on a survivor after | {recovered:.1f} |")
    return 0 if not left else 1


if __name__ == "__main__":
    sys.exit(main())
