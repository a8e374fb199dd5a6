"""sbin/imsimta: the MTA utility (start, stop, restart, process, version, cnbuild, refresh)."""

from __future__ import annotations

import sys
import time

import psutil

from mssim import procs, product
from mssim.commands import start_msg, stop_msg
from mssim.commands.common import installation

USAGE = "Usage: imsimta start|stop|restart|refresh [component] | process | version | cnbuild\n"
COMPONENTS = {
    "": ["dispatcher", "job_controller"],
    "dispatcher": ["dispatcher"],
    "smtp": ["dispatcher"],
    "smtp_submit": ["dispatcher"],
    "lmtp": ["dispatcher"],
    "job_controller": ["job_controller"],
}


def process(argv0: str) -> int:
    inst = installation()
    print(f"{'USER':<9} {'PID':>5} S {'VSZ':>6} {'RSS':>6} {'STIME':<9} {'TIME':>5}  COMMAND")
    for proc in procs.find_processes(inst, ["job_controller", "dispatcher", "tcp_smtp_server"]):
        try:
            with proc.oneshot():
                mem = proc.memory_info()
                user = proc.username()
                started = time.strftime("%H:%M:%S", time.localtime(proc.create_time()))
                cpu = proc.cpu_times()
                secs = int(cpu.user + cpu.system)
                cmd = proc.cmdline()[0]
                state = proc.status()[:1].upper()
        except psutil.Error:
            continue
        print(f"{user:<9} {proc.pid:>5} {state} {mem.vms // 1024:>6} {mem.rss // 1024:>6} "
              f"{started:<9} {secs // 60:>2}:{secs % 60:02d}  {cmd}")
    return 0


def cnbuild() -> int:
    inst = installation()
    try:
        text = (inst.config / "imta.cnf").read_text(encoding="utf-8")
    except OSError as exc:
        print(f"imsimta cnbuild: {exc}", file=sys.stderr)
        return 1
    lines = [ln for ln in text.splitlines() if not ln.startswith("!")]
    if "" not in lines:
        print("imsimta cnbuild: imta.cnf has no blank line between the rewrite rules and the "
              "channel definitions", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    args = argv[1:]
    if not args or args[0] in ("-h", "help"):
        print(USAGE, end="", file=sys.stderr if not args else sys.stdout)
        return 1 if not args else 0
    verb, comp = args[0], (args[1] if len(args) > 1 else "")
    if verb == "version":
        print(f"{product.FULL_VERSION}")
        print(f"libimta.so {product.VERSION} ({product.BUILT})")
        return 0
    if verb == "process":
        return process(argv[0])
    if verb == "cnbuild":
        return cnbuild()
    if verb in ("start", "stop", "restart", "refresh") and comp in COMPONENTS:
        names = COMPONENTS[comp]
        code = 0
        if verb in ("stop", "restart", "refresh"):
            code = stop_msg.stop_services(installation(), names, force=False)
        if verb in ("start", "restart", "refresh"):
            if verb == "refresh" and cnbuild() != 0:
                return 1
            code = start_msg.main([argv[0], *names]) or code
        return code
    print(USAGE, end="", file=sys.stderr)
    return 1
