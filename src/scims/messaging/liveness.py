"""Is each Messaging Server process alive in the sense that matters: is it doing anything?

A protocol probe notices a hung server only after a whole Probe_timeout, and a connect
notices nothing at all: the kernel completes the handshake into a stopped process's listen
backlog. The kernel knows better and says so at once: a process stopped by a signal
(SIGSTOP, SIGTSTP, a tracer that never lets go) is in state T (or t) in /proc/<pid>/stat,
whatever the load. A slow server under load is never in that state: it is running or
runnable (R), sleeping (S) or waiting for the disk (D), and it makes progress. So the cheap
look of the fault monitor (every Cheap_probe_interval) samples each process of the instance
and calls one hung when every sample over at least HANG_AFTER seconds found it stopped: a
load that merely slows a server can never look like that, and an administrator's debugger
that stops a process for an instant (pstack, a breakpoint) is not taken for a hang either.

Which processes are sampled is not decided here: only those `MessagingInstance` proved the
instance's (docs/security.md rule 3, pid and start time), so nothing another local user runs
is ever looked at, named in the log or acted upon. The decision (`judge`) is a pure
function of the sampled facts; `LivenessWatch` keeps the samples between looks.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Callable, Optional, Protocol

from scims import process_table
from scims.process_table import Gone

HANG_AFTER = 1.0
"""Seconds a process must be seen stopped, in every look, before it counts as hung."""
STOPPED_STATES = frozenset("Tt")
"""/proc/<pid>/stat states of a process that cannot run until someone resumes it."""
STATE_WORDS = {"T": "stopped by a signal", "t": "stopped by a tracer"}


class Identified(Protocol):
    """A process as MessagingInstance names it (pid, start time, program)."""

    pid: int
    create_time: float

    @property
    def name(self) -> str: ...

    def is_alive(self) -> bool: ...


@dataclass(frozen=True)
class Sample:
    """What the kernel said of one process at one moment."""

    at: float
    """Monotonic seconds."""
    state: str
    """The state letter of /proc/<pid>/stat (R, S, D, T, t, Z, ...)."""
    cpu_ticks: int = 0
    switches: int = 0
    """Voluntary context switches: how often it waited for something and was woken."""

    @property
    def stopped(self) -> bool:
        return self.state in STOPPED_STATES


@dataclass(frozen=True)
class Hang:
    """A process the kernel shows doing nothing at all, and since when."""

    pid: int
    create_time: float
    name: str
    state: str
    seconds: float
    process: Optional[Identified] = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        """Status_msg words: which server, and what the kernel says it is doing."""
        how = STATE_WORDS.get(self.state, f"in state {self.state}")
        return (f"{self.name or 'a Messaging Server process'} (pid {self.pid}) is hung: "
                f"{how} (process state {self.state}) for {self.seconds:.1f} s")


def judge(samples: Sequence[Sample], now: float,
          hang_after: float = HANG_AFTER) -> Optional[float]:
    """For how long the process has been hung (seconds), or None if it is not.

    Hung: the latest samples, at least two of them spanning at least `hang_after` seconds
    up to `now`, all found it stopped. One running sample in the span clears it (it was
    resumed), and a process seen only once is never judged: a stopped instant is no hang."""
    stopped_since: Optional[float] = None
    count = 0
    for sample in reversed(samples):
        if not sample.stopped:
            break
        stopped_since = sample.at
        count += 1
    if stopped_since is None or count < 2:
        return None
    span = now - stopped_since
    return span if span >= hang_after else None


Reader = Callable[[int], tuple[str, int, int]]


@dataclass
class LivenessWatch:
    """The samples of the instance's processes between looks; a process is forgotten when
    it is no longer among them (it ended, or its pid went to another process)."""

    hang_after: float = HANG_AFTER
    read: Reader = process_table.activity
    keep: int = 8
    _samples: dict[tuple[int, float], list[Sample]] = field(default_factory=dict)

    def look(self, processes: Iterable[Identified], now: float) -> list[Hang]:
        """Sample every process once; the hung ones, oldest hang first."""
        seen: dict[tuple[int, float], list[Sample]] = {}
        hangs: list[tuple[float, Hang]] = []
        for proc in processes:
            key = (proc.pid, proc.create_time)
            try:
                state, cpu, switches = self.read(proc.pid)
            except (Gone, OSError):
                continue
            if not proc.is_alive():  # read after the kernel's answer: still the same process
                continue
            samples = _trimmed([*self._samples.get(key, []), Sample(now, state, cpu, switches)],
                               self.keep)
            seen[key] = samples
            hung_for = judge(samples, now, self.hang_after)
            if hung_for is not None:
                hangs.append((hung_for, Hang(proc.pid, proc.create_time, proc.name, state,
                                             hung_for, proc)))
        self._samples = seen
        return [hang for _, hang in sorted(hangs, key=lambda pair: -pair[0])]

    def forget(self) -> None:
        self._samples.clear()


def _trimmed(samples: list[Sample], keep: int) -> list[Sample]:
    """The last `keep` samples, and the first of the stopped run they end in: what `judge`
    needs however many looks the run has lasted."""
    if len(samples) <= keep:
        return samples
    start = len(samples)
    while start > 0 and samples[start - 1].stopped:
        start -= 1
    tail = samples[-keep:]
    if start < len(samples) - keep:
        return [samples[start], *tail[1:]]
    return tail


def end_hung(hang: Hang) -> bool:
    """SIGKILL a hung process (the only signal a stopped process obeys at once), if it is
    still the process that was judged (pid, start time and program: rule 3's identity).
    True if it was signalled."""
    proc = hang.process
    if proc is None or not proc.is_alive():
        return False
    try:
        os.kill(hang.pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True
