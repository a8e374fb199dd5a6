"""Median latency of the scha_* query commands on a stand-in node (printed table).

Agents call scha_resource_get many times per method, so its start-up cost is what matters:
this creates a two-node cluster, one group with a LogicalHostname resource, runs each query
N times through the node's generated wrapper, prints min/median/p90 in ms, and destroys the
cluster. Target: median scha_resource_get <= 30 ms on the development machine.

    .venv/bin/python bench/bench_scha.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from clustersim import cli

QUERIES = [
    ("scha_resource_get", ["-O", "Type", "-R", "meadow", "-G", "rg"]),
    ("scha_resource_get", ["-O", "Extension", "-R", "meadow", "-G", "rg", "HostnameList"]),
    ("scha_resource_get", ["-O", "Resource_state", "-R", "meadow", "-G", "rg"]),
    ("scha_resourcegroup_get", ["-O", "Nodelist", "-G", "rg"]),
    ("scha_cluster_get", ["-O", "Nodename_local"]),
    ("scha_resource_setstatus", ["-R", "meadow", "-G", "rg", "-s", "OK", "-m", "bench"]),
]


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory(prefix="bench-scha-") as tmp:
        layout = cli.create(str(Path(tmp) / "cl"), ["mars", "venus"], "bench", start=True)
        try:
            binary = layout.node_bin("mars")
            for node in ("mars", "venus"):  # a logical host must resolve on every node
                with (layout.node_root(node) / "etc" / "hosts").open("a") as hosts:
                    hosts.write("127.0.0.77\tbenchhost\n")
            subprocess.run([binary / "scrgadm", "-a", "-g", "rg", "-h", "mars,venus"], check=True)
            subprocess.run([binary / "scrgadm", "-a", "-L", "-g", "rg", "-l", "benchhost",
                            "-j", "meadow"], check=True)
            print(f"{'command':<26}{'optag':<18}{'min ms':>8}{'median':>8}{'p90':>8}")
            floor = ("(interpreter floor)", [sys.executable, "-IS", "-c", "pass"])
            for command, args in [floor, *QUERIES]:
                argv = args if command == floor[0] else [str(binary / command), *args]
                times = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
                    times.append((time.perf_counter() - t0) * 1000)
                times.sort()
                label = "-" if command == floor[0] else args[1]
                print(f"{command:<26}{label:<18}{times[0]:>8.1f}"
                      f"{statistics.median(times):>8.1f}{times[int(len(times) * 0.9)]:>8.1f}")
        finally:
            cli.destroy(layout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
