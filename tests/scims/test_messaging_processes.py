"""Finding and ending the processes of one Messaging Server instance, with real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scims.messaging.processes import MessagingInstance, ProcessIdentity, await_exit

DAEMON = "import time\nwhile True:\n    time.sleep(0.2)\n"
SCRIPT = f"#!{sys.executable}\n{DAEMON}"
"""A program of the installation: the kernel runs its #! interpreter, which is how the
instance's processes are told from a process that merely names the program in argv."""


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[tuple[Path, Path, list[subprocess.Popen]]]:
    base = tmp_path / "opt" / "SUNWmsgsr"
    config = tmp_path / "shared" / "SUNWmsgsr"
    for d in (base / "lib", config / "config"):
        d.mkdir(parents=True)
    for name in ("watcher", "imapd"):
        (base / "lib" / name).write_text(SCRIPT)
        (base / "lib" / name).chmod(0o755)
    started: list[subprocess.Popen] = []
    yield base, config, started
    for proc in started:
        proc.kill()
        proc.wait(timeout=5)


def _start(started: list[subprocess.Popen], argv: list[str], cwd: Path | None = None,
           env: dict[str, str] | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(argv, cwd=cwd, env=env)
    started.append(proc)
    return proc


def _wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_finds_the_watcher_and_its_services_by_program_path(instance) -> None:
    base, config, started = instance
    watcher = _start(started, [sys.executable, str(base / "lib" / "watcher")])
    imapd = _start(started, [sys.executable, str(base / "lib" / "imapd")])
    other = _start(started, [sys.executable, "-c", DAEMON])
    ms = MessagingInstance(str(base), str(config))
    _wait_for(lambda: len(ms.processes()) == 2)
    pids = {p.pid for p in ms.processes()}
    assert pids == {watcher.pid, imapd.pid}
    assert other.pid not in pids
    found = ms.watcher()
    assert found is not None and found.pid == watcher.pid and found.is_alive()


def _running_watcher(instance) -> tuple[subprocess.Popen, MessagingInstance, ProcessIdentity]:
    """A watcher started from the installation, and the instance's identity of it."""
    base, config, started = instance
    watcher = _start(started, [sys.executable, str(base / "lib" / "watcher")])
    ms = MessagingInstance(str(base), str(config))
    _wait_for(lambda: ms.watcher() is not None)
    ident = ms.watcher()
    assert ident is not None
    return watcher, ms, ident


def test_watcher_identity_does_not_survive_its_process(instance) -> None:
    watcher, ms, ident = _running_watcher(instance)
    watcher.kill()
    watcher.wait(timeout=5)
    assert not ident.is_alive()
    assert ms.watcher() is None


def test_kill_all_ends_the_instance_and_leaves_other_processes(instance) -> None:
    base, config, started = instance
    for name in ("watcher", "imapd"):
        _start(started, [sys.executable, str(base / "lib" / name)])
    bystander = _start(started, [sys.executable, "-c", DAEMON], cwd=config)
    ms = MessagingInstance(str(base), str(config), runtime_uid=None)
    _wait_for(lambda: len(ms.processes()) == 2)
    survivors = ms.kill_all(time.monotonic() + 5)
    assert survivors == []
    assert ms.processes() == []
    assert bystander.poll() is None, "a process that is not Messaging Server must be spared"
    holders = ms.holders()
    assert [h.pid for h in holders] == [bystander.pid]
    assert holders[0].path == str(config)


def test_a_runtime_user_holder_that_is_not_messaging_server_is_reported_not_killed(
        instance) -> None:
    """A process of the runtime user that keeps a file of the configuration directory open
    but runs no program of the installation (by the kernel's word) is not the instance's:
    it is reported for the storage resource, never killed (trust model, docs/security.md)."""
    base, config, started = instance
    held = config / "config" / "msg.conf"
    held.write_text("service.listenaddr = 127.0.0.1\n")
    keeps_open = (f"f = open({str(held)!r})\n"
                  "import time\nwhile True:\n    time.sleep(0.2)\n")
    holder = _start(started, [sys.executable, "-c", keeps_open])
    ms = MessagingInstance(str(base), str(config), runtime_uid=os.getuid())
    _wait_for(lambda: [h.pid for h in ms.holders()] == [holder.pid])
    assert ms.kill_all(time.monotonic() + 5) == []
    assert holder.poll() is None, "a holder was killed"
    assert [h.pid for h in ms.holders()] == [holder.pid]


def test_a_holder_of_another_user_is_reported_not_killed(instance) -> None:
    base, config, started = instance
    bystander = _start(started, [sys.executable, "-c", DAEMON], cwd=config)
    ms = MessagingInstance(str(base), str(config), runtime_uid=os.getuid() + 4242)
    _wait_for(lambda: [h.pid for h in ms.holders()] == [bystander.pid])
    assert ms.kill_all(time.monotonic() + 5) == []
    assert bystander.poll() is None


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="no pidfd on this system")
def test_waiting_on_the_watcher_ends_when_it_dies(instance) -> None:
    """The fault monitor's pause between two looks ends with the watcher, not after it."""
    watcher, _ms, ident = _running_watcher(instance)
    killed = threading.Event()

    def kill_soon() -> None:
        time.sleep(0.3)
        killed.set()
        watcher.kill()

    killer = threading.Thread(target=kill_soon)
    killer.start()
    await_exit(ident, 3600)  # an hour, unless the death wakes it
    assert killed.is_set()  # woken by the death: not before it
    killer.join()
    watcher.wait(timeout=5)
    assert not ident.is_alive()
    await_exit(ident, 3600)  # gone already: returns at once
