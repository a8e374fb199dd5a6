"""lib/dispatcher: the SMTP (and SMTP_SUBMIT) service, on aiosmtpd.

A message is accepted (250) only after its queue file is on the configuration disk; then the
job controller is told over its TCP port that there is work, as the real dispatcher's
tcp_smtp_server does.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import socket
import uuid

from aiosmtpd.smtp import SMTP, Envelope, Session

from mssim import mailstore, product
from mssim.daemons.base import Daemon, Listener, run


def local_domains(daemon: Daemon) -> set[str]:
    """Domains delivered locally: local.hostname, local.defaultdomain, the l channel host."""
    inst = daemon.inst
    names = {inst.hostname.lower(), (inst.get("local.defaultdomain") or "").lower()}
    try:
        lines = (inst.config / "imta.cnf").read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for i, line in enumerate(lines[:-1]):
        if line.split()[:1] == ["l"]:
            names.add(lines[i + 1].strip().lower())
    return {n for n in names if n}


class FaultySMTP(SMTP):
    """aiosmtpd's SMTP with the daemon's fault gate before every reply."""

    def __init__(self, daemon: Dispatcher, **kwargs: object) -> None:
        super().__init__(Handler(daemon), **kwargs)  # type: ignore[arg-type]
        self.daemon = daemon

    async def push(self, status: str) -> None:  # type: ignore[override]
        await self.daemon.gate()
        await super().push(status)


class Handler:
    def __init__(self, daemon: Dispatcher) -> None:
        self.daemon = daemon

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:
        domain = address.rpartition("@")[2].lower()
        if domain not in self.daemon.domains:
            return f"550 5.7.1 Relaying not allowed: {address}"
        if mailstore.mailbox_name(address) is None:
            return f"550 5.1.1 unknown or illegal alias: {address}"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        daemon = self.daemon
        host = daemon.inst.hostname
        peer = session.peer[0] if isinstance(session.peer, tuple) else "unknown"
        msgid = uuid.uuid4().hex[:16].upper()
        received = (
            f"Received: from {session.host_name or 'unknown'} ([{peer}])\r\n"
            f" by {host} ({product.FULL_VERSION})\r\n"
            f" with ESMTP id <0{msgid}@{host}> for {envelope.rcpt_tos[0]};"
            f" {email.utils.formatdate(localtime=True)}\r\n"
        ).encode()
        content = envelope.content if isinstance(envelope.content, bytes) else \
            str(envelope.content).encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            path = await loop.run_in_executor(
                None, mailstore.enqueue, daemon.inst.queue, envelope.mail_from or "",
                list(envelope.rcpt_tos), received + content)
        except Exception as exc:  # any failure to enqueue is temporary: the sender retries
            daemon.log("Error", f"cannot enqueue message: {exc}")
            return "452 4.3.1 Insufficient system storage"
        # durably queued: from here on the answer is 250 whatever else fails (a 4xx now
        # would have the sender retry a message that will be delivered: a duplicate)
        with contextlib.suppress(Exception):
            daemon.log("Notice", f"E {path.name} from <{envelope.mail_from}> to "
                                 f"{', '.join(envelope.rcpt_tos)}")
            daemon.notify_job_controller_soon()
        return "250 2.5.0 Ok."


class Dispatcher(Daemon):
    name = "dispatcher"

    def bind(self) -> None:
        self.domains = local_domains(self)
        self.pending: set[asyncio.Task[None]] = set()
        for label, (addr, port) in self.inst.dispatcher_services().items():
            self.listeners.append(Listener(label, addr, port, self._server))

    async def _server(self, sock: socket.socket) -> asyncio.base_events.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            lambda: FaultySMTP(self, hostname=self.inst.hostname, ident=product.smtp_ident(),
                               data_size_limit=33554432, timeout=300),
            sock=sock,
        )

    def notify_job_controller_soon(self) -> None:
        task = asyncio.get_running_loop().create_task(self.notify_job_controller())
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def notify_job_controller(self) -> None:
        addr, port = self.inst.job_controller_endpoint()
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(addr, port), 2.0)
            writer.write(b"NOTIFY ims-ms\n")
            await writer.drain()
            writer.close()
        except (OSError, asyncio.TimeoutError):
            pass  # the job controller polls the queue anyway


def main(argv: list[str]) -> int:
    return run(Dispatcher, argv)
