"""The nemesis: one scheduled fault injected into the engine, held, healed, every node
brought back, and what the campaign saw of it: when the agent or the engine first said a
word about it (the nodes' syslog), when every service answered again (the client's probe),
how many restarts and failovers the engine's own record shows, and whether a human had to
step in.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chaos import machine
from chaos.engine import Engine
from chaos.history import Fault, History
from chaos.load import Clock
from chaos.schedule import FaultSpec

RECOVERY_TIMEOUT = 150.0
"""Seconds the service has, after a fault is healed, to be back by itself; past that the
campaign records that a human was needed and does what the administrator would."""
POLL = 0.2
FILL_NAME = ".chaos-disk-full"


class LogWatch:
    """New lines of every node's syslog file since the watch began, as they appear."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files
        self.offsets = {n: (p.stat().st_size if p.exists() else 0) for n, p in files.items()}

    def poll(self) -> list[tuple[str, str]]:
        found = []
        for node, path in self.files.items():
            try:
                with path.open("rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    if size < self.offsets[node]:
                        self.offsets[node] = 0  # rotated or recreated
                    f.seek(self.offsets[node])
                    data = f.read()
            except OSError:
                continue
            cut = data.rfind(b"\n") + 1
            self.offsets[node] += cut
            found += [(node, line) for line in data[:cut].decode(errors="replace").splitlines()]
        return found


class Nemesis:
    def __init__(self, engine: Engine, history: History, clock: Clock,
                 say: Callable[[str], None]) -> None:
        self.engine = engine
        self.history = history
        self.clock = clock
        self.say = say

    # --- waiting ---------------------------------------------------------------------------

    def services_up(self) -> bool:
        probes = self.history.probes
        return bool(probes) and probes[-1][1]

    def wait(self, predicate: Callable[[], bool], timeout: float,
             during: Callable[[], None] = lambda: None) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            during()
            try:
                if predicate():
                    return True
            except (OSError, RuntimeError, subprocess.SubprocessError, TimeoutError):
                pass  # an engine that cannot answer now is not steady
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL)

    def steady(self) -> bool:
        return self.services_up() and self.engine.healthy()

    def other(self, node: str | None) -> str | None:
        live = [n for n in self.engine.nodes if n != node and self.engine.powered(n)]
        return live[0] if live else None

    # --- one fault ---------------------------------------------------------------------------

    def run(self, spec: FaultSpec) -> Fault:
        engine = self.engine
        if not self.wait(self.steady, RECOVERY_TIMEOUT):
            self.say("the service is not steady before the fault; injecting anyway")
        holder = engine.holder()
        if holder is not None and spec.cls in ("kill-watcher", "double"):
            engine.ready_to_kill_watcher(holder)
        watch = LogWatch(engine.log_files())
        fault = Fault(spec.cls, holder, spec.daemon or "", 0.0, holder_before=holder)
        detection: list[tuple[float, str]] = []

        def look() -> None:
            if detection:
                return
            for node, line in watch.poll():
                if engine.is_report(line):
                    detection.append((self.clock.now(), f"{node}: {line[:300]}"))
                    return

        wall = time.time()
        fault.injected_at = self.clock.now()
        try:
            heal = self.inject(spec, fault, holder, look, detection)
        except (OSError, subprocess.SubprocessError, AssertionError, TimeoutError) as exc:
            fault.detail = f"could not be injected: {exc}"[:300]
            self.say(f"  {spec.cls}: {fault.detail}")
            heal = self.nothing
        self.hold(spec.hold_s, look)
        fault.healed_at = self.clock.now()
        healer = threading.Thread(target=self.quietly, args=(heal,), daemon=True)
        healer.start()
        while healer.is_alive():  # a heal may wait (a move under way): keep reading logs
            look()
            healer.join(POLL)
        # every node brought back, as an operator would once the fault is over
        booted = [n for n in engine.nodes if not engine.powered(n)]
        for node in booted:
            engine.boot(node)
        if booted:
            fault.detail += f"{'; ' if fault.detail else ''}booted {', '.join(booted)} again"

        def back() -> bool:
            return self.steady() and self.history.probes[-1][0] > fault.healed_at

        recovered = self.wait(back, RECOVERY_TIMEOUT, look)
        if not recovered:
            states = engine.bad_states()
            fault.needed_human = (f"not back {RECOVERY_TIMEOUT:.0f} s after the heal"
                                  + (f" ({', '.join(states)})" if states else ""))
            self.say(f"  {spec.cls}: {fault.needed_human}; doing what an administrator "
                     "would")
            done = engine.repair()
            fault.needed_human += f"; repaired with: {done}"
            recovered = self.wait(back, RECOVERY_TIMEOUT, look)
        for node in engine.nodes:  # a node the administrator's repair left down
            if not engine.powered(node):
                engine.boot(node)
        self.wait(self.steady, RECOVERY_TIMEOUT, look)
        self.hold(spec.settle_s, look)
        # a node that rejoins may move or restart the group once more: the window closes
        # only on a steady service
        settled = self.clock.now()
        self.wait(lambda: self.steady() and self.history.probes[-1][0] > settled,
                  RECOVERY_TIMEOUT, look)
        look()
        fault.ended_at = self.clock.now()
        fault.recovered_s = self.recovery(fault.injected_at, fault.ended_at) if recovered \
            else None
        if detection:
            fault.detected_s = round(detection[0][0] - fault.injected_at, 3)
            fault.detected_by = detection[0][1]
        starts = engine.starts_since(wall)
        fault.restarts = sum(1 for s in starts if s.node == holder)
        moves = sum(1 for s in starts if s.node != holder)
        asked = 1 if spec.cls in ("switchover", "hang-stop-msg") else 0
        fault.failovers = max(0, moves - asked)
        fault.end_state = engine.bad_states()
        fault.holder_after = engine.holder()
        self.history.fault(fault)
        return fault

    def quietly(self, heal: Callable[[], None]) -> None:
        try:
            heal()
        except (OSError, subprocess.SubprocessError, AssertionError, TimeoutError) as exc:
            self.say(f"  the heal failed: {exc}")

    @staticmethod
    def nothing() -> None:
        """The heal of a fault that heals itself (or was never injected)."""

    def hold(self, seconds: float, look: Callable[[], None]) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            look()
            time.sleep(POLL)

    def recovery(self, injected_at: float, ended_at: float) -> float | None:
        """Seconds from injection to the end of the last outage the probe saw in the fault's
        window (the first all-up probe after injection if there was none)."""
        probes = [(t, up) for t, up in list(self.history.probes)
                  if injected_at <= t <= ended_at]
        last_down = max((t for t, up in probes if not up), default=None)
        for t, up in probes:
            if up and (last_down is None or t > last_down):
                return round(t - injected_at, 3)
        return None

    # --- injecting and healing -------------------------------------------------------------

    def inject(self, spec: FaultSpec, fault: Fault, holder: str | None,
               look: Callable[[], None], detection: list[Any]) -> Callable[[], None]:
        """Inject the fault; the function that heals it."""
        engine = self.engine
        if holder is None:
            fault.detail = "nothing to hit: the group is online nowhere"
            return lambda: None
        cls = spec.cls
        other = self.other(holder)
        if cls == "kill-daemon":
            assert spec.daemon is not None
            engine.kill_daemon(holder, spec.daemon)
            return lambda: None
        if cls == "kill-watcher":
            engine.kill_watcher(holder)
            return lambda: None
        if cls == "hang-daemon":
            assert spec.daemon is not None
            stopped = machine.freeze(engine.daemon_pids(holder, spec.daemon))
            fault.detail = f"{spec.daemon} (SIGSTOP of {len(stopped)} process(es))"
            return lambda: machine.thaw(stopped)
        if cls == "freeze":
            count, thaw = engine.freeze(holder)
            fault.detail = f"SIGSTOP of {count} process(es) of {holder}"
            return thaw
        if cls == "power-off":
            engine.power_off(holder)
            return lambda: None
        if cls == "net-cut":
            engine.cut(holder)
            return lambda: engine.mend(holder)
        if cls == "partition":
            return self.partition(holder, fault)
        if cls == "switchover":
            if other is None:
                fault.detail = "no other node to switch to"
                return lambda: None
            fault.detail = f"to {other}"
            moving = threading.Thread(target=engine.switchover, args=(other,), daemon=True)
            moving.start()
            return lambda: moving.join(RECOVERY_TIMEOUT)
        if cls == "hang-stop-msg":
            if other is None:
                fault.detail = "no other node to switch to"
                return lambda: None
            engine.stop_msg(holder, "hang")
            fault.detail = f"stop-msg hangs on {holder}, switchover to {other}"
            moving = threading.Thread(target=engine.switchover, args=(other,), daemon=True)
            moving.start()

            def heal_stop() -> None:
                moving.join(RECOVERY_TIMEOUT * 2)
                engine.stop_msg(holder, "clear")
            return heal_stop
        if cls == "double":
            engine.kill_watcher(holder)
            deadline = time.monotonic() + 30
            while not detection and time.monotonic() < deadline:
                look()
                time.sleep(POLL)
            fault.detail = "watcher killed, then the node powered off while it recovers"
            engine.power_off(holder)
            return lambda: None
        if cls == "disk-full":
            return self.fill_disk(holder, fault)
        if cls == "load":
            argv = ["stress-ng", "--cpu", "2", "--io", "2", "--timeout",
                    f"{max(1, int(spec.hold_s))}s", "--quiet"]
            proc = engine.popen_on(holder, argv)
            fault.detail = "stress-ng --cpu 2 --io 2"

            def heal_load() -> None:
                if proc is not None:
                    try:
                        proc.wait(30)
                    except Exception:
                        proc.kill()
                        proc.wait(30)
            return heal_load
        raise ValueError(f"unknown fault class {cls}")

    def partition(self, holder: str, fault: Fault) -> Callable[[], None]:
        """Two nodes: the interconnect cut between them, each still reaching the quorum
        device (it decides who stays). Three: the non-holding node cut off alone (a 1|2
        split: the majority keeps the group and fences the other)."""
        engine = self.engine
        if len(engine.nodes) == 2:
            pair = [n for n in engine.nodes if engine.powered(n)]
            engine.split(pair, True)
            fault.detail = f"interconnect cut between {' and '.join(pair)}"
            return lambda: engine.split(pair, False)
        cut = [n for n in engine.nodes if n != holder and engine.powered(n)][:1]
        for node in cut:
            engine.cut(node)
        fault.detail = f"{', '.join(cut)} cut off from the others"

        def heal() -> None:
            for node in cut:
                engine.mend(node)
        return heal

    def fill_disk(self, holder: str, fault: Fault) -> Callable[[], None]:
        """The shared file system filled to the last block (one preallocated file)."""
        engine = self.engine
        top = engine.node_path(holder, engine.config_dir())
        path = top / FILL_NAME
        st = os.statvfs(top)
        size = st.f_bavail * st.f_frsize
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with contextlib.suppress(OSError):
                os.posix_fallocate(fd, 0, size)
        finally:
            os.close(fd)
        fault.detail = f"{size // 1024} KiB preallocated in {engine.config_dir()}"

        def heal() -> None:
            for node in engine.nodes:
                if engine.powered(node):
                    with contextlib.suppress(OSError):
                        engine.node_path(node, engine.config_dir()).joinpath(
                            FILL_NAME).unlink()
        return heal


__all__ = ["LogWatch", "Nemesis"]
