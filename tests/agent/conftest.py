"""The agent's end-to-end tests: SUNWscims on a two-node stand-in cluster with an mssim
installation, set up by the guide's generic procedure (src/scenarios/generic.py).

The package is built once per session; each test module gets its own cluster (module
scope), which is always destroyed at the end, and no process of it may be left behind.
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
from dataclasses import dataclass
from pathlib import Path

import pytest

from scenarios import faults, generic
from scenarios.console import Console
from scenarios.session import Session, StepFailed, tool
from scenarios.site import Site

TOP = Path(__file__).resolve().parents[2]
HEAL_TIMEOUT = 120.0
"""How long a test gives the service to be healthy again after a fault (seconds)."""


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

    def other(self, node: str) -> str:
        return next(n for n in self.site.nodes if n != node)

    def switch(self, target: str, expect: int | None = 0) -> subprocess.CompletedProcess[str]:
        return self.cmd(target, "scswitch", "-z", "-g", self.site.group, "-h", target,
                        expect=expect)

    def healthy(self) -> str:
        """Wait for the service to be healthy somewhere, faults cleared; the node."""
        faults.clear_faults(self.site)
        node, _ = faults.wait_healthy(self.site, HEAL_TIMEOUT)
        return node


@pytest.fixture(scope="session")
def package_dir() -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.fail("the agent's end-to-end tests run as root (Messaging Server switches to "
                    "its runtime user, as on Solaris)")
    out = Path(tempfile.mkdtemp(prefix="ims-pkg-"))
    try:
        done = subprocess.run([sys.executable, str(TOP / "packaging" / "build.py"),
                               "--no-dist", "--out", str(out)], capture_output=True, text=True,
                              timeout=600, check=False)
        assert done.returncode == 0, f"packaging/build.py failed: {done.stderr}"
        yield out / "pkg"
    finally:
        shutil.rmtree(out, ignore_errors=True)


def cluster_processes(directory: Path) -> list[str]:
    done = subprocess.run(["pgrep", "-a", "-f", str(directory)], capture_output=True,
                          text=True, timeout=30, check=False)
    return [line for line in done.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def cluster(package_dir: Path) -> Iterator[Cluster]:
    top = Path(tempfile.mkdtemp(prefix="ims-", dir="/tmp"))
    os.chmod(top, 0o755)  # the runtime user must reach the configuration directory
    site = Site(top / "c")
    transcript = io.StringIO()
    session = Session(site, Console(out=transcript))
    created = False
    try:
        done = subprocess.run([tool("clustersim"), "create", str(site.directory), "--nodes",
                               ",".join(site.nodes)], capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, f"clustersim create failed: {done.stderr}"
        created = True
        try:
            generic.run(session, package_dir)
        except StepFailed as exc:
            pytest.fail(f"generic procedure failed: {exc}\n{transcript.getvalue()[-4000:]}")
        yield Cluster(site, session, transcript)
    finally:
        if created:
            done = subprocess.run([tool("clustersim"), "destroy", str(site.directory)],
                                  capture_output=True, text=True, timeout=300, check=False)
            left: list[str] = []
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                left = cluster_processes(site.directory)
                if not left:
                    break
                time.sleep(0.5)
            shutil.rmtree(top, ignore_errors=True)
            assert done.returncode == 0, f"clustersim destroy failed: {done.stderr}"
            assert not left, "processes of the cluster left after destroy:\n" + "\n".join(left)
        else:
            shutil.rmtree(top, ignore_errors=True)

