from __future__ import annotations

import pytest

from scims.paths import node_path, root


def test_unset_or_empty_root_is_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SC_NODE_ROOT", raising=False)
    assert root() == "/"
    assert node_path("/etc/passwd") == "/etc/passwd"
    monkeypatch.setenv("SC_NODE_ROOT", "")
    assert node_path("/etc/passwd") == "/etc/passwd"


def test_paths_are_joined_under_the_node_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SC_NODE_ROOT", "/tmp/cluster/nodes/mars")
    assert root() == "/tmp/cluster/nodes/mars"
    assert node_path("/etc/passwd") == "/tmp/cluster/nodes/mars/etc/passwd"
    assert node_path("/var/cluster/rgm/rt/SUNW.ims/loglevel") == (
        "/tmp/cluster/nodes/mars/var/cluster/rgm/rt/SUNW.ims/loglevel"
    )


def test_root_is_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SC_NODE_ROOT", "/a")
    first = node_path("/x")
    monkeypatch.setenv("SC_NODE_ROOT", "/b")
    assert (first, node_path("/x")) == ("/a/x", "/b/x")


def test_relative_paths_are_refused() -> None:
    with pytest.raises(ValueError, match="absolute"):
        node_path("etc/passwd")
