"""Switchover time, and what is left of it after Messaging Server's own stop and start.

Builds a two-node stand-in cluster with Messaging Server online under SUNW.ims and
measures, on the same installation:

  switchover     `scswitch -z -g MAIL-RG -h <other node>` until it returns, and until SMTP,
                 IMAP and POP greet on the logical host (alternating between the nodes).
  stop-msg ha    Messaging Server's own stop, run by hand with the resource disabled (the
                 storage and logical host stay online): until it returns and no process of
                 the installation is left.
  start-msg ha   its own start: until it returns and SMTP, IMAP and POP greet.

Overhead = median switchover - median stop-msg ha - median start-msg ha: what the agent
(validating, PMF, waiting until ready, the monitor) and the cluster (moving the storage and
the logical host, running the methods) add to Messaging Server's own stop and start.

"Where a switchover's time goes" splits it by the RGM's method journal and the stand-in's
command journal (`<cluster>/commands.journal`, which this benchmark creates: every cluster
command a method runs records its parent's pid and how long it ran after the interpreter
started):

  the stand-in's share  the LogicalHostname and HAStoragePlus methods, and the time no
                        method runs (the RGM's own work between methods, scswitch);
  the agent's share     the SUNW.ims methods minus Messaging Server's own stop-msg and
                        start-msg, and within it the time in the cluster commands they run
                        (inside each command, plus the interpreter's start-up per command,
                        `python3 -IS -c pass` measured here: what the stand-in costs them).

    .venv/bin/python bench/bench_switchover.py [RUNS]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import standin

from clustersim.dispatch import COMMAND_JOURNAL
from clustersim.rgm import METHOD_JOURNAL
from imsguide import faults, proof

RUNS = 6
LIMIT = 120.0


def host_env() -> dict[str, str]:
    return dict(os.environ)


def read_journal(cluster: Path, name: str = METHOD_JOURNAL) -> list[dict[str, Any]]:
    """The RGM's journal of method runs (clustersim: `<cluster>/methods.journal`), or the
    stand-in's command journal (`commands.journal`)."""
    path = cluster / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def python_floor(rounds: int = 15) -> float:
    """Median wall time of `python3 -IS -c pass` (the interpreter the commands run on)."""
    times = []
    for _ in range(rounds):
        started = time.monotonic()
        subprocess.run([sys.executable, "-IS", "-c", "pass"], check=True)
        times.append(time.monotonic() - started)
    return statistics.median(times)


def covered(spans: list[tuple[float, float]], began: float) -> float:
    """Seconds during which at least one of `spans` runs (from `began` on)."""
    total, edge = 0.0, began
    for start, end in sorted(spans):
        total += max(0.0, end - max(start, edge))
        edge = max(edge, end)
    return total


