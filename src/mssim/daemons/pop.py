"""lib/popd: enough POP3 for poplib (USER/PASS, STAT, LIST, UIDL, RETR, TOP, DELE, QUIT)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from mssim import mailstore, product
from mssim.daemons.base import run
from mssim.daemons.imap import Imapd


class Popd(Imapd):
    name = "popd"
    label = "pop"
    port_key, default_port = "service.pop.port", 110

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def send(text: str | bytes) -> None:
            await self.gate()
            writer.write(text.encode() if isinstance(text, str) else text)
            await writer.drain()

        await send(product.pop_greeting(self.inst.hostname, self.banner) + "\r\n")
        user: str | None = None
        box: mailstore.Mailbox | None = None
        uids: list[int] = []
        deleted: set[int] = set()
        while True:
            line = await reader.readline()
            if not line:
                return
            parts = line.decode("utf-8", "replace").strip().split(" ", 1)
            cmd, arg = parts[0].upper(), (parts[1] if len(parts) > 1 else "")
            if cmd == "QUIT":
                if box is not None:
                    for uid in deleted:
                        box.delete(uid)
                await send("+OK\r\n")
                return
            if cmd == "CAPA":
                await send("+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\n.\r\n")
            elif cmd == "NOOP":
                await send("+OK\r\n")
            elif box is None:
                if cmd == "USER" and mailstore.mailbox_name(arg.strip()):
                    user = mailstore.mailbox_name(arg.strip())
                    await send("+OK password required\r\n")
                elif cmd == "PASS" and user and self.password_ok(user, arg):
                    box = mailstore.Mailbox(self.inst.store, user)
                    uids = box.uids()
                    self.log("Notice", f"Login: {user}")
                    await send(f"+OK Maildrop ready, {len(uids)} messages\r\n")
                else:
                    user = None
                    await send("-ERR Invalid login\r\n")
            else:
                await self.transaction(send, box, uids, deleted, (cmd, arg))

    async def transaction(self, send: Callable[[str | bytes], Awaitable[None]],
                          box: mailstore.Mailbox, uids: list[int], deleted: set[int],
                          command: tuple[str, str]) -> None:
        cmd, arg = command
        def msg(n_text: str) -> tuple[int, int] | None:
            if not n_text.strip().isdigit():
                return None
            n = int(n_text)
            if 1 <= n <= len(uids) and uids[n - 1] not in deleted:
                return n, uids[n - 1]
            return None

        live = [(i + 1, u) for i, u in enumerate(uids) if u not in deleted]
        if cmd == "STAT":
            size = sum(box.path(u).stat().st_size for _, u in live)
            await send(f"+OK {len(live)} {size}\r\n")
        elif cmd in ("LIST", "UIDL"):
            def value(u: int) -> int:
                return u if cmd == "UIDL" else box.path(u).stat().st_size
            if arg:
                hit = msg(arg)
                await send(f"+OK {hit[0]} {value(hit[1])}\r\n" if hit
                           else "-ERR No such message\r\n")
            else:
                body = "".join(f"{n} {value(u)}\r\n" for n, u in live)
                await send(f"+OK {len(live)} messages\r\n{body}.\r\n")
        elif cmd in ("RETR", "TOP"):
            args = arg.split()
            hit = msg(args[0]) if args else None
            if hit is None:
                await send("-ERR No such message\r\n")
                return
            data = box.read(hit[1])
            if cmd == "TOP":
                head, _, text = data.partition(b"\r\n\r\n")
                lines = int(args[1]) if len(args) > 1 and args[1].isdigit() else 0
                data = head + b"\r\n\r\n" + b"\r\n".join(text.split(b"\r\n")[:lines])
            lines_out = [b"." + ln if ln.startswith(b".") else ln
                         for ln in data.replace(b"\r\n", b"\n").split(b"\n")]
            await send(b"+OK message follows\r\n" + b"\r\n".join(lines_out).rstrip(b"\r\n")
                       + b"\r\n.\r\n")
        elif cmd == "DELE":
            hit = msg(arg)
            if hit:
                deleted.add(hit[1])
            await send("+OK Deleted\r\n" if hit else "-ERR No such message\r\n")
        elif cmd == "RSET":
            deleted.clear()
            await send("+OK\r\n")
        else:
            await send("-ERR Unknown command\r\n")


def main(argv: list[str]) -> int:
    return run(Popd, argv)
