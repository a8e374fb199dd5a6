"""pmfd: the node's process monitor facility daemon (rpc.pmfd of Sun Cluster).

Why: PMF is how a data service keeps its daemons up, and what the agent's start/stop
methods drive through pmfadm(1M). One pmfd runs per stand-in node; it serves
`layout.pmfd_socket(node)` with the JSON-lines protocol of clustersim.pmf_protocol.

Containment. pmfd is a child subreaper, and every run of a tag (and every run of an
action program) is a clustersim.pmf_contract supervisor, itself a subreaper, so every
process of a tag stays below its supervisor whatever it forks or setsid()s. Nothing else
may live below pmfd: a process adopted by pmfd (only possible when a supervisor died
abnormally) is killed with its tree. When pmfd dies, even by SIGKILL, every supervisor is
told by the kernel (parent-death signal) and kills its tree. A node panic may also call
`procs.kill_tree(pmfd pid)`, which freezes the whole hierarchy before killing it.

Semantics (pmfadm(1M)): a run ends when its monitored processes are gone (all of them,
or those at levels <= -C). Unless the tag is being stopped, that is a failure: restart
while the failures within `-t period` minutes do not exceed `-n retries`; otherwise log
`Process: tag="…", cmd="…", Failed to stay up.` (daemon.notice, tag Cluster.PMF.pmfd) and
run the action program (`action failed <tag>`, cwd and PATH of the request): exit 0
restarts the command (the failure history is kept, so the next failure within the period
consults the action again), anything else or no action removes the tag. `pmfadm -s`
stops restarting: the tag stays registered until its processes have exited.

Run: `python -m clustersim.pmfd --cluster DIR --node NAME`; from Python
`start_pmfd(layout, node)` and `stop_pmfd(layout, node)`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pwd
import shlex
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clustersim import daemons, procs
from clustersim.layout import ClusterLayout
from clustersim.pmf_policy import RestartPolicy, failures_in_window, record_failure
from clustersim.pmf_protocol import PmfdUnavailable, request
from clustersim.syslog_client import log_to_node

SYSLOG_TAG = "Cluster.PMF.pmfd"
MSG_FAILED_TO_STAY_UP = 'Process: tag="%s", cmd="%s", Failed to stay up.'
SHUTDOWN_GRACE = 10.0
STRAY_SWEEP = 1.0
_SRC_DIR = str(Path(__file__).resolve().parent.parent)


class Run:
    """pmfd's handle on one pmf_contract supervisor (one run of a command or action)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.pid = proc.pid
        loop = asyncio.get_running_loop()
        self.started: asyncio.Future[tuple[bool, Any]] = loop.create_future()
        self.exit_status: asyncio.Future[int] = loop.create_future()
        self.monitored_gone = asyncio.Event()
        self.tree_empty = asyncio.Event()
        self.ended = asyncio.Event()  # the supervisor process itself has exited
        self.began = time.monotonic()
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0

    async def pump(self) -> None:
        """Read the supervisor's events until it exits; then settle every waiter."""
        assert self.proc.stdout is not None
        try:
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    break
                self._event(json.loads(line))
        finally:
            await self.proc.wait()
            if not self.started.done():
                self.started.set_result((False, "supervisor exited before starting"))
            if not self.exit_status.done():
                self.exit_status.set_result(255)
            for waiter in self._pending.values():
                if not waiter.done():
                    waiter.set_result({"pids": []})
            self.monitored_gone.set()
            self.tree_empty.set()
            self.ended.set()

    def _event(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if event == "started":
            self.started.set_result((True, message["pid"]))
        elif event == "start_failed":
            self.started.set_result((False, message["error"]))
        elif event == "exited":
            if not self.exit_status.done():
                self.exit_status.set_result(int(message["status"]))
        elif event == "monitored_gone":
            self.monitored_gone.set()
        elif event == "tree_empty":
            self.tree_empty.set()
        elif "id" in message:
            waiter = self._pending.pop(message["id"], None)
            if waiter is not None and not waiter.done():
                waiter.set_result(message)

    def _send(self, message: dict[str, Any]) -> bool:
        if self.ended.is_set() or self.proc.stdin is None or self.proc.stdin.is_closing():
            return False
        try:
            self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        except (BrokenPipeError, ConnectionResetError, RuntimeError):
            return False
        return True

    async def call(self, op: str, **fields: Any) -> list[int]:
        """Ask the supervisor (`pids` or `signal`); returns the monitored pids concerned."""
        self._next_id += 1
        ident = self._next_id
        waiter = asyncio.get_running_loop().create_future()
        self._pending[ident] = waiter
        if not self._send({"id": ident, "op": op, **fields}):
            self._pending.pop(ident, None)
            return []
        try:
            answer = await asyncio.wait_for(waiter, 15.0)
        except TimeoutError:
            self._pending.pop(ident, None)
            return []
        return list(answer.get("pids", []))

    def kill(self) -> None:
        """Kill the whole tree (every level); the supervisor exits when it is empty."""
        if not self._send({"op": "kill"}):
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()


@dataclass
class Tag:
    """One registered nametag: what `pmfadm -c` asked for, and where it stands."""

    name: str
    argv: list[str]
    cwd: str
    path: str
    env: dict[str, str]
    env_args: list[str]
    action: str | None
    policy: RestartPolicy
    level: int
    uid: int
    failures: list[float] = field(default_factory=list)
    run: Run | None = None
    action_run: Run | None = None
    stopping: bool = False
    stop_signal: int | None = None
    gone: asyncio.Event = field(default_factory=asyncio.Event)


class Pmfd:
    """The daemon: tags, supervisors, the control socket."""

    def __init__(self, layout: ClusterLayout, node: str) -> None:
        self.layout = layout
        self.node = node
        self.tags: dict[str, Tag] = {}
        self.runs: dict[int, Run] = {}
        self.spawning = 0
        self.exit = asyncio.Event()
        self.tasks: set[asyncio.Task[Any]] = set()

    # --- supervisors ------------------------------------------------------------------
    def _task(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def spawn(self, argv: list[str], cwd: str, env: dict[str, str], level: int) -> Run:
        """Start a supervisor for one run and wait until it reports the command started."""
        env_sup = dict(os.environ)
        env_sup["PYTHONPATH"] = os.pathsep.join(
            p for p in (_SRC_DIR, os.environ.get("PYTHONPATH", "")) if p
        )
        self.spawning += 1
        try:
            proc = await asyncio.create_subprocess_exec(
                # -S: no site; the supervisor needs only the standard library and src
                sys.executable, "-S", "-m", "clustersim.pmf_contract", str(os.getpid()),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                env=env_sup, close_fds=True,
            )  # fmt: skip
            run = Run(proc)
            self.runs[run.pid] = run
        finally:
            self.spawning -= 1
        self._task(self._pump(run))
        run._send({"argv": argv, "cwd": cwd, "env": env, "level": level})
        await run.started
        return run

    async def _pump(self, run: Run) -> None:
        try:
            await run.pump()
        finally:
            self.runs.pop(run.pid, None)

    async def sweep_strays(self) -> None:
        """Kill anything adopted by pmfd: only supervisors may live directly below it."""
        me = os.getpid()
        while not self.exit.is_set():
            await asyncio.sleep(STRAY_SWEEP)
            if self.spawning:
                continue
            for child in procs.children_of(me):
                if child in self.runs:
                    continue
                procs.kill_tree(child)
                procs.reap_pid(child)

    # --- the life of a tag --------------------------------------------------------------
    async def monitor(self, tag: Tag) -> None:
        try:
            while True:
                assert tag.run is not None
                run = tag.run
                await run.monitored_gone.wait()
                if tag.stopping:
                    break
                now = time.monotonic()
                tag.failures, restart = record_failure(tag.failures, now, tag.policy)
                if not restart:
                    cmd = " ".join(tag.argv)
                    log_to_node(
                        self.layout, self.node, SYSLOG_TAG, "notice",
                        MSG_FAILED_TO_STAY_UP % (tag.name, cmd),
                        msgid_format=MSG_FAILED_TO_STAY_UP,
                    )  # fmt: skip
                    if tag.action is None or not await self.run_action(tag) or tag.stopping:
                        break
                if now - run.began < 1.0:
                    await asyncio.sleep(0.1)  # a command that dies at once must not spin
                if tag.stopping:
                    break
                new = await self.spawn(tag.argv, tag.cwd, tag.env, tag.level)
                tag.run = new
                ok, detail = new.started.result()
                if not ok:
                    print(f"pmfd: restart of {tag.name} failed: {detail}", file=sys.stderr)
                if tag.stopping and tag.stop_signal is not None:
                    await new.call("signal", sig=tag.stop_signal)
        finally:
            if self.tags.get(tag.name) is tag:
                del self.tags[tag.name]
            tag.gone.set()

    async def run_action(self, tag: Tag) -> bool:
        """Run `action failed <tag>`; True when it exits 0 (restart the command)."""
        assert tag.action is not None
        try:
            argv = [*shlex.split(tag.action), "failed", tag.name]
        except ValueError as exc:
            print(f"pmfd: action of {tag.name}: {exc}", file=sys.stderr)
            return False
        run = await self.spawn(argv, tag.cwd, {"PATH": tag.path}, -1)
        ok, detail = run.started.result()
        if not ok:
            print(f"pmfd: action of {tag.name} failed to start: {detail}", file=sys.stderr)
            return False
        tag.action_run = run
        try:
            status = await run.exit_status
        finally:
            tag.action_run = None
        return status == 0

    # --- requests -----------------------------------------------------------------------
    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            if not line:
                return
            sock = writer.get_extra_info("socket")
            creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            _pid, uid, _gid = struct.unpack("3i", creds)
            try:
                message = json.loads(line)
                response = await self.dispatch(message, uid)
            except (ValueError, KeyError, TypeError) as exc:
                response = _error("bad", f"bad request: {exc}")
            writer.write(json.dumps(response).encode() + b"\n")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def dispatch(self, message: dict[str, Any], uid: int) -> dict[str, Any]:
        op = message["op"]
        if op == "ping":
            return {"ok": True, "pid": os.getpid(), "node": self.node}
        if op == "list":
            return {"ok": True, "tags": sorted(self.tags)}
        if op == "shutdown":
            self._task(self.shutdown())
            return {"ok": True}
        if op == "start":
            return await self.op_start(message, uid)
        name = str(message["tag"])
        tag = self.tags.get(name)
        if op == "query":
            return {"ok": True, "registered": tag is not None}
        if tag is None:
            return _error("notag", f"{name}: no such nametag registered")
        if op == "status":
            return {"ok": True, "status": await self.status(tag)}
        if uid not in (0, tag.uid):
            return _error("perm", f"{name}: permission denied (not the owner)")
        if op == "signal":
            return await self.op_signal(tag, message)
        if op == "stop":
            return await self.op_stop(tag, message)
        if op == "modify":
            retries = message.get("retries")
            period = message.get("period")
            tag.policy = RestartPolicy(
                tag.policy.retries if retries is None else int(retries),
                tag.policy.period if period is None else int(period),
            )
            return {"ok": True}
        return _error("bad", f"unknown request {op!r}")

    async def op_start(self, message: dict[str, Any], uid: int) -> dict[str, Any]:
        name = str(message["tag"])
        if name in self.tags:
            return _error("exists", f'"{name}" is already running under the process monitor')
        path = str(message.get("path") or "/usr/bin:/bin")
        env = {str(k): str(v) for k, v in (message.get("env") or {}).items()}
        env.setdefault("PATH", path)
        tag = Tag(
            name=name,
            argv=[str(a) for a in message["argv"]],
            cwd=str(message.get("cwd") or "/"),
            path=path,
            env=env,
            env_args=[str(a) for a in message.get("env_args") or []],
            action=message.get("action"),
            policy=RestartPolicy(int(message.get("retries", 0)), int(message.get("period", -1))),
            level=int(message.get("level", -1)),
            uid=uid,
        )
        if not tag.argv:
            return _error("bad", "no command given")
        self.tags[name] = tag  # claimed now, so a concurrent start of the same tag fails
        try:
            run = await self.spawn(tag.argv, tag.cwd, tag.env, tag.level)
        except OSError as exc:
            del self.tags[name]
            return _error("start", f"cannot start a supervisor: {exc}")
        ok, detail = run.started.result()
        if not ok:
            del self.tags[name]
            return _error("start", str(detail))
        tag.run = run
        self._task(self.monitor(tag))
        return {"ok": True, "pid": detail}

    async def op_signal(self, tag: Tag, message: dict[str, Any]) -> dict[str, Any]:
        """-k: signal the tag's processes and its running action; restarts may follow."""
        assert tag.run is not None
        run = tag.run
        pids = await run.call("signal", sig=int(message["sig"]))
        if tag.action_run is not None:
            pids += await tag.action_run.call("signal", sig=int(message["sig"]))
        wait = message.get("wait")
        if wait is not None and not await _wait_event(run.monitored_gone, float(wait)):
            return _error("timeout", f"{tag.name}: processes still running after {wait}s")
        return {"ok": True, "pids": pids}

    async def op_stop(self, tag: Tag, message: dict[str, Any]) -> dict[str, Any]:
        tag.stopping = True
        sig = message.get("sig")
        pids: list[int] = []
        if sig is not None:
            tag.stop_signal = int(sig)
            for run in (tag.run, tag.action_run):
                if run is not None:
                    pids += await run.call("signal", sig=int(sig))
        wait = message.get("wait")
        if wait is not None and not await _wait_event(tag.gone, float(wait)):
            return _error("timeout", f"{tag.name}: processes still running after {wait}s")
        return {"ok": True, "pids": pids}

    async def status(self, tag: Tag) -> dict[str, Any]:
        pids: list[int] = []
        if tag.run is not None and not tag.run.monitored_gone.is_set():
            pids = await tag.run.call("pids")
        return {
            "tag": tag.name,
            "argv": tag.argv,
            "action": tag.action,
            "retries": tag.policy.retries,
            "period": tag.policy.period,
            "level": tag.level,
            "env_args": tag.env_args,
            "owner": _user_name(tag.uid),
            "restarts": len(failures_in_window(tag.failures, time.monotonic(), tag.policy)),
            "stopping": tag.stopping,
            "pids": pids,
        }

    # --- lifecycle ----------------------------------------------------------------------
    async def shutdown(self) -> None:
        """Kill every tree pmfd monitors (tags, actions, leftovers), then exit."""
        for tag in self.tags.values():
            tag.stopping = True
        runs = list(self.runs.values())
        for run in runs:
            run.kill()
        ended = [r.ended.wait() for r in runs]
        if ended:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*ended), SHUTDOWN_GRACE)
        for run in list(self.runs.values()):
            procs.kill_tree(run.pid)
        self.exit.set()

    async def serve(self) -> int:
        layout, node = self.layout, self.node
        procs.set_child_subreaper()
        layout.run_dir.mkdir(parents=True, exist_ok=True)
        sock_path = layout.pmfd_socket(node)
        with contextlib.suppress(FileNotFoundError):
            sock_path.unlink()
        server = await asyncio.start_unix_server(self.handle, str(sock_path), limit=1 << 22)
        os.chmod(sock_path, 0o666)  # noqa: S103 - status is for any caller, as on Solaris
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, lambda: self._task(self.shutdown()))
        layout.pmfd_pidfile(node).write_text(f"{os.getpid()}\n")
        self._task(self.sweep_strays())
        try:
            await self.exit.wait()
        finally:
            server.close()
            daemons.remove_own(sock_path, layout.pmfd_pidfile(node), os.getpid())
        return 0