def method_shares(journal: list[dict[str, Any]], commands: list[dict[str, Any]],  # noqa: PLR0917
                  windows: list[tuple[float, float]], switch: list[float],
                  own: float, floor: float) -> str:
    """Per method of a switchover: its median time; the stand-in's and the agent's shares."""
    per: dict[tuple[str, str], list[float]] = {}
    in_methods: list[float] = []
    standin_methods: list[float] = []
    agent_methods: list[float] = []
    agent_commands: list[float] = []
    agent_programs: list[float] = []
    by_command: dict[str, list[float]] = {}
    by_parent: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for c in commands:
        by_parent.setdefault((str(c["node"]), int(c["ppid"])), []).append(c)
    for began, ended in windows:
        runs = [e for e in journal if began <= float(e["began"]) <= ended]
        in_methods.append(covered([(float(e["began"]), float(e["began"]) + float(e["duration"]))
                                   for e in runs], began))
        mine = theirs = in_commands = programs = 0.0
        for e in runs:
            rtype = str(e["type"]).split(":", 1)[0]
            per.setdefault((rtype, str(e["method"])), []).append(float(e["duration"]))
            if rtype != "SUNW.ims":
                mine += float(e["duration"])
                continue
            theirs += float(e["duration"])
            children = by_parent.get((str(e["node"]), int(e.get("pid") or -1)), [])
            # hatimerun's own time is the program it runs (stop-msg): only its start-up counts
            in_commands += sum(float(c["duration"]) for c in children
                               if c["command"] != "hatimerun")
            for c in children:
                by_command.setdefault(str(c["command"]), []).append(float(c["duration"]))
            programs += len(children)
        standin_methods.append(mine)
        agent_methods.append(theirs)
        agent_commands.append(in_commands + programs * floor)
        agent_programs.append(programs)
    rows = [standin.row(f"{rtype} {method}", durations)
            for (rtype, method), durations in sorted(per.items())]
    rows.append(standin.row("some method running", in_methods))
    scheduling = [total - covered_ for total, covered_ in zip(switch, in_methods)]
    rows.append(standin.row("no method running (RGM, scswitch)", scheduling))
    shares = [
        standin.row("stand-in: LogicalHostname + HAStoragePlus methods", standin_methods),
        standin.row("stand-in: RGM scheduling, scswitch (no method running)", scheduling),
        standin.row("stand-in's share (the two above)",
                    [m + r for m, r in zip(standin_methods, scheduling)]),
        standin.row("agent: SUNW.ims methods", agent_methods),
        standin.row("agent: SUNW.ims methods - stop-msg - start-msg (agent's share)",
                    [m - own for m in agent_methods]),
        standin.row("  of which in cluster commands (inside + start-up; hatimerun: "
                    "start-up only)", agent_commands),
        standin.row("  cluster commands run (count)", agent_programs),
    ]
    runs = len(windows) or 1
    called = [standin.row(f"{name} ({len(times) / runs:g} per switchover)", times)
              for name, times in sorted(by_command.items())]
    return ("Where a switchover's time goes (methods from the RGM's journal; seconds)\n\n"
            + standin.table(rows)
            + "\n\nThe stand-in's share and the agent's (per switchover; seconds; python3 -IS "
            f"-c pass = {floor:.3f} s per command start-up)\n\n" + standin.table(shares)
            + "\n\nThe cluster commands the SUNW.ims methods run (seconds inside each, after "
            "the interpreter's start-up)\n\n" + standin.table(called))


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    switch: list[float] = []
    switch_answer: list[float] = []
    stops: list[float] = []
    starts: list[float] = []
    windows: list[tuple[float, float]] = []
    floor = python_floor()
    with standin.mail_cluster() as c:
        site = c.site
        node = c.healthy()
        (site.directory / COMMAND_JOURNAL).touch(mode=0o600)
        for _ in range(runs):
            c.healthy()
            target = c.other(node)
            began = time.time()
            started = time.monotonic()
            c.cmd(target, "scswitch", "-z", "-g", site.group, "-h", target)
            switch.append(time.monotonic() - started)
            windows.append((began, time.time()))
            standin.wait_until(lambda: standin.greet(site), LIMIT, "every service answering")
            switch_answer.append(time.monotonic() - started)
            node = target
        journal = read_journal(site.directory)
        commands = read_journal(site.directory, COMMAND_JOURNAL)
        (site.directory / COMMAND_JOURNAL).unlink()

        c.healthy()
        c.cmd(node, "scswitch", "-n", "-j", site.mail_resource)
        sbin = Path(site.server_root) / "sbin"  # as the node runs it
        try:
            for _ in range(runs):
                started = time.monotonic()
                subprocess.run(c.on_node(node, [str(sbin / "start-msg"), "ha"]), env=host_env(),
                               capture_output=True, timeout=LIMIT, check=True)
                standin.wait_until(lambda: standin.greet(site), LIMIT, "every service answering")
                starts.append(time.monotonic() - started)
                started = time.monotonic()
                subprocess.run(c.on_node(node, [str(sbin / "stop-msg"), "ha"]), env=host_env(),
                               capture_output=True, timeout=LIMIT, check=True)
                standin.wait_until(lambda: not faults.processes(site, node), LIMIT,
                                   "no Messaging Server process left", 0.05)
                stops.append(time.monotonic() - started)
        finally:
            subprocess.run(c.on_node(node, [str(sbin / "stop-msg"), "ha"]), env=host_env(),
                           capture_output=True, timeout=LIMIT, check=False)
        c.cmd(node, "scswitch", "-e", "-j", site.mail_resource)
        proof.wait_for(lambda: faults.healthy_on(site) is not None, LIMIT, "mail-rs healthy")

    print(f"Switchover of MAIL-RG between the two nodes and Messaging Server's own stop and "
          f"start on the same installation ({runs} runs each; seconds)")
    print()
    print(standin.table([
        standin.row("switchover: scswitch -z returns", switch),
        standin.row("switchover: until every service answers", switch_answer),
        standin.row("stop-msg ha (until no process left)", stops),
        standin.row("start-msg ha (until every service answers)", starts),
    ]))
    print()
    own = statistics.median(stops) + statistics.median(starts)
    print(method_shares(journal, commands, windows, switch, own, floor))
    total = statistics.median(switch_answer)
    print()
    print(f"overhead = switchover until answering {total:.2f} - stop-msg ha "
          f"{statistics.median(stops):.2f} - start-msg ha {statistics.median(starts):.2f} "
          f"= {total - own:.2f} s (medians; {100 * (total - own) / total:.0f} % of the "
          "switchover is the agent's and the cluster's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
