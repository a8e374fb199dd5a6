"""A hung process told from a slow one by what the kernel says it does (messaging.liveness):
the pure decision from sampled facts, and the samples of real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from scims import process_table
from scims.messaging.liveness import HANG_AFTER, Hang, LivenessWatch, Sample, end_hung, judge


def samples(*states: str, every: float = 0.5) -> list[Sample]:
    return [Sample(i * every, state) for i, state in enumerate(states)]


# --- the decision -------------------------------------------------------------------------


def test_stopped_in_every_look_for_the_span_is_hung() -> None:
    looks = samples("S", "T", "T", "T")  # stopped since 0.5, now 1.5
    assert judge(looks, now=1.5, hang_after=1.0) == pytest.approx(1.0)


def test_a_stop_shorter_than_the_span_is_not_a_hang() -> None:
    """A debugger's instant (pstack, a breakpoint): stopped, then running again."""
    assert judge(samples("S", "T", "T"), now=1.0, hang_after=1.0) is None
    assert judge(samples("T", "T", "S"), now=1.0, hang_after=1.0) is None


def test_one_look_is_never_a_hang_however_long_ago() -> None:
    assert judge([Sample(0.0, "T")], now=60.0, hang_after=1.0) is None


def test_load_never_looks_like_a_hang() -> None:
    """Runnable (R), sleeping (S) or waiting for the disk (D) for any length of time: a
    slow server, never a hung one, whatever the span."""
    for state in "RSD":
        assert judge(samples(*[state] * 40), now=20.0, hang_after=1.0) is None


def test_a_traced_stop_counts_too() -> None:
    assert judge(samples("t", "t", "t"), now=1.0, hang_after=1.0) == pytest.approx(1.0)


def test_the_words_name_the_server_and_what_the_kernel_says() -> None:
    hang = Hang(4242, 1.0, "imapd", "T", 2.04)
    assert hang.describe() == ("imapd (pid 4242) is hung: stopped by a signal "
                               "(process state T) for 2.0 s")


# --- the watch over looks -----------------------------------------------------------------


@dataclass
class Proc:
    pid: int
    create_time: float = 1.0
    name: str = "imapd"
    alive: bool = True

    def is_alive(self) -> bool:
        return self.alive


def test_the_watch_reports_a_process_after_the_span_and_forgets_the_gone() -> None:
    states = {10: "T", 11: "S"}
    watch = LivenessWatch(hang_after=1.0, read=lambda pid: (states[pid], 0, 0))
    procs = [Proc(10), Proc(11, name="popd")]
    assert watch.look(procs, 0.0) == []
    assert watch.look(procs, 0.5) == []
    hung = watch.look(procs, 1.0)
    assert [(h.pid, h.name) for h in hung] == [(10, "imapd")]
    # A new process on the same pid (another start time) starts with no history.
    assert watch.look([Proc(10, create_time=2.0)], 1.5) == []


def test_a_process_that_changed_between_the_read_and_the_check_is_skipped() -> None:
    watch = LivenessWatch(hang_after=0.0, read=lambda pid: ("T", 0, 0))
    proc = Proc(10)
    watch.look([proc], 0.0)
    proc.alive = False  # its pid went to another process after the kernel answered
    assert watch.look([proc], 1.0) == []


# --- real processes -----------------------------------------------------------------------


@pytest.fixture
def sleeper() -> subprocess.Popen[bytes]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child
    child.kill()
    child.wait()


@dataclass
class Real:
    pid: int
    create_time: float
    name: str = "sleeper"

    def is_alive(self) -> bool:
        try:
            start, zombie = process_table.started(self.pid)
        except process_table.Gone:
            return False
        return not zombie and abs(start - self.create_time) < 0.01


def real(child: subprocess.Popen[bytes]) -> Real:
    return Real(child.pid, process_table.started(child.pid)[0])


def test_a_sigstopped_process_is_hung_and_a_busy_one_is_not(
        sleeper: subprocess.Popen[bytes]) -> None:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        watch = LivenessWatch()
        procs = [real(sleeper), real(busy)]
        os.kill(sleeper.pid, signal.SIGSTOP)
        began = time.monotonic()
        hung: list[Hang] = []
        while not hung and time.monotonic() - began < 5:
            hung = watch.look(procs, time.monotonic())
            time.sleep(0.25)
        assert [h.pid for h in hung] == [sleeper.pid]
        assert hung[0].state == "T" and hung[0].seconds >= HANG_AFTER
    finally:
        busy.kill()
        busy.wait()


def stop(pid: int) -> None:
    """SIGSTOP, and wait until the kernel shows it (the signal is delivered asynchronously)."""
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + 5
    while process_table.activity(pid)[0] != "T":
        assert time.monotonic() < deadline, "SIGSTOP did not stop the process"
        time.sleep(0.01)


def test_a_resumed_process_is_no_longer_hung(sleeper: subprocess.Popen[bytes]) -> None:
    watch = LivenessWatch(hang_after=0.2)
    procs = [real(sleeper)]
    stop(sleeper.pid)
    watch.look(procs, 0.0)
    assert watch.look(procs, 0.3)
    os.kill(sleeper.pid, signal.SIGCONT)
    time.sleep(0.1)
    assert watch.look(procs, 0.6) == []


def test_ending_a_hung_process_checks_it_is_still_the_one_judged(
        sleeper: subprocess.Popen[bytes]) -> None:
    proc = real(sleeper)
    impostor = Real(sleeper.pid, proc.create_time - 100)  # the pid, another start time
    assert not end_hung(Hang(sleeper.pid, impostor.create_time, "imapd", "T", 2.0, impostor))
    assert sleeper.poll() is None
    os.kill(sleeper.pid, signal.SIGSTOP)
    assert end_hung(Hang(sleeper.pid, proc.create_time, "imapd", "T", 2.0, proc))
    assert sleeper.wait(5) == -signal.SIGKILL


def test_a_long_stop_is_judged_however_many_looks_it_took() -> None:
    """Looks every 50 ms: the stop is still measured from its first look."""
    watch = LivenessWatch(hang_after=1.0, read=lambda pid: ("T", 0, 0), keep=4)
    hung: list[Hang] = []
    for step in range(25):
        hung = watch.look([Proc(10)], step * 0.05)
    assert [round(h.seconds, 2) for h in hung] == [1.2]
