"""The stand-in Messaging Server on a full store disk behaves as the real one: a message is
either accepted (250, durably queued) or refused with a temporary 4xx and not delivered;
nothing is left half-written; the job controller retries and resumes once there is room.

The configuration directory (queue, store, logs) is a small ext4 file system of its own on a
loop device, filled up by root with dd: a real ENOSPC, not a mock."""

from __future__ import annotations

import smtplib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from support.mssim import MSSIM, Ms, clean_env, free_loopback, install, kill_leftovers
from support.waiting import wait_for

pytestmark = pytest.mark.e2e
TO = "joe.user@mail.example.com"


def _tool(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


@pytest.fixture
def small_disk_ms(topdir: Path) -> Iterator[Ms]:
    image = topdir / "store.img"
    with open(image, "wb") as fh:
        fh.truncate(16 * 1024 * 1024)
    _tool("mkfs.ext4", "-q", "-F", "-m", "0", str(image))
    device = _tool("losetup", "--find", "--show", str(image))
    config = topdir / "mars" / "var" / "opt" / "SUNWmsgsr"
    config.mkdir(parents=True)
    inst = None
    try:
        _tool("mount", device, str(config))
        config.chmod(0o755)
        inst = install(topdir, "mars", free_loopback(), config=config)
        yield inst
    finally:
        if inst is not None:
            subprocess.run(check=False, args=[*MSSIM, "fault", str(inst.base), "clear"],
                           capture_output=True, timeout=60, env=clean_env())
            subprocess.run(check=False, args=[str(inst.base / "sbin" / "stop-msg"), "ha"],
                           capture_output=True, timeout=60, env=clean_env())
            left = kill_leftovers(inst.base)
        subprocess.run(["umount", str(config)], check=False, timeout=60)
        subprocess.run(["losetup", "--detach", device], check=False, timeout=60)
    assert left == [], "stop-msg ha left processes running"


def _send(ms: Ms, subject: str) -> int:
    """The reply code of one submission (250, or the refusal's)."""
    try:
        with smtplib.SMTP(ms.ip, 2525, timeout=20) as s:
            s.sendmail("sender@remote.example.org", [TO],
                       f"From: sender@remote.example.org\r\nTo: {TO}\r\nSubject: {subject}"
                       f"\r\n\r\nbody of {subject}\r\n")
    except smtplib.SMTPResponseException as exc:
        return exc.smtp_code
    except smtplib.SMTPRecipientsRefused as exc:
        return next(iter(exc.recipients.values()))[0]
    return 250


def _subjects(ms: Ms) -> list[str]:
    """Subjects in joe.user's INBOX, read from the store itself (IMAP may not answer on a
    full disk; the store is what counts)."""
    inbox = ms.config / "store" / "joe.user" / "INBOX"
    found = []
    for path in sorted(inbox.glob("*.msg")) if inbox.is_dir() else []:
        for line in path.read_bytes().splitlines():
            if line.startswith(b"Subject: "):
                found.append(line[len(b"Subject: "):].decode())
                break
    return found


def _stopped(ms: Ms, daemon: str) -> bool:
    found = ms.processes().get(daemon, [])
    try:
        return bool(found) and all(p.status() == psutil.STATUS_STOPPED for p in found)
    except psutil.NoSuchProcess:
        return False


def _temporary_files(ms: Ms) -> list[Path]:
    return [p for p in ms.config.rglob(".tmp-*")]


def test_a_full_store_disk_refuses_for_now_loses_nothing_and_delivery_resumes(
        small_disk_ms: Ms) -> None:
    ms = small_disk_ms
    ms.sbin("start-msg", "ha", check=True)
    accepted: list[str] = []
    refused: list[str] = []
    replies: list[int] = []

    def submit(subject: str) -> None:
        code = _send(ms, subject)
        replies.append(code)
        (accepted if code == 250 else refused).append(subject)

    # queued while delivery is held, so that they wait in the queue when the disk fills
    ms.mssim("fault", str(ms.base), "job_controller", "hang")
    # the daemon stops itself when it reads the fault (SIGUSR1): mail submitted before that
    # would be delivered before the disk fills, and no delivery would ever fail
    wait_for(lambda: _stopped(ms, "job_controller"), timeout=10,
             what="the job controller stopped by its hang fault")
    for n in range(5):
        submit(f"before-{n}")
    assert accepted == [f"before-{n}" for n in range(5)]
    fillers = [ms.config / "filler", ms.config / "filler-small"]
    for filler, block in zip(fillers, ("64k", "1k")):  # to the last block
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", f"bs={block}"],
                       capture_output=True, check=False, timeout=120)
    ms.mssim("fault", str(ms.base), "job_controller", "clear")
    for n in range(20):
        submit(f"full-{n}")
    assert refused, "nothing was refused on a full disk"
    assert all(code == 250 or 400 <= code < 500 for code in replies), replies
    assert not _temporary_files(ms), "a refused message left a file behind"
    # room again: everything accepted is delivered once, nothing refused is
    for filler in fillers:
        filler.unlink()
    for n in range(3):
        submit(f"after-{n}")
    wait_for(lambda: sorted(_subjects(ms)) == sorted(accepted), timeout=30,
             what="every accepted message in the store")
    got = _subjects(ms)
    assert len(got) == len(set(got)), "a message was delivered twice"
    assert not set(got) & set(refused), "a refused message was delivered"
    queue = ms.config / "queue" / "ims-ms" / "000"
    assert [p.name for p in queue.iterdir()] == []
    assert not _temporary_files(ms)
    log = ms.log("job_controller")
    assert "delivery failed, will retry" in log and "delivery resumed" in log


def test_a_delivery_stopped_half_way_is_not_repeated_for_the_recipients_done(ms: Ms) -> None:
    """A message for two mailboxes, the second one unwritable for a while (as a full disk
    would stop it): the first gets its copy once, however often the job controller retries,
    and the second gets its copy once it can."""
    ms.sbin("start-msg", "ha", check=True)
    inbox = ms.config / "store" / "jane.doe" / "INBOX"
    with smtplib.SMTP(ms.ip, 2525, timeout=20) as s:
        s.sendmail("sender@remote.example.org", ["jane.doe@mail.example.com"],
                   "Subject: first\r\n\r\nmakes jane's INBOX\r\n")
    wait_for(lambda: list(inbox.glob("*.msg")), what="jane's INBOX")
    inbox.chmod(0o500)  # the runtime user may not write there for now
    try:
        with smtplib.SMTP(ms.ip, 2525, timeout=20) as s:
            s.sendmail("sender@remote.example.org", [TO, "jane.doe@mail.example.com"],
                       "Subject: both\r\n\r\nfor two\r\n")
        wait_for(lambda: "both" in _subjects(ms), what="joe's copy")
        wait_for(lambda: "delivery failed, will retry" in ms.log("job_controller"),
                 what="the failed pass")
        time.sleep(3)  # several retries
    finally:
        inbox.chmod(0o700)
    wait_for(lambda: len(list(inbox.glob("*.msg"))) == 2, what="jane's copy")
    assert _subjects(ms).count("both") == 1, _subjects(ms)
