"""Validate's rules on facts built by hand: no cluster, no node files, no process.

Each test states a situation an administrator can be in (two instances on one installation,
storage in the wrong group, a service not on the logical host) and what Validate reports."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import pytest

from scims.cluster.directory import ResourceRef
from scims.cluster.storage import HaspStatus, StorageView
from scims.log import messages
from scims.log.messages import Priority
from scims.msconfig.config import ServiceEndpoint
from scims.msconfig.imta import HostMention
from scims.validation import rules
from scims.validation.facts import (
    Facts,
    HaConfiguration,
    InstallationFacts,
    OtherInstance,
    Place,
    ProbeTiming,
    ServerRootSetting,
)
from scims.validation.findings import Finding, Severity, refusal

GROUP = "MAIL-RG"
DISK = ResourceRef("disk-rs", GROUP, "SUNW.HAStoragePlus:4")
TIMING = ProbeTiming(retry_interval=600, thorough_probe_interval=60, retry_count=2)


def at(path: str, *also: str) -> Place:
    """A directory as the administrator names it, and the other names it has on the node."""
    return Place(path, frozenset({path, *also}))


CONFIG = at("/var/opt/SUNWmsgsr")
HA_OK = HaConfiguration(endpoints=(), imta_mentions=(), watcher_enabled=True, autorestart=True)


def facts(status: Optional[HaspStatus] = HaspStatus.ONLINE_LOCAL, **fields: object) -> Facts:
    """The guide's configuration, valid throughout; `fields` change it."""
    storage = None if status is None else StorageView(
        status, (DISK,), ("/var/opt/SUNWmsgsr",),
        culprit=DISK if status in (HaspStatus.ERR_CONFIG, HaspStatus.NOT_ONLINE) else None)
    if status is HaspStatus.NO_RESOURCE:
        storage = StorageView(status)
    base = Facts(
        timing=TIMING, group=GROUP, server_root=ServerRootSetting("/opt/SUNWmsgsr"),
        storage=storage, mount_points=(at("/var/opt/SUNWmsgsr"),),
        server_root_is_directory=True, config_link_dir=CONFIG,
        installation=InstallationFacts(config_dir=CONFIG, ha=HA_OK),
        our_nodes=("mars", "venus"),
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def refusals(found: list[Finding]) -> list[tuple[str, tuple[object, ...]]]:
    return [(f.message.name, f.arguments) for f in found if f.refuses]


def test_the_guides_configuration_passes_every_rule() -> None:
    assert rules.decide(facts()) == []


# --- the fault monitor's timing ------------------------------------------------------------

@pytest.mark.parametrize(("interval", "probe", "count", "refused"), [
    (600, 60, 10, False), (600, 60, 11, True), (60, 3600, 0, False), (0, 1, 1, True),
])
def test_retry_interval_must_hold_the_restarts(interval: int, probe: int, count: int,
                                               refused: bool) -> None:
    found = rules.probe_timing(facts(timing=ProbeTiming(interval, probe, count)))
    assert refusals(found) == ([("RETRY_INTERVAL_TOO_SHORT", (interval, probe, count))]
                               if refused else [])


# --- IMS_serverroot -------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "message"), [
    (None, "SERVERROOT_NOT_SET"),
    ("opt/SUNWmsgsr", "SERVERROOT_NOT_ABSOLUTE"),
    ("/opt/SUNWmsgsr;reboot", "SERVERROOT_UNSAFE"),
    ("/usr", "SERVERROOT_SYSTEM_DIRECTORY"),
])
def test_a_server_root_that_is_not_a_plain_path_is_refused(value: Optional[str],
                                                           message: str) -> None:
    found = rules.server_root_value(facts(server_root=ServerRootSetting(value)))
    assert [f.message.name for f in found if f.refuses] == [message]


def test_a_server_root_not_read_yet_is_no_refusal() -> None:
    assert rules.server_root_value(facts(server_root=None)) == []
    assert rules.server_root(facts(server_root=None)) is None


# --- storage ------------------------------------------------------------------------------

def test_storage_in_another_group_is_refused() -> None:
    other = ResourceRef("disk-rs", "OTHER-RG", "SUNW.HAStoragePlus:4")
    view = StorageView(HaspStatus.ERR_CONFIG, (other,), culprit=other)
    assert refusals(rules.decide(facts(storage=view))) == [
        ("STORAGE_IN_OTHER_GROUP", ("disk-rs", "OTHER-RG", GROUP))]


@pytest.mark.parametrize(("creating", "changed", "refused"), [
    (True, frozenset(), True),
    (False, frozenset({"ims_serverroot"}), True),
    (False, frozenset({"resource_dependencies"}), True),
    (False, frozenset({"retry_count"}), False),
])
def test_storage_online_nowhere_refuses_only_what_needs_the_files(
        creating: bool, changed: frozenset[str], refused: bool) -> None:
    found = rules.storage_reachable(facts(HaspStatus.NOT_ONLINE, creating=creating,
                                          changed=changed))
    assert refusals(found) == ([("STORAGE_NOT_ONLINE", ("disk-rs",))] if refused else [])


