"""Protocol probes against small real servers on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from scims.failure_history import COMPLETE_FAILURE
from scims.messaging.probes import PARTIAL_FAILURE, Target, probe, probe_all

Handler = Callable[[socket.socket], None]


class LineServer:
    """A one-port TCP server whose connections are handled by `handler` in threads."""

    def __init__(self, handler: Handler) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.handler = handler
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.handler(conn)
            except OSError:
                pass

    def close(self) -> None:
        self.stopping.set()
        self.listener.close()
        self.thread.join(timeout=2)


def _lines(conn: socket.socket) -> Iterator[str]:
    buffer = b""
    while True:
        chunk = conn.recv(1024)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, _, buffer = buffer.partition(b"\n")
            yield line.decode().rstrip("\r")


def smtp_server(conn: socket.socket) -> None:
    conn.sendall(b"220-meadow.red.siroe.com -- Server ESMTP\r\n220 (Sun Java(tm) System)\r\n")
    for line in _lines(conn):
        if line.upper().startswith("EHLO"):
            conn.sendall(b"250-meadow.red.siroe.com\r\n250-8BITMIME\r\n250 PIPELINING\r\n")
        elif line.upper() == "QUIT":
            conn.sendall(b"221 2.3.0 Bye received. Goodbye.\r\n")
            return


def imap_server(conn: socket.socket) -> None:
    conn.sendall(b"* OK [CAPABILITY IMAP4 IMAP4rev1] meadow IMAP4 service\r\n")
    for line in _lines(conn):
        tag, _, command = line.partition(" ")
        if command.upper() == "CAPABILITY":
            conn.sendall(b"* CAPABILITY IMAP4 IMAP4rev1\r\n" + tag.encode() + b" OK done\r\n")
        elif command.upper() == "LOGOUT":
            conn.sendall(b"* BYE LOGOUT received\r\n" + tag.encode() + b" OK Completed\r\n")
            return


def pop_server(conn: socket.socket) -> None:
    conn.sendall(b"+OK meadow POP3 service\r\n")
    for line in _lines(conn):
        if line.upper() == "QUIT":
            conn.sendall(b"+OK bye\r\n")
            return


def http_server(status: int) -> Handler:
    def handle(conn: socket.socket) -> None:
        for line in _lines(conn):
            if line == "":
                conn.sendall(f"HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\n\r\n".encode())
                return
    return handle


def hung_server(conn: socket.socket) -> None:
    time.sleep(3)


def wrong_greeting(conn: socket.socket) -> None:
    conn.sendall(b"554 go away\r\n")


def slow_pop(conn: socket.socket) -> None:
    time.sleep(0.7)
    pop_server(conn)


def no_goodbye_pop(conn: socket.socket) -> None:
    conn.sendall(b"+OK meadow POP3 service\r\n")
    for _ in _lines(conn):
        return


def hangs_before(command: str, greeting: bytes, replies: dict[str, bytes],
                 tagged: bool = False) -> Handler:
    """A server that greets and answers `replies`, then stops answering at `command`,
    as a stopped Dovecot or Postfix process does mid-session. IMAP commands are `tagged`."""
    def handle(conn: socket.socket) -> None:
        conn.sendall(greeting)
        for line in _lines(conn):
            words = line.split()
            tag, verb = (words[0], words[1].upper()) if tagged else ("", words[0].upper())
            if verb == command:
                time.sleep(3)
                return
            if verb in replies:
                conn.sendall(replies[verb].replace(b"TAG", tag.encode()))
    return handle


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], int]]:
    servers: list[LineServer] = []

    def start(handler: Handler) -> int:
        server = LineServer(handler)
        servers.append(server)
        return server.port

    yield start
    for server in servers:
        server.close()


@pytest.mark.parametrize(("protocol", "handler"), [
    ("smtp", smtp_server), ("imap", imap_server), ("pop", pop_server),
    ("http", http_server(200)), ("http", http_server(404)), ("tcp", hung_server),
])
def test_healthy_services_score_zero(serve, protocol: str, handler: Handler) -> None:
    target = Target(protocol, protocol, "127.0.0.1", serve(handler))
    result = probe(target, timeout=2)
    assert result.ok, result.detail
    assert "answered" in result.detail


def test_hung_server_is_a_complete_failure_named_in_words(serve) -> None:
    target = Target("imap", "imap", "127.0.0.1", serve(hung_server))
    started = time.monotonic()
    result = probe(target, timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert result.score == COMPLETE_FAILURE
    assert result.detail.startswith(f"IMAP on 127.0.0.1:{target.port} timed out after 0.5 s")
    assert result.timed_out


def test_refused_connection_is_a_complete_failure() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = probe(Target("pop", "pop", "127.0.0.1", port), timeout=1)
    assert result.score == COMPLETE_FAILURE
    assert "refused the connection" in result.detail
    assert not result.timed_out  # a refusal is an answer, not a hang


def test_wrong_greeting_is_a_partial_failure(serve) -> None:
    result = probe(Target("smtp", "smtp", "127.0.0.1", serve(wrong_greeting)), timeout=1)
    assert result.score == PARTIAL_FAILURE
    assert "554 go away" in result.detail


def test_server_error_page_is_a_partial_failure(serve) -> None:
    result = probe(Target("http", "http", "127.0.0.1", serve(http_server(503))), timeout=1)
    assert result.score == PARTIAL_FAILURE


def test_missing_goodbye_scores_low_but_not_zero(serve) -> None:
    result = probe(Target("pop", "pop", "127.0.0.1", serve(no_goodbye_pop)), timeout=1)
    assert 0 < result.score < PARTIAL_FAILURE


def test_slow_answer_is_reported_but_not_scored(serve) -> None:
    result = probe(Target("pop", "pop", "127.0.0.1", serve(slow_pop)), timeout=1)
    assert result.ok and result.slow
    assert "Probe_timeout 1 s" in result.detail


def test_probes_run_concurrently(serve) -> None:
    targets = [Target("imap", "imap", "127.0.0.1", serve(hung_server)) for _ in range(4)]
    started = time.monotonic()
    results = probe_all(targets, timeout=0.6)
    elapsed = time.monotonic() - started
    assert all(r.score == COMPLETE_FAILURE for r in results)
    assert elapsed < 4 * 0.6, "four hung probes must not take four timeouts"


@pytest.mark.parametrize(("protocol", "handler", "reply_to"), [
    ("imap", hangs_before("LOGOUT", b"* OK meadow IMAP4 service\r\n",
                          {"CAPABILITY": b"* CAPABILITY IMAP4rev1\r\nTAG OK done\r\n"},
                          tagged=True),
     "LOGOUT"),
    ("pop", hangs_before("QUIT", b"+OK meadow POP3 service\r\n", {}), "QUIT"),
    ("smtp", hangs_before("QUIT", b"220 meadow ESMTP\r\n",
                          {"EHLO": b"250-meadow\r\n250 PIPELINING\r\n"}), "QUIT"),
])
def test_hang_during_goodbye_is_a_complete_failure(serve, protocol: str, handler: Handler,
                                                   reply_to: str) -> None:
    result = probe(Target(protocol, protocol, "127.0.0.1", serve(handler)), timeout=0.5)
    assert result.score == COMPLETE_FAILURE, result.detail
    assert f"timed out after 0.5 s waiting for the reply to {reply_to}" in result.detail
