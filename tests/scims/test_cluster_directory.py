"""The resources around ours, from an in-process cluster: scds_hasp_check's five answers, the
logical host addresses, and each question asked once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers_scims import FakeCluster, make_node_root, on_node

from scims.cluster import logical_hosts
from scims.cluster.directory import ClusterDirectory, ResourceRef
from scims.cluster.storage import HaspStatus, hasp_check

NODES = ["mars", "venus"]


def disk(group: str = "MAIL-RG", mars: str = "ONLINE", venus: str = "OFFLINE",
         mounts: Any = ("STRINGARRAY", ["/var/opt/SUNWmsgsr", "/dev/md/d1", "relative"])
         ) -> dict[str, Any]:
    return {"group": group, "type": "SUNW.HAStoragePlus:4",
            "ext": {"FilesystemMountPoints": mounts}, "state": {"mars": mars, "venus": venus}}


LH = {"group": "MAIL-RG", "type": "SUNW.LogicalHostname:2",
      "ext": {"HostnameList": ("STRINGARRAY", ["meadow", "pasture.example.com"])}}


def directory(resources: dict[str, dict[str, Any]], local: str = "mars"
              ) -> tuple[ClusterDirectory, FakeCluster]:
    groups = {rs["group"]: {"Nodelist": NODES} for rs in resources.values()}
    fake = FakeCluster(resources, groups, {"Nodename_local": local, "All_nodenames": NODES})
    return ClusterDirectory(fake), fake  # type: ignore[arg-type]


@pytest.mark.parametrize(("resources", "local", "status"), [
    ({"meadow": LH}, "mars", HaspStatus.NO_RESOURCE),
    ({"disk-rs": disk(group="OTHER-RG")}, "mars", HaspStatus.ERR_CONFIG),
    ({"disk-rs": disk(mars="OFFLINE")}, "mars", HaspStatus.NOT_ONLINE),
    ({"disk-rs": disk()}, "venus", HaspStatus.ONLINE_NOT_LOCAL),
    ({"disk-rs": disk()}, "mars", HaspStatus.ONLINE_LOCAL),
])
def test_the_storage_answers_of_scds_hasp_check(resources: dict[str, dict[str, Any]],
                                                local: str, status: HaspStatus) -> None:
    found, _ = directory(resources, local)
    view = hasp_check(found, "MAIL-RG", NODES, list(resources))
    assert view.status is status
    if status in (HaspStatus.ONLINE_LOCAL, HaspStatus.ONLINE_NOT_LOCAL):
        assert view.mount_points == ("/var/opt/SUNWmsgsr",)  # devices and relative names out
    if status in (HaspStatus.ERR_CONFIG, HaspStatus.NOT_ONLINE):
        assert view.culprit is not None and view.culprit.name == "disk-rs"


def test_a_scan_answers_every_later_question_about_a_resource() -> None:
    found, fake = directory({"disk-rs": disk(), "meadow": LH})
    found.know(ResourceRef("mail-rs", "MAIL-RG", "SUNW.ims:6.3"))
    found.scan()
    before = list(fake.calls)
    assert found.ref("disk-rs") == ResourceRef("disk-rs", "MAIL-RG", "SUNW.HAStoragePlus:4")
    assert found.members("MAIL-RG") == found.scan()
    assert fake.calls == before
    assert not [call for call in fake.calls if call[1] == "Group"]


def test_each_question_is_asked_once() -> None:
    found, fake = directory({"disk-rs": disk()})
    for _ in range(3):
        found.nodes("MAIL-RG")
        found.local_node()
        found.state_on(found.ref("disk-rs"), "mars")
        found.extension(found.ref("disk-rs"), "FilesystemMountPoints")
    assert [call for call, n in Counter(fake.calls).items() if n > 1] == []
    assert len(fake.calls) == 6  # Group, Type, Nodelist, Nodename_local, state, extension


def test_a_state_that_cannot_be_read_is_unknown() -> None:
    found, _ = directory({"disk-rs": disk()})
    assert found.state_on(found.ref("disk-rs"), "pluto") == "UNKNOWN"


def test_logical_host_addresses_come_from_the_nodes_hosts_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_node_root(tmp_path / "mars")
    (root / "etc" / "hosts").write_text(
        "# the cluster's logical hosts\n198.18.0.10 meadow meadow.example.com\n"
        "198.18.0.11 pasture # second\n198.18.0.10 meadow-again meadow\n")
    on_node(monkeypatch, root)
    found, _ = directory({"meadow": LH, "disk-rs": disk()})
    # Network_resources_used unset: every logical host of the group; the storage is no host.
    assert logical_hosts.addresses(found, "MAIL-RG", "mail-rs", []) == ["198.18.0.10",
                                                                        "198.18.0.11"]
    assert logical_hosts.addresses(found, "MAIL-RG", "mail-rs", ["disk-rs"]) == []


def test_a_host_missing_from_the_hosts_file_is_asked_of_the_resolver(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """/etc/hosts first; a name it lacks goes to the node's resolver, as on any node (the
    resolver is answered here in process: a unit test asks no name server)."""
    root = make_node_root(tmp_path / "mars")
    (root / "etc" / "hosts").write_text("198.18.0.10 meadow\n")
    on_node(monkeypatch, root)
    asked: list[str] = []

    def resolver(name: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        asked.append(name)
        if name != "pasture":
            raise OSError("no such host")
        return [(2, 1, 6, "", ("198.18.0.11", 0)), (2, 2, 17, "", ("198.18.0.11", 0))]

    monkeypatch.setattr(logical_hosts.socket, "getaddrinfo", resolver)
    table = logical_hosts.hosts_table()
    assert logical_hosts.resolve_host("meadow", table) == ["198.18.0.10"]
    assert logical_hosts.resolve_host("pasture", table) == ["198.18.0.11"]
    assert logical_hosts.resolve_host("nowhere", table) == []
    assert asked == ["pasture", "nowhere"]


def test_start_does_not_ask_its_own_resources_type(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The group's Resource_list names the method's own resource too; its type is -T's."""
    root = make_node_root(tmp_path / "mars")
    (root / "etc" / "hosts").write_text("198.18.0.10 meadow\n")
    on_node(monkeypatch, root)
    own = {"group": "MAIL-RG", "type": "SUNW.ims:6.3"}
    fake = FakeCluster({"mail-rs": own, "meadow": LH}, {"MAIL-RG": {"Nodelist": NODES}},
                       {}).install(monkeypatch)
    assert logical_hosts.logical_host_addresses("MAIL-RG", "mail-rs", [],
                                                "SUNW.ims:6.3") == ["198.18.0.10"]
    assert ("scha_resource_get", "Type", "meadow") in fake.calls
    assert ("scha_resource_get", "Type", "mail-rs") not in fake.calls
