"""Is mail moving: the queue of the local store channel, and the store's file system.

A job controller that stops delivering leaves every protocol answering: SMTP says 250 and
the mail piles up in the queue. The sign is the queue itself, C/queue/ims-ms/<NNN>/ZZ*
(imta/queue/<channel>/ in Messaging Server's terms): mail keeps coming in and nothing
leaves. A normal burst is not that (messages leave while others arrive), nor are messages
the channel holds back for a retry while others go through (a mailbox over quota), nor a
queue that only sits there (nothing new arrives). So delivery counts as stuck only when,
over STUCK_AFTER seconds of looks, no queued message left the queue and new ones came in.

The queue is written by the runtime user: its listing is untrusted data, read by rule 2 of
docs/security.md (`trust.list_untrusted`: no symbolic link followed, nothing outside the
configuration directory, at most ENTRY_LIMIT entries, names only, nothing opened), and no
name from it is ever shown: the log says how many and for how long.

A full message-store file system is the other thing a restart cannot mend: the file system
moves with the group, so a restart or a failover finds it as full. `store_space` says how
full it is, in words for Status_msg.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable, Optional

from scims import trust

QUEUE_CHANNEL = "ims-ms"
"""The local store channel: what it queues, the job controller delivers into the store."""
QUEUE_FILE_PREFIX = "ZZ"
STUCK_AFTER = 8.0
"""Seconds over which nothing may leave the queue while mail comes in before delivery counts
as stuck. The job controller delivers within a second of being told (and polls besides)."""
ENTRY_LIMIT = 20000
"""Entries listed per look at most; a longer queue is not judged (its listing would be
partial), only reported by the protocol probes."""
FULL_FRACTION = 0.01
FULL_BYTES = 1 << 20
"""A file system with less free than the larger of these (1 %, 1 MiB) is full."""


@dataclass(frozen=True)
class QueueLook:
    """The queued messages at one moment, by name (never shown), or None if unreadable."""

    at: float
    names: Optional[frozenset[str]]


@dataclass(frozen=True)
class Stuck:
    queued: int
    seconds: float
    arrived: int

    def describe(self) -> str:
        return (f"mail is not being delivered: {self.queued} messages queued for the "
                f"{QUEUE_CHANNEL} channel, {self.arrived} of them arrived meanwhile, and none "
                f"delivered for {self.seconds:.0f} s")


def judge_delivery(looks: Sequence[QueueLook], now: float,
                   stuck_after: float = STUCK_AFTER) -> Optional[Stuck]:
    """Stuck when, from a look at least `stuck_after` seconds ago to the last one, every
    queued message stayed (nothing left) and some arrived; None otherwise."""
    if not looks or looks[-1].names is None:
        return None
    last = looks[-1].names
    start: Optional[QueueLook] = None
    later = last
    for look in reversed(looks[:-1]):
        if look.names is None or not look.names <= later:
            break  # unreadable, or something left between this look and the next
        start, later = look, look.names
    if start is None or start.names is None or not start.names:
        return None
    span = now - start.at
    arrived = len(last - start.names)
    if span < stuck_after or not arrived:
        return None
    return Stuck(len(last), span, arrived)


def queue_names(config_dir: str, limit: int = ENTRY_LIMIT) -> Optional[frozenset[str]]:
    """The queue files of the local store channel (`<NNN>/ZZ...`), or None when the queue
    cannot be read safely or completely (a link, outside C, more than `limit` entries)."""
    channel = os.path.join(config_dir, "queue", QUEUE_CHANNEL)
    within = [config_dir]
    try:
        _, subdirectories, cut = trust.list_untrusted(channel, limit, within)
        names: set[str] = set()
        for sub in sorted(subdirectories):
            files, _, more = trust.list_untrusted(os.path.join(channel, sub), limit, within)
            cut = cut or more
            names.update(f"{sub}/{f}" for f in files if f.startswith(QUEUE_FILE_PREFIX))
            if cut or len(names) > limit:
                return None
    except FileNotFoundError:
        return frozenset()
    except OSError:
        return None
    return None if cut else frozenset(names)


@dataclass
class DeliveryWatch:
    """The looks at the queue between cheap looks, and the verdict on them."""

    config_dir: str
    stuck_after: float = STUCK_AFTER
    read: Callable[[str], Optional[frozenset[str]]] = queue_names
    _looks: list[QueueLook] = field(default_factory=list)

    def look(self, now: float) -> Optional[Stuck]:
        self._looks.append(QueueLook(now, self.read(self.config_dir)))
        # What judging needs: the looks of the last window, and the one just before it.
        older = [i for i, look in enumerate(self._looks) if now - look.at >= self.stuck_after]
        if older:
            self._looks = self._looks[older[-1]:]
        return judge_delivery(self._looks, now, self.stuck_after)

    def forget(self) -> None:
        self._looks.clear()


@dataclass(frozen=True)
class StoreSpace:
    """How full the file system holding the message store is."""

    mount_point: str
    total: int
    free: int
    """Bytes an unprivileged writer (the runtime user) may still use."""

    @property
    def full(self) -> bool:
        return self.total > 0 and self.free < max(FULL_FRACTION * self.total, FULL_BYTES)

    def describe(self) -> str:
        used = 100.0 * (self.total - self.free) / self.total if self.total else 100.0
        return (f"the message store file system {self.mount_point} is {used:.0f}% full "
                f"({_size(self.free)} free of {_size(self.total)}): mail cannot be stored "
                "until space is freed; a restart or a failover cannot help, the file system "
                "moves with the group")


def store_space(config_dir: str) -> Optional[StoreSpace]:
    """statvfs of the store (C/store, else C itself); None when it cannot be asked. Only
    the file system is asked: nothing under C is opened or followed."""
    store = os.path.join(config_dir, "store")
    path = store if os.path.isdir(store) and not os.path.islink(store) else config_dir
    try:
        info = os.statvfs(path)
    except OSError:
        return None
    return StoreSpace(_mount_point(path), info.f_blocks * info.f_frsize,
                      info.f_bavail * info.f_frsize)


def _mount_point(path: str) -> str:
    """The mount point of the file system `path` is on (where st_dev changes)."""
    path = os.path.realpath(path)
    try:
        device = os.stat(path).st_dev
        while path != "/":
            parent = os.path.dirname(path)
            if os.stat(parent).st_dev != device:
                return path
            path = parent
    except OSError:
        pass
    return path


def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"
