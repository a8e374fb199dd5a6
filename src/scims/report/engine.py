"""The cluster engines' own messages that explain what happened to the agent's resources.

Why a table of formats: a line is believed only when its message ID is the one its format
gives (Solaris' log driver computes it from the format; a user's `logger` line gets the ID
of its own text) and its text is that format filled in. The Sun Cluster formats are those
of rgmd, PMF and the built-in LogicalHostname and HAStoragePlus methods as the stand-in
(src/clustersim) writes them; tests/report checks that they stay the stand-in's words. On
Pacemaker, pacemaker.log is written by the daemons themselves (not through syslog), so what
is believed there is the daemon and the function that logged the line.
"""

from __future__ import annotations

from dataclasses import dataclass

RGMD_TAGS = ("Cluster.RGM.rgmd", "Cluster.RGM.global.rgmd")
PMF_TAG = "Cluster.PMF.pmfd"
CMM_TAG = "Cluster.CMM"
BUILTIN_TYPES = ("SUNW.LogicalHostname", "SUNW.SharedAddress", "SUNW.HAStoragePlus")


@dataclass(frozen=True)
class EngineMessage:
    """One engine format: what the report calls it and the names of its arguments."""

    kind: str
    fmt: str
    level: str
    fields: tuple[str, ...]


def _m(kind: str, fmt: str, level: str, *fields: str) -> EngineMessage:
    return EngineMessage(kind, fmt, level, fields)


RGMD_MESSAGES = (
    _m("r-state", "resource %s state on node %s change to %s", "notice",
       "resource", "node", "state"),
    _m("rg-state", "resource group %s state on node %s change to %s", "notice",
       "group", "node", "state"),
    _m("fm-status", "resource %s status on node %s change to %s", "notice",
       "resource", "node", "state"),
    _m("fm-status-msg", "resource %s status msg on node %s change to <%s>", "notice",
       "resource", "node", "words"),
    _m("method-launch", "launching method <%s> for resource <%s>, resource group <%s>, "
       "node <%s>, timeout <%d> seconds", "notice", "method", "resource", "group", "node",
       "timeout"),
    _m("method-ok", "method <%s> completed successfully for resource <%s>, resource group "
       "<%s>, node <%s>, time used: %d%% of timeout <%d seconds>", "notice", "method",
       "resource", "group", "node", "used", "timeout"),
    _m("method-timeout", "Method <%s> on resource <%s>, resource group <%s>, node <%s>: "
       "Timeout.", "error", "method", "resource", "group", "node"),
    _m("method-failed", "Method <%s> failed on resource <%s> in resource group <%s> [exit "
       "code <%d>, time used: %d%% of timeout <%d seconds>]", "error", "method", "resource",
       "group", "code", "used", "timeout"),
    _m("node-left", "node %s left the cluster", "notice", "node"),
    _m("node-joined", "node %s joined the cluster", "notice", "node"),
    _m("hard-abort", "Failover_mode is HARD: aborting node %s to force resource group %s "
       "offline", "error", "node", "group"),
    _m("stays", "resource group %s: no other node can master it; it stays on node %s",
       "error", "group", "node"),
    _m("relocating", "resource %s failed to start on node %s; relocating resource group %s "
       "to node %s", "notice", "resource", "node", "group", "target"),
    _m("no-node-up", "resource group %s: no node of its node list is up", "error", "group"),
    _m("control-rejected", "scha_control %s on resource %s rejected: %s", "error",
       "request", "resource", "reason"),
    _m("control-rejected-group", "scha_control %s on resource group %s rejected: no other "
       "node can master it: %s", "error", "request", "group", "reason"),
    _m("giveover", "scha_control GIVEOVER: relocating resource group %s from node %s to node "
       "%s", "notice", "group", "node", "target"),
    _m("fenced", "node %s still ran after it left the cluster: fenced off the shared disks "
       "(failfast: the node is aborted)", "warning", "node"),
    _m("no-node-after", "resource group %s: no node available to master it after node %s "
       "died", "error", "group", "node"),
)

