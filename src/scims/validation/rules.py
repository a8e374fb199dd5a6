"""Validate's rules: pure functions from the facts to what the administrator reads.

Each rule takes `Facts` and returns its findings, in the order an administrator fixes them;
`decide` puts them together in the order Validate reports them. Validate logs every finding
up to the first refusal and exits 1 there, so one refused change is one error line. No rule
reads a file or asks the cluster: whatever a rule needs is a field of `Facts`, gathered in
`gather.py`. To add a rule: add the observation it needs to `Facts` (and its gathering), write
`def rule(facts) -> list[Finding]`, list it in `RULES`, and test it on `Facts` built by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Optional

from scims.cluster.storage import HaspStatus
from scims.errors import CheckFailed
from scims.log import messages
from scims.messaging import installation
from scims.msconfig.imta import names_host
from scims.validation.facts import Facts, OtherInstance, Place
from scims.validation.findings import Finding, note, refusal, warning

INSTALLATION_PROPERTIES = ("ims_serverroot", "resource_dependencies")
"""Properties whose change needs the installation itself to be checked again."""

def probe_timing(facts: Facts) -> list[Finding]:
    """Retry_interval must hold Retry_count restarts at one per Thorough_probe_interval, or
    the failover those restarts count towards could never come (scds_initialize(3HA))."""
    timing = facts.timing
    if timing.retry_interval < timing.thorough_probe_interval * timing.retry_count:
        return [refusal(messages.RETRY_INTERVAL_TOO_SHORT, timing.retry_interval,
                        timing.thorough_probe_interval, timing.retry_count)]
    return []


def server_root(facts: Facts) -> Optional[str]:
    """IMS_serverroot as every later step uses it, or None if it is refused (or unknown)."""
    if facts.server_root is None:
        return None
    try:
        return installation.checked_server_root(facts.server_root.value)
    except CheckFailed:
        return None


def server_root_value(facts: Facts) -> list[Finding]:
    """IMS_serverroot must be a plain absolute path outside the system directories: it
    becomes part of every command root runs (installation.checked_server_root)."""
    if facts.server_root is None:
        return []
    try:
        installation.checked_server_root(facts.server_root.value)
    except CheckFailed as exc:
        return [Finding.of(exc)]
    return []


def storage_placement(facts: Facts) -> list[Finding]:
    """Storage in another group would not follow ours to the next node."""
    view = facts.storage
    if view is None or view.status is not HaspStatus.ERR_CONFIG or view.culprit is None:
        return []
    return [refusal(messages.STORAGE_IN_OTHER_GROUP, view.culprit.name, view.culprit.group,
                    facts.group)]


def _installation_in_question(facts: Facts) -> bool:
    return facts.creating or bool(facts.changed & set(INSTALLATION_PROPERTIES))


def storage_reachable(facts: Facts) -> list[Finding]:
    """Storage online nowhere: a new resource, or a new installation or storage, cannot be
    checked, so it is refused; any other change is judged without the files."""
    view = facts.storage
    if view is None or view.status is not HaspStatus.NOT_ONLINE or view.culprit is None:
        return []
    if _installation_in_question(facts):
        return [refusal(messages.STORAGE_NOT_ONLINE, view.culprit.name)]
    return []


def storage_elsewhere(facts: Facts) -> list[Finding]:
    """Storage online on another node: the files are checked there (scds_hasp_check)."""
    if facts.storage is not None and facts.storage.status is HaspStatus.ONLINE_NOT_LOCAL:
        return [note(messages.STORAGE_ONLINE_ELSEWHERE)]
    return []


def installation_checks(facts: Facts) -> list[Finding]:
    """The installation's own refusal: start-msg, stop-msg, configuration, accounts."""
    if facts.installation is not None and facts.installation.refusal is not None:
        return [facts.installation.refusal]
    return []


def _installation_usable(facts: Facts) -> bool:
    return facts.installation is not None and facts.installation.refusal is None


def managing_mount_point(config_dir: Place, mount_points: Sequence[Place]) -> Optional[Place]:
    """The mount point that holds `config_dir`, in either's forms."""
    for mount in mount_points:
        if mount.holds(config_dir):
            return mount
    return None


def managed_storage(facts: Facts) -> list[Finding]:
    """The configuration directory must lie on a file system of a storage resource we
    depend on, or it would not follow the group to the next node."""
    view, config_dir = facts.storage, facts.config_link_dir
    if view is None or config_dir is None:
        return []
    if view.status is HaspStatus.ONLINE_NOT_LOCAL:
        applies = facts.server_root_is_directory
    else:
        applies = (view.status in (HaspStatus.ONLINE_LOCAL, HaspStatus.NO_RESOURCE)
                   and _installation_usable(facts))
    if not applies:
        return []
    if view.status is HaspStatus.NO_RESOURCE:
        return [refusal(messages.STORAGE_NOT_MANAGED, config_dir.configured, "")]
    if managing_mount_point(config_dir, facts.mount_points) is None:
        names = ", ".join(ref.name for ref in view.resources)
        mounts = ", ".join(view.mount_points) or "none"
        return [refusal(messages.STORAGE_NOT_MANAGED, config_dir.configured,
                        f" (resources {names} manage {mounts})")]
    return []


