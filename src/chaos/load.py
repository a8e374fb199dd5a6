"""The load: steady SMTP submissions to the logical host from the client host, IMAP and POP
sessions reading, and a probe of every service, each recorded into the history.

Every socket is the client host's: each worker runs through the engine's `on_client`
(hostlab.Host.call: a thread in the client's network namespace). Submissions start on a
fixed clock (`rate` a second), each in a thread of its own, so that a hung server slows
no other attempt and the rate stays what the administrator asked for.
"""

from __future__ import annotations

import imaplib
import poplib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from chaos.history import (
    CONNECT,
    DATA,
    EHLO,
    END_OF_DATA,
    GREETING,
    MAIL,
    RCPT,
    Attempt,
    History,
    classify,
)

SMTP_TIMEOUT = 20.0
"""Seconds an attempt waits for each reply (a sending MTA waits minutes; the campaign
records a longer silence as no reply)."""
PROBE_TIMEOUT = 1.0
PROBE_EVERY = 0.25
READ_EVERY = 2.0
MAX_IN_FLIGHT = 200
"""Attempts under way at once, at most (8/s with a 20 s timeout is 160)."""

OnClient = Callable[..., Any]


@dataclass(frozen=True)
class Service:
    """Where the mail service is, as the client reaches it."""

    address: str
    domain: str
    user: str
    password: str
    smtp: int = 25
    imap: int = 143
    pop: int = 110


class Clock:
    """Campaign seconds (monotonic, from the campaign's start)."""

    def __init__(self) -> None:
        self.zero = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.zero


def message(service: Service, message_id: str, n: int) -> bytes:
    m = EmailMessage()
    m["From"] = f"chaos@{service.domain}"
    m["To"] = f"{service.user}@{service.domain}"
    m["Subject"] = f"chaos {n}"
    m["Message-ID"] = message_id
    m.set_content(f"campaign message {n}\n")
    return m.as_bytes().replace(b"\n", b"\r\n")


def _reply(f: Any) -> tuple[int | None, str]:
    """One SMTP reply (multi-line too): its code and last line; (None, why) on silence."""
    text = ""
    while True:
        line = f.readline(1024)
        if not line:
            return None, "connection closed"
        text = line.decode(errors="replace").rstrip("\r\n")
        if len(text) < 4 or not text[:3].isdigit():
            return None, f"garbled reply {text[:60]!r}"
        if text[3] != "-":
            return int(text[:3]), text[4:]


def submit(service: Service, message_id: str, n: int, clock: Clock) -> Attempt:
    """One submission, stage by stage, so that a failure says where it happened."""
    started = clock.now()
    stage, code, reply = CONNECT, None, ""
    expected = {GREETING: 220, EHLO: 250, MAIL: 250, RCPT: 250, DATA: 354}
    try:
        with socket.create_connection((service.address, service.smtp),
                                      timeout=SMTP_TIMEOUT) as sock:
            sock.settimeout(SMTP_TIMEOUT)
            f = sock.makefile("rb")
            steps = [(GREETING, b""), (EHLO, b"EHLO client.chaos\r\n"),
                     (MAIL, f"MAIL FROM:<chaos@{service.domain}>\r\n".encode()),
                     (RCPT, f"RCPT TO:<{service.user}@{service.domain}>\r\n".encode()),
                     (DATA, b"DATA\r\n")]
            for stage, command in steps:
                if command:
                    sock.sendall(command)
                code, reply = _reply(f)
                if code != expected[stage]:
                    break
            else:
                body = message(service, message_id, n)
                lines = [b"." + ln if ln.startswith(b".") else ln
                         for ln in body.split(b"\r\n")]
                sock.sendall(b"\r\n".join(lines) + b"\r\n.\r\n")
                stage = END_OF_DATA
                code, reply = _reply(f)
                if code is not None:
                    try:
                        sock.sendall(b"QUIT\r\n")
                        _reply(f)
                    except OSError:
                        pass
    except OSError as exc:
        code, reply = None, f"{type(exc).__name__}: {exc}"
    return Attempt(message_id, round(started, 3), round(clock.now() - started, 3), stage,
                   code, reply[:200], classify(stage, code))


