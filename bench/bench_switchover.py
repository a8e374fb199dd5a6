"""Switchover time, and what is left of it after Messaging Server's own stop and start.

Builds a two-node stand-in cluster with Messaging Server online under SUNW.ims and
measures, on the same installation:

  switchover     `scswitch -z -g MAIL-RG -h <other node>` until it returns, and until SMTP,
                 IMAP and POP greet on the logical host (alternating between the nodes).
  stop-msg ha    Messaging Server's own stop, run by hand with the resource disabled (the
                 storage and logical host stay online): until it returns and no process of
                 the installation is left.
  start-msg ha   its own start: until it returns and SMTP, IMAP and POP greet.

Overhead = median switchover - median stop-msg ha - median start-msg ha: what the agent
(validating, PMF, waiting until ready, the monitor) and the cluster (moving the storage and
the logical host, running the methods) add to Messaging Server's own stop and start.

    .venv/bin/python bench/bench_switchover.py [RUNS]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import standin

from clustersim.rgm import METHOD_JOURNAL
from imsguide import faults, proof

RUNS = 6
LIMIT = 120.0


def host_env() -> dict[str, str]:
    return dict(os.environ)


def read_journal(cluster: Path) -> list[dict[str, Any]]:
    """The RGM's journal of method runs (clustersim: `<cluster>/methods.journal`)."""
    path = cluster / METHOD_JOURNAL
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def method_shares(journal: list[dict[str, Any]], windows: list[tuple[float, float]],
                  switch: list[float]) -> str:
    """Per method of a switchover: its median time, and what is left to the RGM itself."""
    per: dict[tuple[str, str], list[float]] = {}
    in_methods: list[float] = []
    for began, ended in windows:
        runs = [e for e in journal if began <= float(e["began"]) <= ended]
        spans = sorted((float(e["began"]), float(e["began"]) + float(e["duration"]))
                       for e in runs)
        covered, edge = 0.0, began
        for start, end in spans:  # time during which at least one method ran
            covered += max(0.0, end - max(start, edge))
            edge = max(edge, end)
        in_methods.append(covered)
        for e in runs:
            key = (str(e["type"]).split(":", 1)[0], str(e["method"]))
            per.setdefault(key, []).append(float(e["duration"]))
    rows = [standin.row(f"{rtype} {method}", durations)
            for (rtype, method), durations in sorted(per.items())]
    rows.append(standin.row("some method running", in_methods))
    rows.append(standin.row("no method running (RGM, scswitch)",
                            [total - covered for total, covered in zip(switch, in_methods)]))
    return ("Where a switchover's time goes (methods from the RGM's journal; seconds)\n\n"
            + standin.table(rows))


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    switch: list[float] = []
    switch_answer: list[float] = []
    stops: list[float] = []
    starts: list[float] = []
    windows: list[tuple[float, float]] = []
    with standin.mail_cluster() as c:
        site = c.site
        node = c.healthy()
        for _ in range(runs):
            c.healthy()
            target = c.other(node)
            began = time.time()
            started = time.monotonic()
            c.cmd(target, "scswitch", "-z", "-g", site.group, "-h", target)
            switch.append(time.monotonic() - started)
            windows.append((began, time.time()))
            standin.wait_until(lambda: standin.greet(site), LIMIT, "every service answering")
            switch_answer.append(time.monotonic() - started)
            node = target
        journal = read_journal(site.directory)

        c.healthy()
        c.cmd(node, "scswitch", "-n", "-j", site.mail_resource)
        sbin = Path(site.server_root) / "sbin"  # as the node runs it
        try:
            for _ in range(runs):
                started = time.monotonic()
                subprocess.run(c.on_node(node, [str(sbin / "start-msg"), "ha"]), env=host_env(),
                               capture_output=True, timeout=LIMIT, check=True)
                standin.wait_until(lambda: standin.greet(site), LIMIT, "every service answering")
                starts.append(time.monotonic() - started)
                started = time.monotonic()
                subprocess.run(c.on_node(node, [str(sbin / "stop-msg"), "ha"]), env=host_env(),
                               capture_output=True, timeout=LIMIT, check=True)
                standin.wait_until(lambda: not faults.processes(site, node), LIMIT,
                                   "no Messaging Server process left", 0.05)
                stops.append(time.monotonic() - started)
        finally:
            subprocess.run(c.on_node(node, [str(sbin / "stop-msg"), "ha"]), env=host_env(),
                           capture_output=True, timeout=LIMIT, check=False)
        c.cmd(node, "scswitch", "-e", "-j", site.mail_resource)
        proof.wait_for(lambda: faults.healthy_on(site) is not None, LIMIT, "mail-rs healthy")

    print(f"Switchover of MAIL-RG between the two nodes and Messaging Server's own stop and "
          f"start on the same installation ({runs} runs each; seconds)")
    print()
    print(standin.table([
        standin.row("switchover: scswitch -z returns", switch),
        standin.row("switchover: until every service answers", switch_answer),
        standin.row("stop-msg ha (until no process left)", stops),
        standin.row("start-msg ha (until every service answers)", starts),
    ]))
    print()
    print(method_shares(journal, windows, switch))
    own = statistics.median(stops) + statistics.median(starts)
    total = statistics.median(switch_answer)
    print()
    print(f"overhead = switchover until answering {total:.2f} - stop-msg ha "
          f"{statistics.median(stops):.2f} - start-msg ha {statistics.median(starts):.2f} "
          f"= {total - own:.2f} s (medians; {100 * (total - own) / total:.0f} % of the "
          "switchover is the agent's and the cluster's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
