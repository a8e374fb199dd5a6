"""The main job: the administrator's guide, run end to end on a two-node stand-in cluster.

    python -m scenarios.demo [--procedure generic] [--dir DIR] [--keep] [--quiet]

It builds SUNWscims, creates the cluster (mars, venus), walks the guide's procedure printing
each command as an administrator types it and what it answered, then proves the service:
mail in and out through the logical host, a switchover and back, the agent's log lines with
their message IDs, a killed watcher restarted in place, a node panic failed over — each with
the time it took — and finally the unconfigure procedure, leaving nothing running.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from scenarios import asymmetric, generic, proof, symmetric
from scenarios.console import Console
from scenarios.session import Session, StepFailed, tool
from scenarios.site import Site

TOP = Path(__file__).resolve().parents[2]
@dataclass(frozen=True)
class Procedure:
    """A procedure of the guide: its instances, its steps, its unconfigure steps."""

    sessions: Callable[[Path, Console], list[Session]]
    run: Callable[[list[Session], Path], None]
    unconfigure: Callable[[list[Session]], None]


PROCEDURES = {
    "generic": Procedure(lambda d, c: [Session(Site(d), c)],
                         lambda ss, pkg: generic.run(ss[0], pkg),
                         lambda ss: generic.unconfigure(ss[0])),
    "asymmetric": Procedure(lambda d, c: [Session(asymmetric.site(d), c)],
                            lambda ss, pkg: asymmetric.run(ss[0], pkg),
                            lambda ss: asymmetric.unconfigure(ss[0])),
    "symmetric": Procedure(symmetric.sessions, symmetric.run_all, symmetric.unconfigure_all),
}
FAULT_TIMEOUT = 120


def build_package(console: Console, out: Path) -> Path:
    console.heading("Building the SUNWscims package")
    done = subprocess.run([sys.executable, str(TOP / "packaging" / "build.py"), "--no-dist",
                           "--out", str(out)], capture_output=True, text=True, timeout=600,
                          check=False)
    if done.returncode != 0:
        raise StepFailed(f"packaging/build.py failed: {done.stderr.strip()}")
    console.note(done.stdout.strip())
    return out / "pkg"


def create_cluster(s: Session) -> None:
    s.console.heading(f"Creating the stand-in cluster in {s.site.directory}")
    done = subprocess.run([tool("clustersim"), "create", str(s.site.directory), "--nodes",
                           ",".join(s.site.nodes)], capture_output=True, text=True,
                          timeout=300, check=False)
    s.console.output(done.stdout + done.stderr)
    if done.returncode != 0:
        raise StepFailed("clustersim create failed")


def destroy_cluster(site: Site, console: Console) -> None:
    console.heading("Destroying the stand-in cluster")
    done = subprocess.run([tool("clustersim"), "destroy", str(site.directory)],
                          capture_output=True, text=True, timeout=300, check=False)
    console.output(done.stdout + done.stderr)
    if done.returncode != 0:
        raise StepFailed("clustersim destroy failed: processes may be left")


def prove_mail(s: Session, user: str) -> list[str]:
    site = s.site
    s.console.heading(f"Mail to {user}@{site.logical_fqdn}, read back by IMAP and POP")
    sent = [proof.send_mail(site, user, f"test {n}", f"message {n} through the cluster")
            for n in (1, 2)]
    proof.wait_for(lambda: set(sent) <= set(proof.imap_message_ids(site, user)), 30,
                   "mail delivered to the store")
    s.console.result(f"sent {len(sent)} messages by SMTP; IMAP and POP read "
                     f"{len(proof.imap_message_ids(site, user))} and "
                     f"{len(proof.pop_message_ids(site, user))}")
    return sent


def prove_switchover(s: Session, user: str, sent: list[str]) -> None:
    site = s.site
    here = proof.group_node(site)
    assert here is not None
    other = next(n for n in site.nodes if n != here)
    for target in (other, here):
        s.console.heading(f"Switchover of {site.group} to {target}")
        started = time.monotonic()
        s.cluster(target, "scswitch", "-z", "-g", site.group, "-h", target)
        took = time.monotonic() - started
        found = proof.imap_message_ids(site, user)
        missing = [m for m in sent if m not in found]
        if missing or proof.group_node(site) != target:
            raise StepFailed(f"after the switchover to {target}: group on "
                             f"{proof.group_node(site)}, {len(missing)} messages missing")
        s.console.result(f"online on {target} in {took:.1f} s; all {len(sent)} messages "
                         "readable there")


def _messages_lines(site: Site, node: str, after: int) -> list[str]:
    path = site.root(node) / "var" / "adm" / "messages"
    return path.read_text(errors="replace").splitlines()[after:]


def prove_watcher_restart(s: Session) -> None:
    site = s.site
    node = proof.group_node(site)
    assert node is not None
    s.console.heading(f"Debug logging on (all nodes), then the watcher killed on {node}")
    for n in site.nodes:
        s.loglevel(n, 9)
    proof.wait_for(lambda: proof.resource_status(site, node)[0] == "OK"
                   and _watcher_pid(site, node) > 0, FAULT_TIMEOUT,
                   "Messaging Server steady before the fault")
    mark = len(_messages_lines(site, node, 0))
    watcher = _watcher_pid(site, node)
    s.console.command(node, ["kill", "-9", str(watcher)])
    started = time.monotonic()
    os.kill(watcher, signal.SIGKILL)
    detected = proof.wait_for(lambda: any("ims_probe" in line and "watcher" in line
                                          for line in _messages_lines(site, node, mark)),
                              FAULT_TIMEOUT, "the fault monitor noticing the dead watcher")
    recovered = proof.wait_for(lambda: proof.services_answer(site)
                               and proof.resource_status(site, node)[0] == "OK"
                               and _watcher_pid(site, node) != watcher,
                               FAULT_TIMEOUT, "Messaging Server restarted")
    total = time.monotonic() - started
    lines = [line for line in _messages_lines(site, node, mark) if "SC[SUNW.ims" in line]
    s.console.output("\n".join(["(var/adm/messages on " + node + ")", *lines[:14],
                                f"... {max(0, len(lines) - 14)} more"]))
    s.console.result(f"watcher death noticed in {detected:.1f} s; Messaging Server restarted "
                     f"on {node}, services answering and status OK after {total:.1f} s "
                     f"(recovery {recovered:.1f} s)")
    for n in site.nodes:
        s.loglevel(n, 0)


def _watcher_pid(site: Site, node: str) -> int:
    program = str(site.on(node, site.server_root) / "lib" / "watcher")
    done = subprocess.run(["pgrep", "-o", "-f", f"^{program}"], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        return 0
    return int(done.stdout.split()[0])


def prove_panic(sessions: list[Session], user: str, sent: dict[str, list[str]]) -> None:
    """Panic the node of the first instance; every instance must answer afterwards, with
    all its mail, wherever it ends up."""
    first = sessions[0]
    site = first.site
    node = proof.group_node(site)
    assert node is not None
    proof.wait_for(lambda: proof.resource_status(site, node)[0] == "OK", FAULT_TIMEOUT,
                   "Messaging Server steady before the panic")
    first.console.heading(f"Node {node} panics")
    first.console.command(node, ["clustersim", "node", "panic", node])
    started = time.monotonic()
    subprocess.run([tool("clustersim"), "node", "panic", node, "--cluster",
                    str(site.directory)], capture_output=True, timeout=120, check=True)
    for s in sessions:
        other = next(n for n in s.site.nodes if n != node)
        proof.wait_for(lambda s=s, other=other: proof.group_node(s.site) == other
                       and proof.services_answer(s.site),
                       FAULT_TIMEOUT, f"{s.site.group} answering on {other}")
        took = time.monotonic() - started
        missing = [m for m in sent[s.site.group]
                   if m not in proof.imap_message_ids(s.site, user)]
        if missing:
            raise StepFailed(f"{len(missing)} messages of {s.site.group} lost in the failover")
        first.console.result(f"{s.site.group} answers on {other} {took:.1f} s after the "
                             "panic; no message lost")
    first.console.heading(f"Node {node} boots and rejoins the cluster")
    subprocess.run([tool("clustersim"), "node", "boot", node, "--cluster",
                    str(site.directory)], capture_output=True, timeout=120, check=True)
    survivor = next(n for n in site.nodes if n != node)
    first.cluster(survivor, "scstat", "-g")


def use_it_yourself(site: Site, console: Console) -> None:
    console.heading("The cluster is still up (--keep). Try, for example:")
    first = site.nodes[0]
    bindir = site.bin(first, "")
    console.note(f"""export PATH={bindir}:$PATH
