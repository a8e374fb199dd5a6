"""Fixtures for the cluster tests: a two-node stand-in cluster that is always destroyed,
and the TEST.sleeper package installed on its nodes with clustersim pkgadd (the helpers:
`support.sleeper`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clustersim import cli, membership, procs
from clustersim import node as nodelife
from support.sleeper import TEST_HEARTBEAT, Cluster, build_sleeper_package


@pytest.fixture
def cluster(tmp_path: Path, show_node_logs: Callable[[Path], None]) -> Iterator[Cluster]:
    show_node_logs(tmp_path / "cl")
    layout = cli.create(str(tmp_path / "cl"), ["mars", "venus"], "testcl", start=True)
    membership.change_settings(layout.base, TEST_HEARTBEAT)
    try:
        yield Cluster(layout)
    finally:
        running: set[int] = set()
        for node in ("mars", "venus"):
            running |= nodelife.node_processes(layout, node)
        cli.destroy(layout, keep=True)
        left = cli.leftover_pids(layout)
        assert left == [], f"processes left behind by the cluster: {left}"
        assert procs.wait_gone(running, 10), "a process of a node survived destroy"


@pytest.fixture
def sleeper(cluster: Cluster, tmp_path: Path) -> Cluster:
    """The cluster with TEST.sleeper installed on both nodes and registered."""
    from clustersim import pkg

    pkgdir = build_sleeper_package(tmp_path / "pkgs")
    for node in ("mars", "venus"):
        pkg.pkgadd(cluster.layout, node, pkgdir, "TESTsleep")
        ctl = cluster.root(node) / "var" / "tmp" / "sleeper"  # the node's /var/tmp/sleeper
        ctl.mkdir(parents=True, exist_ok=True)
        (ctl / "journal-path").write_text(f"{cluster.layout.base / 'sleeper.journal'}\n")
    cluster.ok("mars", "scrgadm", "-a", "-t", "TEST.sleeper")
    return cluster

