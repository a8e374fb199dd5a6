"""Detection latency per fault kind beside its bound, and time to recovery.

Builds a two-node stand-in cluster with Messaging Server online under SUNW.ims, sets
Thorough_probe_interval=5, Probe_timeout=2 (and Retry_count=10, so that restarts are
measured, not failovers), then injects, in this order (so neither node sees more than a few
restarts within Retry_interval):

  watcher death  kill -9 of Messaging Server's watcher. Detected when the fault monitor logs
                 "The Messaging Server watcher (pid N) died" (bound: 1 s, the watcher is
                 checked every 0.5 s; where the kernel has pidfds, its death wakes the
                 monitor at once). Recovered when a new watcher runs and SMTP, IMAP and
                 POP greet on the logical host again.
  node panic     `clustersim node panic` of the node where the group is online. Recovered
                 when the group is online on the other node and SMTP, IMAP and POP greet
                 there; the node then boots and rejoins (not timed).
  imapd hang     `mssim fault B imapd hang`: imapd stops (SIGSTOP); IMAP accepts
                 connections and never answers. Detected when the monitor logs
                 "Messaging Server process hung: imapd" (within Cheap_probe_interval + 1 s)
                 or "Probe failed: IMAP ..." (bound:
                 Thorough_probe_interval + Probe_timeout = 7 s: a hang just after a cycle
                 waits a whole interval, then the probe its whole timeout; each run injects
                 at a random phase of the cycle, so runs spread over [2, 7]). Once detected the
                 fault is taken back from the fault file only, so the hung daemon stays hung
                 until the agent restarts Messaging Server and the new imapd starts healthy
                 (a transient hang). Recovered when SMTP, IMAP and POP greet again.

Each watcher death's recovery is also split by the RGM's journal of method runs
(`<cluster>/methods.journal`): detection, the monitor's request until Monitor_stop begins,
each SUNW.ims method of the restart and the RGM's gaps between them, and how long after
Start began every service answered.

Times are taken on this process's clock: the node's syslog file is polled every 20 ms (its
lines carry whole seconds only), the services every 50 ms with a 0.5 s greeting timeout.

    .venv/bin/python bench/bench_faults.py [RUNS] [watcher]   # "watcher": those runs only
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import standin

from clustersim.rgm import METHOD_JOURNAL
from imsguide import faults, proof
from imsguide.session import tool
from scims.fault_monitor import WATCHER_START_GRACE

RUNS = 5
PANIC_RUNS = 3
INTERVAL = standin.PROBE_INTERVAL
PROBE_TIMEOUT = standin.PROBE_TIMEOUT
WATCHER_BOUND = 1.0
LIMIT = 90.0


def messages_tail(c: standin.MailCluster, node: str) -> standin.MessagesTail:
    return standin.MessagesTail(c.site.root(node) / "var" / "adm" / "messages")


def watcher_death(c: standin.MailCluster) -> tuple[float, float]:
    site = c.site
    node = c.healthy()
    tail = messages_tail(c, node)
    # Steady state: Start sets Status OK before the new fault monitor first looks for the
    # watcher; a watcher killed before that is reported after the monitor's start-up grace,
    # as "not running", which is another measure.
    time.sleep(WATCHER_START_GRACE + 1.0)
    pid = faults.watcher_pid(site, node)
    if pid is None:
        raise RuntimeError(f"no watcher on {node}")
    started, killed_at = time.monotonic(), time.time()
    os.kill(pid, signal.SIGKILL)
    # The monitor names the watcher by its pid on the node (its host's PID namespace), not
    # by the machine's pid that this process killed.
    detected = standin.wait_until(lambda: tail.has("The Messaging Server watcher (pid "),
                                  LIMIT, "the monitor's line about the dead watcher")

    def back() -> bool:
        now = faults.watcher_pid(site, node)
        return now is not None and now != pid and standin.greet(site)

    standin.wait_until(back, LIMIT, "a new watcher and every service answering", 0.05)
    recovered = time.monotonic() - started
    restart_phases(site.directory, killed_at, detected, recovered)
    return detected, recovered


PHASES: dict[str, list[float]] = {}
"""Where each watcher death's recovery went (seconds), from the RGM's journal of method
runs: SUNW.ims's methods of the restart, in the order the RGM runs them."""
RESTART_METHODS = ("ims_monitor_stop", "ims_svc_stop", "ims_svc_start", "ims_monitor_start")


