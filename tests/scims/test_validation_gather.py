"""What Validate asks the cluster, counted: what the RGM passes on the command line is never
asked again, and no question is asked twice (issue #15). The cluster is answered in process
(helpers_scims.FakeCluster), the installation lies in a temporary node directory."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers_scims import (
    FakeCluster,
    RecordingTransport,
    make_installation,
    make_node_root,
    on_node,
    server_root,
)

from scims import validation
from scims.log.syslog import AgentLog
from scims.method_runtime import run_method

NAMES = ["-R", "mail-rs", "-T", "SUNW.ims:6.3", "-G", "MAIL-RG"]
def mail_rs(node: Path) -> dict[str, Any]:
    return {
        "group": "MAIL-RG", "type": "SUNW.ims:6.3",
        "props": {"Retry_interval": 600, "Thorough_probe_interval": 60, "Retry_count": 2,
                  "Validate_timeout": 300, "Resource_dependencies": ["disk-rs", "meadow"],
                  "Network_resources_used": []},
        "ext": {"IMS_serverroot": ("STRING", server_root(node))},
    }


def create(node: Path) -> list[str]:
    """What the RGM passes when mail-rs is created: every property (here those Validate
    reads)."""
    return ["-c", *NAMES, "-r", "Retry_interval=600", "-r", "Thorough_probe_interval=60",
            "-r", "Retry_count=2", "-r", "Validate_timeout=300",
            "-r", "Resource_dependencies=disk-rs,meadow", "-r", "Network_resources_used=",
            "-x", f"IMS_serverroot={server_root(node)}", "-g", "Nodelist=mars,venus"]


def cluster(node: Path, *, local: str = "mars", with_mail_rs: bool = True,
            **extra: dict[str, Any]) -> FakeCluster:
    """The guide's group: a logical host, its storage (/var/opt/SUNWmsgsr on `node`) online
    on mars, and mail-rs."""
    shared = str(node / "var" / "opt" / "SUNWmsgsr")
    resources: dict[str, dict[str, Any]] = {
        "meadow": {"group": "MAIL-RG", "type": "SUNW.LogicalHostname:2",
                   "ext": {"HostnameList": ("STRINGARRAY", ["meadow"])}},
        "disk-rs": {"group": "MAIL-RG", "type": "SUNW.HAStoragePlus:4",
                    "ext": {"FilesystemMountPoints": ("STRINGARRAY", [shared])},
                    "state": {"mars": "ONLINE", "venus": "OFFLINE"}},
    }
    if with_mail_rs:
        resources["mail-rs"] = mail_rs(node)
    resources.update(extra)
    groups = {"MAIL-RG": {"Nodelist": ["mars", "venus"]}}
    groups.update({rs["group"]: {"Nodelist": ["mars", "venus"]} for rs in extra.values()})
    return FakeCluster(resources, groups,
                       {"Nodename_local": local, "All_nodenames": ["mars", "venus"]})


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_node_root(tmp_path / "mars")
    make_installation(root)
    (root / "etc" / "hosts").write_text("198.18.0.10 meadow\n")
    on_node(monkeypatch, root)
    return root


def run(argv: list[str], fake: FakeCluster, monkeypatch: pytest.MonkeyPatch
        ) -> tuple[int, list[str]]:
    fake.install(monkeypatch)
    recorder = RecordingTransport()
    rc = run_method("ims_svc_validate", validation.validate, argv, validate=True,
                    make_log=lambda *names: AgentLog(*names, transport=recorder,
                                                     facility="daemon"))
    return rc, [record.text for record in recorder.records if not record.message.is_debug]


def asked_twice(fake: FakeCluster) -> list[tuple[str, ...]]:
    return [call for call, times in Counter(fake.calls).items() if times > 1]


WARNINGS = [
    "Messaging Server service ens listens on all interfaces, port 7997, not on a logical "
    "host address of this resource (198.18.0.10).",
    "Messaging Server service watcher listens on all interfaces, port 49994, not on a "
    "logical host address of this resource (198.18.0.10).",
    "configutil parameter local.autorestart is off.",
]


def test_creation_asks_nothing_the_rgm_passed(node: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """On creation every property is on the command line: none of mail-rs's own is asked,
    nor its group's node list; what remains are questions about the other resources."""
    fake = cluster(node, with_mail_rs=False)
    rc, lines = run(create(node), fake, monkeypatch)
    assert (rc, lines) == (0, WARNINGS)
    assert not [call for call in fake.calls if "mail-rs" in call], fake.calls
    assert ("scha_resourcegroup_get", "Nodelist", "MAIL-RG") not in fake.calls
    assert asked_twice(fake) == []
    assert sorted(fake.calls) == sorted([
        ("scha_cluster_get", "All_resourcegroups"),
        ("scha_resourcegroup_get", "Resource_list", "MAIL-RG"),
        ("scha_resource_get", "Type", "meadow"),
        ("scha_resource_get", "Type", "disk-rs"),
        ("scha_resource_get", "Extension", "disk-rs", "FilesystemMountPoints"),
        ("scha_cluster_get", "Nodename_local"),
        ("scha_resource_get", "Resource_state_node", "disk-rs", "mars"),
        ("scha_resource_get", "Resource_state_node", "disk-rs", "venus"),
        ("scha_resource_get", "Extension", "meadow", "HostnameList"),
    ])


