"""Every program each SUNW.ims method runs, counted by the kernel, and the method's CPU time.

Builds a two-node stand-in cluster with Messaging Server online (the guide's generic
procedure), then runs each method as the RGM would (bench_methods.py: argv, cwd /, the RGM's
environment) under `strace -f -e trace=process`, which records every execve of the method's
process tree and which process made it. A program the method itself started is one of its
calls (a `scha_resource_get -O Type`, a `pmfadm -q`); what those programs start in turn
(stop-msg under hatimerun, the stand-in's own helpers) is counted apart, as descendants.

One ims_probe cycle is the monitor's start-up and its first probe cycle: the PMF-run monitor
is stopped (ims_monitor_stop), ims_probe is run under strace until its first cycle has set the
resource's status (the scha_resource_setstatus of a new monitor), then stopped, and the
monitor is started again.

The CPU column is measured apart, without strace (which slows what it traces): user+system
time of the method process and every child it reaped (os.wait4), the median of ROUNDS runs.

    .venv/bin/python bench/bench_calls.py [ROUNDS]
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import standin

ROUNDS = 5
PROBE_WAIT = 60.0
STRACE = "strace"

_LINE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$")
_EXECVE = re.compile(r'^execve\("([^"]*)", \[(.*)\], .*\)\s+=\s+0$')
_FORK = re.compile(r"^(?:clone3?|v?fork)\(.*\)\s+=\s+(\d+)")
_RESUMED_FORK = re.compile(r"^<\.\.\. (?:clone3?|v?fork) resumed>.*\)\s+=\s+(\d+)")
_ARG = re.compile(r'"((?:[^"\\]|\\.)*)"')


@dataclass
class Trace:
    """The execve calls of one traced method run: by the method itself, and beneath it."""

    calls: Counter[str] = field(default_factory=Counter)
    descendants: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)
    """Wall time from each call's execve to its exit, summed per call (traced, so slowed)."""
    wall: float = 0.0
    """The method's own wall time, traced: from its execve to its exit."""
    questions: Counter[tuple[str, ...]] = field(default_factory=Counter)
    """Each query (scha_*_get) by its whole command line: the same question asked again."""

    def repeated(self) -> int:
        return sum(n - 1 for n in self.questions.values() if n > 1)


OWN_RESOURCE = "mail-rs"


def label(argv: list[str]) -> str:
    """A call as the table names it: the program, and what it was asked (of which resource,
    when it is not the method's own)."""
    program = os.path.basename(argv[0]) if argv else "?"
    args = argv[1:]
    if program.startswith("scha_") and "-O" in args:
        other = ""
        if "-R" in args and args.index("-R") + 1 < len(args):
            named = args[args.index("-R") + 1]
            other = "" if named == OWN_RESOURCE else " (of another resource)"
        i = args.index("-O")
        tag = args[i + 1] if i + 1 < len(args) else "?"
        if tag.lower() == "extension":
            named = [a for a in args[i + 2:] if not a.startswith("-")]
            skip = {args[j + 1] for j, a in enumerate(args[:-1]) if a in ("-R", "-G", "-T")}
            named = [a for a in named if a not in skip]
            tag = f"Extension {named[0] if named else '?'}"
        elif program == "scha_resourcegroup_get" and tag.lower().endswith("_node"):
            tag = f"{tag} <node>"
        return f"{program} -O {tag}{other}"
    if program.startswith("scha_resource_setstatus"):
        status = args[args.index("-s") + 1] if "-s" in args else "?"
        return f"{program} -s {status}"
    if program == "pmfadm" and args:
        tag = args[1] if len(args) > 1 else ""
        kind = tag.rsplit(".", 1)[-1] if "," in tag else tag
        return f"pmfadm {args[0]} <{kind}>"
    if program == "hatimerun":
        rest = list(args)
        while rest and rest[0].startswith("-"):
            rest = rest[2:]
        return f"hatimerun {' '.join(os.path.basename(a) for a in rest[:2])}"
    return program