async def _wait_event(event: asyncio.Event, timeout: float) -> bool:
    if timeout < 0:
        await event.wait()
        return True
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        return False
    return True


def _error(code: str, text: str) -> dict[str, Any]:
    return {"ok": False, "code": code, "error": text}


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


# --- start / stop from Python ---------------------------------------------------------


def answering_pid(layout: ClusterLayout, node: str) -> int | None:
    """The pid of the node's pmfd as it answers a ping; None if none answers."""
    try:
        reply = request(layout, node, {"op": "ping"}, timeout=5.0)
    except (PmfdUnavailable, OSError, ValueError):
        return None
    return int(reply["pid"]) if reply.get("ok") else None


def start_pmfd(layout: ClusterLayout, node: str, *, timeout: float = 20.0) -> int:
    """Start the node's pmfd in its own session; return its pid once its socket answers.

    Idempotent: a pmfd already answering for the node is left alone. The caller is the
    daemon's parent (the node agent, as a subreaper, reaps it); pmfd's stderr and that
    of the commands it runs go to `layout.pmfd_logfile(node)`.
    """
    running = answering_pid(layout, node)
    if running is not None:
        return running
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    return daemons.remember(daemons.start(
        [sys.executable, "-m", "clustersim.pmfd", "--cluster", str(layout.base),
         "--node", node],
        layout.pmfd_logfile(node), f"pmfd for node {node}",
        lambda pid: answering_pid(layout, node) == pid, timeout=timeout))


