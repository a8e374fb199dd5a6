"""One PMF run: a subreaper that starts one command and accounts for its whole tree.

Why a process of its own: Solaris puts each PMF tag in a *contract*, so a daemon that
double-forks still belongs to its tag. Here each run of a tag gets this supervisor: it is
a Linux child subreaper, so every orphan of the tree is re-parented to it and never to
init. Its descendants *are* the tag's processes, and "the last process of the tree
exited" is exactly "waitpid(-1) reports ECHILD" (no polling needed).

pmfd starts it as `python -S -m clustersim.pmf_contract <pmfd pid>`, writes one JSON spec
line on its stdin, then talks JSON lines over the pipes:

spec (first stdin line):  {"argv": [...], "cwd": str, "env": {...}, "level": int}
commands (stdin):         {"id": n, "op": "pids"}           -> {"id": n, "pids": [...]}
                          {"id": n, "op": "signal", "sig": s} -> {"id": n, "pids": [...]}
                          {"op": "kill"}  kill the whole tree (all levels), then exit
events (stdout):          {"event": "started", "pid": p} | {"event": "start_failed", "error": e}
                          {"event": "exited", "status": n}  (the level-0 process; 128+sig if killed)
                          {"event": "monitored_gone"}       (no monitored process is left)
                          {"event": "tree_empty"}           (nothing left at all; then it exits)

Child monitor level (`pmfadm -C level`): the command is level 0, its children level 1,
and so on. Linux keeps no record of a process's original parent once it is orphaned, so
levels are recorded by scanning the tree every SCAN_INTERVAL (and at every reap): a new
process gets its parent's level + 1. A process first seen when it was already adopted by
this supervisor (born and orphaned between two scans) is given level 1. Monitored
processes are those of level <= `level`; without -C (level -1) every process is. When the
monitored ones are gone the run is over for pmfd (restart or not); deeper processes may
live on and stay contained here until they exit or pmfd kills them.

If pmfd dies (even by SIGKILL) the kernel sends this process SIGTERM (parent-death
signal) and stdin reaches EOF: either way the whole tree is killed, so nothing survives
its pmfd.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys

from clustersim import jsonline, procs

TYPE_CHECKING = False  # pmfadm -c waits for this process to start its command: keep it light
if TYPE_CHECKING:
    from typing import Any

SCAN_INTERVAL = 0.05


class Contract:
    """State of the one run this process supervises."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.argv: list[str] = list(spec["argv"])
        self.cwd: str = spec.get("cwd") or "/"
        self.env: dict[str, str] = dict(spec.get("env") or {})
        self.level: int = int(spec.get("level", -1))
        self.me = os.getpid()
        self.child: subprocess.Popen[bytes] | None = None
        self.child_pid = 0
        self.child_done = False
        # pid -> (start time, level): the level map, for -C.
        self.levels: dict[int, tuple[int, int]] = {}
        self.monitored_gone_sent = False
        self.killing = False

    # --- output -------------------------------------------------------------------
    @staticmethod
    def emit(message: dict[str, Any]) -> None:
        try:
            os.write(1, (jsonline.dumps(message) + "\n").encode())
        except OSError:  # pmfd is gone (BrokenPipeError): nobody to tell
            pass

    # --- start --------------------------------------------------------------------
    def start(self) -> bool:
        try:
            self.child = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=2,  # pmfd's log, never our event pipe
                stderr=2,
                close_fds=True,
                restore_signals=True,
            )
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.emit({"event": "start_failed", "error": f"{self.argv[0]}: {reason}"})
            return False
        self.child_pid = self.child.pid
        self.levels[self.child_pid] = (procs.start_time(self.child_pid) or 0, 0)
        self.emit({"event": "started", "pid": self.child_pid})
        return True

    # --- accounting ---------------------------------------------------------------
    def scan(self) -> list[int]:
        """Record levels of new processes; return the live monitored pids (parents first)."""
        table = procs.process_table()
        tree = procs.descendants(self.me, table)
        live: set[int] = set()
        for pid in tree:
            ppid, _state, started = table[pid]
            live.add(pid)
            known = self.levels.get(pid)
            if known is not None and known[0] == started:
                continue
            parent = self.levels.get(ppid)
            if ppid != self.me and parent is not None and parent[0] == table[ppid][2]:
                level = parent[1] + 1
            else:
                level = 1  # adopted before we saw it: its real parent is unknown
            self.levels[pid] = (started, level)
        for pid in list(self.levels):
            if pid not in live:
                del self.levels[pid]
        if self.level < 0:
            return tree
        return [p for p in tree if self.levels[p][1] <= self.level]

    def reap(self) -> bool:
        """Reap every exited process; True when the tree is empty (ECHILD)."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return True
            if pid == 0:
                return False
            if pid == self.child_pid and not self.child_done:
                self.child_done = True
                if self.child is not None:
                    self.child.returncode = os.waitstatus_to_exitcode(status)
                code = os.waitstatus_to_exitcode(status)
                self.emit({"event": "exited", "status": code if code >= 0 else 128 - code})

    def check_monitored(self, tree_empty: bool = False) -> None:
        """Report once that no monitored process is left (all of them, without -C)."""
        if self.monitored_gone_sent or not self.child_done:
            return
        if tree_empty or (self.level >= 0 and not self.scan()):
            self.monitored_gone_sent = True
            self.emit({"event": "monitored_gone"})

    # --- commands -----------------------------------------------------------------
    def command(self, request: dict[str, Any]) -> None:
        op = request.get("op")
        if op == "kill":
            self.kill_all()
            return
        pids = self.scan()
        if op == "signal":
            pids = procs.signal_pids(pids, int(request["sig"]))
        self.emit({"id": request.get("id"), "pids": pids})

    def kill_all(self) -> None:
        self.killing = True
        procs.kill_tree(self.me, signal.SIGKILL, include_root=False)


def _serve(contract: Contract, wake_r: int) -> int:
    stdin_open = True
    buffer = b""
    while True:
        if contract.reap():
            contract.child_done = True
            contract.check_monitored(tree_empty=True)
            contract.emit({"event": "tree_empty"})
            return 0
        if contract.level >= 0 and not contract.monitored_gone_sent:
            contract.scan()
        contract.check_monitored()
        watch = [wake_r] + ([0] if stdin_open else [])
        timeout = SCAN_INTERVAL if contract.level >= 0 else None
        ready, _, _ = select.select(watch, [], [], timeout)
        if wake_r in ready:
            os.read(wake_r, 4096)
        if _terminate:
            contract.kill_all()
        if stdin_open and 0 in ready:
            data = os.read(0, 65536)
            if not data:
                stdin_open = False  # pmfd is gone: nothing may outlive it
                contract.kill_all()
                continue
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.strip():
                    contract.command(jsonline.loads(line))


_terminate = False


def _on_term(_signum: int, _frame: object) -> None:
    global _terminate
    _terminate = True


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parent = int(argv[0]) if argv else os.getppid()
    procs.set_child_subreaper()
    procs.set_parent_death_signal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _on_term)
    # A handler, not SIG_IGN: handlers are reset by exec, an ignored signal would be inherited.
    signal.signal(signal.SIGINT, lambda _s, _f: None)
    signal.signal(signal.SIGCHLD, lambda _s, _f: None)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    if os.getppid() != parent:  # pmfd died before we could ask to be told
        return 1
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(0, 1)
        if not chunk:
            return 1
        line += chunk
    contract = Contract(jsonline.loads(line))
    if not contract.start():
        return 127
    return _serve(contract, wake_r)


if __name__ == "__main__":
    sys.exit(main())
