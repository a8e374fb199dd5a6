"""What the administrator sees: each command as typed at a node's prompt, and its answer.

Long waits (building, creating the cluster, a switchover, waiting for a fault to heal) show
their progress: every TICK seconds the time spent so far, on one line rewritten in place on a
terminal, or as a sparse line of its own when the output goes to a file or a pipe.
"""

from __future__ import annotations

import shlex
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

TICK = 5.0
"""Seconds between two progress lines of a long wait."""
SHELL_OPERATORS = frozenset({">", ">>", "<", "|", "&&", ";"})
"""Shown as the administrator types them, not quoted."""


class Console:
    """Prints commands and their output; `quiet` keeps only the headings, the results and
    the progress of long waits, for scripts."""

    def __init__(self, quiet: bool = False, out: TextIO | None = None,
                 tick: float = TICK) -> None:
        self.quiet = quiet
        self.out = out or sys.stdout
        self.tick = tick
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._ticking = False
        self._live = False
        """A progress line is on the terminal, without its newline yet."""
        isatty = getattr(self.out, "isatty", None)
        self._terminal = bool(isatty and isatty())

    def _write(self, text: str) -> None:
        with self._lock:
            self._clear_live()
            self.out.write(text + "\n")
            self.out.flush()

    def _clear_live(self) -> None:
        if self._live:
            self.out.write("\r\x1b[K")
            self._live = False

    def heading(self, text: str) -> None:
        stamp = f"[{time.monotonic() - self.started:5.1f}s]"
        self._write(f"\n{stamp} {text}")

    def note(self, text: str) -> None:
        if not self.quiet:
            for line in text.splitlines():
                self._write(f"    {line}")

    def command(self, node: str, argv: Sequence[str], stdin: str | None = None) -> None:
        if self.quiet:
            return
        typed = " ".join(a if a in SHELL_OPERATORS else shlex.quote(a) for a in argv)
        self._write(f"{node}# {typed}")
        if stdin:
            for line in stdin.splitlines():
                self._write(f"    (typed) {line}")

    def output(self, text: str) -> None:
        if self.quiet:
            return
        for line in text.rstrip("\n").splitlines():
            self._write(f"    {line}")

    def result(self, text: str) -> None:
        """A finding worth showing even in quiet mode (timings, proofs)."""
        self._write(f"    => {text}")

    def evidence(self, lines: Sequence[str]) -> None:
        """Lines that back a result (log lines, counts), shown even in quiet mode."""
        for line in lines:
            self._write(f"       {line}")

    @contextmanager
    def ticking(self, what: str) -> Iterator[None]:
        """While the body runs, show every `tick` seconds how long `what` has taken. Inner
        tickers inside an outer one stay silent (the outer one is already counting)."""
        if self._ticking or self.tick <= 0:
            yield
            return
        self._ticking = True
        stop = threading.Event()
        started = time.monotonic()

        def tick() -> None:
            while not stop.wait(self.tick):
                self._progress(f"    ... {what}: {time.monotonic() - started:.0f} s")

        thread = threading.Thread(target=tick, name="console-ticker", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self._ticking = False
            with self._lock:
                self._clear_live()
                self.out.flush()

    def _progress(self, text: str) -> None:
        with self._lock:
            if self._terminal:
                self.out.write("\r\x1b[K" + text)
                self._live = True
            else:
                self.out.write(text + "\n")
            self.out.flush()