def stop_pmfd(layout: ClusterLayout, node: str, *, timeout: float = 20.0) -> None:
    """Stop the node's pmfd cleanly: every tree it monitors is killed, then it exits.

    Idempotent. If pmfd does not answer or exit in time, its whole hierarchy is killed.
    """
    pid = daemons.read_pid(layout.pmfd_pidfile(node))
    if pid is None or not procs.is_alive(pid):
        if pid is not None:
            daemons.reap(pid)
            daemons.remove_own(layout.pmfd_socket(node), layout.pmfd_pidfile(node), pid)
        return
    with contextlib.suppress(PmfdUnavailable, OSError, ValueError):
        request(layout, node, {"op": "shutdown"}, timeout=timeout)
    if not procs.wait_gone([pid], timeout):
        procs.kill_tree(pid)
        procs.wait_gone([pid], 5.0)
        daemons.remove_own(layout.pmfd_socket(node), layout.pmfd_pidfile(node), pid)
    daemons.reap(pid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clustersim.pmfd", description=__doc__)
    parser.add_argument("--cluster", required=True, help="cluster directory")
    parser.add_argument("--node", required=True, help="node name")
    args = parser.parse_args(argv)

    async def run() -> int:
        return await Pmfd(ClusterLayout.at(args.cluster), args.node).serve()

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
