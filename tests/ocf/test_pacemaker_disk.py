"""The bed's shared disk is where Filesystem mounted it, and nowhere else, even when the
holding node freezes: each node's mount table shows the disk only on the holder (so the
probes at creation find it stopped on the others), and a frozen holder, once fenced, holds
nothing -- not even through its wrappers outside its PID namespace -- when the new holder
mounts it. A bed of its own: a frozen node is fenced and stays off."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostlab import kernel
from pacemakerbed.bed import CONFIG_DIR, NODES, PacemakerBed, wait_for
from support.ocf import BED_LOGS, running_bed

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory, deb: Path, capable: None
        ) -> Iterator[PacemakerBed]:
    with running_bed(tmp_path_factory.mktemp("pacemaker-disk"), deb) as made:
        yield made


def _mounted_at_config(bed: PacemakerBed, node: str) -> bool:
    """Does `node`'s own mount table (what Filesystem reads) have a mount at C?"""
    mounts = Path(f"/proc/{bed.host(node).pid}/mounts").read_text().splitlines()
    return any(line.split()[1] == CONFIG_DIR for line in mounts)


def _namespaces_with_the_disk(bed: PacemakerBed) -> set[str]:
    rdev = os.stat(bed.disk_device).st_rdev
    return kernel.mount_namespaces_with(f"{os.major(rdev)}:{os.minor(rdev)}")


def test_the_disk_is_mounted_only_on_the_holder_and_the_probes_say_so(
        bed: PacemakerBed, request: pytest.FixtureRequest) -> None:
    request.node.stash[BED_LOGS] = bed
    holder = bed.wait_started()
    assert {n: _mounted_at_config(bed, n) for n in NODES} == {
        n: n == holder for n in NODES}
    assert len(_namespaces_with_the_disk(bed)) == 1
    for node in NODES:
        assert "might be active" not in bed.node_log(node, "pacemaker"), node


def test_a_frozen_holder_is_fenced_and_the_disk_is_never_mounted_twice(
        bed: PacemakerBed, request: pytest.FixtureRequest) -> None:
    request.node.stash[BED_LOGS] = bed
    holder = bed.wait_started()
    frozen_ns = kernel.namespace_of(bed.host(holder).pid, "mnt")
    samples: list[set[str]] = []
    assert bed.host(holder).freeze() > 0

    def moved() -> str | None:
        samples.append(_namespaces_with_the_disk(bed))
        node = bed.where()
        return node if node not in (None, holder) else None

    new = wait_for("the group on another node", moved, timeout=90)
    assert bed.switch.fenced(holder)
    assert not bed.host(holder).is_powered
    assert all(len(s) <= 1 for s in samples), samples
    assert _namespaces_with_the_disk(bed) == {kernel.namespace_of(bed.host(new).pid, "mnt")}
    assert frozen_ns not in _namespaces_with_the_disk(bed)
    assert _mounted_at_config(bed, new)
