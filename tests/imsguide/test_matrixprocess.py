"""The fault matrix's child process: what it reports reaches each row's test intact, and a
child that dies leaves no row's test waiting."""

from __future__ import annotations

from pathlib import Path

import pytest

from imsguide.faultmatrix import Outcome, Result, Row, RowFailed, RowNotRun, nothing
from imsguide.matrixprocess import MatrixProcess, _event

ROWS = [Row("popd refuse", nothing, Outcome.LOCAL_RESTART, 30.0),
        Row("node panic", nothing, Outcome.FAILOVER, 45.0)]


def relay(process: MatrixProcess, row: Row, outcome: Result | BaseException) -> None:
    """What the child writes for `outcome`, read back by the parent."""
    process._take(_event(row, outcome))


def test_a_result_comes_back_with_its_row_and_figures() -> None:
    process = MatrixProcess(Path("unused"), Path("unused"), [ROWS])
    relay(process, ROWS[0], Result(ROWS[0], "mars", "mars", 12.5, 0, 1))
    result = process.result(ROWS[0], 1)
    assert result.row is ROWS[0]
    assert (result.node, result.ended_on, result.took) == ("mars", "mars", 12.5)
    assert (result.restarts_before, result.restarts_after) == (0, 1)


def test_a_failed_row_carries_its_own_traceback() -> None:
    process = MatrixProcess(Path("unused"), Path("unused"), [ROWS])
    try:
        raise AssertionError("Messaging Server processes left on venus")
    except AssertionError as exc:
        failure = RowFailed("row failed: node logs here")
        failure.__cause__ = exc
    relay(process, ROWS[1], failure)
    with pytest.raises(RowFailed) as raised:
        process.result(ROWS[1], 1)
    assert "node logs here" in str(raised.value)
    assert "Messaging Server processes left on venus" in str(raised.value)
    assert "Traceback" in str(raised.value)


def test_a_row_not_run_says_why() -> None:
    process = MatrixProcess(Path("unused"), Path("unused"), [ROWS])
    relay(process, ROWS[1], RowNotRun("row 'popd refuse' failed before it"))
    with pytest.raises(RowNotRun, match="failed before it"):
        process.result(ROWS[1], 1)


def test_a_child_that_dies_leaves_no_test_waiting(tmp_path: Path) -> None:
    table = tmp_path / "table.py"
    table.write_text("raise SystemExit(3)\n")
    process = MatrixProcess(table, tmp_path, [ROWS])
    process.start()
    with pytest.raises(RowNotRun, match=r"ended \(exit 3\)"):
        process.result(ROWS[0], 60)
    process.stop(60)
    assert "the matrix process exited 3" in process.teardown_errors
    assert process.proc is not None and process.proc.returncode == 3


def test_closing_the_childs_input_ends_its_run_cleanly(tmp_path: Path) -> None:
    """No row selected: no cluster is made, and the child ends when told, exit 0."""
    table = tmp_path / "table.py"
    table.write_text("TABLE = []\n")
    process = MatrixProcess(table, tmp_path, [[], []])
    process.start()
    process.stop(60)
    assert process.teardown_errors == []
    assert process.proc is not None and process.proc.returncode == 0
