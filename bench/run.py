"""Run every benchmark (bench/bench_*.py) and record their tables in bench/RESULTS.md.

Benchmarks print tables; they are never timed assertions (machines here are shared and
noisy, so each benchmark compares figures measured in the same run). RESULTS.md keeps the
latest tables with the machine and the commit they were measured on.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOP = HERE.parent


def machine() -> str:
    try:
        cpu = next(line.split(":", 1)[1].strip()
                   for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    memory = "unknown memory"
    try:
        kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.node()}: {os.cpu_count()} CPUs ({cpu}), {memory}, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"load {load:.1f} at start")


def commit() -> str:
    done = subprocess.run(["git", "-C", str(TOP), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def main() -> int:
    benches = sorted(HERE.glob("bench_*.py"))
    sections = [
        "# Benchmark results",
        "",
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC} on "
        f"{machine()}, commit {commit()}. Run `make bench` to measure again.",
    ]
    failed = []
    for bench in benches:
        print(f"== {bench.name}", flush=True)
        done = subprocess.run([sys.executable, str(bench)], capture_output=True, text=True,
                              timeout=1800, check=False, cwd=TOP)
        print(done.stdout + done.stderr, flush=True)
        sections += ["", f"## {bench.stem}", "", "```", done.stdout.rstrip(), "```"]
        if done.returncode != 0:
            failed.append(bench.name)
            sections += ["", f"**failed** (exit {done.returncode}): "
                         f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}"]
    (HERE / "RESULTS.md").write_text("\n".join(sections) + "\n")
    print(f"results in {HERE / 'RESULTS.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
