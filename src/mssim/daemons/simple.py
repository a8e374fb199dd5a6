"""lib/enpd (ENS port, connect only), lib/stored and lib/imsched (processes only)."""

from __future__ import annotations

import asyncio
import socket

from mssim.daemons.base import Daemon, Listener, run


class Enpd(Daemon):
    name = "enpd"

    def bind(self) -> None:
        addr, port = self.inst.ens_endpoint()
        self.listeners.append(Listener("ens", addr, port, self._server))

    async def _server(self, sock: socket.socket) -> asyncio.base_events.Server:
        return await asyncio.start_server(self._client, sock=sock)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self.gate()
            while await reader.read(4096):
                await self.gate()
        except OSError:
            pass
        finally:
            writer.close()


class Stored(Daemon):
    name = "stored"


class Imsched(Daemon):
    name = "imsched"


def main(name: str, argv: list[str]) -> int:
    cls = {"enpd": Enpd, "stored": Stored, "imsched": Imsched}[name]
    return run(cls, argv)
