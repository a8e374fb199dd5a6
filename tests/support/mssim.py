"""Helpers for the mssim tests: a stand-in node root, an installation on a private address.

Everything lives under a fresh /tmp directory (mode 0755, so daemons running as the test
runtime user can reach it) and every test stops what it started: `stop-msg ha`, then any
process whose command line starts with the test's B is killed.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psutil

PY = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "python"
MSSIM = [str(PY), "-m", "mssim.cli"]
UID, GID = 4242, 4243
PORTS = {"smtp": 2525, "submit": 2587, "imap": 2143, "pop": 2110, "http": 2080,
         "ens": 7997, "watcher": 49994, "jc": 27442}


def free_loopback() -> str:
    """A 127.x.y.z address nobody listens on, so parallel tests never collide."""
    for _ in range(100):
        addr = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(2, 254)}"
        with socket.socket() as s:
            try:
                s.bind((addr, PORTS["smtp"]))
                return addr
            except OSError:
                continue
    raise RuntimeError("no free loopback address")


def make_node(root: Path, name: str, hosts: dict[str, str], with_user: bool = True) -> Path:
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc" / "nodename").write_text(name + "\n")
    users = "root:x:0:0:root:/root:/bin/sh\n"
    groups = "root::0:\n"
    if with_user:
        users += f"mailsrv:x:{UID}:{GID}:Messaging Server:/:/bin/false\n"
        groups += f"mail::{GID}:mailsrv\n"
    (root / "etc" / "passwd").write_text(users)
    (root / "etc" / "group").write_text(groups)
    (root / "etc" / "hosts").write_text(
        "127.0.0.1 localhost\n" + "".join(f"{ip} {h} {h.split('.')[0]}\n"
                                         for h, ip in hosts.items()))
    return root


@dataclass
class Ms:
    """One installation under test."""

    top: Path
    base: Path
    config: Path
    ip: str
    host: str

    def sbin(self, cmd: str, *args: str, input: str | None = None, timeout: float = 60,
             check: bool = False) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(check=False, args=[str(self.base / "sbin" / cmd), *args], input=input,
                             capture_output=True, text=True, timeout=timeout,
                             env=clean_env())
        if check and res.returncode != 0:
            raise AssertionError(f"{cmd} {args}: {res.returncode}\n{res.stdout}\n{res.stderr}")
        return res

    def mssim(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(check=False, args=[*MSSIM, *args], capture_output=True, text=True,
                             timeout=60, env=clean_env())
        if check and res.returncode != 0:
            raise AssertionError(f"mssim {args}: {res.stdout}\n{res.stderr}")
        return res

    def configutil(self, name: str, value: str) -> None:
        self.sbin("configutil", "-o", name, "-v", value, check=True)

    def processes(self) -> dict[str, list[psutil.Process]]:
        out: dict[str, list[psutil.Process]] = {}
        for p, cmd in our_processes_with_commands(self.base):
            out.setdefault(os.path.basename(cmd[0]), []).append(p)
        return out

    def pids(self) -> dict[str, int]:
        return {k: v[0].pid for k, v in self.processes().items()}

    def log(self, name: str = "watcher") -> str:
        try:
            return (self.config / "log" / f"{name}.log").read_text()
        except FileNotFoundError:
            return ""


def watcher_status(ms: Ms) -> dict[str, str]:
    """The watcher's STATUS reply: service (and "watcher") → state (watcher: ha | normal)."""
    with socket.create_connection((ms.ip, PORTS["watcher"]), timeout=10) as sock:
        sock.sendall(b"STATUS\n")
        lines = sock.makefile("r").read().splitlines()
    return {words[0]: words[1] for words in map(str.split, lines) if len(words) == 3}


def clean_env() -> dict[str, str]:
    return dict(os.environ)


def our_processes_with_commands(base: Path) -> list[tuple[psutil.Process, list[str]]]:
    """The live processes started from below `base`, each with its command line as read
    once (a process may exit between the listing and a second read of it)."""
    found = []
    for p in psutil.process_iter():
        try:
            cmd = p.cmdline()
            if cmd and cmd[0].startswith(str(base) + "/") and \
                    p.status() != psutil.STATUS_ZOMBIE:
                found.append((p, cmd))
        except psutil.Error:
            continue
    return found


def our_processes(base: Path) -> list[psutil.Process]:
    return [p for p, _ in our_processes_with_commands(base)]


def kill_leftovers(base: Path) -> list[str]:
    left = our_processes(base)
    names = []
    for p in left:
        try:
            names.append(" ".join(p.cmdline()))
            p.send_signal(signal.SIGKILL)
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=5)
    return names


def install(top: Path, node: str, ip: str, host: str = "mail.example.com",
            config: Path | None = None) -> Ms:
    root = make_node(top / node, node, {host: ip})
    base = root / "opt" / "SUNWmsgsr"
    config = config or root / "var" / "opt" / "SUNWmsgsr"
    args = ["install", "--base", str(base), "--config", str(config), "--host", host,
            "--ip", ip, "--user", "mailsrv", "--group", "mail"]
    for name, port in PORTS.items():
        args += [f"--{name}-port", str(port)]
    res = subprocess.run(check=False, args=[*MSSIM, *args], capture_output=True, text=True,
                         timeout=60, env=clean_env())
    assert res.returncode == 0, res.stderr
    return Ms(top, base, config, ip, host)


