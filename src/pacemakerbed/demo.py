"""`make demo ARGS="--engine pacemaker"`: the same agent under Pacemaker, end to end.

It builds the scims-ocf package, brings up three Pacemaker/Corosync nodes (hostlab hosts on a
private segment), configures the group mail = Filesystem + IPaddr2 + ocf:sunw:ims with
crmsh (docs/ocf.md), and proves the service as an administrator would: crm_mon, mail in
through the virtual address and read back over IMAP after each move; crm resource move; a
hung imapd
found by the monitor and restarted in place; the watcher giving up, which moves the group;
a node powered off, fenced and failed over; imsreport's story of it all, read by ssh from
one node; then the whole cluster destroyed, nothing left.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from imsguide.console import Console
from pacemakerbed.bed import (
    GROUP,
    NODES,
    VIRTUAL_IP,
    PacemakerBed,
    Timing,
    clear_commands,
    move_commands,
    wait_for,
)
from pacemakerbed.sshd import NodeSshd
from scims.report import render

IMSREPORT = Path(__file__).resolve().parents[2] / "admin" / "imsreport"

USER = "joe@mail.example.com"


class Demo:
    def __init__(self, console: Console, bed: PacemakerBed) -> None:
        self.console = console
        self.bed = bed
        self.sent: list[str] = []

    def crm(self, *argv: str) -> str:
        node = self.bed.live_node()
        self.console.command(node, list(argv))
        done = self.bed.crm(*argv, check=False)
        self.console.output(done.stdout + done.stderr)
        return done.stdout

    def mail_round(self, why: str) -> None:
        message_id = f"demo-{len(self.sent) + 1}@pacemaker"
        self.bed.send_mail(USER, message_id)
        self.sent.append(message_id)
        wait_for("the mail in the INBOX",
                 lambda: set(self.sent) <= set(self.bed.read_mail("joe")) or None, timeout=30)
        self.console.result(f"{why}: {len(self.sent)} message(s) sent to "
                            f"{VIRTUAL_IP}, all read back over IMAP")

    def timed(self, what: str, action: object, wait: object) -> float:
        with self.console.ticking(what):
            began = time.monotonic()
            action()  # type: ignore[operator]
            node = wait()  # type: ignore[operator]
            took = time.monotonic() - began
        self.console.result(f"{what}: the group runs on {node} after {took:.1f} s")
        return took

    def run(self) -> None:
        bed, console = self.bed, self.console
        began = time.time()
        first = bed.wait_started()
        console.heading(f"The group runs on {first}")
        self.crm("crm_mon", "--one-shot", "--inactive")
        self.mail_round("mail through the virtual address")

        console.heading(f"{bed.tool} resource move: the administrator moves the group")
        target = next(n for n in NODES if n != first)
        self.timed("move", lambda: [self.crm(*argv) for argv in
                                    move_commands(bed.tool, GROUP, target)],
                   lambda: bed.wait_started(not_on=first))
        for argv in clear_commands(bed.tool, GROUP):
            self.crm(*argv)
        self.mail_round("after the move")

        node = bed.wait_started()
        console.heading(f"A hung imapd on {node}: a monitor failure, then a restart in place")
        bed.mssim_fault(node, "imapd", "hang")
        failure = wait_for("the monitor to fail", lambda: [
            f for f in bed.failures() if f.get("task") == "monitor"])[0]
        bed.mssim_fault(node, "clear")
        console.result(f"monitor rc {failure.get('exitstatus')}: "
                       f"{failure.get('exitreason', '')}")
        console.result(f"restarted on {bed.wait_started()} (migration-threshold "
                       f"{bed.timing.migration_threshold} not reached)")
        bed.cleanup()
        self.mail_round("after the restart")

        node = bed.wait_started()
        console.heading(f"imapd crashes twice on {node}: the watcher gives up, the group moves")
        bed.mssim_fault(node, "imapd", "crash")
        wait_for("imapd restarted by the watcher", lambda: bed.messaging_pids(node, "imapd"))
        self.timed("watcher gave up", lambda: bed.mssim_fault(node, "imapd", "crash"),
                   lambda: bed.wait_started(not_on=node))
        for failure in bed.failures():
            console.evidence([f"{failure.get('op_key')} on {failure.get('node')}: "
                              f"{failure.get('exitstatus')} ({failure.get('exitreason')})"])
        bed.cleanup()
        self.mail_round("after the watcher's failover")

        node = bed.wait_started()
        console.heading(f"{node} loses power: the cluster fences it and fails the group over")
        self.timed("node killed", lambda: bed.kill_node(node),
                   lambda: bed.wait_started(not_on=node))
        console.result(f"{node} fenced by fence_hostlab: {bed.switch.fenced(node)}")
        self.mail_round("after the node's failover")
        self.crm("crm_mon", "--one-shot")
        self.report(began)

    def report(self, since: float) -> None:
        """imsreport on one node, reaching the others by ssh as crm_report does: what
        happened to mail during the demo (--quiet: one line per incident)."""
        console = self.console
        try:
            done = self._report_on_a_node(since)
        except RuntimeError as exc:  # an sshd that did not start
            raise AssertionError(str(exc)) from exc
        if done.returncode != 0:
            raise AssertionError(f"imsreport failed: {done.stderr.strip()}")
        console.output(done.stdout)
        found = render.headlines(done.stdout)
        console.result(f"imsreport found {len(found)} incident(s), most recent last:")
        console.evidence(found)

    def _report_on_a_node(self, since: float) -> subprocess.CompletedProcess[str]:
        bed, console = self.bed, self.console
        off = [n for n in NODES if not bed.host(n).is_powered]
        for node in off:  # the administrator powers it back on before asking what happened
            with bed.lock:
                bed.host(node).power_on()
        with NodeSshd(bed) as ssh:
            here = next(n for n in ssh.nodes if n not in off)
            if off:
                console.note(f"{', '.join(off)} powered on again (its cluster stack left "
                             "stopped), so that its logs can be read")
            console.heading(f"What happened to mail, as imsreport tells it on {here} (ssh to "
                            f"{', '.join(ssh.nodes)})")
            argv = ["imsreport", "--ssh-config", str(ssh.config),
                    *[a for n in ssh.nodes for a in ("--node", n)],
                    "--remote-log", "/var/log/pacemaker/pacemaker.log",
                    "--remote-log", str(bed.nodes_dir / "%n" / "syslog"),
                    "--from", time.strftime("%H:%M:%S", time.localtime(since))]
            console.command(here, argv)
            return bed.run(here, [sys.executable, str(IMSREPORT), *argv[1:]], check=False,
                           timeout=300)


def run(console: Console, directory: Path | None, keep: bool) -> int:
    """The demo; 0 when every proof held and nothing was left."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging"))
    import debian  # noqa: PLC0415 (packaging/ is not a package: found through sys.path)

    top = directory or Path(tempfile.mkdtemp(prefix="scims-pacemaker-demo-"))
    console.heading("Building the scims-ocf package")
    deb = debian.build(top / "build")
    console.note(str(deb))
    console.heading("Three Pacemaker/Corosync nodes, the group mail (fs, ip, ms)")
    with console.ticking("creating the cluster"):
        bed = PacemakerBed.create(top / "cluster", deb, Timing())
    try:
        Demo(console, bed).run()
        if keep:
            console.result(f"the cluster stays up: nodes under {bed.directory}/nodes; "
                           f"run commands in a node with nsenter --target <pid> -a")
            return 0
    except AssertionError as exc:
        console.heading(f"FAILED: {exc}")
        console.output(bed.logs_tail(20))
        bed.destroy()
        return 1
    began = time.monotonic()
    bed.destroy()
    left = bed.leftovers()
    console.heading(f"Cluster destroyed in {time.monotonic() - began:.1f} s; "
                    f"processes left: {len(left)}")
    console.heading(f"Done in {time.monotonic() - console.started:.0f} s")
    if directory is None and not left:
        shutil.rmtree(top, ignore_errors=True)
    return 0 if not left else 1
