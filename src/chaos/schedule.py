"""The nemesis' seeded schedule: which fault comes next, on what, held how long.

Pure: the same seed and the same classes give the same faults, so a red campaign can be
run again to look at it. Classes come in shuffled rounds (every class once per round), so
that a short campaign still meets each chosen class and a long one meets each many times.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

CLASSES = ("kill-daemon", "kill-watcher", "hang-daemon", "hang-stop-msg", "power-off",
           "freeze", "net-cut", "partition", "switchover", "double", "disk-full", "load")
"""Every fault class of the catalogue (docs/chaos.md says what each does)."""

DAEMONS = ("dispatcher", "job_controller", "imapd", "popd", "stored", "enpd", "imsched",
           "mshttpd")
"""The Messaging Server daemons a kill-daemon may hit (lib/<name>)."""
HANG_DAEMONS = ("dispatcher", "job_controller", "imapd", "popd", "stored")
"""The daemons a hang-daemon stops: each one's hang is seen by the users (mail or reading)."""


@dataclass(frozen=True)
class FaultSpec:
    """One scheduled fault: its class, the daemon it hits (if any), how long the fault is
    held before the nemesis heals it, and the quiet time after recovery."""

    cls: str
    daemon: str | None = None
    hold_s: float = 0.0
    settle_s: float = 5.0


HOLD = {"hang-daemon": (20.0, 40.0), "freeze": (15.0, 25.0), "net-cut": (10.0, 20.0),
        "partition": (10.0, 20.0), "power-off": (5.0, 15.0), "disk-full": (20.0, 40.0),
        "load": (30.0, 60.0), "hang-stop-msg": (0.0, 0.0)}
"""(min, max) seconds a fault of the class is held before it is healed; other classes are
instantaneous (a kill, a switchover) and the nemesis only waits for recovery."""


def parse_classes(text: str | None, applicable: Sequence[str]) -> list[str]:
    """`--faults a,b,c` checked against the engine's classes (default: all of them)."""
    if not text:
        return list(applicable)
    chosen = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in CLASSES]
    if unknown:
        raise ValueError(f"unknown fault class {', '.join(unknown)} "
                         f"(the classes: {', '.join(CLASSES)})")
    absent = [c for c in chosen if c not in applicable]
    if absent:
        raise ValueError(f"fault class {', '.join(absent)} does not apply to this engine "
                         f"(it has: {', '.join(applicable)})")
    if not chosen:
        raise ValueError("--faults names no fault class")
    return list(dict.fromkeys(chosen))


def schedule(seed: int, classes: Sequence[str]) -> Iterator[FaultSpec]:
    """An endless seeded sequence of faults over `classes`, in shuffled rounds."""
    rng = random.Random(seed)
    while True:
        round_ = list(classes)
        rng.shuffle(round_)
        for cls in round_:
            daemon = None
            if cls == "kill-daemon":
                daemon = rng.choice(DAEMONS)
            elif cls == "hang-daemon":
                daemon = rng.choice(HANG_DAEMONS)
            low, high = HOLD.get(cls, (0.0, 0.0))
            yield FaultSpec(cls, daemon, round(rng.uniform(low, high), 1),
                            round(rng.uniform(3.0, 8.0), 1))


def take(seed: int, classes: Sequence[str], count: int) -> list[FaultSpec]:
    """The first `count` faults of the schedule."""
    found = []
    for spec in schedule(seed, classes):
        if len(found) == count:
            break
        found.append(spec)
    return found
