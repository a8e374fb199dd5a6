"""The cluster commands ims_svc_validate runs, counted, now and at a baseline commit.

Builds the two-node stand-in cluster with Messaging Server online (the guide's generic
procedure) and runs Validate as the RGM would, in the RGM's environment, with the shipped
library of the node (/opt/SUNWscims/lib) and, for comparison, with the library of BASELINE
(`git archive`, skipped when git or the commit is not at hand). Each run wraps the library's
one door to the cluster (`scims.cluster.commands.run`), so every program it starts is counted, and
is timed (wall, and the CPU of the method with the programs it reaped, as bench_methods
measures it):

    -u (online node)      an update that passes nothing (`scrgadm -c` of a group property)
    -u (standby node)     the same where the storage is online on the other node
    -c (online node)      creation: every property Validate reads on the command line

    .venv/bin/python bench/bench_validate.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path

import standin

from imsguide import proof

BASELINE = "cea6ea0"
"""main before Validate gathered its facts once and took what the RGM passes."""

DRIVER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from scims.cluster import commands
calls = []
real = commands.run
def counted(command, args, *rest, **options):
    calls.append([command, *args])
    return real(command, args, *rest, **options)
commands.run = counted
from scims.method_runtime import run_method
from scims.validation import validate
status = run_method("ims_svc_validate", validate, sys.argv[2:], validate=True)
print(json.dumps({"status": status, "calls": calls}))
"""

ROUNDS = 5

RESOURCE_PROPERTIES = ("Retry_interval", "Thorough_probe_interval", "Retry_count",
                       "Validate_timeout", "Resource_dependencies", "Network_resources_used")


def baseline_library(scratch: Path) -> Path | None:
    """src/ of BASELINE, or None where git cannot give it."""
    archive = scratch / "baseline.tar"
    done = subprocess.run(["git", "-C", str(standin.TOP), "archive", "-o", str(archive),
                           BASELINE, "src/scims"], capture_output=True, text=True,
                          timeout=60, check=False)
    if done.returncode != 0:
        return None
    with tarfile.open(archive) as tar:
        tar.extractall(scratch / "baseline", filter="data")
    return scratch / "baseline" / "src"


def timed(argv: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """(stdout, wall s, CPU s of the process and the children it reaped); fails loudly."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"{argv[:1]} exited {proc.returncode}")
        out.seek(0)
        return out.read().decode(), wall, usage.ru_utime + usage.ru_stime


def query(call: list[str]) -> str:
    """`scha_resource_get -O Type -R meadow` -> `scha_resource_get Type`, and the like."""
    optag = call[call.index("-O") + 1] if "-O" in call else ""
    if optag == "Extension":
        optag += " " + call[-1]
    return f"{call[0]} {optag}".strip()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as scratch, \
            standin.mail_cluster() as c:
        site = c.site
        online = c.healthy()
        standby = c.other(online)
        ident = c.method_identity(online)
        given = []
        for name in RESOURCE_PROPERTIES:
            lines = proof.ask(site, online, "scha_resource_get", "-O", name,
                              "-R", site.mail_resource, "-G", site.group)
            given += ["-r", f"{name}={','.join(line.strip() for line in lines)}"]
        root = proof.ask(site, online, "scha_resource_get", "-O", "Extension",
                         "-R", site.mail_resource, "-G", site.group, "IMS_serverroot")
        nodes = proof.ask(site, online, "scha_resourcegroup_get", "-O", "Nodelist",
                          "-G", site.group)
        given += ["-x", f"IMS_serverroot={root[-1].strip()}", "-g", f"Nodelist={','.join(nodes)}"]
        interpreter = c.method_path(online, "ims_svc_start").read_text().splitlines()[0][2:]
        interpreter = interpreter.strip().split()[0]
        scenarios = [("-u (online node)", online, ["-u", *ident]),
                     ("-u (standby node)", standby, ["-u", *ident]),
                     ("-c (online node)", online, ["-c", *ident, *given])]
        old = baseline_library(Path(scratch))
        libraries = [("now", None)] + ([(BASELINE, old)] if old is not None else [])
        counts: dict[tuple[str, str], list[list[str]]] = {}
        statuses: dict[tuple[str, str], int] = {}
        walls: dict[tuple[str, str], list[float]] = {}
        cpus: dict[tuple[str, str], list[float]] = {}
        for _ in range(ROUNDS):  # interleaved, so that noise hits both libraries alike
            for label, node, argv in scenarios:
                for version, library in libraries:
                    lib = library or c.site.on(node, "/opt/SUNWscims/lib")
                    out, wall, cpu = timed([interpreter, "-c", DRIVER, str(lib), *argv],
                                           c.method_env(node))
                    result = json.loads(out.strip().splitlines()[-1])
                    counts[(label, version)] = result["calls"]
                    statuses[(label, version)] = result["status"]
                    walls.setdefault((label, version), []).append(wall)
                    cpus.setdefault((label, version), []).append(cpu)
        c.healthy()

    versions = [version for version, _ in libraries]
    head = ["Validate", *(f"{v}: programs (repeated)" for v in versions),
            *(f"{v}: wall ms" for v in versions), *(f"{v}: CPU ms" for v in versions), "exit"]
    rows = []
    for label, _, _ in scenarios:
        cells = []
        for version in versions:
            calls = [" ".join(call) for call in counts[(label, version)]]
            repeated = sum(n - 1 for n in Counter(calls).values())
            cells.append(f"{len(calls)} ({repeated})")
        cells += [f"{statistics.median(walls[(label, v)]) * 1000:.0f}" for v in versions]
        cells += [f"{statistics.median(cpus[(label, v)]) * 1000:.0f}" for v in versions]
        rows.append([label, *cells, "/".join(str(statuses[(label, v)]) for v in versions)])
    print(f"Cluster commands ims_svc_validate runs on the stand-in (baseline {BASELINE}; "
          f"times: median of {ROUNDS} interleaved rounds, CPU of the method and the "
          "programs it reaped)")
    print()
    print(standin.table(rows, head))
    print()
    label = scenarios[0][0]
    per_query = {version: Counter(query(call) for call in counts[(label, version)])
                 for version in versions}
    names = sorted(set().union(*per_query.values()))
    rows = [[name, *(str(per_query[v][name]) for v in versions)] for name in names]
    print(f"By query, {label}")
    print()
    print(standin.table(rows, ["query", *versions]))
    bad = [key for key, status in statuses.items() if key[1] == "now" and status != 0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
