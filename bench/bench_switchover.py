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

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import standin

from scenarios import faults, proof

RUNS = 6
LIMIT = 120.0


def host_env() -> dict[str, str]:
    return dict(os.environ)


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    switch: list[float] = []
    switch_answer: list[float] = []
    stops: list[float] = []
    starts: list[float] = []
    with standin.mail_cluster() as c:
        site = c.site
        node = c.healthy()
        for _ in range(runs):
            c.healthy()
            target = c.other(node)
            started = time.monotonic()
            c.cmd(target, "scswitch", "-z", "-g", site.group, "-h", target)
            switch.append(time.monotonic() - started)
            standin.wait_until(lambda: standin.greet(site), LIMIT, "every service answering")
            switch_answer.append(time.monotonic() - started)
            node = target

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