scstat -g                          # where the group and resources are online
scswitch -z -g {site.group} -h {site.nodes[1]}   # switch the group over
echo 9 > {site.on(first, "/var/cluster/rgm/rt/SUNW.ims/loglevel")}   # debug on
tail -f {site.root(first)}/var/adm/messages     # the node's syslog
clustersim node panic {first} --cluster {site.directory}
clustersim destroy {site.directory}       # stop everything when done""")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo ARGS=", description=__doc__.split("\n")[0])
    parser.add_argument("--procedure", choices=sorted(PROCEDURES), default="generic")
    parser.add_argument("--dir", type=Path, help="cluster directory (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="leave the cluster up at the end")
    parser.add_argument("--quiet", action="store_true", help="headings and results only")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("make demo: run as root (Messaging Server binds its ports and switches to "
              "its runtime user, as on Solaris)", file=sys.stderr)
        return 2

    console = Console(quiet=args.quiet)
    directory = args.dir or Path(tempfile.mkdtemp(prefix="sunwscims-demo-"))
    chosen = PROCEDURES[args.procedure]
    sessions = chosen.sessions(directory / "cluster", console)
    first = sessions[0]
    site = first.site
    user = "joe"
    created = False
    try:
        package_dir = build_package(console, directory / "build")
        create_cluster(first)
        created = True
        chosen.run(sessions, package_dir)
        sent = {s.site.group: prove_mail(s, user) for s in sessions}
        prove_switchover(first, user, sent[site.group])
        prove_watcher_restart(first)
        prove_panic(sessions, user, sent)
        if args.keep:
            use_it_yourself(site, console)
            return 0
        chosen.unconfigure(sessions)
        destroy_cluster(site, console)
        created = False
        console.heading(f"Done in {time.monotonic() - console.started:.0f} s; nothing is "
                        "left running")
        return 0
    except (StepFailed, TimeoutError, OSError, subprocess.CalledProcessError) as exc:
        console.heading(f"FAILED: {exc}")
        return 1
    finally:
        if created and not args.keep:
            subprocess.run([tool("clustersim"), "destroy", str(site.directory)],
                           capture_output=True, timeout=300, check=False)


if __name__ == "__main__":
    sys.exit(main())
