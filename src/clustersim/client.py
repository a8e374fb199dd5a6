"""One JSON request/reply over a Unix stream socket (rgmd and node agents speak this).

Light on imports (jsonline, _socket; no pathlib, no typing at run time): scswitch and the
built-in methods are clients, each a fresh process."""

from __future__ import annotations

import _socket

from clustersim import jsonline

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


class Unreachable(OSError):
    """Nobody answers on the socket (daemon down) or the connection broke mid-request."""


def request(path: Path | str, message: dict[str, Any],
            timeout: float | None = None) -> dict[str, Any]:
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall((jsonline.dumps(message) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                raise Unreachable(f"{path}: connection closed")
            buf += chunk
    except (FileNotFoundError, ConnectionRefusedError, ConnectionResetError,
            BrokenPipeError) as exc:
        raise Unreachable(f"{path}: {exc}") from exc
    finally:
        sock.close()
    return jsonline.loads(buf)


def answers(path: Path) -> bool:
    """A daemon listens on the socket and answers a ping (rgmd, a node agent)."""
    try:
        request(path, {"op": "ping"}, timeout=5)
    except (Unreachable, OSError, ValueError):
        return False
    return True


def call_rgmd(layout: Any, op: str, **args: Any) -> Any:
    """Send one request to rgmd and wait for it to complete; a refusal raises ClusterError."""
    from clustersim.errors import ClusterError  # noqa: PLC0415

    try:
        reply = request(layout.rgmd_socket, {"op": op, "args": args})
    except Unreachable:
        raise ClusterError("the resource group manager (rgmd) is not running; is the "
                           f"cluster {layout.base} up?", "CLUSTER") from None
    if not reply.get("ok"):
        raise ClusterError(reply.get("message", "refused"), reply.get("err", "INTERNAL"))
    return reply.get("result")
