"""The MTA queue and the message store on the configuration disk.

Mail is never lost: every step writes a new file, fsyncs it, renames it into place and fsyncs
the directory before the previous copy is removed (the dispatcher replies 250 only after the
queue file is durable; the job controller removes the queue file only after the store copy
is). A crash between two steps can duplicate a message, never drop one.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

QUEUE_CHANNEL = "ims-ms"
UIDNEXT_FILE = ".uidnext"
_USER_OK = re.compile(r"^[a-z0-9][a-z0-9._+\-]*$")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def durable_write(directory: Path, name: str, data: bytes) -> Path:
    """`directory/name` holds `data` durably, or (OSError: a full disk, say) nothing was
    written at all: no temporary file is left, and a file renamed into place whose directory
    could not be synced is taken back, so that a failure reported is a failure done (the
    dispatcher then answers 4xx and the message must not be delivered)."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f"{TEMPORARY_PREFIX}{uuid.uuid4().hex}"
    final = directory / name
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    placed = False
    try:
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, final)
        placed = True
        _fsync_dir(directory)
    except BaseException:
        with contextlib.suppress(OSError):
            (final if placed else tmp).unlink()
        raise
    return final


TEMPORARY_PREFIX = ".tmp-"


def sweep_temporaries(*tops: Path) -> int:
    """Remove what a process killed inside `durable_write` left: a temporary file is never
    a message (only its rename makes one, and the queue file it came from is still there),
    so the store's and the queue's recovery at start-up takes it away, as Messaging Server's
    own start-up recovery does. Only regular files; no link is followed. How many."""
    removed = 0
    for top in tops:
        for directory, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(directory, d))]
            for name in files:
                path = os.path.join(directory, name)
                if name.startswith(TEMPORARY_PREFIX) and os.path.isfile(path) \
                        and not os.path.islink(path):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
                        removed += 1
    return removed


def mailbox_name(address: str) -> str | None:
    """The local mailbox an address delivers to (lower-cased local part), None if unusable."""
    local = address.strip("<>").rsplit("@", 1)[0].lower()
    return local if _USER_OK.match(local) and ".." not in local else None


# --- queue ----------------------------------------------------------------------------------

def enqueue(queue: Path, mail_from: str, rcpts: list[str], message: bytes) -> Path:
    head = f"MAIL FROM:<{mail_from}>\n" + "".join(f"RCPT TO:<{r}>\n" for r in rcpts) + "\n"
    name = f"ZZ{time.strftime('%Y%m%d%H%M%S')}{uuid.uuid4().hex[:12]}.00"
    return durable_write(queue / QUEUE_CHANNEL / "000", name,
                         head.encode("utf-8", "surrogateescape") + message)


def queued(queue: Path) -> list[Path]:
    try:
        return sorted(p for p in (queue / QUEUE_CHANNEL / "000").iterdir()
                      if p.name.startswith("ZZ"))
    except FileNotFoundError:
        return []


@dataclass
class QueueEntry:
    path: Path
    mail_from: str
    rcpts: list[str]
    message: bytes


def read_queue_file(path: Path) -> QueueEntry:
    raw = path.read_bytes()
    head, _, message = raw.partition(b"\n\n")
    mail_from, rcpts = "", []
    for line in head.decode("utf-8", "surrogateescape").splitlines():
        if line.startswith("MAIL FROM:"):
            mail_from = line[len("MAIL FROM:"):].strip("<>")
        elif line.startswith("RCPT TO:"):
            rcpts.append(line[len("RCPT TO:"):].strip("<>"))
    return QueueEntry(path, mail_from, rcpts, message)


def dequeue(entry: QueueEntry) -> None:
    entry.path.unlink()
    _fsync_dir(entry.path.parent)


# --- store ----------------------------------------------------------------------------------

class Mailbox:
    """store/<user>/INBOX/<uid>.msg; uids ascend with delivery and are never reused.

    INBOX/.uidnext keeps the next uid (IMAP's UIDNEXT), so expunging the newest messages
    does not hand their uids to the next delivery (UIDVALIDITY stays 1).
    """

    def __init__(self, store: Path, user: str) -> None:
        self.dir = store / user / "INBOX"

    def uids(self) -> list[int]:
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return []
        return sorted(int(n[:-4]) for n in names if n.endswith(".msg") and n[:-4].isdigit())

    def path(self, uid: int) -> Path:
        return self.dir / f"{uid}.msg"

    def read(self, uid: int) -> bytes:
        return self.path(uid).read_bytes()

    def uidnext(self) -> int:
        uids = self.uids()
        after_highest = (uids[-1] + 1) if uids else 1
        try:
            kept = int((self.dir / UIDNEXT_FILE).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            kept = 1
        return max(kept, after_highest)

    def deliver(self, message: bytes) -> int:
        uid = self.uidnext()
        # next uid first: a crash in between skips a uid, never reuses one
        durable_write(self.dir, UIDNEXT_FILE, f"{uid + 1}\n".encode())
        durable_write(self.dir, f"{uid}.msg", message)
        return uid

    def delete(self, uid: int) -> None:
        try:
            self.path(uid).unlink()
        except FileNotFoundError:
            return
        _fsync_dir(self.dir)
