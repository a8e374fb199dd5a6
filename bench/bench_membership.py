"""Node death -> mail answering on the survivor, against heartbeat_timeout.

On one two-node cluster with Messaging Server online under SUNW.ims, for each
heartbeat_timeout (`cluster set -p heartbeat_timeout=...`): power off the node that holds
MAIL-RG (`clustersim node panic`) and measure, from the instant of the panic,

  declared dead   until the survivor's RGM shows the node DOWN (the survivor noticed the
                  silence and held quorum: nobody told it)
  answering       until SMTP, IMAP and POP greet on the logical host again, seen from the
                  client host

then boot the node again. "answering - timeout" is what the cluster and the agent add
after the silence has been noticed (failover of storage, address and Messaging Server).

    .venv/bin/python bench/bench_membership.py [RUNS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import standin

from imsguide import proof
from imsguide.session import tool

RUNS = 2
TIMEOUTS_MS = (2500, 5000, 10000)
LIMIT = 180.0


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    rows = []
    with standin.mail_cluster() as c:
        site = c.site
        for timeout_ms in TIMEOUTS_MS:
            c.cmd(site.nodes[0], "cluster", "set", "-p", "heartbeat_quantum=1000", "-p",
                  f"heartbeat_timeout={timeout_ms}")
            declared: list[float] = []
            answering: list[float] = []
            for _ in range(runs):
                node = c.healthy()
                survivor = c.other(node)
                started = time.monotonic()
                subprocess.run([tool("clustersim"), "node", "panic", node, "--cluster",
                                str(site.directory)], check=True, capture_output=True)
                standin.wait_until(
                    lambda node=node, survivor=survivor: proof.ask(
                        site, survivor, "scha_cluster_get", "-O", "Node_state", node)
                    == ["DOWN"], LIMIT, f"{node} declared dead", 0.05)
                declared.append(time.monotonic() - started)
                standin.wait_until(lambda: standin.greet(site), LIMIT,
                                   "every service answering on the survivor", 0.05)
                answering.append(time.monotonic() - started)
                subprocess.run([tool("clustersim"), "node", "boot", node, "--cluster",
                                str(site.directory)], check=True, capture_output=True)
            seconds = timeout_ms / 1000
            rows.append([f"{timeout_ms}", str(runs),
                         standin._num(statistics.median(declared)),
                         standin._num(statistics.median(answering)),
                         standin._num(statistics.median(answering) - seconds),
                         standin._num(max(answering))])
    print("Node death (power off of the node holding MAIL-RG) until the survivor declares "
          f"it dead and until mail answers there, by heartbeat_timeout ({runs} runs each; "
          "seconds from the panic; heartbeat_quantum 1000 ms)")
    print()
    print(standin.table(rows, ["heartbeat_timeout ms", "runs", "declared dead",
                               "answering", "answering - timeout", "max answering"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
