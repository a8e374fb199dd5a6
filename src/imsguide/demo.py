"""The main job: the administrator's guide, run end to end on a two-node stand-in cluster.

    python -m scenarios.demo [--procedure generic] [--dir DIR] [--keep] [--quiet]

It builds SUNWscims, creates the cluster (mars, venus), walks the guide's procedure printing
each command as an administrator types it and what it answered (ending with `scstat -pw`),
then proves the service: mail in and out through the logical host, a switchover and back,
the agent's log lines with their message IDs, a killed watcher restarted in place, a node
panic failed over — each with the time it took — then shows what imsreport, run on the log
host every node forwards its syslog to (the client host), makes of it all, and finally the
unconfigure procedure, leaving nothing running (the demo counts what is left: 0). Long waits
show their progress, also with --quiet.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from clustersim import hosts, syslogd
from clustersim.layout import ClusterLayout
from imsguide import asymmetric, faults, generic, hastorage, proof, symmetric, testbed
from imsguide.console import Console
from imsguide.session import LOGLEVEL, Session, StepFailed, tool
from imsguide.site import Site
from scims.log import messages
from scims.report import render

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
    "hastorage": Procedure(lambda d, c: [Session(Site(d), c)],
                           lambda ss, pkg: hastorage.run(ss[0], pkg),
                           lambda ss: hastorage.unconfigure(ss[0])),
}
FAULT_TIMEOUT = 120
CONSOLE = "/dev/console"


def build_package(console: Console, out: Path) -> Path:
    console.heading("Building the SUNWscims package")
    with console.ticking("building SUNWscims"):
        done = subprocess.run([sys.executable, str(TOP / "packaging" / "build.py"), "--no-dist",
                               "--out", str(out)], capture_output=True, text=True, timeout=600,
                              check=False)
    if done.returncode != 0:
        raise StepFailed(f"packaging/build.py failed: {done.stderr.strip()}")
    console.note(done.stdout.strip())
    return out / "pkg"


def clustersim(console: Console, what: str, *args: str) -> None:
    """`clustersim ARGS`, showing its progress as `what` and its answer."""
    with console.ticking(what):
        done = subprocess.run([tool("clustersim"), *args], capture_output=True, text=True,
                              timeout=300, check=False)
    console.output(done.stdout + done.stderr)
    if done.returncode != 0:
        raise StepFailed(f"clustersim {args[0]} failed: {(done.stderr or done.stdout).strip()}")


DEMO_HEARTBEAT_TIMEOUT = 4000
"""Milliseconds of silence before a node is declared dead, in the demo (Sun Cluster's
default is 10000): the panic is noticed sooner, and the demo says so."""


def create_cluster(s: Session) -> None:
    s.console.heading(f"Creating the stand-in cluster in {s.site.directory}")
    clustersim(s.console, "creating the cluster", "create", str(s.site.directory), "--nodes",
               ",".join(s.site.nodes))
    s.console.note(f"each node is a Linux host of its own (hostname, addresses, mounts, "
                   f"processes), on a private network with a client host; heartbeat_timeout "
                   f"lowered from 10000 to {DEMO_HEARTBEAT_TIMEOUT} ms for this demo")
    s.cluster(s.site.nodes[0], "cluster", "set", "-p",
              f"heartbeat_timeout={DEMO_HEARTBEAT_TIMEOUT}")
    layout = ClusterLayout.at(s.site.directory)
    syslogd.start_loghost(layout)
    for node in s.site.nodes:
        syslogd.forward_to_loghost(layout, node)
    s.console.note(f"the client host is the log host: each node's /etc/hosts names it "
                   f"loghost, and its /etc/syslog.conf forwards "
                   f"'{syslogd.FORWARD_SELECTOR}  @loghost' (docs/imsreport.md)")


IMSREPORT = TOP / "admin" / "imsreport"


def show_report(site: Site, console: Console, since: float) -> None:
    """imsreport on the log host: what happened to mail during the demo, one incident per
    block (--quiet: the incidents' first lines)."""
    console.heading("What happened to mail, as imsreport tells it on the log host")
    layout = ClusterLayout.at(site.directory)
    received = str(site.directory / "client" / "var" / "adm" / "messages")
    start = time.strftime("%H:%M:%S", time.localtime(since))
    argv = [str(IMSREPORT), "--log", received, "--from", start]
    console.command("client", ["imsreport", "--log", received, "--from", start])
    done = hosts.host(layout, hosts.CLIENT).run([sys.executable, *argv], capture_output=True,
                                                 text=True, timeout=120)
    if done.returncode != 0:
        raise StepFailed(f"imsreport failed: {done.stderr.strip()}")
    console.output(done.stdout)
    found = render.headlines(done.stdout)
    console.result(f"imsreport found {len(found)} incident(s), most recent last:")
    console.evidence(found)


def destroy_cluster(site: Site, console: Console) -> None:
    """Destroy the cluster and show that not one of its processes is left."""
    console.heading("Destroying the stand-in cluster")
    clustersim(console, "destroying the cluster", "destroy", str(site.directory))
    left: list[str] = []

    def gone() -> bool:
        left[:] = testbed.cluster_processes(site.directory)
        return not left

    try:
        proof.wait_for(gone, testbed.LEFTOVER_WAIT, "the cluster's last processes to exit",
                       console)
    except TimeoutError as exc:
        raise StepFailed("processes of the cluster left after destroy:\n"
                         + "\n".join(left)) from exc
    console.result(f"processes of the cluster still running (pgrep -f {site.directory}): 0")


def service_processes(sessions: list[Session]) -> dict[str, list[str]]:
    """Per node, the Messaging Server and SUNW.ims processes of every instance."""
    found: dict[str, list[str]] = {}
    for s in sessions:
        for node in s.site.nodes:
            found.setdefault(node, []).extend(faults.processes(s.site, node))
            found[node].extend(f"{pid} {args}" for pid, args in s.site.processes(node)
                               if "/opt/SUNWscims/" in args)
    return found


def show_nothing_runs(sessions: list[Session]) -> None:
    """After the unconfigure procedure: no Messaging Server or agent process on any node."""
    found = service_processes(sessions)
    running = [line for lines in found.values() for line in lines]
    if running:
        raise StepFailed("processes left after the unconfigure procedure:\n"
                         + "\n".join(running))
    counts = ", ".join(f"{node} 0" for node in found)
    sessions[0].console.result(f"Messaging Server and SUNW.ims processes left: {counts}")


def mail_readable(site: Site, user: str, sent: list[str]) -> bool:
    return not any(proof.missing_mail(site, user, sent).values())


def prove_mail(s: Session, user: str) -> list[str]:
    site = s.site
    s.console.heading(f"Mail to {user}@{site.logical_fqdn}, read back by IMAP and POP")
    sent = [proof.send_mail(site, user, f"test {n}", f"message {n} through the cluster")
            for n in (1, 2)]
    took = proof.wait_for(lambda: mail_readable(site, user, sent), 30,
                          "the mail readable by IMAP and POP", s.console)
    s.console.result(f"sent {len(sent)} messages by SMTP to {site.logical_host}; IMAP and POP "
                     f"both read back each of them by Message-ID after {took:.1f} s")
    s.console.evidence(sent)
    return sent


def prove_switchover(s: Session, user: str, sent: list[str]) -> None:
    site = s.site
    here = proof.group_node(site)
    if here is None:
        raise StepFailed(f"{site.group} is online nowhere")
    other = next(n for n in site.nodes if n != here)
    for target in (other, here):
        s.console.heading(f"Switchover of {site.group} to {target}")
        started = time.monotonic()
        s.cluster(target, "scswitch", "-z", "-g", site.group, "-h", target)
        took = time.monotonic() - started
        if proof.group_node(site) != target:
            raise StepFailed(f"after the switchover to {target}, {site.group} is online on "
                             f"{proof.group_node(site)}")
        proof.wait_for(lambda: mail_readable(site, user, sent), 30,
                       f"the same mail readable on {target}", s.console)
        s.console.result(f"online on {target} in {took:.1f} s; all {len(sent)} messages "
                         "read back there by IMAP and POP")


GUIDE_START_LINES = (messages.GROUP_EXISTS, messages.USER_EXISTS, messages.SERVERROOT_VALUE,
                     messages.STARTING_UNDER_PMF)
"""The lines the guide's section 3.4.3.1 shows ims_svc_start logging at loglevel 9."""


def agent_log(site: Site, node: str, where: int) -> list[str]:
    """The SUNW.ims lines of the node's syslog since `where`, as an administrator reads
    them: the fault monitor's, and the guide's lines of ims_svc_start."""
    shown = {f"[ID {m.msgid} " for m in GUIDE_START_LINES}
    tag = f"SC[SUNW.ims,{site.group},{site.mail_resource},"
    return [line for line in faults.since(site, node, where)
            if f"{tag}ims_probe]" in line
            or (f"{tag}ims_svc_start]" in line and any(i in line for i in shown))]


def console_size(site: Site, node: str) -> int:
    try:
        return site.on(node, CONSOLE).stat().st_size
    except OSError:
        return 0


def console_since(site: Site, node: str, offset: int) -> list[str]:
    """What the node's syslogd wrote to its console since `offset`."""
    with site.on(node, CONSOLE).open("rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace").splitlines()


def prove_watcher_restart(s: Session) -> None:
    site = s.site
    console = s.console
    node = proof.group_node(site)
    if node is None:
        raise StepFailed(f"{site.group} is online nowhere")
    console.heading(f"Debug logging on every node (guide 3.4.3.1), then the Messaging Server "
                    f"watcher killed on {node}")
    for n in site.nodes:
        s.loglevel(n, 9)
        s.debug_log(n)
    proof.wait_for(lambda: proof.resource_status(site, node)[0] == "OK"
                   and faults.watcher_pid(site, node) is not None
                   and faults.monitor_has_looked(site, node), FAULT_TIMEOUT,
                   "Messaging Server steady before the fault", console)
    mark = faults.mark(site, node)
    console_mark = console_size(site, node)
    watcher = faults.watcher_pid(site, node)
    assert watcher is not None
    console.command(node, ["kill", "-9", str(watcher)])
    started = time.monotonic()
    os.kill(watcher, signal.SIGKILL)
    restart_logged = f"[ID {messages.STARTING_UNDER_PMF.msgid} "
    noticed = f"SC[SUNW.ims,{site.group},{site.mail_resource},ims_probe]"
    detected = proof.wait_for(lambda: any(noticed in line for line in faults.since(site, node,
                                                                                   mark)),
                              FAULT_TIMEOUT, "the fault monitor to notice", console)
    proof.wait_for(lambda: any(restart_logged in line for line in agent_log(site, node, mark))
                   and faults.watcher_pid(site, node) not in (None, watcher)
                   and proof.services_answer(site)
                   and proof.group_node(site) == node, FAULT_TIMEOUT,
                   f"Messaging Server restarted on {node}", console)
    total = time.monotonic() - started
    lines = agent_log(site, node, mark)
    missing = [m.fmt for m in GUIDE_START_LINES if not any(f"[ID {m.msgid} " in line
                                                           for line in lines)]
    if missing:
        raise StepFailed(f"ims_svc_start on {node} did not log: {'; '.join(missing)}")
    console.result(f"watcher death noticed in {detected:.1f} s; Messaging Server restarted "
                   f"in place on {node} (new watcher pid {faults.watcher_pid(site, node)}), "
                   f"SMTP, IMAP and POP answering {total:.1f} s after the kill")
    console.result(f"what the agent logged on {node} (var/adm/clusterlog), with the guide's "
                   "lines of ims_svc_start:")
    console.evidence(lines)
    console.result(f"what reached {node}'s console (/dev/console: errors, as Solaris' "
                   "syslog.conf sends them):")
    console.evidence(console_since(site, node, console_mark))
    for n in site.nodes:
        s.loglevel(n, 0)


def prove_panic(sessions: list[Session], user: str, sent: dict[str, list[str]]) -> None:
    """Panic the node of the first instance; every instance must answer afterwards, with
    all its mail, wherever it ends up."""
    first = sessions[0]
    console = first.console
    site = first.site
    node = proof.group_node(site)
    if node is None:
        raise StepFailed(f"{site.group} is online nowhere")
    console.heading(f"Node {node} panics")
    proof.wait_for(lambda: proof.resource_status(site, node)[0] == "OK", FAULT_TIMEOUT,
                   "Messaging Server steady before the panic", console)
    before = {s.site.group: proof.group_node(s.site) for s in sessions}
    console.command(node, ["clustersim", "node", "panic", node])
    started = time.monotonic()
    clustersim(console, f"panicking {node}", "node", "panic", node, "--cluster",
               str(site.directory))
    for s in sessions:
        other = next(n for n in s.site.nodes if n != node)
        proof.wait_for(lambda s=s, other=other: proof.group_node(s.site) == other
                       and proof.services_answer(s.site),
                       FAULT_TIMEOUT, f"{s.site.group} answering on {other}", console)
        took = time.monotonic() - started
        proof.wait_for(lambda s=s: mail_readable(s.site, user, sent[s.site.group]), 30,
                       f"the mail of {s.site.group} readable on {other}", console)
        what = ("failed over: it answers" if before[s.site.group] == node else
                f"was not on {node}: it still answers")
        console.result(f"{s.site.group} {what} on {other} {took:.1f} s after the panic; no "
                       "message lost (IMAP and POP)")
    console.heading(f"Node {node} boots and rejoins the cluster")
    clustersim(console, f"booting {node}", "node", "boot", node, "--cluster",
               str(site.directory))
    survivor = next(n for n in site.nodes if n != node)
    first.cluster(survivor, "scstat", "-pw")


def use_it_yourself(site: Site, console: Console) -> None:
    console.heading("The cluster is still up (--keep). Try, for example:")
    first = site.nodes[0]
    command = tool("clustersim")
    on = f"{command} exec {first} --cluster {site.directory} --"
    console.evidence(f"""{on} scstat -pw      # on node {first}: where the groups are online
{on} scswitch -z -g {site.group} -h {site.nodes[1]}   # switch the group over
{on} sh -c 'echo 9 > {LOGLEVEL}'   # debug on
{on} tail -f /var/adm/messages     # the node's syslog (clusterlog: debug too)
{command} node panic {first} --cluster {site.directory}
{command} node boot {first} --cluster {site.directory}
{command} destroy {site.directory}       # stop everything when done""".splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo ARGS=", description=__doc__.split("\n")[0])
    parser.add_argument("--procedure", choices=sorted(PROCEDURES), default="generic",
                        help="which of the guide's procedures to run (default: generic)")
    parser.add_argument("--dir", type=Path,
                        help="where to build the package and create the cluster (default: a "
                        "new temporary directory, removed after a successful run)")
    parser.add_argument("--keep", action="store_true",
                        help="leave the cluster up at the end, and say how to use it")
    parser.add_argument("--quiet", action="store_true",
                        help="headings, results and the progress of long waits only")
    parser.add_argument("--engine", choices=("suncluster", "pacemaker"), default="suncluster",
                        help="the cluster: the Sun Cluster stand-in (default), or three real "
                        "Pacemaker/Corosync nodes running the OCF agent ocf:sunw:ims")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("make demo: run as root (Messaging Server binds its ports and switches to "
              "its runtime user, as on Solaris)", file=sys.stderr)
        return 2

    console = Console(quiet=args.quiet)
    if args.engine == "pacemaker":
        from pacemakerbed import demo as pacemaker_demo  # noqa: PLC0415 (only when chosen)

        return pacemaker_demo.run(console, args.dir, args.keep)
    directory = args.dir or Path(tempfile.mkdtemp(prefix="sunwscims-demo-"))
    chosen = PROCEDURES[args.procedure]
    sessions = chosen.sessions(directory / "cluster", console)
    first = sessions[0]
    site = first.site
    user = "joe"
    created = False
    began = time.time()
    try:
        package_dir = build_package(console, directory / "build")
        create_cluster(first)
        created = True
        chosen.run(sessions, package_dir)
        sent = {s.site.group: prove_mail(s, user) for s in sessions}
        prove_switchover(first, user, sent[site.group])
        prove_watcher_restart(first)
        prove_panic(sessions, user, sent)
        show_report(site, console, began)
        if args.keep:
            use_it_yourself(site, console)
            return 0
        chosen.unconfigure(sessions)
        show_nothing_runs(sessions)
        created = False
        destroy_cluster(site, console)
        console.heading(f"Done in {time.monotonic() - console.started:.0f} s; nothing is "
                        "left running")
        if args.dir is None:
            shutil.rmtree(directory, ignore_errors=True)
        return 0
    except (StepFailed, TimeoutError, OSError, subprocess.CalledProcessError) as exc:
        console.heading(f"FAILED: {exc}")
        if created and not args.keep:
            # --keep: every process stops, the node roots and their logs stay to be read
            subprocess.run([tool("clustersim"), "destroy", "--keep", str(site.directory)],
                           capture_output=True, timeout=300, check=False)
            created = False
            console.result(f"cluster stopped; the nodes' files and logs stay in "
                           f"{site.directory}/nodes (var/adm/messages)")
        return 1
    finally:
        if created and not args.keep:
            subprocess.run([tool("clustersim"), "destroy", str(site.directory)],
                           capture_output=True, timeout=300, check=False)


if __name__ == "__main__":
    sys.exit(main())