def parse(path: Path) -> Trace:
    """Read `strace -f -o path`: which process started which, and what each executed.

    A thread (CLONE_THREAD) belongs to the process that made it, so a program a thread of the
    method starts is the method's call; each process counts once, at its first successful
    execve (a script that execs another program is still one call)."""
    group: dict[int, int] = {}
    parent: dict[int, int] = {}
    pending: dict[int, str] = {}
    execs: list[tuple[int, list[str]]] = []
    executed: set[int] = set()
    began: dict[int, float] = {}
    ended: dict[int, float] = {}
    for raw in path.read_text(errors="replace").splitlines():
        m = _LINE.match(raw)
        if not m:
            continue
        pid, stamp, rest = int(m.group(1)), float(m.group(2)), m.group(3)
        if rest.startswith("+++ exited") or rest.startswith("+++ killed"):
            ended[pid] = stamp
            continue
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest
            continue
        call = rest
        if rest.startswith("<... "):
            call = pending.pop(pid, "") + rest
        fork = _FORK.match(rest) or _RESUMED_FORK.match(rest)
        if fork:
            child = int(fork.group(1))
            owner = group.get(pid, pid)
            if "CLONE_THREAD" in call:
                group[child] = owner
            else:
                parent[child] = owner
            continue
        ex = _EXECVE.match(call)
        if ex and pid not in executed:
            executed.add(pid)
            began[pid] = stamp
            execs.append((pid, [a.encode().decode("unicode_escape")
                                for a in _ARG.findall(ex.group(2))]))
    trace = Trace()
    if not execs:
        return trace
    method_pid = method_pid_of(execs)
    if method_pid is None:
        return trace
    if method_pid in ended:
        trace.wall = ended[method_pid] - began[method_pid]
    for pid, argv in execs[1:]:
        if parent.get(pid) == method_pid:
            trace.calls[label(argv)] += 1
            if pid in ended:
                trace.seconds[label(argv)] += ended[pid] - began[pid]
            program = os.path.basename(argv[0]) if argv else ""
            if program.startswith("scha_") and program.endswith("_get"):
                trace.questions[(program, *argv[1:])] += 1
        else:
            trace.descendants[os.path.basename(argv[0]) if argv else "?"] += 1
    return trace


def _execs(path: Path) -> list[tuple[int, list[str]]]:
    """Every completed execve in `strace -f -o path` (unfinished ones are not needed here)."""
    found = []
    for raw in path.read_text(errors="replace").splitlines():
        m = _LINE.match(raw)
        ex = _EXECVE.match(m.group(3)) if m else None
        if m and ex:
            found.append((int(m.group(1)), _ARG.findall(ex.group(2))))
    return found


def method_pid_of(execs: list[tuple[int, list[str]]]) -> int | None:
    """The method's own process: the first exec that is not nsenter (strace runs the method
    inside the node's host through nsenter, which forks it)."""
    return next((pid for pid, argv in execs
                 if argv and os.path.basename(argv[0]) != "nsenter"), None)


Wrap = Callable[[list[str]], list[str]]
"""Makes an argv run inside a node's host (MailCluster.on_node for that node)."""


def _strace(wrap: Wrap, argv: list[str], fd: int) -> list[str]:
    """strace inside the node's host, so that the pids it reports are the ones the traced
    processes see (a fork's return value included); its trace goes to our open file `fd`."""
    return wrap([STRACE, "-f", "-q", "-ttt", "-s", "256", "-e", "trace=process",
                 "-e", "signal=none", "-o", f"/dev/fd/{fd}", *argv])


def traced(wrap: Wrap, argv: list[str], env: dict[str, str], out: Path) -> int:
    with out.open("wb") as trace:
        fd = trace.fileno()
        done = subprocess.run(_strace(wrap, argv, fd), env=env, cwd="/", pass_fds=(fd,),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=600, check=False)
    return done.returncode


def cpu_of(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, CPU s of the process and the children it reaped, exit code), untraced."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd="/", stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, proc.returncode


