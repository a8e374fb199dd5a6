"""Stop's search for leftover processes on a busy node: 1,000 unrelated processes beside the
instance, in milliseconds.

Builds a Messaging Server installation as root installs it (bench_trust.py: server root
root's, configuration directory the runtime user's), runs its nine processes as the runtime
user, then starts 1,000 unrelated sleeping processes (half root's, half another user's), one
impostor (another user's process whose argv names the instance's imapd) and one holder (the
runtime user's shell-like process sitting in the configuration directory). Then times what
Stop does with the process table (scims.service_control.stop):

    survey      the instance's processes and the impostors, the kernel's word on each claim
                (before stop-msg, and again in kill_all for the victims)
    holders     processes outside the instance with their cwd or a file under the
                configuration directory (reported after the stop)
    Stop        survey twice and holders once, as Stop runs them

and checks that the search still finds exactly the nine, the impostor and the holder. Every
process the benchmark starts is killed at the end, whatever happens. Target: Stop's search
<= 50 ms of CPU (the median; min and max beside it, and the wall time, which on a loaded
machine adds the time spent waiting for a CPU).

    .venv/bin/python bench/bench_leftovers.py [ROUNDS] [UNRELATED]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import standin
from bench_trust import RUNTIME_UID, SERVICES, become_runtime_user, installation

from scims.messaging.processes import MessagingInstance

ROUNDS = 30
UNRELATED = 1000
OTHER_UID = 20002
BOUND_MS = 50.0


def as_other_user() -> None:
    os.setgroups([])
    os.setgid(OTHER_UID)
    os.setuid(OTHER_UID)


def timings(work: Callable[[], object], rounds: int) -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms) of each round: the CPU time (user + system, this process) is the
    search's own cost; the wall time adds whatever else the machine's load makes it wait."""
    walls, cpus = [], []
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus


def main() -> int:
    if os.geteuid() != 0:
        print("bench_leftovers runs as root (Stop does; the processes get owners)",
              file=sys.stderr)
        return 1
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    unrelated = int(sys.argv[2]) if len(sys.argv) > 2 else UNRELATED
    top = Path(tempfile.mkdtemp(prefix="bench-leftovers-", dir="/tmp"))
    os.chmod(top, 0o755)  # noqa: S103 - the runtime user runs programs below it
    os.environ.pop("SC_NODE_ROOT", None)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        base, config = installation(top)
        for name in SERVICES:
            procs.append(subprocess.Popen([str(base / "lib" / name)],
                                          preexec_fn=become_runtime_user))  # noqa: PLW1509
        for i in range(unrelated):
            procs.append(subprocess.Popen(
                ["/usr/bin/sleep", "3600"], stdin=subprocess.DEVNULL,
                preexec_fn=as_other_user if i % 2 else None))  # noqa: PLW1509
        procs.append(subprocess.Popen(  # an impostor: argv says imapd, the kernel says sleep
            ["/bin/bash", "-c", f"exec -a {base}/lib/imapd /usr/bin/sleep 3600"],
            preexec_fn=as_other_user))  # noqa: PLW1509
        procs.append(subprocess.Popen(["/usr/bin/sleep", "3600"], cwd=str(config),
                                      preexec_fn=become_runtime_user))  # noqa: PLW1509
        time.sleep(1.5)
        instance = MessagingInstance(str(base), str(config.parent), RUNTIME_UID)
        found, impostors = instance.survey()
        holders = instance.holders()
        entries = len([e for e in os.listdir("/proc") if e.isdigit()])
        assert len(found) == len(SERVICES), f"found {len(found)} of {len(SERVICES)}"
        assert len(impostors) == 1, f"{len(impostors)} impostors"
        assert len(holders) == 1, f"{len(holders)} holders"

        def stop_search() -> None:
            instance.survey()
            instance.processes()
            instance.holders()

        rows = []
        stop_times: list[float] = []
        for label, work in (("survey (instance + impostors)", instance.survey),
                            ("holders", instance.holders), ("Stop's search", stop_search)):
            walls, cpus = timings(work, rounds)
            bound = BOUND_MS if label == "Stop's search" else None
            if label == "Stop's search":
                stop_times = cpus
            rows.append(standin.row(f"{label}: CPU", [v / 1000 for v in cpus], 1000, bound))
            rows.append(standin.row(f"{label}: wall", [v / 1000 for v in walls], 1000, bound))
        print(f"Stop's search for leftover processes, ms ({rounds} rounds; {entries} "
              f"processes on the node: {len(SERVICES)} of the instance, {unrelated} "
              "unrelated, 1 impostor, 1 holder)")
        print()
        print(standin.table(rows))
        median = statistics.median(stop_times)
        print(f"\nfound {len(found)} instance processes, {len(impostors)} impostor, "
              f"{len(holders)} holder; Stop's search median CPU {median:.1f} ms, target "
              f"<= {BOUND_MS:g} ms: {'met' if median <= BOUND_MS else 'NOT met'} (load "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        return 0
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