def nested(ours: str, theirs: str) -> Optional[str]:
    """"lies in" or "contains" when one server root is inside the other: the programs of
    /a/b would otherwise be under /a too, and /a's Stop would see them as its own."""
    ours, theirs = ours.rstrip("/"), theirs.rstrip("/")
    if ours != theirs and ours.startswith(theirs + "/"):
        return "lies in"
    if ours != theirs and theirs.startswith(ours + "/"):
        return "contains"
    return None


def _contention_dir(facts: Facts) -> Optional[Place]:
    """Ours: the directory the configuration was read from where it could be, else the one
    the `config` link names."""
    if facts.installation is not None and facts.installation.config_dir is not None:
        return facts.installation.config_dir
    return facts.config_link_dir


def _may_meet(facts: Facts, other: OtherInstance) -> bool:
    """Both could come to run on one node: same group, or a node in common (or a node list
    that could not be read)."""
    if other.ref.group == facts.group:
        return True
    return not facts.our_nodes or not other.nodes or bool(set(facts.our_nodes) & set(other.nodes))


def contention(facts: Facts) -> list[Finding]:
    """Another SUNW.ims resource must not use our installation or configuration directory
    where both could come to run on one node (the symmetric example's contention problem),
    nor an installation inside ours or around it."""
    ours = server_root(facts)
    if ours is None:
        return []
    config_dir = _contention_dir(facts)
    for other in facts.others:
        if not _may_meet(facts, other):
            continue
        if other.server_root == ours:
            return [refusal(messages.INSTANCE_CONTENTION, other.ref.name, "installation", ours)]
        nesting = nested(ours, other.server_root)
        if nesting is not None:
            return [refusal(messages.INSTANCE_NESTED, ours, nesting, other.server_root,
                            other.ref.name)]
        if config_dir is not None and other.config_dir is not None \
                and config_dir.forms & other.config_dir.forms:
            return [refusal(messages.INSTANCE_CONTENTION, other.ref.name,
                            "configuration directory", other.config_dir.configured)]
    return []


def ha_settings(facts: Facts) -> list[Finding]:
    """Warnings only: Messaging Server runs, but not as an HA deployment should (ha_ip_config
    not run, imta.cnf naming a node, its own restarts switched off)."""
    if not _installation_usable(facts):
        return []
    assert facts.installation is not None
    ha = facts.installation.ha
    if ha is None:
        return []
    found: list[Finding] = []
    if facts.logical_addresses:
        shown = ", ".join(facts.logical_addresses)
        for endpoint in ha.endpoints:
            if endpoint.port is None or endpoint.protocol is None:
                continue
            if endpoint.address not in facts.logical_addresses:
                where = (f"{endpoint.address}:{endpoint.port}" if endpoint.address
                         else f"all interfaces, port {endpoint.port}")
                found.append(warning(messages.NOT_BOUND_TO_LOGICAL_HOST, endpoint.name, where,
                                     shown))
    reported: set[tuple[int, str]] = set()
    for node in facts.cluster_nodes:
        for mention in ha.imta_mentions:
            key = (mention.line, mention.host)
            if key not in reported and names_host(mention.host, node):
                reported.add(key)
                found.append(warning(messages.IMTA_NAMES_PHYSICAL_HOST, mention.line,
                                     mention.host))
    if not ha.watcher_enabled:
        found.append(warning(messages.HA_PARAMETER_OFF, "local.watcher.enable"))
    if not ha.autorestart:
        found.append(warning(messages.HA_PARAMETER_OFF, "local.autorestart"))
    return found


Rule = Callable[[Facts], list[Finding]]

RULES: tuple[Rule, ...] = (
    probe_timing,
    server_root_value,
    storage_placement,
    storage_reachable,
    storage_elsewhere,
    installation_checks,
    managed_storage,
    contention,
    ha_settings,
)
"""In the order Validate reports them: what the administrator fixes first comes first."""


def decide(facts: Facts) -> list[Finding]:
    """Every finding of every rule, in report order."""
    return [finding for rule in RULES for finding in rule(facts)]


def first_refusal(facts: Facts) -> Optional[Finding]:
    """The refusal Validate would report on these facts, if any."""
    return next((finding for finding in decide(facts) if finding.refuses), None)