def test_an_update_asks_the_properties_it_was_not_given_once(
        node: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """-u passes only the changed properties: the others are asked, each once, and the
    group and type of a dependency come from the one scan of the groups."""
    fake = cluster(node)
    rc, lines = run(["-u", *NAMES, "-r", "Retry_count=3"], fake, monkeypatch)
    assert (rc, lines) == (0, WARNINGS)
    assert asked_twice(fake) == []
    assert ("scha_resource_get", "Retry_count", "mail-rs") not in fake.calls
    assert ("scha_resource_get", "Type", "mail-rs") not in fake.calls  # it is -T
    assert not [call for call in fake.calls if call[1] == "Group"], fake.calls
    own = [call[1] for call in fake.calls if call[0] == "scha_resource_get"
           and call[2] == "mail-rs"]
    assert sorted(own) == sorted(["Validate_timeout", "Retry_interval",
                                  "Thorough_probe_interval", "Extension",
                                  "Resource_dependencies", "Network_resources_used"])


def test_a_group_update_is_judged_on_the_new_node_list(node: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """-g Nodelist=mars: the storage is looked for on mars only, the stored list unasked."""
    fake = cluster(node)
    rc, _ = run(["-u", *NAMES, "-g", "Nodelist=mars"], fake, monkeypatch)
    assert rc == 0
    assert ("scha_resourcegroup_get", "Nodelist", "MAIL-RG") not in fake.calls
    assert ("scha_resource_get", "Resource_state_node", "disk-rs", "venus") not in fake.calls


def test_where_the_storage_is_elsewhere_nothing_about_the_files_is_asked(
        node: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = cluster(node, local="venus")
    rc, lines = run(["-u", *NAMES], fake, monkeypatch)
    assert (rc, lines) == (0, ["The storage this resource depends on is online on another "
                               "node; skipping the checks of the Messaging Server "
                               "installation on this node."])
    assert asked_twice(fake) == []
    assert not [call for call in fake.calls if "HostnameList" in call]


def test_a_refusal_ends_the_questions(node: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unsafe IMS_serverroot is refused before the cluster is asked about anything else."""
    fake = cluster(node)
    rc, lines = run(["-u", *NAMES, "-x", "IMS_serverroot=/opt/$(reboot)"], fake, monkeypatch)
    assert (rc, lines) == (1, ["IMS_serverroot /opt/$(reboot) is refused: it contains "
                               "'$' '(' ')'."])
    assert {call[2] for call in fake.calls} == {"mail-rs"}


def test_a_second_instance_on_our_installation_is_found_by_the_scan(
        node: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    second = {"group": "MAIL2-RG", "type": "SUNW.ims:6.3",
              "ext": {"IMS_serverroot": ("STRING", server_root(node) + "/")}}
    fake = cluster(node, **{"mail2-rs": second})
    rc, lines = run(["-u", *NAMES], fake, monkeypatch)
    assert (rc, lines) == (1, ["Resource mail2-rs already uses the Messaging Server "
                               f"installation {server_root(node)}."])
    assert asked_twice(fake) == []
    assert not [call for call in fake.calls if "HostnameList" in call]
