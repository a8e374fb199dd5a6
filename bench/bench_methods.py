"""Wall and CPU time of each SUNW.ims method, beside `python3 -c pass` measured in the same run.

Builds a two-node stand-in cluster with Messaging Server online (the guide's generic
procedure) and runs each method executable as the RGM would: argv `-R mail-rs -T SUNW.ims
-G MAIL-RG` (Validate adds `-u`), cwd /, the RGM's environment (PATH of the
node's cluster commands). Each round runs, interleaved so that noise hits all alike:

    python3 -c pass (same interpreter, same environment)
    ims_svc_validate -u, ims_svc_update, ims_monitor_check (on the standby node)
    ims_monitor_stop, ims_svc_stop, ims_svc_start, ims_monitor_start (on the online node,
    in the order that keeps the resource consistent)

CPU is the method's own process tree as far as it waits for it (os.wait4 of the method:
its user+system time plus that of every descendant it reaped, such as scha_* and pmfadm).
Messaging Server's daemons run under PMF, not under the method, so Start's CPU is the agent's.
The ratio is the median wall time over the median of `python3 -c pass`.

    .venv/bin/python bench/bench_methods.py [ROUNDS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import standin

ROUNDS = 7


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, CPU s of the process and the children it reaped, exit code)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd="/", stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    failures: dict[str, int] = {}
    with standin.mail_cluster() as c:
        site = c.site
        online = c.healthy()
        standby = c.other(online)
        ident = c.method_identity(online)
        shebang = site.on(online, str(c.method_path(online, "ims_svc_start"))).read_text() \
            .splitlines()[0]
        interpreter = shebang[2:].strip().split()[0]

        def run(label: str, node: str, argv: list[str]) -> None:
            w, u, code = timed(c.on_node(node, argv), c.method_env(node))
            wall.setdefault(label, []).append(w)
            cpu.setdefault(label, []).append(u)
            if code != 0:
                failures[label] = failures.get(label, 0) + 1

        def method(name: str, node: str, *extra: str) -> None:
            run(name, node, [str(c.method_path(node, name)), *extra[:1], *ident, *extra[1:]]
                if extra else [str(c.method_path(node, name)), *ident])

        floor = "python3 -c pass"
        for _ in range(rounds):
            run(floor, online, [interpreter, "-c", "pass"])
            method("ims_svc_validate", online, "-u")
            method("ims_svc_update", online)
            method("ims_monitor_check", standby)
            method("ims_monitor_stop", online)
            method("ims_svc_stop", online)
            method("ims_svc_start", online)
            method("ims_monitor_start", online)
        c.healthy()

    base = statistics.median(wall[floor])
    head = ["method", "runs", "wall ms median", "min", "max", "CPU ms median", "min", "max",
            "wall / python3 -c pass"]
    rows = []
    for label, walls in wall.items():
        w = [x * 1000 for x in walls]
        u = [x * 1000 for x in cpu[label]]
        name = label + (f" ({failures[label]} failed)" if label in failures else "")
        rows.append([name, str(len(w)), f"{statistics.median(w):.0f}", f"{min(w):.0f}",
                     f"{max(w):.0f}", f"{statistics.median(u):.0f}", f"{min(u):.0f}",
                     f"{max(u):.0f}", f"{statistics.median(walls) / base:.1f}"])
    print(f"SUNW.ims methods run as the RGM runs them ({rounds} interleaved rounds; "
          f"interpreter {interpreter})")
    print()
    print(standin.table(rows, head))
    print()
    print("ims_svc_start includes waiting until every service answers; ims_svc_stop until "
          "no Messaging Server process is left.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
