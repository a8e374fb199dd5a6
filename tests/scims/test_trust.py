"""The pure rules of scims.trust (the attacks themselves are in tests/security)."""

from __future__ import annotations

import os
import stat

import pytest

from scims import trust
from scims.messaging.installation import system_directory_within
from scims.validation import nested


def info(uid: int, mode: int) -> os.stat_result:
    return os.stat_result((mode, 0, 0, 1, uid, 0, 0, 0, 0, 0))


@pytest.mark.parametrize(("uid", "mode", "final", "safe"), [
    (0, stat.S_IFDIR | 0o755, False, True),
    (1, stat.S_IFDIR | 0o755, False, False),         # daemon: a low uid is no trust
    (33, stat.S_IFDIR | 0o755, False, False),        # www-data
    (20001, stat.S_IFDIR | 0o755, False, False),     # the runtime user
    (0, stat.S_IFDIR | 0o775, False, False),
    (0, stat.S_IFDIR | 0o1777, False, True),         # /tmp
    (0, stat.S_IFREG | 0o1777, True, False),         # a sticky file is just writable
    (0, stat.S_IFREG | 0o755, True, True),
    (0, stat.S_IFREG | 0o4755, True, True),
    (0, stat.S_IFLNK | 0o777, False, True),          # a link counts by owner
    (20001, stat.S_IFLNK | 0o777, False, False),
    (60001, stat.S_IFDIR | 0o755, False, False),     # nobody
])
def test_component_rule(uid: int, mode: int, final: bool, safe: bool) -> None:
    assert (trust.component_problem(info(uid, mode), final) is None) == safe


def test_paths_must_be_absolute() -> None:
    assert trust.path_problem("opt/x")[1] is not None


@pytest.mark.parametrize(("root", "system"), [
    ("/usr", "/usr"), ("/", "/"), ("/var/opt", "/var/opt"), ("/usr/local", "/usr/local"),
    ("/opt/SUNWmsgsr", None), ("/opt/mars/SUNWmsgsr", None), ("/export", "/export"),
])
def test_system_directories(root: str, system: str | None) -> None:
    assert system_directory_within(root) == system


def test_nesting() -> None:
    assert nested("/a/b", "/a") == "lies in"
    assert nested("/a", "/a/b") == "contains"
    assert nested("/a", "/a") is None
    assert nested("/a", "/ab") is None


def test_budget_bounds_and_nests() -> None:
    assert trust.Budget.left(30) == 30
    import time
    with trust.Budget.until(time.monotonic() + 5):
        assert trust.Budget.left(30) <= 5
        with trust.Budget.until(time.monotonic() + 100):
            assert trust.Budget.left(30) <= 5, "an inner phase cannot take more than its method"
    assert trust.Budget.left(30) == 30


def test_a_record_is_private_replaced_whole_and_leaves_no_temporary(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trust, "STATE_DIR", str(tmp_path / "state"))
    record = trust.RuntimeRecord("MAIL-RG", "mail-rs", "runtime_uid")
    assert record.write("20001\n")
    assert record.write("20002\n")
    assert os.listdir(record.directory) == [os.path.basename(record.path)]
    assert stat.S_IMODE(os.stat(record.path).st_mode) == 0o600
    assert record.read() == "20002\n"