def restart_phases(cluster: Path, killed_at: float, detected: float, recovered: float) -> None:
    """Split one recovery: detection, the monitor's request until the RGM runs Monitor_stop
    (status, scha_control, the RGM), each method, the RGM's gaps between them, and how long
    after Start began every service answered."""
    runs: dict[str, tuple[float, float]] = {}
    path = cluster / METHOD_JOURNAL

    def journalled() -> bool:
        """Start and Monitor_start end (and are journalled) after the services answer."""
        runs.clear()
        for line in path.read_text().splitlines() if path.exists() else []:
            entry = json.loads(line)
            if str(entry["type"]).startswith("SUNW.ims") \
                    and float(entry["began"]) >= killed_at \
                    and entry["method"] in RESTART_METHODS and entry["method"] not in runs:
                runs[entry["method"]] = (float(entry["began"]) - killed_at,
                                         float(entry["duration"]))
        return set(runs) == set(RESTART_METHODS)

    try:
        standin.wait_until(journalled, 30.0, "the restart's methods in the RGM's journal", 0.1)
    except TimeoutError:
        return
    edge = detected
    first = runs[RESTART_METHODS[0]][0]
    PHASES.setdefault("detection (the monitor's line)", []).append(detected)
    PHASES.setdefault("line -> Monitor_stop begins (status, scha_control, RGM)", []).append(
        first - edge)
    for before, method in zip((None, *RESTART_METHODS), RESTART_METHODS):
        began, took = runs[method]
        if before is not None:
            gap = began - sum(runs[before])
            PHASES.setdefault(f"RGM gap before {method}", []).append(gap)
        PHASES.setdefault(method, []).append(took)
    PHASES.setdefault("ims_svc_start began -> every service answering", []).append(
        recovered - runs["ims_svc_start"][0])


def imapd_hang(c: standin.MailCluster) -> tuple[float, float]:
    site = c.site
    node = c.healthy()
    time.sleep(random.uniform(0, INTERVAL))  # a random phase of the probe cycle
    tail = messages_tail(c, node)
    started = time.monotonic()
    faults.inject(site, node, "imapd", "hang")
    # A hang is a SIGSTOP (issue 22): the cheap look names the stopped imapd before any
    # probe fails; a probe's own failure still counts, for an agent without the look.
    detected = standin.wait_until(lambda: tail.has("Probe failed: IMAP")
                                  or tail.has("Messaging Server process hung: imapd"), LIMIT,
                                  "the monitor's line about IMAP")
    # A transient hang: the running imapd stays hung, the next one starts healthy.
    (site.on(node, site.server_root) / "install" / "faults" / "imapd").unlink(missing_ok=True)
    standin.wait_until(lambda: standin.greet(site), LIMIT, "every service answering", 0.05)
    return detected, time.monotonic() - started


def node_panic(c: standin.MailCluster) -> float:
    site = c.site
    node = c.healthy()
    other = c.other(node)
    started = time.monotonic()
    subprocess.run([tool("clustersim"), "node", "panic", node, "--cluster",
                    str(site.directory)], capture_output=True, timeout=120, check=True)
    standin.wait_until(lambda: proof.group_node(site) == other and standin.greet(site),
                       LIMIT, f"the group answering on {other}", 0.05)
    took = time.monotonic() - started
    subprocess.run([tool("clustersim"), "node", "boot", node, "--cluster",
                    str(site.directory)], capture_output=True, timeout=120, check=True)
    return took


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    only_watcher = sys.argv[2:3] == ["watcher"]
    detect: dict[str, list[float]] = {"watcher death": [], "imapd hang": []}
    recover: dict[str, list[float]] = {"watcher death": [], "imapd hang": [], "node panic": []}
    failed: list[str] = []

    def attempt(kind: str, trial: Callable[[standin.MailCluster], object]) -> None:
        try:
            result = trial(c)
        except (TimeoutError, RuntimeError, subprocess.SubprocessError) as exc:
            failed.append(f"{kind}: {exc}")
            return
        if isinstance(result, tuple):
            detect[kind].append(result[0])
            recover[kind].append(result[1])
        else:
            recover[kind].append(result)

    with standin.mail_cluster() as c:
        c.healthy()
        c.set_probe_timing("-y", "Retry_count=10")
        for _ in range(runs):
            attempt("watcher death", watcher_death)
        if not only_watcher:
            attempt("node panic", node_panic)
            for _ in range(runs):
                attempt("imapd hang", imapd_hang)
            for _ in range(PANIC_RUNS - 1):
                attempt("node panic", node_panic)
        c.healthy()

    hang_bound = INTERVAL + PROBE_TIMEOUT
    print(f"Fault detection and recovery on the stand-in cluster, Thorough_probe_interval="
          f"{INTERVAL} s, Probe_timeout={PROBE_TIMEOUT} s (seconds)")
    print()
    print("Detection latency: fault injected until the fault monitor's syslog line")
    print(standin.table([
        standin.row("watcher death (kill -9)", detect["watcher death"], bound=WATCHER_BOUND),
        standin.row("imapd hang", detect["imapd hang"], bound=hang_bound),
    ]))
    print()
    print("Time to recovery: fault injected until SMTP, IMAP and POP all answer again "
          "(node panic: on the other node)")
    print(standin.table([standin.row(kind, values) for kind, values in recover.items()
                         if values or not only_watcher]))
    if PHASES:
        print()
        print("Where a watcher death's recovery goes: detection, then SUNW.ims's methods of the "
              "restart as the RGM's journal times them, and the RGM's gaps between them")
        print(standin.table([standin.row(phase, values) for phase, values in PHASES.items()]))
    for line in failed:
        print(f"not measured: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
