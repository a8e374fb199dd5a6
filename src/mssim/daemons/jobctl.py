"""lib/job_controller: moves the queue into the store (the ims-ms channel's job).

It delivers when the dispatcher notifies it on TCP_PORT and, as a safety net, every second:
nothing queued can stay queued while the job controller runs.
"""

from __future__ import annotations

import asyncio
import socket

from mssim import mailstore
from mssim.daemons.base import Daemon, Listener, run


class JobController(Daemon):
    name = "job_controller"

    def bind(self) -> None:
        addr, port = self.inst.job_controller_endpoint()
        self.listeners.append(Listener("job_controller", addr, port, self._server))
        self.wakeup = asyncio.Event()
        self.lock = asyncio.Lock()
        self.failing = False
        """The last pass failed (logged once, and once more when delivery resumes)."""
        self.delivered: dict[str, set[str]] = {}
        """Queue file -> recipients its copy is in the store for, while it is queued: a
        message a full disk stopped half way is not delivered twice to the first ones."""

    async def _server(self, sock: socket.socket) -> asyncio.base_events.Server:
        return await asyncio.start_server(self._client, sock=sock)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self.gate()
            while await reader.readline():
                self.wakeup.set()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def started(self) -> None:
        # the store's only writer: what a killed predecessor left half-written is no message
        # (its queue file is still there and is delivered again)
        mailstore.sweep_temporaries(self.inst.store)
        self.tasks.append(asyncio.get_running_loop().create_task(self._loop()))

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await asyncio.wait_for(self.wakeup.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
            self.wakeup.clear()
            await self.gate()
            try:
                await loop.run_in_executor(None, self.deliver_all)
            except Exception as exc:  # a full disk, say: this pass ends, the next retries
                if not self.failing:
                    self.log("Error", f"delivery failed, will retry every second: {exc}")
                self.failing = True
            else:
                if self.failing:
                    self.log("Notice", "delivery resumed")
                self.failing = False

    def deliver_all(self) -> None:
        for path in mailstore.queued(self.inst.queue):
            if self.faults.hang or self.faults.stall:
                return  # delivers nothing more, even from a pass begun before the fault
            try:
                entry = mailstore.read_queue_file(path)
            except FileNotFoundError:
                continue
            done = self.delivered.setdefault(path.name, set())
            for rcpt in entry.rcpts:
                if rcpt in done:
                    continue  # a pass that failed part way (a full disk) delivered it already
                user = mailstore.mailbox_name(rcpt)
                if user is None:
                    self.log("Error", f"{path.name}: dropping illegal recipient {rcpt}")
                    continue
                uid = mailstore.Mailbox(self.inst.store, user).deliver(entry.message)
                done.add(rcpt)
                self.log("Notice", f"D {path.name} ims-ms {rcpt} -> {user} uid {uid}")
            mailstore.dequeue(entry)
            self.delivered.pop(path.name, None)


def main(argv: list[str]) -> int:
    return run(JobController, argv)
