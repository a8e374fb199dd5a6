"""The runtime user's way to the installation (mssim.access), on real directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mssim.access import first_closed, may_search

UID, GID = 4242, 4243


@pytest.fixture
def tree(topdir: Path) -> Path:
    """topdir/var/opt/SUNWmsgsr, every directory on the way open (topdir is 0755 in /tmp)."""
    leaf = topdir / "var" / "opt" / "SUNWmsgsr"
    leaf.mkdir(parents=True)
    for d in (topdir / "var", topdir / "var" / "opt", leaf):
        os.chmod(d, 0o755)
    return leaf


def test_an_open_way_has_nothing_closed(tree: Path) -> None:
    assert first_closed(tree, UID, {GID}) is None


def test_a_parent_closed_to_others_is_named_with_its_mode_and_owner(tree: Path) -> None:
    os.chmod(tree.parent, 0o700)
    closed = first_closed(tree, UID, {GID})
    assert closed is not None and closed.directory == tree.parent
    assert closed.describe() == f"{tree.parent} (mode 0700, owner uid {os.getuid()})"
    assert first_closed(tree, 0, {0}) is None, "root passes everywhere"


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_owner_and_group_bits_decide_for_their_own_class(tree: Path) -> None:
    os.chown(tree.parent, 0, GID)
    os.chmod(tree.parent, 0o710)
    assert first_closed(tree, UID, {GID}) is None, "the group may search"
    assert first_closed(tree, UID + 1, {GID + 1}) is not None, "others may not"
    os.chown(tree.parent, UID, GID)
    os.chmod(tree.parent, 0o071)
    assert first_closed(tree, UID, {GID}) is not None, "the owner's own bits deny it"


def test_a_symlink_is_followed_to_the_real_directory(tree: Path, topdir: Path) -> None:
    link = topdir / "config"
    link.symlink_to(tree)
    os.chmod(tree.parent, 0o700)
    closed = first_closed(link, UID, {GID})
    assert closed is not None and closed.directory == tree.parent


def test_may_search_reads_the_class_bits(tree: Path) -> None:
    st = os.stat(tree)
    assert may_search(st, UID, {GID})
    os.chmod(tree, 0o750)
    assert not may_search(os.stat(tree), UID, {GID})
