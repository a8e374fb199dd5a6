"""Latency of the scha_* query commands on a stand-in node (printed table).

Agents call scha_resource_get many times per method, so its start-up cost is what matters:
this creates a two-node cluster, one group with a LogicalHostname resource, runs each query
N times on the node (inside its host, through its generated wrapper), and prints
min/median/p90 in ms, the same for the bare interpreter start (`python -IS -c pass`, the
interpreter and flags the wrappers use, so the part of a command's cost that no code change
can remove), each median minus that floor, and the target: median scha_resource_get <= 30 ms
on the development machine. The other commands a method runs are timed alike: `pmfadm -q`
and `pmfadm -L` (a round trip to the node's PMF daemon), `hatimerun -t 5 /bin/true` (its
overhead over the program), and a PMF tag's life as Start and Stop drive it: `pmfadm -c`
(until the command runs) then `pmfadm -s -w 5 KILL` (until its tree is gone).
The commands are run round-robin (one of each per round) so that
a change of machine load during the run hits the floor and the commands alike. The cluster
is destroyed at the end.

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
from clustersim import hosts as clusterhosts

TARGET_MS = 30.0
FLOOR = "python -IS -c pass"
QUERIES = [
    ("scha_resource_get", ["-O", "Type", "-R", "meadow", "-G", "rg"]),
    ("scha_resource_get", ["-O", "Extension", "-R", "meadow", "-G", "rg", "HostnameList"]),
    ("scha_resource_get", ["-O", "Resource_state", "-R", "meadow", "-G", "rg"]),
    ("scha_resourcegroup_get", ["-O", "Nodelist", "-G", "rg"]),
    ("scha_cluster_get", ["-O", "Nodename_local"]),
    ("scha_resource_setstatus", ["-R", "meadow", "-G", "rg", "-s", "OK", "-m", "bench"]),
    ("pmfadm", ["-q", "bench-tag"]),
    ("pmfadm", ["-L"]),
    ("hatimerun", ["-t", "5", "/bin/true"]),
]
TAG_LIFE = [["pmfadm", "-c", "bench-tag", "/bin/sleep", "30"],
            ["pmfadm", "-s", "bench-tag", "-w", "5", "KILL"]]
"""Start and stop of one tag (timed together, as one row)."""


def _timed_all(argvs: list[list[str]]) -> float:
    """Milliseconds to run each argv in turn (exit status 0 or 1: `pmfadm -q` of no tag)."""
    t0 = time.perf_counter()
    for argv in argvs:
        done = subprocess.run(argv, check=False, stdout=subprocess.DEVNULL)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{argv}: exit status {done.returncode}")
    return (time.perf_counter() - t0) * 1000


def _row(label: str, optag: str, times: list[float], floor: float | None) -> str:
    times = sorted(times)
    median = statistics.median(times)
    above = "" if floor is None else f"{median - floor:>+9.1f}"
    return (f"{label:<26}{optag:<18}{times[0]:>8.1f}{median:>8.1f}"
            f"{times[int(len(times) * 0.9)]:>8.1f}{above}")


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory(prefix="bench-scha-") as tmp:
        layout = cli.create(str(Path(tmp) / "cl"), ["mars", "venus"], "bench", start=True)
        try:
            binary = layout.node_bin("mars")
            for node in ("mars", "venus"):  # a logical host must resolve on every node
                with (layout.node_root(node) / "etc" / "hosts").open("a") as hosts:
                    hosts.write("198.18.0.177\tbenchhost\n")
            subprocess.run([binary / "scrgadm", "-a", "-g", "rg", "-h", "mars,venus"], check=True)
            subprocess.run([binary / "scrgadm", "-a", "-L", "-g", "rg", "-l", "benchhost",
                            "-j", "meadow"], check=True)
            on_mars = clusterhosts.host(layout, "mars").command  # typed on the node
            commands = [("(floor)", FLOOR, [on_mars([sys.executable, "-IS", "-c", "pass"])]),
                        ("(with site)", "python -c pass",
                         [on_mars([sys.executable, "-c", "pass"])])]
            commands += [(cmd, " ".join(args[:2]) if cmd in ("pmfadm", "hatimerun") else args[1],
                          [on_mars([f"/usr/cluster/bin/{cmd}", *args])])
                         for cmd, args in QUERIES]
            commands.append(("pmfadm -c; -s -w KILL", "one tag's life",
                             [on_mars([f"/usr/cluster/bin/{a[0]}", *a[1:]]) for a in TAG_LIFE]))
            times: list[list[float]] = [[] for _ in commands]
            for _ in range(runs):
                for i, (_label, _optag, argv) in enumerate(commands):
                    times[i].append(_timed_all(argv))
            floor = statistics.median(times[0])
            print(f"{runs} runs each, round-robin; times in ms")
            print(f"{'command':<26}{'optag':<18}{'min':>8}{'median':>8}{'p90':>8}"
                  f"{'- floor':>9}")
            for (label, optag, _argv), measured in zip(commands, times):
                print(_row(label, optag, measured, None if label == "(floor)" else floor))
            pooled = [t for (label, _o, _a), m in zip(commands, times)
                      if label == "scha_resource_get" for t in m]
            median = statistics.median(pooled)
            print()
            print(f"scha_resource_get median (all optags): {median:.1f} ms")
            print(f"floor ({FLOOR}):            {floor:.1f} ms")
            print(f"median minus floor:                    {median - floor:.1f} ms")
            verdict = "met" if median <= TARGET_MS else "NOT met"
            print(f"target <= {TARGET_MS:.0f} ms: median/target = "
                  f"{median / TARGET_MS:.2f} ({verdict})")
        finally:
            cli.destroy(layout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
