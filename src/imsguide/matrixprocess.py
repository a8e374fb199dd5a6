"""The fault matrix in a process of its own, reporting each row's result as it is known.

Development tool for tests/faults. The table runs for minutes in threads (one cluster per
shard, `faultmatrix.MatrixRun`) while the pytest worker goes on with other tests, and those
tests change the environment (`monkeypatch.setenv`). glibc's setenv is not safe against a
thread whose child, between vfork and execve, still reads the parent's `environ`: in CI an
execve of `clustersim` failed with EFAULT ("Bad address") and took a whole shard with it. In a
process of its own the table shares its environment with nobody, and a test still collects
each row's result by name.

The child is `python -m imsguide.matrixprocess`; it reads the table from the test file,
writes one JSON object per line to the descriptor `--report-fd`, and ends its run (finishing
the current rows, tearing every cluster down) when its standard input is closed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Optional, Union

from imsguide.faultmatrix import (
    RESULT_WAIT,
    MatrixRun,
    Result,
    Results,
    Row,
    RowFailed,
    RowNotRun,
    Shard,
)

Outcome = Union[Result, BaseException]


def _load_table(table_file: Path) -> dict[str, Row]:
    spec = importlib.util.spec_from_file_location("fault_matrix_table", table_file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the fault table from {table_file}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {row.name: row for row in module.TABLE}


def _event(row: Row, outcome: Outcome) -> dict[str, object]:
    if isinstance(outcome, Result):
        return {"row": row.name, "node": outcome.node, "ended_on": outcome.ended_on,
                "took": outcome.took, "restarts_before": outcome.restarts_before,
                "restarts_after": outcome.restarts_after}
    kind = "not_run" if isinstance(outcome, RowNotRun) else "failed"
    text = str(outcome)
    if outcome.__cause__ is not None:  # the row's own traceback, for the test's report
        text += "\n" + "".join(traceback.format_exception(outcome.__cause__))
    return {"row": row.name, kind: text}


def child(table_file: Path, package_dir: Path, shards: list[list[str]], report: IO[str]) -> int:
    rows = _load_table(table_file)
    lock = threading.Lock()

    def send(event: dict[str, object]) -> None:
        with lock:
            report.write(json.dumps(event) + "\n")
            report.flush()

    run = MatrixRun(package_dir, [Shard([rows[name] for name in names]) for names in shards],
                    on_publish=lambda row, outcome: send(_event(row, outcome)))
    run.start()
    sys.stdin.read()  # the parent closes it to end the run
    run.stop(RESULT_WAIT)
    for error in run.teardown_errors:
        send({"teardown_error": error})
    return 0


class MatrixProcess(Results):
    """The parent's view of the matrix child: `result(row)` as `MatrixRun` has it."""

    def __init__(self, table_file: Path, package_dir: Path, shards: Sequence[Sequence[Row]]):
        self.rows = {row.name: row for shard in shards for row in shard}
        super().__init__(list(self.rows))
        self.table_file = table_file
        self.package_dir = package_dir
        self.shards = [[row.name for row in shard] for shard in shards]
        self.proc: Optional[subprocess.Popen[str]] = None
        self.reader: Optional[threading.Thread] = None

    def start(self) -> None:
        read_end, write_end = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "imsguide.matrixprocess", "--report-fd", str(write_end),
                 "--table", str(self.table_file), "--package-dir", str(self.package_dir),
                 "--shards", json.dumps(self.shards)],
                stdin=subprocess.PIPE, pass_fds=(write_end,), text=True,
                env=dict(os.environ))  # built here, under the GIL: the child reads no `environ`
        finally:
            os.close(write_end)
        stream = os.fdopen(read_end, encoding="utf-8")
        self.reader = threading.Thread(target=self._read, args=(stream,), daemon=True,
                                       name="matrix-reader")
        self.reader.start()

    def _read(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                self._take(json.loads(line))
        code = self.proc.wait() if self.proc is not None else None
        for name, event in self.done.items():
            if not event.is_set():
                self._publish(name, RowNotRun(f"the matrix process ended (exit {code}) "
                                              f"before this row's result"))
        if code:
            self.teardown_errors.append(f"the matrix process exited {code}")

    def _take(self, event: dict[str, Any]) -> None:
        if "teardown_error" in event:
            self.teardown_errors.append(str(event["teardown_error"]))
            return
        name = str(event["row"])
        outcome: Outcome
        if "failed" in event:
            outcome = RowFailed(str(event["failed"]))
        elif "not_run" in event:
            outcome = RowNotRun(str(event["not_run"]))
        else:
            outcome = Result(self.rows[name], str(event["node"]), str(event["ended_on"]),
                             float(event["took"]), int(event["restarts_before"]),
                             int(event["restarts_after"]))
        self._publish(name, outcome)

    def stop(self, timeout: float) -> None:
        """Let the current rows finish, run no more, tear every cluster down."""
        if self.proc is None:
            return
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.teardown_errors.append(f"the matrix process still ran after {timeout:g} s")
            self.proc.kill()
            self.proc.wait()
        if self.reader is not None:
            self.reader.join(timeout)



def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m imsguide.matrixprocess")
    parser.add_argument("--report-fd", type=int, required=True)
    parser.add_argument("--table", type=Path, required=True)
    parser.add_argument("--package-dir", type=Path, required=True)
    parser.add_argument("--shards", type=json.loads, required=True)
    args = parser.parse_args(argv)
    with os.fdopen(args.report_fd, "w", encoding="utf-8") as report:
        return child(args.table, args.package_dir, args.shards, report)


if __name__ == "__main__":
    sys.exit(main())