def traced_probe(wrap: Wrap, argv: list[str], env: dict[str, str], out: Path) -> int:
    """ims_probe under strace until its first cycle set the status; then ended."""
    with out.open("wb") as trace:
        fd = trace.fileno()
        proc = subprocess.Popen(_strace(wrap, argv, fd), env=env, cwd="/", pass_fds=(fd,),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        standin.wait_until(lambda: proc.poll() is not None or (
            out.exists() and any(call.startswith("scha_resource_setstatus")
                                 for call in parse(out).calls)),
            PROBE_WAIT, "the probe's first cycle")
        time.sleep(0.3)  # let the setstatus finish
        if proc.poll() is not None:
            raise RuntimeError("ims_probe ended before its first cycle")
    except Exception:
        shutil.copy(out, "/tmp/bench-calls-probe.strace")
        sys.stderr.write("the probe's trace: /tmp/bench-calls-probe.strace\n")
        raise
    finally:
        # The probe and what it runs (beneath nsenter and strace, which must not be the
        # ones ended: strace would detach and leave the probe running).
        for pid in _descendants(proc.pid):
            if _comm(pid) not in ("strace", "nsenter"):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(w) for w in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    if shutil.which(STRACE) is None:
        raise SystemExit("bench_calls needs strace (make sysdeps installs it)")
    traces: dict[str, Trace] = {}
    cpu: dict[str, list[float]] = {}
    wall: dict[str, list[float]] = {}
    failures: Counter[str] = Counter()
    command_wall: dict[str, list[float]] = {}
    command_cpu: dict[str, list[float]] = {}
    work = Path(tempfile.mkdtemp(prefix="bench-calls-"))
    try:
        with standin.mail_cluster() as c:
            site = c.site
            online = c.healthy()
            standby = c.other(online)
            ident = c.method_identity(online)
            global OWN_RESOURCE  # the table's wording only
            OWN_RESOURCE = site.mail_resource

            def argv_of(name: str, node: str) -> list[str]:
                extra = ["-u"] if name == "ims_svc_validate" else []
                return [str(c.method_path(node, name)), *extra, *ident]

            def wrap(node: str) -> Wrap:
                return lambda argv: c.on_node(node, argv)

            order = [("ims_svc_validate", online), ("ims_svc_update", online),
                     ("ims_monitor_check", standby), ("ims_monitor_stop", online),
                     ("ims_probe", online), ("ims_svc_stop", online),
                     ("ims_svc_start", online), ("ims_monitor_start", online)]
            for name, node in order:
                out = work / f"{name}.strace"
                if name == "ims_probe":
                    traced_probe(wrap(node), argv_of(name, node), c.method_env(node), out)
                elif traced(wrap(node), argv_of(name, node), c.method_env(node), out) != 0:
                    failures[name] += 1
                traces[name] = parse(out)
            c.healthy()
            for _ in range(rounds):
                for name, node in order:
                    if name == "ims_probe":
                        continue
                    w, u, code = cpu_of(c.on_node(node, argv_of(name, node)), c.method_env(node))
                    wall.setdefault(name, []).append(w)
                    cpu.setdefault(name, []).append(u)
                    if code != 0:
                        failures[name] += 1
            online = c.healthy()
            tag = f"{site.group},{site.mail_resource},0.svc"
            own = ["-R", site.mail_resource, "-G", site.group]
            for program, args in (("scha_resource_get", ["-O", "Retry_count", *own]),
                                  ("scha_resourcegroup_get", ["-O", "Nodelist", "-G",
                                                              site.group]),
                                  ("scha_cluster_get", ["-O", "Nodename_local"]),
                                  ("pmfadm", ["-q", tag])):
                argv = c.on_node(online, [str(site.bin(online, program)), *args])
                for _ in range(rounds * 2):
                    w, u, _code = cpu_of(argv, c.method_env(online))
                    command_wall.setdefault(program, []).append(w)
                    command_cpu.setdefault(program, []).append(u)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("Programs each SUNW.ims method runs (strace -f, one traced run each); CPU and wall "
          f"time untraced, median of {rounds} runs; traced wall and the share of it spent in "
          "the programs the method ran (slowed alike by strace)")
    print()
    summary = []
    for name, trace in traces.items():
        inside = sum(trace.seconds.values())
        summary.append([name, str(sum(trace.calls.values())),
                        str(sum(n for c, n in trace.calls.items() if c.startswith("scha_")
                                and "_get " in c)),
                        str(trace.repeated()), str(sum(trace.descendants.values())),
                        _ms(cpu.get(name)), _ms(wall.get(name)),
                        f"{trace.wall * 1000:.0f}" if trace.wall else "-",
                        f"{inside * 1000:.0f}",
                        str(failures[name]) if failures[name] else ""])
    print(standin.table(summary, ["method", "programs run", "queries", "queries repeated",
                                  "descendant execs", "CPU ms", "wall ms", "traced wall ms",
                                  "of it in calls", "failed"]))
    print()
    print("The stand-in's share: one cluster command, untraced (median of "
          f"{rounds * 2} runs, ms), and what a method's calls cost at that rate")
    print(standin.table([[p, _ms(v), _ms(command_cpu[p])] for p, v in command_wall.items()],
                        ["command", "wall ms", "CPU ms"]))
    rate = {p: statistics.median(v) for p, v in command_wall.items()}
    cpu_rate = {p: statistics.median(v) for p, v in command_cpu.items()}

    def at(rates: dict[str, float], trace: Trace) -> float:
        return sum(n * rates.get(call.split()[0], rates.get("scha_resource_get", 0))
                   for call, n in trace.calls.items() if not call.startswith("hatimerun"))

    shares = []
    for name, trace in traces.items():
        if name not in wall:
            continue
        method, method_cpu = statistics.median(wall[name]), statistics.median(cpu[name])
        shares.append([name, f"{method * 1000:.0f}", f"{at(rate, trace) * 1000:.0f}",
                       f"{(method - at(rate, trace)) * 1000:.0f}",
                       f"{method_cpu * 1000:.0f}", f"{at(cpu_rate, trace) * 1000:.0f}",
                       f"{(method_cpu - at(cpu_rate, trace)) * 1000:.0f}"])
    print()
    print(standin.table(shares, ["method", "wall ms", "in cluster commands (est.)",
                                 "the rest: agent, stop-msg, waits", "CPU ms",
                                 "in cluster commands (est.)",
                                 "the rest: agent (Stop: and hatimerun, stop-msg)"]))
    for name, trace in traces.items():
        print()
        print(f"{name}:")
        rows = [[call, str(n), f"{trace.seconds[call] * 1000:.0f}"]
                for call, n in sorted(trace.calls.items())]
        rows += [[f"(beneath) {prog}", str(n), ""]
                 for prog, n in sorted(trace.descendants.items())]
        print(standin.table(rows or [["(nothing)", "0", ""]],
                            ["program", "times", "traced ms"]))
    return 1 if failures else 0


def _ms(values: list[float] | None) -> str:
    return f"{statistics.median(values) * 1000:.0f}" if values else "-"


if __name__ == "__main__":
    sys.exit(main())
