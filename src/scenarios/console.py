"""What the administrator sees: each command as typed at a node's prompt, and its answer."""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Sequence
from typing import TextIO


class Console:
    """Prints commands and their output; `quiet` keeps only the headings for scripts."""

    def __init__(self, quiet: bool = False, out: TextIO | None = None) -> None:
        self.quiet = quiet
        self.out = out or sys.stdout
        self.started = time.monotonic()

    def _write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

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
        self._write(f"{node}# {shlex.join(argv)}")
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
