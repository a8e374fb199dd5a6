"""Fault injection: what `mssim fault` records and how a running daemon reacts to it.

A fault is a line in B/install/faults/<daemon>; `mssim fault` writes it and sends SIGUSR1 to
the running daemon, which re-reads the file at once (no polling, so a fault takes effect
before `mssim fault` returns). `crash` is not recorded: it is a SIGKILL, so the watcher sees
exactly what a real crash looks like. Faults live under B, which is node-local: the node a
resource group fails over to is healthy.

`hang` is a real hang, as the kernel shows one: the daemon stops itself (SIGSTOP) once it
serves, so it answers nothing, delivers nothing, restarts nothing, and its listen backlog
fills with connections the kernel completed; a daemon started while the fault is recorded
hangs as soon as it is ready (the fault persists across restarts until cleared). Any
`mssim fault` on a daemon first resumes it (SIGCONT) so that it can read its faults again.
`stall` is the other kind of hang, a server that runs but never answers (a deadlock): it
accepts connections and says nothing, while its process sleeps like an idle one.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from mssim import procs, product
from mssim.install import Installation

DAEMON_FAULTS = ("crash", "hang", "stall", "slow", "refuse", "exit-on-start", "stop-hang")
COMMAND_FAULTS = {"start-msg": ("fail", "hang"), "stop-msg": ("fail", "hang")}


class FaultError(Exception):
    pass


def fault_file(inst: Installation, target: str) -> Path:
    return inst.faults / target


def read_faults(inst: Installation, target: str) -> list[str]:
    try:
        text = fault_file(inst, target).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return []
    except PermissionError:
        # A daemon running as the runtime user may not reach the server root's install/
        # directory; no fault can have been set there for it then, and a daemon must never
        # die of its own test hook.
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def _kind(fault: str) -> str:
    return fault.split(":", 1)[0]


def validate(target: str, fault: str) -> None:
    if target in COMMAND_FAULTS:
        if fault not in COMMAND_FAULTS[target] and fault != "clear":
            choices = "|".join(COMMAND_FAULTS[target])
            raise FaultError(f"{target}: unknown fault {fault!r} (use {choices})")
        return
    if target not in product.LIB_PROGRAMS:
        raise FaultError(f"unknown daemon {target!r}")
    if fault == "clear":
        return
    if _kind(fault) not in DAEMON_FAULTS:
        raise FaultError(f"unknown fault {fault!r}")
    if _kind(fault) == "slow":
        try:
            if float(fault.split(":", 1)[1]) < 0:
                raise ValueError
        except (IndexError, ValueError):
            raise FaultError("slow needs a delay: slow:<seconds>") from None


def inject(inst: Installation, target: str, fault: str) -> str:
    """Apply a fault; returns a one-line description of what was done."""
    validate(target, fault)
    if fault == "clear":
        clear(inst, target)
        return f"{target}: faults cleared"
    if fault == "crash":
        pids = procs.find_pids(inst, [target])
        if not pids:
            raise FaultError(f"{target} is not running")
        for pid in pids:
            procs.signal_pid(pid, signal.SIGKILL)
        procs.wait_gone(pids, 5.0)
        return f"{target}: killed {' '.join(map(str, pids))}"
    inst.faults.mkdir(parents=True, exist_ok=True)
    current = [f for f in read_faults(inst, target) if _kind(f) != _kind(fault)]
    path = fault_file(inst, target)
    path.write_text("".join(f"{f}\n" for f in [*current, fault]), encoding="utf-8")
    os.chmod(path, 0o644)
    pids = _notify(inst, [target])
    where = f" (running: {' '.join(map(str, pids))})" if pids else ""
    return f"{target}: {fault}{where}"


def clear(inst: Installation, target: str | None = None) -> None:
    targets = [target] if target else [p.name for p in _fault_files(inst)]
    for t in targets:
        try:
            fault_file(inst, t).unlink()
        except FileNotFoundError:
            pass
    daemons = [t for t in targets if t in product.LIB_PROGRAMS] if target else None
    _notify(inst, daemons)


def _fault_files(inst: Installation) -> list[Path]:
    try:
        return [p for p in inst.faults.iterdir() if p.is_file()]
    except FileNotFoundError:
        return []


def _ack_file(inst: Installation, pid: int) -> Path:
    return inst.run / f".faults-ack.{pid}"


def acknowledge(inst: Installation, daemon: str) -> None:
    """Written by a daemon once it applies its faults, so `mssim fault` can wait for it."""
    try:
        path = _ack_file(inst, os.getpid())
        path.write_text(";".join(read_faults(inst, daemon)), encoding="utf-8")
    except OSError:
        pass


def forget_acknowledgement(inst: Installation) -> None:
    """A daemon stopping cleanly removes its acknowledgement file (see clean_acknowledgements)."""
    try:
        _ack_file(inst, os.getpid()).unlink()
    except OSError:
        pass


def clean_acknowledgements(inst: Installation) -> None:
    """Remove the acknowledgement files of dead processes (crashed daemons leave theirs)."""
    try:
        names = [p.name for p in inst.run.iterdir() if p.name.startswith(".faults-ack.")]
    except OSError:
        return
    for name in names:
        pid = name.rsplit(".", 1)[-1]
        if pid.isdigit() and not procs.alive(int(pid)):
            try:
                (inst.run / name).unlink()
            except OSError:
                pass


def _notify(inst: Installation, daemons: list[str] | None) -> list[int]:
    """SIGUSR1 the running daemons and wait (bounded) until each has applied its faults."""
    found = [(pid, name) for pid, name in procs.programs(inst).items()
             if daemons is None or name in daemons]
    for pid, _ in found:
        try:
            _ack_file(inst, pid).unlink()
        except OSError:
            pass
        procs.signal_pid(pid, signal.SIGCONT)  # a hung (stopped) daemon reads nothing
        procs.signal_pid(pid, signal.SIGUSR1)
    deadline = time.monotonic() + 5.0
    for pid, name in found:
        want = ";".join(read_faults(inst, name or ""))
        while time.monotonic() < deadline and procs.alive(pid):
            try:
                if _ack_file(inst, pid).read_text(encoding="utf-8") == want:
                    break
            except OSError:
                pass
            time.sleep(0.01)
        try:
            _ack_file(inst, pid).unlink()
        except OSError:
            pass
    return [pid for pid, _ in found]


@dataclass
class FaultState:
    """The faults currently applying to one daemon, as it sees them."""

    hang: bool = False
    stall: bool = False
    slow: float = 0.0
    refuse: bool = False
    stop_hang: bool = False
    exit_on_start: bool = False

    @classmethod
    def load(cls, inst: Installation, daemon: str) -> FaultState:
        state = cls()
        for fault in read_faults(inst, daemon):
            kind = _kind(fault)
            if kind == "hang":
                state.hang = True
            elif kind == "stall":
                state.stall = True
            elif kind == "slow":
                try:
                    state.slow = float(fault.split(":", 1)[1])
                except (IndexError, ValueError):
                    state.slow = 0.0
            elif kind == "refuse":
                state.refuse = True
            elif kind == "stop-hang":
                state.stop_hang = True
            elif kind == "exit-on-start":
                state.exit_on_start = True
        return state


def hang_now() -> None:
    """Stop this process as a hung server is stopped: it runs no code until SIGCONT."""
    os.kill(os.getpid(), signal.SIGSTOP)
