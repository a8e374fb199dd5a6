"""The two-node stand-in cluster of the clustersim tests, and TEST.sleeper: a resource type
whose every method journals its begin and end and can be told to fail or hang, so that the
tests can see which method the RGM ran where, when, and for how long."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

import hostlab
from clustersim import hosts
from clustersim.layout import ClusterLayout
from clustersim.store import Store

SLEEPER = Path(__file__).resolve().parents[1] / "clustersim" / "sleeper"
METHODS = ("prenet_start", "start", "stop", "postnet_stop", "validate", "update",
           "monitor_start", "monitor_stop", "monitor_check", "giveup")
CLUSTER_WAIT = 60.0
"""How long a test waits for the cluster to act (a failover, a relocation, a log line)."""
TEST_HEARTBEAT = {"heartbeat_quantum": "500", "heartbeat_timeout": "4000"}
"""Node death noticed after 4 s of silence (Sun Cluster's default is 10 s)."""


@dataclass
class Interval:
    """One method run of the sleeper, from its journal."""

    node: str
    method: str
    resource: str
    begin: float
    end: float | None

    def overlaps(self, other: Interval) -> bool:
        end = self.end if self.end is not None else float("inf")
        other_end = other.end if other.end is not None else float("inf")
        return self.begin < other_end and other.begin < end


@dataclass
class Cluster:
    layout: ClusterLayout

    def run(self, node: str, command: str, *args: str, check: bool = False,
            cwd: str | None = None) -> subprocess.CompletedProcess[str]:
        """A cluster command typed on `node` (cwd: a path on the node)."""
        proc = self.host(node).run([str(self.layout.node_bin(node) / command), *args],
                                   capture_output=True, text=True, timeout=180,
                                   cwd=cwd, env=dict(os.environ))
        if check and proc.returncode != 0:
            pytest.fail(f"{command} {' '.join(args)} -> {proc.returncode}: {proc.stderr}")
        return proc

    def ok(self, node: str, command: str, *args: str) -> str:
        return self.run(node, command, *args, check=True).stdout

    def host(self, node: str) -> hostlab.Host:
        return hosts.host(self.layout, node)

    def sh(self, node: str, *argv: str) -> str:
        """Any command on the node, as root; its output."""
        done = self.host(node).run(list(argv), capture_output=True, text=True, timeout=60)
        return done.stdout + done.stderr

    def mounted(self, node: str, mount_point: str) -> bool:
        """A file system is mounted at `mount_point` in the node's mount namespace."""
        return self.host(node).run(["findmnt", "-n", mount_point]).returncode == 0

    def addresses(self, node: str) -> list[str]:
        """IPv4 addresses up on the node's interface."""
        out = self.sh(node, "ip", "-o", "-4", "addr", "show", "dev", "eth0")
        return [line.split()[3].split("/")[0] for line in out.splitlines()]

    def root(self, node: str) -> Path:
        return self.layout.node_root(node)

    def _journal_events(self) -> list[list[str]]:
        path = self.layout.base / "sleeper.journal"
        return [ln.split() for ln in path.read_text().splitlines()] if path.exists() else []

    def journal(self) -> list[str]:
        """The sleeper's invocations, one "node method args" line each, in start order."""
        return [" ".join(f[3:]) for f in self._journal_events() if f[0] in ("begin", "action")]

    def intervals(self) -> list[Interval]:
        """Every method run of the sleeper from its begin to its end line (end None: it
        was killed, or is still running)."""
        runs: list[Interval] = []
        open_runs: dict[str, Interval] = {}
        for f in self._journal_events():
            if f[0] == "begin":
                res = f[f.index("-R") + 1] if "-R" in f else ""
                run = Interval(f[3], f[4].removeprefix("sleeper_"), res, float(f[1]), None)
                runs.append(run)
                open_runs[f[2]] = run
            elif f[0] == "end" and f[2] in open_runs:
                open_runs.pop(f[2]).end = float(f[1])
        return runs

    def calls(self, since: int = 0) -> list[tuple[str, str, str]]:
        """(node, method, resource) of the sleeper journal from line `since`."""
        out = []
        for line in self.journal()[since:]:
            fields = line.split()
            res = fields[fields.index("-R") + 1] if "-R" in fields else fields[2]
            out.append((fields[0], fields[1].removeprefix("sleeper_"), res))
        return out

    def rs_state(self, rs: str, node: str) -> str:
        store = Store(self.layout.state_db)
        try:
            return store.rs_state(rs, node)[0]
        finally:
            store.close()

    def rg_state(self, rg: str, node: str) -> str:
        store = Store(self.layout.state_db)
        try:
            return store.rg_state(rg, node)
        finally:
            store.close()

    def fault(self, node: str, rs: str, method: str, what: str | None) -> None:
        ctl = self.root(node) / "var" / "tmp" / "sleeper"
        ctl.mkdir(parents=True, exist_ok=True)
        path = ctl / f"{rs}.sleeper_{method}"
        if what is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(what)

    def pmf_pids(self, node: str, tag: str) -> list[int]:
        out = self.run(node, "pmfadm", "-l", tag).stdout
        pids: list[int] = []
        for line in out.splitlines():
            if "pids" in line.lower():
                pids += [int(t) for t in line.replace(",", " ").split() if t.isdigit()]
        return pids


def build_sleeper_package(dest: Path) -> Path:
    """TESTsleep in SVR4 directory format: relocatable methods under BASEDIR=/opt, the RTR
    reachable as /opt/cluster/lib/rgm/rtreg/TEST.sleeper, a postinstall that records its
    environment."""
    pkg = dest / "TESTsleep"
    (pkg / "reloc" / "TESTsleep" / "bin").mkdir(parents=True)
    (pkg / "reloc" / "TESTsleep" / "etc").mkdir(parents=True)
    (pkg / "install").mkdir()
    (pkg / "reloc" / "TESTsleep" / "bin" / "sleeper_method").write_text(
        (SLEEPER / "sleeper_method").read_text())
    (pkg / "reloc" / "TESTsleep" / "etc" / "TEST.sleeper").write_text(
        (SLEEPER / "TEST.sleeper").read_text())
    (pkg / "pkginfo").write_text('PKG="TESTsleep"\nNAME="clustersim test service"\n'
                                 'ARCH="all"\nVERSION="1.0"\nCATEGORY="application"\n'
                                 'BASEDIR="/opt"\n')
    (pkg / "install" / "postinstall").write_text(
        'echo "BASEDIR=$BASEDIR CLIENT_BASEDIR=$CLIENT_BASEDIR PKGINST=$PKGINST" '
        '> "$PKG_INSTALL_ROOT/var/tmp/TESTsleep.postinstall"\nexit 0\n')
    (pkg / "install" / "postremove").write_text(
        'rm -f "$PKG_INSTALL_ROOT/var/tmp/TESTsleep.postinstall"\nexit 0\n')
    from clustersim.pkg import sysv_sum

    def size_sum(path: Path) -> str:  # what pkgmk records and pkgadd verifies
        data = path.read_bytes()
        return f"{len(data)} {sysv_sum(data)} 0"

    reloc = pkg / "reloc" / "TESTsleep"
    lines = [": 1 64",
             "1 d none TESTsleep 0755 root bin",
             "1 d none TESTsleep/bin 0755 root bin",
             "1 d none TESTsleep/etc 0755 root bin",
             "1 f none TESTsleep/bin/sleeper_method 0555 root bin "
             + size_sum(reloc / "bin" / "sleeper_method"),
             "1 f none TESTsleep/etc/TEST.sleeper 0444 root bin "
             + size_sum(reloc / "etc" / "TEST.sleeper"),
             "1 s none /opt/cluster/lib/rgm/rtreg/TEST.sleeper=/opt/TESTsleep/etc/TEST.sleeper"]
    lines += [f"1 s none TESTsleep/bin/sleeper_{m}=sleeper_method" for m in METHODS]
    lines += [f"1 i pkginfo {size_sum(pkg / 'pkginfo')}",
              f"1 i postinstall {size_sum(pkg / 'install' / 'postinstall')}",
              f"1 i postremove {size_sum(pkg / 'install' / 'postremove')}"]
    (pkg / "pkgmap").write_text("\n".join(lines) + "\n")
    return dest