def greet_all(service: Service, timeout: float = PROBE_TIMEOUT) -> bool:
    """SMTP, IMAP and POP each greet on the logical host within `timeout`."""
    for port, greeting in ((service.smtp, b"220"), (service.imap, b"* OK"),
                           (service.pop, b"+OK")):
        try:
            with socket.create_connection((service.address, port), timeout=timeout) as sock:
                sock.settimeout(timeout)
                if not sock.makefile("rb").readline(512).startswith(greeting):
                    return False
        except OSError:
            return False
    return True


def imap_read(service: Service) -> str:
    """An IMAP user's session: log in, open the INBOX, list it; how many messages."""
    with imaplib.IMAP4(service.address, service.imap, timeout=10) as imap:
        imap.login(service.user, service.password)
        imap.select("INBOX")
        _, found = imap.search(None, "ALL")
        imap.logout()
    return f"{len(found[0].split())} messages"


def pop_read(service: Service) -> str:
    pop = poplib.POP3(service.address, service.pop, timeout=10)
    try:
        pop.user(service.user)
        pop.pass_(service.password)
        count, _ = pop.stat()
    finally:
        try:
            pop.quit()
        except (OSError, poplib.error_proto):
            pass
    return f"{count} messages"


class Load:
    """The load's threads; start() them, stop() them (waiting for attempts under way)."""

    def __init__(self, service: Service, on_client: OnClient, history: History, clock: Clock,
                 *, rate: float, tag: str) -> None:
        self.service = service
        self.on_client = on_client
        self.history = history
        self.clock = clock
        self.rate = rate
        self.tag = tag
        self.stopping = threading.Event()
        self.submitting = threading.Event()
        self.threads: list[threading.Thread] = []
        self.in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self.workers: list[threading.Thread] = []
        self.sent = 0

    def start(self) -> None:
        self.submitting.set()
        for target in (self._submitter, self._prober, self._reader):
            t = threading.Thread(target=target, name=f"chaos-{target.__name__}", daemon=True)
            t.start()
            self.threads.append(t)

    def stop_submitting(self) -> None:
        """No new submission from now (the probe and the readers go on)."""
        self.submitting.clear()
        for w in list(self.workers):
            w.join(SMTP_TIMEOUT * 7)

    def stop(self) -> None:
        self.stop_submitting()
        self.stopping.set()
        for t in self.threads:
            t.join(30)

    def _submitter(self) -> None:
        period = 1.0 / self.rate
        next_at = time.monotonic()
        while not self.stopping.is_set():
            if self.submitting.is_set() and self.in_flight.acquire(timeout=period):
                self.sent += 1
                n = self.sent
                w = threading.Thread(target=self._one, args=(n,), daemon=True)
                w.start()  # started before stop_submitting() may join it
                self.workers = [x for x in self.workers if x.is_alive()] + [w]
            next_at += period
            delay = next_at - time.monotonic()
            if delay > 0:
                self.stopping.wait(delay)
            else:
                next_at = time.monotonic()  # fell behind (a loaded machine): do not burst

    def _one(self, n: int) -> None:
        try:
            message_id = f"<chaos-{self.tag}-{n}@{self.service.domain}>"
            attempt = self.on_client(submit, self.service, message_id, n, self.clock)
            self.history.attempt(attempt)
        finally:
            self.in_flight.release()

    def _prober(self) -> None:
        while not self.stopping.is_set():
            began = self.clock.now()
            up = self.on_client(greet_all, self.service)
            self.history.probe(began, up)
            self.stopping.wait(max(0.0, PROBE_EVERY - (self.clock.now() - began)))

    def _reader(self) -> None:
        readers = (("imap", imap_read), ("pop", pop_read))
        turn = 0
        while not self.stopping.wait(READ_EVERY):
            protocol, read = readers[turn % 2]
            turn += 1
            t = self.clock.now()
            try:
                detail = self.on_client(read, self.service)
                self.history.read(t, protocol, True, detail)
            except (OSError, imaplib.IMAP4.error, poplib.error_proto) as exc:
                self.history.read(t, protocol, False, f"{type(exc).__name__}: {exc}"[:200])
