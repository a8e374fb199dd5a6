"""lib/imapd: enough IMAP4rev1 for imaplib and for a probe (greeting, LOGIN, SELECT, FETCH…).

Any local user may log in with any password (mailboxes are created on delivery); the INBOX
is the user's store directory, read afresh at SELECT.
"""

from __future__ import annotations

import asyncio
import re
import socket

from mssim import mailstore, product
from mssim.daemons.base import Daemon, Listener, run

_TOKEN = re.compile(rb'\s*(?:"((?:[^"\\]|\\.)*)"|(\([^)]*\))|([^\s()]+))')


def tokens(line: bytes) -> list[str]:
    out = []
    pos = 0
    while pos < len(line):
        m = _TOKEN.match(line, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        if m.group(1) is not None:
            out.append(re.sub(rb"\\(.)", rb"\1", m.group(1)).decode("utf-8", "replace"))
        else:
            out.append((m.group(2) or m.group(3)).decode("utf-8", "replace"))
    return out


def parse_set(spec: str, count: int) -> list[int]:
    """IMAP sequence set ("1", "2:4", "1:*", "1,3") → sorted numbers within 1..count."""
    result: set[int] = set()
    for part in spec.split(","):
        lo, _, hi = part.partition(":")
        a = count if lo == "*" else int(lo)
        b = a if not hi else (count if hi == "*" else int(hi))
        lo_n, hi_n = min(a, b), max(a, b)
        result.update(n for n in range(lo_n, hi_n + 1) if 1 <= n <= count)
    return sorted(result)


class Session:
    def __init__(self, daemon: Imapd, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.d, self.reader, self.writer = daemon, reader, writer
        self.user: str | None = None
        self.uids: list[int] | None = None  # selected INBOX snapshot
        self.deleted: set[int] = set()

    async def send(self, data: bytes | str) -> None:
        await self.d.gate()
        if isinstance(data, str):
            data = data.encode()
        self.writer.write(data)
        await self.writer.drain()

    async def readline(self) -> bytes | None:
        """One command line, with {n} literals folded in (answering '+ go ahead')."""
        line = await self.reader.readline()
        if not line:
            return None
        line = line.rstrip(b"\r\n")
        while (m := re.search(rb"\{(\d+)\+?\}$", line)):
            if not line.endswith(b"+}"):
                await self.send("+ go ahead\r\n")
            literal = await self.reader.readexactly(int(m.group(1)))
            rest = (await self.reader.readline()).rstrip(b"\r\n")
            quoted = b'"' + literal.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
            line = line[: m.start()] + quoted + rest
        return line

    async def run(self) -> None:
        await self.send(product.imap_greeting(self.d.inst.hostname, self.d.banner) + "\r\n")
        while True:
            line = await self.readline()
            if line is None:
                return
            args = tokens(line)
            if len(args) < 2:
                await self.send(f"{args[0] if args else '*'} BAD Missing command\r\n")
                continue
            tag, cmd, rest = args[0], args[1].upper(), args[2:]
            uid_mode = False
            if cmd == "UID" and rest:
                uid_mode, cmd, rest = True, rest[0].upper(), rest[1:]
            handler = getattr(self, f"cmd_{cmd.lower()}", None)
            if handler is None:
                await self.send(f"{tag} BAD Unrecognized command\r\n")
                continue
            if cmd not in ("CAPABILITY", "NOOP", "LOGOUT", "LOGIN", "ID") and self.user is None:
                await self.send(f"{tag} NO Not logged in\r\n")
                continue
            if cmd in ("FETCH", "SEARCH", "STORE", "EXPUNGE", "CLOSE") and self.uids is None:
                await self.send(f"{tag} BAD No mailbox selected\r\n")
                continue
            if await handler(tag, rest, uid_mode) is False:
                return

    async def cmd_capability(self, tag: str, args: list[str], uid: bool) -> None:
        await self.send(f"* CAPABILITY {product.IMAP_CAPABILITIES}\r\n{tag} OK Completed\r\n")

    async def cmd_noop(self, tag: str, args: list[str], uid: bool) -> None:
        await self.send(f"{tag} OK Completed\r\n")

    async def cmd_id(self, tag: str, args: list[str], uid: bool) -> None:
        await self.send(f'* ID ("name" "{product.PRODUCT}" "version" "{product.VERSION}")\r\n'
                        f"{tag} OK Completed\r\n")

    async def cmd_logout(self, tag: str, args: list[str], uid: bool) -> bool:
        await self.send(f"* BYE LOGOUT received\r\n{tag} OK Completed\r\n")
        return False

    async def cmd_login(self, tag: str, args: list[str], uid: bool) -> None:
        user = mailstore.mailbox_name(args[0]) if len(args) == 2 else None
        if user is None or not self.d.password_ok(user, args[1]):
            await self.send(f"{tag} NO Invalid login\r\n")
            return
        self.user = user
        self.d.log("Notice", f"Login: {user}")
        await self.send(f"{tag} OK User logged in\r\n")

    def mailbox(self) -> mailstore.Mailbox:
        assert self.user is not None
        return mailstore.Mailbox(self.d.inst.store, self.user)

    async def cmd_list(self, tag: str, args: list[str], uid: bool) -> None:
        await self.send(f'* LIST (\\NoInferiors) "/" INBOX\r\n{tag} OK Completed\r\n')

    async def cmd_select(self, tag: str, args: list[str], uid: bool, mode: str = "READ-WRITE"
                         ) -> None:
        if not args or args[0].upper() != "INBOX":
            await self.send(f"{tag} NO Mailbox does not exist\r\n")
            return
        box = self.mailbox()
        self.uids = box.uids()
        self.deleted = set()
        nxt = box.uidnext()
        await self.send(
            "* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen)\r\n"
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen \\*)]\r\n"
            f"* {len(self.uids)} EXISTS\r\n* 0 RECENT\r\n"
            f"* OK [UIDVALIDITY 1]\r\n* OK [UIDNEXT {nxt}]\r\n"
            f"{tag} OK [{mode}] Completed\r\n")

    async def cmd_examine(self, tag: str, args: list[str], uid: bool) -> None:
        await self.cmd_select(tag, args, uid, "READ-ONLY")

    async def cmd_status(self, tag: str, args: list[str], uid: bool) -> None:
        box = self.mailbox()
        uids = box.uids()
        nxt = box.uidnext()
        await self.send(f"* STATUS INBOX (MESSAGES {len(uids)} RECENT 0 UIDNEXT {nxt} "
                        f"UIDVALIDITY 1 UNSEEN 0)\r\n{tag} OK Completed\r\n")

    def _seqs(self, spec: str, uid: bool) -> list[int]:
        assert self.uids is not None
        if not uid:
            return parse_set(spec, len(self.uids))
        top = self.uids[-1] if self.uids else 0
        wanted = set(parse_set(spec.replace("*", str(top)), top)) if top else set()
        return [i + 1 for i, u in enumerate(self.uids) if u in wanted]

    async def cmd_search(self, tag: str, args: list[str], uid: bool) -> None:
        assert self.uids is not None
        hits = self.uids if uid else range(1, len(self.uids) + 1)
        found = f"* SEARCH {' '.join(map(str, hits))}".rstrip()
        await self.send(f"{found}\r\n{tag} OK Completed\r\n")

    async def cmd_fetch(self, tag: str, args: list[str], uid: bool) -> None:
        assert self.uids is not None
        if len(args) < 2:
            await self.send(f"{tag} BAD Missing arguments\r\n")
            return
        items = " ".join(args[1:]).strip("()").upper().split()
        try:
            seqs = self._seqs(args[0], uid)
        except ValueError:
            await self.send(f"{tag} BAD Invalid sequence\r\n")
            return
        for seq in seqs:
            msg_uid = self.uids[seq - 1]
            try:
                data = self.mailbox().read(msg_uid)
            except FileNotFoundError:
                continue
            parts: list[bytes] = []
            if uid and "UID" not in items:
                parts.append(f"UID {msg_uid}".encode())
            for item in items:
                if item == "UID":
                    parts.append(f"UID {msg_uid}".encode())
                elif item == "FLAGS":
                    flags = "\\Deleted" if msg_uid in self.deleted else ""
                    parts.append(f"FLAGS ({flags})".encode())
                elif item == "RFC822.SIZE":
                    parts.append(f"RFC822.SIZE {len(data)}".encode())
                elif item == "INTERNALDATE":
                    parts.append(b'INTERNALDATE "01-Jan-2009 00:00:00 +0000"')
                elif item in ("RFC822", "BODY[]", "BODY.PEEK[]", "RFC822.HEADER",
                              "BODY[HEADER]", "BODY.PEEK[HEADER]", "RFC822.TEXT", "BODY[TEXT]"):
                    body = data
                    head, sep, text = data.partition(b"\r\n\r\n")
                    if "HEADER" in item:
                        body = head + sep
                    elif "TEXT" in item:
                        body = text
                    name = item.replace(".PEEK", "")
                    parts.append(f"{name} {{{len(body)}}}\r\n".encode() + body)
            await self.send(f"* {seq} FETCH (".encode() + b" ".join(parts) + b")\r\n")
        await self.send(f"{tag} OK Completed\r\n")

    async def cmd_store(self, tag: str, args: list[str], uid: bool) -> None:
        assert self.uids is not None
        if len(args) >= 3 and "\\DELETED" in " ".join(args[2:]).upper():
            for seq in self._seqs(args[0], uid):
                if args[1].startswith("-"):
                    self.deleted.discard(self.uids[seq - 1])
                else:
                    self.deleted.add(self.uids[seq - 1])
        await self.send(f"{tag} OK Completed\r\n")

    async def cmd_expunge(self, tag: str, args: list[str], uid: bool) -> None:
        assert self.uids is not None
        for seq in sorted((i + 1 for i, u in enumerate(self.uids) if u in self.deleted),
                          reverse=True):
            self.mailbox().delete(self.uids[seq - 1])
            del self.uids[seq - 1]
            await self.send(f"* {seq} EXPUNGE\r\n")
        self.deleted = set()
        await self.send(f"{tag} OK Completed\r\n")

    async def cmd_close(self, tag: str, args: list[str], uid: bool) -> None:
        assert self.uids is not None
        for u in self.deleted:
            self.mailbox().delete(u)
        self.uids, self.deleted = None, set()
        await self.send(f"{tag} OK Completed\r\n")


class Imapd(Daemon):
    name = "imapd"
    label = "imap"
    port_key, default_port = "service.imap.port", 143

    def bind(self) -> None:
        self.banner = self.inst.get(f"service.{self.label}.banner")  # read at start
        addr = self.inst.listen_address()
        port = self.inst.port(self.port_key, self.default_port)
        self.listeners.append(Listener(self.label, addr, port, self._server))

    async def _server(self, sock: socket.socket) -> asyncio.base_events.Server:
        return await asyncio.start_server(self._client, sock=sock)

    def password_ok(self, user: str, password: str) -> bool:
        """Any password, unless config/mssim.passwd lists `user:password` lines."""
        try:
            text = (self.inst.config / "mssim.passwd").read_text(encoding="utf-8")
        except OSError:
            return True
        return f"{user}:{password}" in text.splitlines()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection (IMAP here, POP or HTTP in the subclasses): a client that
        hangs up or sends garbage ends its own session, never the server."""
        try:
            await self.session(reader, writer)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await Session(self, reader, writer).run()


def main(argv: list[str]) -> int:
    return run(Imapd, argv)
