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


def run_bench(bench: Path) -> tuple[list[str], bool]:
    """One benchmark's section of RESULTS.md (its table, where and when it was measured);
    whether it succeeded."""
    print(f"== {bench.name}", flush=True)
    when = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}"
    where = machine()
    done = subprocess.run([sys.executable, str(bench)], capture_output=True, text=True,
                          timeout=1800, check=False, cwd=TOP)
    print(done.stdout + done.stderr, flush=True)
    section = [f"## {bench.stem}", "", f"Measured {when} on {where}, commit {commit()}.", "",
               "```", done.stdout.rstrip(), "```"]
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        section += ["", f"**failed** (exit {done.returncode}): {last}"]
    return section, done.returncode == 0


def split_sections(text: str) -> dict[str, list[str]]:
    """RESULTS.md's sections by benchmark name (`## bench_x` up to the next heading)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        if current is not None:
            current.append(line)
    return {name: lines[:-1] if lines and not lines[-1] else lines
            for name, lines in sections.items()}


def main(argv: list[str]) -> int:
    """`run.py`: every benchmark; `run.py bench_x ...`: those only, the other sections of
    RESULTS.md kept as they were measured (each section says when, where and at which
    commit)."""
    every = sorted(HERE.glob("bench_*.py"))
    chosen = [b for b in every if not argv or b.stem in argv or b.name in argv]
    unknown = sorted(set(argv) - {b.stem for b in every} - {b.name for b in every})
    if unknown:
        print(f"no such benchmark: {', '.join(unknown)}", file=sys.stderr)
        return 2
    results = HERE / "RESULTS.md"
    kept = split_sections(results.read_text()) if argv and results.exists() else {}
    failed = []
    for bench in chosen:
        kept[bench.stem], ok = run_bench(bench)
        if not ok:
            failed.append(bench.name)
    lines = ["# Benchmark results", "",
             "Each section says when, on what machine and at which commit it was measured. "
             "`make bench` measures every benchmark again; `make bench BENCH=\"bench_x ...\"` "
             "only those."]
    for bench in every:
        if bench.stem in kept:
            lines += ["", *kept[bench.stem]]
    results.write_text("\n".join(lines) + "\n")
    print(f"results in {results}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