def test_storage_elsewhere_is_said_and_the_installation_is_not_judged() -> None:
    found = rules.decide(facts(HaspStatus.ONLINE_NOT_LOCAL, installation=None))
    assert [(f.message.name, f.severity) for f in found] == [
        ("STORAGE_ONLINE_ELSEWHERE", Severity.INFO)]


def test_configuration_off_the_managed_file_systems_is_refused_with_what_they_manage() -> None:
    found = rules.managed_storage(facts(config_link_dir=at("/export/msg"),
                                        installation=InstallationFacts(config_dir=at("/x"))))
    assert refusals(found) == [("STORAGE_NOT_MANAGED",
                                ("/export/msg", " (resources disk-rs manage /var/opt/SUNWmsgsr)"))]


def test_configuration_below_a_mount_point_is_managed() -> None:
    assert rules.managed_storage(facts(config_link_dir=at("/var/opt/SUNWmsgsr/c"))) == []


def test_a_mount_point_is_recognised_under_either_name() -> None:
    """/global/msg is a link to /var/opt/SUNWmsgsr on the node: the real path decides."""
    config = at("/global/msg", "/var/opt/SUNWmsgsr")
    assert rules.managed_storage(facts(config_link_dir=config)) == []
    assert rules.managing_mount_point(config, (at("/var/opt/SUNWmsgsrX"),)) is None


def test_no_storage_resource_at_all_is_refused() -> None:
    assert refusals(rules.decide(facts(HaspStatus.NO_RESOURCE))) == [
        ("STORAGE_NOT_MANAGED", ("/var/opt/SUNWmsgsr", ""))]


def test_storage_elsewhere_still_checks_placement_when_the_installation_is_here() -> None:
    outside = at("/export/msg")
    assert refusals(rules.managed_storage(facts(HaspStatus.ONLINE_NOT_LOCAL,
                                                config_link_dir=outside)))
    assert rules.managed_storage(facts(HaspStatus.ONLINE_NOT_LOCAL, config_link_dir=outside,
                                       server_root_is_directory=False)) == []


def test_an_installation_refused_is_reported_before_its_placement() -> None:
    refused = refusal(messages.USER_MISSING, "mailsrv")
    found = rules.decide(facts(config_link_dir=at("/export/msg"),
                               installation=InstallationFacts(refusal=refused)))
    assert rules.first_refusal(facts(installation=InstallationFacts(refusal=refused))) == refused
    assert found == [refused]


# --- other instances ----------------------------------------------------------------------

def other(name: str = "mail2-rs", server_root: str = "/opt/SUNWmsgsr2",
          config_dir: Optional[Place] = None, group: str = "MAIL2-RG",
          nodes: tuple[str, ...] = ("mars", "venus")) -> OtherInstance:
    return OtherInstance(ResourceRef(name, group, "SUNW.ims:6.3"), server_root, config_dir,
                         nodes)


def test_a_second_resource_on_the_same_installation_is_refused() -> None:
    found = rules.contention(facts(others=(other(server_root="/opt/SUNWmsgsr"),)))
    assert refusals(found) == [("INSTANCE_CONTENTION",
                                ("mail2-rs", "installation", "/opt/SUNWmsgsr"))]


@pytest.mark.parametrize(("theirs", "how"), [("/opt", "lies in"),
                                              ("/opt/SUNWmsgsr/inner", "contains")])
def test_nested_installations_are_refused(theirs: str, how: str) -> None:
    found = rules.contention(facts(others=(other(server_root=theirs),)))
    assert refusals(found) == [("INSTANCE_NESTED", ("/opt/SUNWmsgsr", how, theirs,
                                                    "mail2-rs"))]


def test_a_shared_configuration_directory_is_refused_under_any_of_its_names() -> None:
    theirs = at("/var/opt/msg-link", "/var/opt/SUNWmsgsr")
    found = rules.contention(facts(others=(other(config_dir=theirs),)))
    assert refusals(found) == [("INSTANCE_CONTENTION",
                                ("mail2-rs", "configuration directory", "/var/opt/msg-link"))]


def test_instances_that_can_never_meet_on_a_node_may_share_paths() -> None:
    """The symmetric example: each group on its own nodes, one installation path each."""
    apart = other(server_root="/opt/SUNWmsgsr", nodes=("pluto",))
    assert rules.contention(facts(others=(apart,))) == []
    # ...unless they are in one group, or a node list is unknown.
    assert refusals(rules.contention(facts(others=(replace(apart, ref=ResourceRef(
        "mail2-rs", GROUP, "SUNW.ims")),))))
    assert refusals(rules.contention(facts(others=(replace(apart, nodes=()),))))


def test_unrelated_instances_pass() -> None:
    assert rules.contention(facts(others=(other(config_dir=at("/var/opt/SUNWmsgsr2")),))) == []


def test_nested_is_a_plain_path_relation() -> None:
    assert rules.nested("/opt/a/b", "/opt/a/") == "lies in"
    assert rules.nested("/opt/a", "/opt/ab") is None
    assert rules.nested("/opt/a", "/opt/a") is None


