"""sbin/imsimta: the MTA utility (start, stop, restart, process, version, cnbuild, refresh)."""

from __future__ import annotations

import sys
import time

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
    import psutil  # noqa: PLC0415 - only `imsimta process` needs it

    inst = installation()
    print(f"{'USER':<9} {'PID':>5} S {'VSZ':>6} {'RSS':>6} {'STIME':<9} {'TIME':>5}  COMMAND")
    for pid in procs.find_pids(inst, ["job_controller", "dispatcher", "tcp_smtp_server"]):
        try:
            proc = psutil.Process(pid)
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


def check_imta_cnf(text: str) -> list[str]:
    """What keeps imta.cnf from compiling (6.3 Administration Reference, imta.cnf): rewrite
    rules, one blank line, then channel blocks separated by blank lines, each a channel line
    and its official host name (channel tag) line, `defaults` alone; `!` in column 1 starts a
    comment, which is no blank line. An empty list: it compiles."""
    errors: list[str] = []
    lines = [(n, ln.rstrip()) for n, ln in enumerate(text.splitlines(), 1)
             if not ln.startswith("!")]
    blank = next((i for i, (_, ln) in enumerate(lines) if not ln.strip()), None)
    if blank is None:
        return ["no blank line between the rewrite rules and the channel definitions"]
    for n, line in lines[:blank]:
        if not line.startswith("<") and len(line.split()) < 2:
            errors.append(f"line {n}: rewrite rule without a template: {line.strip()!r}")
    blocks: list[list[tuple[int, str]]] = [[]]
    for n, line in lines[blank + 1:]:
        if line.strip():
            blocks[-1].append((n, line))
        elif blocks[-1]:
            blocks.append([])
    seen: dict[str, int] = {}
    for block in (b for b in blocks if b):
        n, first = block[0]
        if first.startswith("<"):
            continue
        name = first.split()[0]
        if name in seen:
            errors.append(f"line {n}: channel {name} defined twice (first at line {seen[name]})")
        seen.setdefault(name, n)
        if name != "defaults" and len(block) < 2:
            errors.append(f"line {n}: channel {name} has no official host name (channel tag) "
                          "line")
    if "l" not in seen:
        errors.append("no local channel (l) in the channel definitions")
    return errors


def cnbuild() -> int:
    inst = installation()
    path = inst.config / "imta.cnf"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"imsimta cnbuild: cannot read {path}: {exc}", file=sys.stderr)
        return 1
    errors = check_imta_cnf(text)
    for err in errors:
        print(f"imsimta cnbuild: {path}: {err}", file=sys.stderr)
    if errors:
        print("imsimta cnbuild: no compiled configuration built; correct imta.cnf and run "
              "imsimta cnbuild again", file=sys.stderr)
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
