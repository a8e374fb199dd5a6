"""Protocol probes of Messaging Server services: a real exchange, bounded in time.

A TCP connect only proves that a listening socket exists; a hung server accepts connections
and never answers. So each service gets the short conversation that its protocol allows
without logging in or changing anything (the exchanges monitoring-plugins and Sun Cluster HA
for Netscape Mail used): SMTP greeting, EHLO, QUIT; IMAP greeting, CAPABILITY, LOGOUT; POP3
greeting, QUIT; HTTP GET /; a plain connect for the others. All probes of a cycle run at once,
so a cycle takes about as long as its slowest probe, and each is bounded by Probe_timeout.

Scores follow scds_fm_action: a refused connection or a timeout is a complete failure (100),
a server that answers wrongly is a partial failure (50), a server that fails only to say
goodbye is a small one (25). A timeout stays a timeout wherever it happens: a server that
stops answering before its reply to LOGOUT or QUIT is as hung as one that never greets, and
real servers (Dovecot, Postfix) hang exactly there when their process is stopped mid-session.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

from scims.failure_history import COMPLETE_FAILURE

if TYPE_CHECKING:
    from scims.msconfig.config import MessagingConfig

PARTIAL_FAILURE = 50
GOODBYE_FAILURE = 25
SLOW_FRACTION = 0.5
"""An answer slower than this share of Probe_timeout is reported (DEGRADED), not scored."""

PROTOCOL_NAMES = {"smtp": "SMTP", "imap": "IMAP", "pop": "POP3", "http": "HTTP", "tcp": "TCP"}


@dataclass(frozen=True)
class Target:
    """One service to probe: what the Messaging Server configuration says listens where."""

    service: str
    """Service name as Messaging Server calls it (smtp, imap, pop, http, ens, watcher, ...)."""
    protocol: str
    """Exchange to run: smtp, imap, pop, http or tcp."""
    address: str
    port: int

    @property
    def label(self) -> str:
        name = PROTOCOL_NAMES.get(self.protocol, self.service.upper())
        if self.protocol == "tcp":
            name = self.service.upper() if self.service else "TCP"
        return f"{name} on {self.address}:{self.port}"


FALLBACK_ADDRESS = "127.0.0.1"
"""Where a service that listens on all interfaces is probed when no logical host is known."""
WATCHER_SERVICE = "watcher"


def service_targets(config: MessagingConfig, logical_addresses: list[str]) -> list[Target]:
    """What to probe: every enabled service that listens, on its configured address or, when
    it listens on all interfaces, on the logical host addresses."""
    targets: list[Target] = []
    for endpoint in config.endpoints:
        if endpoint.port is None or endpoint.protocol is None:
            continue
        if endpoint.name == WATCHER_SERVICE:
            continue  # watched as a process, every half second; its port is private
        if endpoint.address:
            addresses = [endpoint.address]
        else:
            addresses = logical_addresses or [FALLBACK_ADDRESS]
        for address in addresses:
            targets.append(Target(endpoint.name, endpoint.protocol, address, endpoint.port))
    return targets


def describe(targets: list[Target]) -> str:
    """The targets as the log names them: `smtp 192.0.2.10:25, imap ...`."""
    return ", ".join(f"{t.service} {t.address}:{t.port}" for t in targets) or "no network service"


@dataclass(frozen=True)
class ProbeResult:
    target: Target
    score: int
    """0 healthy, up to 100 for a complete failure."""
    detail: str
    """What happened, in words an administrator reads in Status_msg."""
    elapsed: float
    slow: bool = False
    timed_out: bool = False
    """The server did not answer within Probe_timeout (a hang), as opposed to an answer
    that was wrong or a refused connection: the fault monitor graces only the latter."""

    @property
    def ok(self) -> bool:
        return self.score == 0


class _ProbeFailure(Exception):
    def __init__(self, score: int, detail: str, *, timed_out: bool = False) -> None:
        super().__init__(detail)
        self.score = score
        self.detail = detail
        self.timed_out = timed_out


class _Conversation:
    """A line-oriented exchange on one socket, every step within one deadline."""

    def __init__(self, target: Target, timeout: float) -> None:
        self.target = target
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.sock: Optional[socket.socket] = None
        self._buffer = b""

    def _hang(self, while_doing: str = "") -> _ProbeFailure:
        """No answer within Probe_timeout: a complete failure, and a hang."""
        return _ProbeFailure(COMPLETE_FAILURE, f"timed out after {self.timeout:g} s{while_doing}",
                             timed_out=True)

    def _remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._hang()
        return left

    def connect(self) -> None:
        try:
            self.sock = socket.create_connection((self.target.address, self.target.port),
                                                 timeout=self._remaining())
        except ConnectionRefusedError:
            raise _ProbeFailure(COMPLETE_FAILURE, "refused the connection") from None
        except socket.timeout:
            raise self._hang(" connecting") from None
        except OSError as exc:
            raise _ProbeFailure(COMPLETE_FAILURE, f"cannot be reached: {exc.strerror or exc}") \
                from None

    def send(self, line: str) -> None:
        assert self.sock is not None
        try:
            self.sock.settimeout(self._remaining())
            self.sock.sendall(line.encode("ascii") + b"\r\n")
        except socket.timeout:
            raise self._hang() from None
        except OSError as exc:
            raise _ProbeFailure(PARTIAL_FAILURE,
                                f"dropped the connection ({exc.strerror or exc})") from None

    def readline(self, waiting_for: str) -> str:
        assert self.sock is not None
        while b"\n" not in self._buffer:
            try:
                self.sock.settimeout(self._remaining())
                chunk = self.sock.recv(4096)
            except _ProbeFailure:
                raise self._hang(f" waiting for {waiting_for}") from None
            except socket.timeout:
                raise self._hang(f" waiting for {waiting_for}") from None
            except OSError as exc:
                raise _ProbeFailure(PARTIAL_FAILURE, f"dropped the connection waiting for "
                                    f"{waiting_for} ({exc.strerror or exc})") from None
            if not chunk:
                raise _ProbeFailure(PARTIAL_FAILURE,
                                    f"closed the connection waiting for {waiting_for}")
            self._buffer += chunk
            if len(self._buffer) > 65536:
                raise _ProbeFailure(PARTIAL_FAILURE, f"sent an overlong line for {waiting_for}")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.rstrip(b"\r").decode("latin-1")

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None


def _expect(line: str, prefix: str, what: str) -> None:
    if not line.startswith(prefix):
        shown = line[:80]
        raise _ProbeFailure(PARTIAL_FAILURE, f"answered {shown!r} to {what}")


def _final_line(conv: _Conversation, waiting_for: str, more: str) -> str:
    """The last line of a reply whose other lines start with `more` (SMTP's `250-`
    continuations, IMAP's untagged `*` responses)."""
    line = conv.readline(waiting_for)
    while line.startswith(more):
        line = conv.readline(waiting_for)
    return line


def _goodbye(conv: _Conversation, command: str, prefix: str) -> None:
    """Say goodbye; a server that answers it wrongly or hangs up is still serving, so that
    failure scores low, but one that stops answering is hung and stays a complete failure."""
    verb = command.rsplit(maxsplit=1)[-1]
    try:
        conv.send(command)
        _expect(_final_line(conv, f"the reply to {verb}", "*"), prefix, verb)
    except _ProbeFailure as failure:
        if failure.score >= COMPLETE_FAILURE:
            raise
        raise _ProbeFailure(GOODBYE_FAILURE, failure.detail) from None


def _smtp(conv: _Conversation) -> None:
    _expect(_final_line(conv, "the greeting", "220-"), "220", "the connection")
    conv.send(f"EHLO {socket.gethostname() or 'localhost'}")
    _expect(_final_line(conv, "the reply to EHLO", "250-"), "250", "EHLO")
    _goodbye(conv, "QUIT", "221")


def _imap(conv: _Conversation) -> None:
    _expect(conv.readline("the greeting"), "* OK", "the connection")
    conv.send("p1 CAPABILITY")
    _expect(_final_line(conv, "the reply to CAPABILITY", "*"), "p1 OK", "CAPABILITY")
    _goodbye(conv, "p2 LOGOUT", "p2 OK")


def _pop(conv: _Conversation) -> None:
    _expect(conv.readline("the greeting"), "+OK", "the connection")
    _goodbye(conv, "QUIT", "+OK")


def _http(conv: _Conversation) -> None:
    host = conv.target.address
    conv.send(f"GET / HTTP/1.0\r\nHost: {host}\r\nUser-Agent: ims_probe\r\n")
    line = conv.readline("the response to GET /")
    parts = line.split()
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise _ProbeFailure(PARTIAL_FAILURE, f"answered {line[:80]!r} to GET /")
    if int(parts[1]) >= 500:
        raise _ProbeFailure(PARTIAL_FAILURE, f"answered GET / with {line[:80]!r}")


def _tcp(conv: _Conversation) -> None:
    """Connect only: the protocol is private (ENS, watcher, job controller)."""


EXCHANGES: dict[str, Callable[[_Conversation], None]] = {
    "smtp": _smtp, "imap": _imap, "pop": _pop, "http": _http, "tcp": _tcp,
}


def probe(target: Target, timeout: float) -> ProbeResult:
    """Run one exchange; never raises for anything the server does."""
    exchange = EXCHANGES.get(target.protocol)
    if exchange is None:
        raise ValueError(f"no probe for protocol {target.protocol!r}")
    started = time.monotonic()
    conv = _Conversation(target, timeout)
    try:
        conv.connect()
        exchange(conv)
    except _ProbeFailure as failure:
        elapsed = time.monotonic() - started
        return ProbeResult(target, failure.score, f"{target.label} {failure.detail}", elapsed,
                           timed_out=failure.timed_out)
    finally:
        conv.close()
    elapsed = time.monotonic() - started
    if elapsed > SLOW_FRACTION * timeout:
        return ProbeResult(target, 0, f"{target.label} answered in {elapsed:.1f} s "
                           f"(Probe_timeout {timeout:g} s)", elapsed, slow=True)
    return ProbeResult(target, 0, f"{target.label} answered in {elapsed:.2f} s", elapsed)


def probe_all(targets: Sequence[Target], timeout: float) -> list[ProbeResult]:
    """Probe every target at once; the cycle lasts about as long as the slowest probe."""
    if not targets:
        return []
    results: list[Optional[ProbeResult]] = [None] * len(targets)
    failures: list[BaseException] = []

    def probe_one(index: int, target: Target) -> None:
        try:
            results[index] = probe(target, timeout)
        except BaseException as exc:  # raised in the caller, as a pool's map would
            failures.append(exc)

    # Plain threads, not concurrent.futures: Start would import logging and the executor
    # machinery for the few probes of its readiness check.
    threads = [threading.Thread(target=probe_one, args=(i, t), name=f"probe-{i}", daemon=True)
               for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return [r for r in results if r is not None]
