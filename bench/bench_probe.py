"""The fault monitor at steady state, and the probe cycle's wall time with 1 to 8 services.

1. Steady state: a two-node stand-in cluster with Messaging Server online under SUNW.ims,
   Thorough_probe_interval=5, Probe_timeout=2. After the monitor settles, its process
   (ims_probe, found by its command line under this cluster's node root) is sampled over
   several windows: CPU (user+system, its own and its reaped children's, psutil cpu_times)
   per probe cycle (window / Thorough_probe_interval cycles; the watcher check every 0.5 s
   between cycles is included) and per second, and its resident memory (RSS, USS).

2. Probe cycle: scims.messaging.probes.probe_all against 1..8 small POP3 servers on loopback,
   each greeting after its own delay (0.05, 0.1 or 0.2 s). The cycle should last about as
   long as its slowest probe, not the sum of all: both are printed beside it.

    .venv/bin/python bench/bench_probe.py [CYCLES]
"""

from __future__ import annotations

import socketserver
import statistics
import sys
import threading
import time

import psutil
import standin

from scims.messaging.probes import Target, probe_all

INTERVAL = standin.PROBE_INTERVAL
PROBE_TIMEOUT = standin.PROBE_TIMEOUT
WINDOWS = 4
WINDOW = 15.0
SETTLE = 6.0
DELAYS = [0.2, 0.05, 0.1, 0.2, 0.05, 0.1, 0.2, 0.05]
CYCLES = 15


def monitor_process(c: standin.MailCluster, node: str) -> psutil.Process:
    program = "/opt/SUNWscims/bin/ims_probe"  # as the node runs it
    for pid, args in c.site.processes(node):
        if program in args.split()[:2]:
            return psutil.Process(pid)
    raise RuntimeError(f"no ims_probe running on {node}")


def steady_state() -> tuple[list[float], list[float], list[float], list[float]]:
    per_cycle, per_second, rss, uss = [], [], [], []
    with standin.mail_cluster() as c:
        c.healthy()
        c.set_probe_timing()
        node = c.healthy()
        time.sleep(SETTLE)
        proc = monitor_process(c, node)
        for _ in range(WINDOWS):
            before = proc.cpu_times()
            started = time.monotonic()
            time.sleep(WINDOW)
            after = proc.cpu_times()
            took = time.monotonic() - started
            used = sum(after[:4]) - sum(before[:4])  # user, system, children user/system
            per_cycle.append(used / (took / INTERVAL))
            per_second.append(used / took)
            memory = proc.memory_full_info()
            rss.append(memory.rss / 2**20)
            uss.append(memory.uss / 2**20)
        c.healthy()
    return per_cycle, per_second, rss, uss


class SlowPop(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        time.sleep(self.server.delay)  # type: ignore[attr-defined]
        self.request.sendall(b"+OK bench POP3 service\r\n")
        self.request.settimeout(5)
        try:
            self.request.recv(64)
            self.request.sendall(b"+OK bye\r\n")
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def probe_cycles(cycles: int) -> list[list[str]]:
    servers = []
    threads = []
    try:
        for delay in DELAYS:
            server = Server(("127.0.0.1", 0), SlowPop)
            server.delay = delay  # type: ignore[attr-defined]
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            servers.append(server)
            threads.append(thread)
        targets = [Target(f"pop{i}", "pop", "127.0.0.1", s.server_address[1])
                   for i, s in enumerate(servers)]
        rows = []
        for count in range(1, len(targets) + 1):
            walls, slowest, total = [], [], []
            for _ in range(cycles):
                started = time.perf_counter()
                results = probe_all(targets[:count], PROBE_TIMEOUT)
                walls.append(time.perf_counter() - started)
                if not all(r.ok for r in results):
                    raise RuntimeError("; ".join(r.detail for r in results if not r.ok))
                slowest.append(max(r.elapsed for r in results))
                total.append(sum(r.elapsed for r in results))
            med = statistics.median(walls)
            rows.append([str(count), str(cycles), f"{1000 * med:.0f}",
                         f"{1000 * min(walls):.0f}", f"{1000 * max(walls):.0f}",
                         f"{1000 * statistics.median(slowest):.0f}",
                         f"{1000 * statistics.median(total):.0f}",
                         f"{med / statistics.median(slowest):.2f}",
                         f"{med / statistics.median(total):.2f}"])
        return rows
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(5)


def main() -> int:
    cycles = int(sys.argv[1]) if len(sys.argv) > 1 else CYCLES
    rows = probe_cycles(cycles)
    per_cycle, per_second, rss, uss = steady_state()

    print(f"Fault monitor (ims_probe) at steady state: Thorough_probe_interval={INTERVAL} s, "
          f"Probe_timeout={PROBE_TIMEOUT} s, {WINDOWS} windows of {WINDOW:g} s")
    print()
    print(standin.table([
        standin.row("CPU per probe cycle (ms)", per_cycle, 1000),
        standin.row("CPU per second (ms)", per_second, 1000),
        standin.row("resident memory RSS (MiB)", rss),
        standin.row("unique memory USS (MiB)", uss),
    ]))
    print()
    print(f"Probe cycle (messaging.probes.probe_all) against N POP3 servers on loopback greeting "
          f"after {', '.join(f'{d:g}' for d in DELAYS)} s (first N; ms)")
    print()
    print(standin.table(rows, ["services", "cycles", "cycle median", "min", "max",
                               "slowest probe", "sum of probes", "cycle/slowest",
                               "cycle/sum"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