# --- the HA warnings ----------------------------------------------------------------------

def ha(**fields: object) -> InstallationFacts:
    return InstallationFacts(config_dir=CONFIG, ha=replace(HA_OK, **fields))  # type: ignore[arg-type]


IMAP_ANY = ServiceEndpoint("imap", "imapd", None, 143, "imap")
SMTP_LOGICAL = ServiceEndpoint("smtp", "tcp_smtp_server", "198.18.0.10", 25, "smtp")
STORE = ServiceEndpoint("store", "stored", None, None, None)


def warnings(found: list[Finding]) -> list[tuple[str, tuple[object, ...]]]:
    assert all(f.severity is Severity.WARNING for f in found)
    return [(f.message.name, f.arguments) for f in found]


def test_a_service_not_on_a_logical_address_is_a_warning() -> None:
    found = rules.ha_settings(facts(installation=ha(endpoints=(IMAP_ANY, SMTP_LOGICAL, STORE)),
                                    logical_addresses=("198.18.0.10", "198.18.0.11")))
    assert warnings(found) == [("NOT_BOUND_TO_LOGICAL_HOST",
                                ("imap", "all interfaces, port 143",
                                 "198.18.0.10, 198.18.0.11"))]


def test_without_logical_hosts_the_addresses_are_not_judged() -> None:
    assert rules.ha_settings(facts(installation=ha(endpoints=(IMAP_ANY,)))) == []


def test_imta_naming_a_node_is_a_warning_once_per_mention() -> None:
    mentions = (HostMention("mars.example.com", 3, "rewrite", "mars.example.com $U%$D"),
                HostMention("meadow.example.com", 4, "rewrite", "meadow $U%$D"))
    found = rules.ha_settings(facts(installation=ha(imta_mentions=mentions),
                                    cluster_nodes=("mars", "mars.example.com", "venus")))
    assert warnings(found) == [("IMTA_NAMES_PHYSICAL_HOST", (3, "mars.example.com"))]


def test_the_watcher_and_autorestart_switched_off_are_warnings() -> None:
    found = rules.ha_settings(facts(installation=ha(watcher_enabled=False, autorestart=False)))
    assert warnings(found) == [("HA_PARAMETER_OFF", ("local.watcher.enable",)),
                               ("HA_PARAMETER_OFF", ("local.autorestart",))]


def test_no_warning_about_an_installation_that_was_refused_or_not_seen() -> None:
    off = ha(watcher_enabled=False)
    assert rules.ha_settings(facts(installation=replace(
        off, refusal=refusal(messages.USER_MISSING, "x")))) == []
    assert rules.ha_settings(facts(HaspStatus.ONLINE_NOT_LOCAL, installation=None)) == []


# --- putting them together ----------------------------------------------------------------

def test_findings_come_in_the_order_an_administrator_fixes_them() -> None:
    """Timing before the server root, storage before the installation, warnings last."""
    bad = facts(timing=ProbeTiming(1, 60, 2), server_root=ServerRootSetting("relative"),
                storage=StorageView(HaspStatus.ERR_CONFIG, (DISK,), culprit=ResourceRef(
                    "disk-rs", "OTHER-RG", "SUNW.HAStoragePlus")),
                installation=ha(autorestart=False))
    names = [f.message.name for f in rules.decide(bad)]
    assert names == ["RETRY_INTERVAL_TOO_SHORT", "SERVERROOT_NOT_ABSOLUTE",
                     "STORAGE_IN_OTHER_GROUP", "HA_PARAMETER_OFF"]
    assert rules.first_refusal(bad) is not None
    assert rules.first_refusal(bad).message is messages.RETRY_INTERVAL_TOO_SHORT  # type: ignore[union-attr]


def test_facts_not_gathered_yet_conclude_nothing() -> None:
    """Gathering stops at the first refusal: what it did not reach must not refuse too."""
    assert rules.decide(Facts(timing=TIMING)) == []


SITUATIONS = [
    facts(), facts(HaspStatus.NO_RESOURCE), facts(HaspStatus.ONLINE_NOT_LOCAL),
    facts(HaspStatus.NOT_ONLINE, creating=True), facts(timing=ProbeTiming(1, 2, 3)),
    facts(others=(other(server_root="/opt"),)),
    facts(installation=ha(endpoints=(IMAP_ANY,), watcher_enabled=False),
          logical_addresses=("198.18.0.10",)),
]


@pytest.mark.parametrize("situation", SITUATIONS)
def test_a_finding_weighs_what_its_catalogue_message_says(situation: Facts) -> None:
    """An error line refuses, a warning or info line does not: the log and the exit agree."""
    for finding in rules.decide(situation):
        priority = finding.message.priority
        expected = (Severity.ERROR if priority <= Priority.ERROR else
                    Severity.WARNING if priority == Priority.WARNING else Severity.INFO)
        assert finding.severity is expected, finding
        assert len(finding.arguments) == len(finding.message.conversions), finding
