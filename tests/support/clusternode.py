"""Test harness for the node layer: one stand-in node with its syslogd and pmfd running.

The node-layer tests import `running_node` explicitly and wrap it in a fixture. Every test
runs with its tmp_path as working directory, so every process PMF starts for it has that
cwd (PMF re-instantiates the requester's cwd); on exit the harness stops the daemons and
asserts that no process with that cwd, or naming tmp_path on its command line, is left:
nothing a test starts may outlive it.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from clustersim import pmfadm, procs
from clustersim.layout import ClusterLayout
from clustersim.pmfd import start_pmfd, stop_pmfd
from clustersim.syslogd import start_syslogd, stop_syslogd
from support.waiting import wait_for


def make_node_root(layout: ClusterLayout, node: str) -> Path:
    root = layout.node_root(node)
    for sub in ("dev", "var/adm", "usr/cluster/bin", "etc"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "etc" / "nodename").write_text(f"{node}\n")
    return root


def leftovers(directory: Path) -> list[int]:
    """Live processes (other than this one) whose cwd is under `directory` or whose
    command line names it."""
    mark = str(directory)
    found: list[int] = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        pid = int(name)
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = ""
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().decode("utf-8", "replace")
        except OSError:
            cmdline = ""
        if (cwd == mark or cwd.startswith(mark + "/") or mark in cmdline) and procs.is_alive(pid):
            found.append(pid)
    return found


@dataclass
class Node:
    """One running stand-in node (syslogd + pmfd) and helpers to drive and inspect it."""

    layout: ClusterLayout
    name: str
    tmp: Path
    pmfd_pid: int = 0
    syslogd_pid: int = 0
    tracked: set[int] = field(default_factory=set)

    def pmfadm(self, *args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = pmfadm.main(list(args), layout=self.layout, node=self.name)
        return rc, out.getvalue(), err.getvalue()

    def pids(self, tag: str) -> list[int]:
        """The pids `pmfadm -l` lists for a tag ([] if the tag is not registered)."""
        rc, out, _err = self.pmfadm("-l", tag)
        if rc != 0:
            return []
        line = next(ln for ln in out.splitlines() if ln.strip().startswith("pids:"))
        pids = [int(p) for p in line.split(":", 1)[1].split()]
        self.tracked.update(pids)
        return pids

    def registered(self, tag: str) -> bool:
        return self.pmfadm("-q", tag)[0] == 0

    def messages(self) -> str:
        path = self.layout.node_messages(self.name)
        return path.read_text() if path.exists() else ""

    def script(self, name: str, body: str) -> Path:
        """An executable /bin/sh script in the test's directory."""
        path = self.tmp / "bin" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path

    def read_pid(self, path: Path) -> int:
        pid = int(wait_for(lambda: path.exists() and path.read_text().strip(), what=str(path)))
        self.tracked.add(pid)
        return pid


@contextlib.contextmanager
def running_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str = "mars", *, pmfd: bool = True
) -> Iterator[Node]:
    """Start syslogd (and pmfd) for a node rooted in tmp_path; stop all and check for leaks."""
    layout = ClusterLayout.at(tmp_path / "cluster")
    make_node_root(layout, name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    node = Node(layout, name, work)
    try:
        node.syslogd_pid = start_syslogd(layout, name)
        if pmfd:
            node.pmfd_pid = start_pmfd(layout, name)
        yield node
    finally:
        stop_pmfd(layout, name)
        stop_syslogd(layout, name)
        daemons = [p for p in (node.pmfd_pid, node.syslogd_pid) if p]
        gone = procs.wait_gone([*daemons, *node.tracked], 10.0)
        left = leftovers(tmp_path)
        for pid in left:  # clean up before failing, so one failure does not leak into others
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(layout.run_dir, ignore_errors=True)
        assert gone, "a daemon or a tracked process outlived the test"
        assert not left, f"processes left behind: {left}"
