"""Benchmark of the Messaging Server stand-in: `start-msg ha` and `stop-msg ha`.

start: from running `start-msg ha` until every enabled service answers (SMTP, IMAP and POP
greet; HTTP answers GET /; ENS, job controller and watcher accept a connection).
stop: from running `stop-msg ha` until no process of the installation is left.
Target on the development machine: under 2 s each. Prints median and spread of several runs,
then where start goes: the moment each console line of start-msg appears (median), which
shows the interpreter start, the watcher's start, the store's readiness and the rest.

    .venv/bin/python bench/bench_mssim.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

PORTS = {"smtp": 2525, "submit": 2587, "imap": 2143, "pop": 2110, "http": 2080, "ens": 7997,
         "watcher": 49994, "jc": 27442}
GREETS = {"smtp": b"220 ", "submit": b"220 ", "imap": b"* OK ", "pop": b"+OK "}


def answers(ip: str, name: str, port: int) -> bool:
    try:
        if name == "http":
            with urllib.request.urlopen(f"http://{ip}:{port}/", timeout=2) as resp:
                return resp.status == 200
        with socket.create_connection((ip, port), timeout=2) as s:
            if name in GREETS:
                s.settimeout(2)
                return s.makefile("rb").readline().startswith(GREETS[name])
            return True
    except OSError:
        return False


def ours(base: Path) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter():
        try:
            cmd = p.cmdline()
            if cmd and cmd[0].startswith(f"{base}/") and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except psutil.Error:
            pass
    return found


def setup(top: Path) -> tuple[Path, str]:
    ip = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(2, 254)}"
    root = top / "mars"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "nodename").write_text("mars\n")
    (root / "etc" / "passwd").write_text("mailsrv:x:4242:4243::/:/bin/false\n")
    (root / "etc" / "group").write_text("mail::4243:mailsrv\n")
    (root / "etc" / "hosts").write_text(f"{ip} mail.example.com mail\n")
    base = root / "opt" / "SUNWmsgsr"
    args = [sys.executable, "-m", "mssim.cli", "install", "--base", str(base), "--config",
            str(root / "var" / "opt" / "SUNWmsgsr"), "--host", "mail.example.com", "--ip", ip]
    for name, port in PORTS.items():
        args += [f"--{name}-port", str(port)]
    subprocess.run(args, check=True, capture_output=True)
    return base, ip


PHASES = (("Connecting to watcher", "start-msg running"),
          ("Launching watcher", "watcher forked"),
          ("Starting ens server", "first server forked"),
          ("checking store server status", "store ready"),
          ("Starting job_controller server", "last server forked"))


def start_msg_ha(base: Path, t0: float) -> dict[str, float]:
    """Run start-msg ha; the moment (s after t0) each phase's console line appeared."""
    seen: dict[str, float] = {}
    with subprocess.Popen([str(base / "sbin" / "start-msg"), "ha"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            for prefix, label in PHASES:
                if line.startswith(prefix):
                    seen[label] = time.monotonic() - t0
        if proc.wait(timeout=60) != 0:
            raise RuntimeError("start-msg ha failed")
    seen["start-msg exited"] = time.monotonic() - t0
    return seen


def one_run(base: Path, ip: str, phases: dict[str, list[float]]) -> tuple[float, float]:
    t0 = time.monotonic()
    for label, at in start_msg_ha(base, t0).items():
        phases.setdefault(label, []).append(at)
    pending = dict(PORTS)
    while pending and time.monotonic() - t0 < 60:
        pending = {n: p for n, p in pending.items() if not answers(ip, n, p)}
    start = time.monotonic() - t0
    if pending:
        raise RuntimeError(f"not answering: {sorted(pending)}")
    t0 = time.monotonic()
    subprocess.run([str(base / "sbin" / "stop-msg"), "ha"], check=True, capture_output=True,
                   timeout=60)
    while ours(base) and time.monotonic() - t0 < 60:
        time.sleep(0.01)
    return start, time.monotonic() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ns = ap.parse_args()
    top = Path(tempfile.mkdtemp(prefix="mssim-bench-"))
    os.chmod(top, 0o755)  # noqa: S103 - the runtime user must reach the installation
    base, ip = setup(top)
    starts, stops = [], []
    phases: dict[str, list[float]] = {}
    try:
        for _ in range(ns.runs):
            start, stop = one_run(base, ip, phases)
            starts.append(start)
            stops.append(stop)
    finally:
        subprocess.run([str(base / "sbin" / "stop-msg"), "ha"], check=False,
                       capture_output=True, timeout=60)
        for p in ours(base):
            p.send_signal(signal.SIGKILL)
        shutil.rmtree(top, ignore_errors=True)
    print(f"mssim start/stop, {ns.runs} runs, {os.cpu_count()} CPUs (target < 2.0 s each)")
    print(f"{'operation':<32} {'median s':>9} {'min s':>7} {'max s':>7} {'stdev s':>8}")
    for label, values in (("start-msg ha -> all answering", starts),
                          ("stop-msg ha -> no process left", stops)):
        dev = statistics.stdev(values) if len(values) > 1 else 0.0
        print(f"{label:<32} {statistics.median(values):>9.2f} {min(values):>7.2f} "
              f"{max(values):>7.2f} {dev:>8.2f}")
    print(f"\nwhere start goes (s after running start-msg ha, median; load "
          f"{os.getloadavg()[0]:.1f})")
    for label in [lbl for _, lbl in PHASES] + ["start-msg exited"]:
        if label in phases:
            print(f"  {label:<30} {statistics.median(phases[label]):>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
