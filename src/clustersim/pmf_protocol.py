"""The pmfd control protocol, client side: one JSON request line, one JSON response line.

Why a module of its own: pmfadm runs once per call (many times per resource method), so
it must not import the daemon's machinery (asyncio, subprocess management).

Requests are objects with an `op`: `ping`, `start`, `query`, `status`, `list`, `signal`,
`stop`, `modify`, `shutdown` (fields in clustersim.pmfd). Responses carry `ok` (bool) and,
when false, `error` (the message pmfadm prints) and `code` (`notag`, `exists`, `perm`,
`timeout`, `start`, `bad`). The requester's uid is read by pmfd from the socket
(SO_PEERCRED), never from the request.
"""

from __future__ import annotations

import _socket  # socket.py's own core: the module adds enums (and their imports) we need not

from clustersim import jsonline

TYPE_CHECKING = False  # typing itself costs each pmfadm call ~3 ms of imports
if TYPE_CHECKING:
    from typing import Any

    from clustersim.paths import CommandLayout

MAX_LINE = 4 << 20


class PmfdUnavailable(Exception):
    """No pmfd answers on the node's socket (not running, or dead)."""


def request(
    layout: CommandLayout, node: str, message: dict[str, Any], timeout: float | None = 30.0
) -> dict[str, Any]:
    """Send one request to the node's pmfd and return its response."""
    path = str(layout.pmfd_socket(node))
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise PmfdUnavailable(f"{path}: {exc.strerror}") from None
        sock.sendall(jsonline.dumps(message).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                raise PmfdUnavailable("no answer from pmfd (timed out)") from None
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_LINE:
                raise PmfdUnavailable("response too long")
    except ConnectionResetError as exc:
        raise PmfdUnavailable(f"connection reset: {exc}") from None
    finally:
        sock.close()
    if not data:
        raise PmfdUnavailable("pmfd closed the connection without answering")
    return jsonline.loads(data)
