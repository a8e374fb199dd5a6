"""lib/mshttpd: Messenger Express's HTTP server, reduced to a page that answers GET /."""

from __future__ import annotations

import asyncio
import email.utils

from mssim import product
from mssim.daemons.base import run
from mssim.daemons.imap import Imapd

PAGE = (
    "<html><head><title>Sun Java(tm) System Communications Express</title></head>"
    "<body><p>{host} Messenger Express ({version})</p></body></html>\n"
)


class Mshttpd(Imapd):
    name = "mshttpd"
    label = "http"
    port_key, default_port = "service.http.port", 80

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readline()
        while (await reader.readline()).strip():
            pass
        await self.gate()
        parts = request.decode("latin-1").split()
        if len(parts) < 2:
            status, body = "400 Bad Request", "bad request\n"
        elif parts[0] not in ("GET", "HEAD"):
            status, body = "405 Method Not Allowed", "method not allowed\n"
        else:
            status = "200 OK"
            body = PAGE.format(host=self.inst.hostname, version=product.FULL_VERSION)
        payload = body.encode()
        head = (
            f"HTTP/1.1 {status}\r\nServer: Sun-Java(tm)-System-Messaging-Server/6.3\r\n"
            f"Date: {email.utils.formatdate(usegmt=True)}\r\n"
            f"Content-Type: text/html; charset=utf-8\r\nContent-Length: {len(payload)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        writer.write(head + (payload if parts[:1] != ["HEAD"] else b""))
        await writer.drain()


def main(argv: list[str]) -> int:
    return run(Mshttpd, argv)
