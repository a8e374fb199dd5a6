"""A stand-in cluster for the end-to-end tests: SUNWscims built once, a two-node cluster set
up by the guide's generic procedure (steps 1-17), always destroyed, and nothing of it left.

Development tool: the test suites (tests/agent, tests/faults) share it through their
conftest fixtures, so that building, creating and tearing down are written once.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from imsguide import faults, generic, proof
from imsguide.console import Console
from imsguide.session import Session, StepFailed, tool
from imsguide.site import Site

TOP = Path(__file__).resolve().parents[2]
HEAL_TIMEOUT = 120.0
"""How long a test gives the service to be healthy again after a fault (seconds)."""
HEARTBEAT_TIMEOUT = 4000
"""Milliseconds of silence before the test clusters declare a node dead."""
LEFTOVER_WAIT = 15.0
"""How long processes of a destroyed cluster may take to disappear (seconds)."""


class TestbedError(Exception):
    """The package could not be built, or the cluster not be set up or torn down."""


@dataclass
class Cluster:
    """A stand-in cluster after steps 1-17 of the generic procedure."""

    site: Site
    session: Session
    transcript: io.StringIO

    def cmd(self, node: str, command: str, *args: str,
            expect: int | None = 0) -> subprocess.CompletedProcess[str]:
        return self.session.cluster(node, command, *args, expect=expect)

    def set_props(self, *args: str) -> None:
        """`scrgadm -c -j mail-rs ...` typed on the first node."""
        self.cmd(self.site.nodes[0], "scrgadm", "-c", "-j", self.site.mail_resource, *args)

    def set_group_props(self, *args: str) -> None:
        """`scrgadm -c -g MAIL-RG ...` typed on the first node."""
        self.cmd(self.site.nodes[0], "scrgadm", "-c", "-g", self.site.group, *args)

    def other(self, node: str) -> str:
        return next(n for n in self.site.nodes if n != node)

    def switch(self, target: str, expect: int | None = 0) -> subprocess.CompletedProcess[str]:
        return self.cmd(target, "scswitch", "-z", "-g", self.site.group, "-h", target,
                        expect=expect)

    def switch_until_healthy(self, target: str, timeout: float = HEAL_TIMEOUT,
                             expect: int | None = 0) -> tuple[str, float]:
        """Switch the group to `target`, then wait until the service is healthy somewhere
        (where the cluster put it: `target`, or another node if it could not start there);
        that node, and the seconds since the switch was typed."""
        started = time.monotonic()
        self.switch(target, expect=expect)
        node, _ = faults.wait_healthy(self.site, timeout)
        return node, time.monotonic() - started

    def node_action(self, action: str, node: str) -> None:
        """`clustersim node boot|panic|isolate|reconnect NODE`: a node dies (powered off:
        every process of it at once), is cut off the network, or comes back."""
        done = subprocess.run([tool("clustersim"), "node", action, node, "--cluster",
                               str(self.site.directory)], capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            raise TestbedError(f"clustersim node {action} {node}: {done.stderr.strip()}")

    def wait_declared_dead(self, node: str, timeout: float = 60.0) -> float:
        """Until the other node, by silence, has declared `node` dead; the seconds taken."""
        survivor = self.other(node)
        return proof.wait_for(
            lambda: proof.ask(self.site, survivor, "scha_cluster_get", "-O", "Node_state",
                              node) == ["DOWN"], timeout, f"{survivor} declaring {node} dead")

    def healthy(self) -> str:
        """Wait for the service to be healthy somewhere, faults cleared; the node."""
        faults.clear_faults(self.site)
        node, _ = faults.wait_healthy(self.site, HEAL_TIMEOUT)
        return node


@contextmanager
def built_package() -> Iterator[Path]:
    """SUNWscims built into a temporary directory: the package directory for pkgadd."""
    if os.geteuid() != 0:
        raise TestbedError("the agent's end-to-end tests run as root (Messaging Server "
                           "switches to its runtime user, as on Solaris)")
    out = Path(tempfile.mkdtemp(prefix="ims-pkg-"))
    try:
        done = subprocess.run([sys.executable, str(TOP / "packaging" / "build.py"),
                               "--no-dist", "--out", str(out)], capture_output=True, text=True,
                              timeout=600, check=False)
        if done.returncode != 0:
            raise TestbedError(f"packaging/build.py failed: {done.stderr}")
        yield out / "pkg"
    finally:
        shutil.rmtree(out, ignore_errors=True)


def cluster_processes(directory: Path) -> list[str]:
    done = subprocess.run(["pgrep", "-a", "-f", str(directory)], capture_output=True,
                          text=True, timeout=30, check=False)
    return [line for line in done.stdout.splitlines() if line.strip()]


def public_directory(prefix: str = "ims-") -> Path:
    """A fresh directory under /tmp that every user may traverse (mode 0755), for a cluster
    whose Messaging Server drops to its runtime user: mailsrv must reach its installation and
    configuration under the node roots, as every user reaches `/` on a real node.

    Never under pytest's temporary root (/tmp/pytest-of-<user>, where tmp_path lies): pytest
    keeps that directory private and takes back, at the start of every pytest session on the
    machine, the search bit `clustersim create` adds to it. A cluster there works until some
    other pytest starts; from then on every server start fails (EACCES on its pid file) and,
    in HA mode, the watcher gives up at once ("start-msg ha ended and no Messaging Server
    process is left").
    """
    top = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(top, 0o755)  # noqa: S103 - the runtime user must reach the configuration directory
    return top


@contextmanager
def generic_cluster(package_dir: Path, *, for_tests: bool = True,
                    prefix: str = "ims-") -> Iterator[Cluster]:
    """A two-node cluster with Messaging Server online under SUNW.ims; destroyed on exit, and
    TestbedError if a process of it is left behind.

    `for_tests`: node death is noticed after HEARTBEAT_TIMEOUT and every node's clusterlog
    takes daemon.debug, as the tests want; the benchmarks measure with the cluster's own
    settings instead (False)."""
    top = public_directory(prefix)
    site = Site(top / "c")
    transcript = io.StringIO()
    session = Session(site, Console(out=transcript))
    created = False
    try:
        done = subprocess.run([tool("clustersim"), "create", str(site.directory), "--nodes",
                               ",".join(site.nodes)], capture_output=True, text=True,
                              timeout=300, check=False)
        if done.returncode != 0:
            raise TestbedError(f"clustersim create failed: {done.stderr}")
        created = True
        try:
            if for_tests:
                # node death noticed after 4 s of silence (Sun Cluster's default: 10 s)
                session.cluster(site.nodes[0], "cluster", "set", "-p",
                                "heartbeat_quantum=500", "-p",
                                f"heartbeat_timeout={HEARTBEAT_TIMEOUT}")
                for node in site.nodes:  # the guide's 3.4.3.1: the tests read clusterlog
                    session.debug_log(node)
            generic.run(session, package_dir)
        except StepFailed as exc:
            raise TestbedError(f"generic procedure failed: {exc}\n"
                               f"{transcript.getvalue()[-4000:]}") from exc
        yield Cluster(site, session, transcript)
    finally:
        try:
            if created:
                _destroy(site)
        finally:
            shutil.rmtree(top, ignore_errors=True)


def _destroy(site: Site) -> None:
    done = subprocess.run([tool("clustersim"), "destroy", str(site.directory)],
                          capture_output=True, text=True, timeout=300, check=False)
    left: list[str] = []
    deadline = time.monotonic() + LEFTOVER_WAIT
    while time.monotonic() < deadline:
        left = cluster_processes(site.directory)
        if not left:
            break
        time.sleep(0.5)
    if done.returncode != 0:
        raise TestbedError(f"clustersim destroy failed: {done.stderr}")
    if left:
        raise TestbedError("processes of the cluster left after destroy:\n" + "\n".join(left))