PMF_MESSAGES = (
    _m("pmf-gave-up", 'Process: tag="%s", cmd="%s", Failed to stay up.', "notice",
       "tag", "cmd"),
)

BUILTIN_MESSAGES = (
    _m("builtin-error", "Not running on node %s.", "error", "node"),
    _m("builtin-error", "Host %s is not resolvable to an address of the public network in "
       "/etc/hosts.", "error", "host"),
    _m("builtin-error", "IP address %s (%s) is already in use on the network.", "error",
       "address", "host"),
    _m("builtin-error", "Failed to plumb %s (%s): %s.", "error", "address", "host", "reason"),
    _m("builtin-error", "Failed to unplumb %s (%s): %s.", "error", "address", "host",
       "reason"),
    _m("builtin-error", "Entry for file system %s not found in /etc/vfstab.", "error",
       "mount"),
    _m("builtin-error", "Failed to unmount %s: %s Processes using it: %s. Stop them (fuser "
       "-cu %s lists them), then clear the resource's STOP_FAILED flag (scswitch -c -h %s -j "
       "%s -f STOP_FAILED).", "error", "mount", "reason", "processes", "mount", "node",
       "resource"),
    _m("builtin-error", "File system %s is already mounted on node %s.", "error", "mount",
       "node"),
    _m("builtin-error", "Failed to mount %s: %s.", "error", "mount", "reason"),
)

CMM_PATTERNS = (
    ("node-dead", r"CMM: node (?P<node>[A-Za-z0-9][\w.-]*) not heard for "
     r"(?P<silent>[\d.]+) s: declared dead \(quorum held\)", "notice"),
    ("quorum-lost", r"CMM: quorum lost \(\d+ of \d+ votes needed; no answer from "
     r"(?P<peers>[\w., -]+)\): aborting this node", "error"),
)
"""The stand-in's membership monitor words its lines without a format (the ID is that of the
text, as for every line logged so): they date a detection, never start an incident."""


@dataclass(frozen=True)
class PacemakerPattern:
    kind: str
    daemon: str
    regex: str


PACEMAKER_PATTERNS = (
    PacemakerPattern("pcmk-result", "pacemaker-controld",
                     r"Result of (?P<op>\w+) operation for (?P<resource>[\w.-]+) on "
                     r"(?P<node>[\w.-]+): (?P<result>[\w ]+?)(?: \((?P<reason>[^|]*)\))?"
                     r"(?: \|.*)?"),
    PacemakerPattern("pcmk-initiate", "pacemaker-controld",
                     r"Initiating (?P<op>\w+) operation (?P<resource>[\w.-]+)_\w+_\d+ "
                     r"(?:locally )?on (?P<node>[\w.-]+)(?: \|.*)?"),
    PacemakerPattern("pcmk-node-lost", "pacemaker-controld",
                     r"Node (?P<node>[\w.-]+) state is now lost(?: \|.*)?"),
    PacemakerPattern("pcmk-fence-request", "pacemaker-controld",
                     r"Requesting fencing \((?P<action>\w+)\) (?:of|targeting) node "
                     r"(?P<node>[\w.-]+)(?: \|.*)?"),
    PacemakerPattern("pcmk-fenced", "pacemaker-fenced",
                     r"Operation '?(?P<action>\w+)'? (?:\[\d+\] )?targeting (?P<node>[\w.-]+) "
                     r"(?:by|on) (?P<by>[\w.-]+) for (?P<client>\S+?): (?P<result>\w+)\b.*"),
    PacemakerPattern("pcmk-action", "pacemaker-schedulerd",
                     r"Actions: (?P<action>Recover|Move|Restart|Start|Stop)\s+"
                     r"(?P<resource>[\w.-]+)\s+\(\s*(?P<detail>[^)]*)\)(?:.*)?"),
)

