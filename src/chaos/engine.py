"""What the campaign asks of a cluster engine, so that the load, the nemesis and the checker
are the same for the stand-in Sun Cluster and for the Pacemaker bed.

An engine builds its cluster, says which node holds the group and in what state the
engine keeps it, injects and heals the primitive faults the nemesis composes, reads the
store back, and tears everything down, saying what it left behind.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from chaos.load import Service


@dataclass(frozen=True)
class Start:
    """One start of the mail resource, from the engine's own record."""

    node: str
    at: float  # wall-clock seconds (time.time())


class Engine(Protocol):
    name: str
    nodes: tuple[str, ...]
    classes: tuple[str, ...]
    service: Service

    def build(self) -> None: ...
    def teardown(self) -> list[str]: ...
    def on_client(self, function: Callable[..., Any], *args: Any) -> Any: ...
    def holder(self) -> str | None: ...
    def healthy(self) -> bool: ...
    def bad_states(self) -> list[str]: ...
    def repair(self) -> str: ...
    def log_files(self) -> dict[str, Path]: ...
    def is_report(self, line: str) -> bool: ...
    def mount_names(self) -> dict[str, str]: ...
    def disk_numbers(self) -> str: ...
    def starts_since(self, wall: float) -> list[Start]: ...
    def powered(self, node: str) -> bool: ...
    def kill_daemon(self, node: str, daemon: str) -> None: ...
    def ready_to_kill_watcher(self, node: str) -> None: ...
    def kill_watcher(self, node: str) -> None: ...
    def daemon_pids(self, node: str, daemon: str) -> list[int]: ...
    def switchover(self, target: str) -> None: ...
    def power_off(self, node: str) -> None: ...
    def boot(self, node: str) -> None: ...
    def cut(self, node: str) -> None: ...
    def mend(self, node: str) -> None: ...
    def split(self, nodes: list[str], apart: bool) -> None: ...
    def freeze(self, node: str) -> tuple[int, Callable[[], None]]: ...
    def stop_msg(self, node: str, fault: str) -> None: ...
    def run_on(self, node: str, argv: list[str], timeout: float = 60
               ) -> subprocess.CompletedProcess[str]: ...
    def popen_on(self, node: str, argv: list[str]) -> subprocess.Popen[bytes] | None: ...
    def node_path(self, node: str, path: str) -> Path: ...
    def config_dir(self) -> str: ...
    def release_disk(self) -> None: ...
    def fsck(self) -> tuple[bool | None, str]: ...


# --- shared by the engines ------------------------------------------------------------------

MESSAGE_ID = re.compile(rb"^message-id:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def read_store(store: Path) -> Counter[str]:
    """Message-ID -> copies, over every mailbox of the store (mssim.mailstore's layout:
    store/<user>/INBOX/<uid>.msg)."""
    found: Counter[str] = Counter()
    for msg in store.glob("*/INBOX/*.msg"):
        try:
            with msg.open("rb") as f:
                head = f.read(4096).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        except OSError:
            continue
        matched = MESSAGE_ID.search(head)
        if matched:
            found[matched.group(1).decode(errors="replace")] += 1
    return found


def queue_files(queue: Path) -> list[str]:
    return sorted(str(p) for p in queue.glob("*/*/ZZ*"))


def temp_files(*tops: Path) -> list[str]:
    """mailstore.durable_write's temporary files left behind."""
    return sorted(str(p) for top in tops for p in top.rglob(".tmp-*"))


def fsck(device: str) -> tuple[bool | None, str]:
    """`e2fsck -fn` of the shared disk (not mounted anywhere by now): (clean, its output)."""
    try:
        done = subprocess.run(["e2fsck", "-fn", device], capture_output=True, text=True,
                              timeout=300, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, str(exc)
    return done.returncode == 0, (done.stdout + done.stderr)[-2000:]


LEFTOVER_WAIT = 15.0
"""Seconds a torn-down bed's last processes and loop devices may take to go (the kernel
detaches a loop device once the last mount of it is gone), as imsguide.testbed allows."""


def settled_leftovers(find: Callable[[], list[str]], wait: float = LEFTOVER_WAIT
                      ) -> list[str]:
    """What `find` still reports after up to `wait` seconds of asking again."""
    deadline = time.monotonic() + wait
    left = find()
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = find()
    return left


def leftovers(directory: Path, netns_words: Iterable[str] = ()) -> list[str]:
    """Processes whose command line names `directory`, loop devices backed by a file under
    it, and named network namespaces with one of `netns_words` in their name."""
    left = []
    me = str(os.getpid())
    done = subprocess.run(["pgrep", "-a", "-f", str(directory)], capture_output=True,
                          text=True, timeout=30, check=False)
    left += [f"process {line}" for line in done.stdout.splitlines()
             if line.strip() and line.split()[0] != me]
    done = subprocess.run(["losetup", "-a"], capture_output=True, text=True, timeout=30,
                          check=False)
    left += [f"loop device {line}" for line in done.stdout.splitlines() if str(directory) in line]
    words = [w for w in netns_words if w]
    if words:
        done = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                              timeout=30, check=False)
        left += [f"netns {line}" for line in done.stdout.splitlines()
                 if any(w in line for w in words)]
    return left


__all__ = ["Engine", "Start", "fsck", "leftovers", "queue_files", "read_store", "temp_files"]
