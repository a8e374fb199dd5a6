"""How long the README's first command takes: the demo (the generic procedure end to end,
`python -m imsguide.demo --quiet`), against the issue's bound of a minute.

Each run is timed from the command to its exit; the phases come from the demo's own
headings (`[ 12.3s] Heading`: a phase lasts until the next heading), and the switchover,
watcher-restart and failover figures from the results it prints.

    .venv/bin/python bench/bench_demo.py [RUNS]
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import standin

RUNS = 3
BOUND = 60.0
"""The issue's promise: the whole procedure in under a minute (seconds)."""
TOP = Path(__file__).resolve().parents[1]
HEADING = re.compile(r"^\[\s*(\d+\.\d+)s\] (.*)$", re.M)
PHASES = (
    ("Building", "build SUNWscims"),
    ("Creating", "create the two-node cluster"),
    ("Step 1-2:", "steps 1-14: package, accounts, types, group, storage, Messaging Server"),
    ("Step 15:", "steps 15-17: mail-rs created (validate), enabled (start), scstat"),
    ("Mail to", "mail sent, read back by IMAP and POP"),
    ("Switchover", "two switchovers, the mail read back after each"),
    ("Debug logging", "debug on, watcher killed, Messaging Server restarted"),
    ("Node", "node panic, failover, boot"),
    ("Step U1:", "unconfigure U1-U5"),
    ("Destroying", "destroy the cluster, no process left"),
    ("Done", "interpreter exit"),
)
"""A phase starts at the first heading that starts with its prefix, in this order."""
REPORTED = (
    ("switchover: scswitch -z returns", r"online on \w+ in (\d+\.\d) s"),
    ("watcher kill -9 -> restarted, answering", r"answering (\d+\.\d) s after the kill"),
    ("node panic -> answering on the other node", r"answers on \w+ (\d+\.\d) s after the panic"),
)


def phases(out: str, wall: float) -> dict[str, float]:
    """Seconds per phase of one run's output (the last one until the process exited)."""
    stamps = [(float(t), text) for t, text in HEADING.findall(out)]
    starts: list[tuple[float, str]] = []
    names = iter(PHASES)
    prefix, name = next(names)
    for stamp, text in stamps:
        if text.startswith(prefix):
            starts.append((stamp, name))
            prefix, name = next(names, ("\0", ""))
    ends = [s for s, _ in starts[1:]] + [wall]
    return {name: end - start for (start, name), end in zip(starts, ends)}


def run_demo(where: Path) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "imsguide.demo", "--quiet", "--dir",
                           str(where)], capture_output=True, text=True, timeout=900, cwd=TOP,
                          check=False)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"the demo failed (exit {done.returncode}):\n{done.stdout[-3000:]}"
                         f"{done.stderr[-2000:]}")
    return wall, done.stdout


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    walls: list[float] = []
    per_phase: dict[str, list[float]] = defaultdict(list)
    reported: dict[str, list[float]] = defaultdict(list)
    top = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    try:
        for n in range(runs):
            wall, out = run_demo(top / f"run{n}")
            walls.append(wall)
            for name, seconds in phases(out, wall).items():
                per_phase[name].append(seconds)
            for name, pattern in REPORTED:
                reported[name] += [float(x) for x in re.findall(pattern, out)]
    finally:
        shutil.rmtree(top, ignore_errors=True)

    print(f"The demo, `python -m imsguide.demo --quiet` (generic procedure), {runs} runs "
          f"end to end; seconds")
    print()
    print(standin.table([standin.row("whole demo, command to exit", walls, bound=BOUND)]))
    print()
    print("Per phase (from the demo's headings)")
    print(standin.table([standin.row(name, per_phase[name]) for _p, name in PHASES
                         if per_phase[name]]))
    print()
    print("As the demo reports them")
    print(standin.table([standin.row(name, reported[name]) for name, _p in REPORTED]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
