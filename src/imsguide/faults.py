"""Faults and what an administrator watches while they happen: a node's syslog, the
resource's state and status, the Messaging Server processes left on a node.

Development tool for the end-to-end tests: faults are injected with `mssim fault`, every
wait is bounded, and each helper answers with what the administrator would see.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from imsguide import proof
from imsguide.session import CLUSTERLOG, tool
from imsguide.site import Site

SYSLOG_LINE = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (?P<node>\S+) (?P<rest>.*)$")


# --- the node's syslog ------------------------------------------------------------------------


def log_path(site: Site, node: str) -> Path:
    """The log an administrator reads: /var/adm/clusterlog once section 3.4.3.1 was followed
    on the node (every daemon message, debug included, goes there), else /var/adm/messages
    (Solaris' default selectors: daemon messages from notice up)."""
    clusterlog = site.on(node, CLUSTERLOG)
    return clusterlog if clusterlog.exists() else site.on(node, "/var/adm/messages")


def messages(site: Site, node: str) -> list[str]:
    path = log_path(site, node)
    try:
        return path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []


def node_logs(directory: Path, lines: int) -> str:
    """The last `lines` lines of each node's syslog in the cluster `directory`, for a failure
    report (the cluster may be gone by the time anyone reads it)."""
    parts: list[str] = []
    for log in sorted(directory.glob("nodes/*/var/adm/messages")):
        if log.with_name("clusterlog").exists():
            log = log.with_name("clusterlog")  # noqa: PLW2901 - the fuller log of the node
        try:
            tail = log.read_text(errors="replace").splitlines()[-lines:]
        except OSError as exc:
            tail = [f"(unreadable: {exc})"]
        parts.append(f"--- {log.parents[2].name}: last {len(tail)} lines of "
                     f"var/adm/{log.name}\n" + "\n".join(tail))
    return "\n".join(parts) or f"(no node logs under {directory})"


def mark(site: Site, node: str) -> int:
    """A place in the node's syslog: lines after it are 'since now'."""
    return len(messages(site, node))


def since(site: Site, node: str, where: int) -> list[str]:
    return messages(site, node)[where:]


def agent_lines(site: Site, node: str, where: int, method: str | None = None) -> list[str]:
    """The SUNW.ims lines logged on `node` since `where`, without timestamp and host."""
    tag = f"SC[SUNW.ims,{site.group},{site.mail_resource},"
    if method is not None:
        tag += method + "]"
    found: list[str] = []
    for line in since(site, node, where):
        matched = SYSLOG_LINE.match(line)
        if matched and matched["rest"].startswith(tag):
            found.append(matched["rest"])
    return found


def wait_for_line(site: Site, node: str, where: int, text: str, timeout: float) -> float:
    """Wait until a line containing `text` is logged on `node` after `where`."""
    return proof.wait_for(lambda: any(text in line for line in since(site, node, where)),
                          timeout, f"{text!r} in {node}'s {log_path(site, node).name}")


# --- the cluster's view -------------------------------------------------------------------------


def resource_state(site: Site, node: str, resource: str | None = None) -> str:
    resource = resource or site.mail_resource
    lines = proof.ask(site, node, "scha_resource_get", "-O", "Resource_state_node",
                      "-R", resource, "-G", site.group, node)
    return lines[0].strip().upper() if lines else ""


def group_state(site: Site, node: str) -> str:
    lines = proof.ask(site, node, "scha_resourcegroup_get", "-O", "RG_state_node",
                      "-G", site.group, node)
    return lines[0].strip().upper() if lines else ""


def healthy_on(site: Site) -> str | None:
    """The node where the group is online with mail-rs online, status OK and the services
    answering on the logical host; None if that is not so."""
    node = proof.group_node(site)
    if node is None or resource_state(site, node) != "ONLINE":
        return None
    if proof.resource_status(site, node)[0] != "OK" or not proof.services_answer(site):
        return None
    return node


def wait_healthy(site: Site, timeout: float) -> tuple[str, float]:
    """Wait until the service is healthy somewhere; (node, seconds it took)."""
    found: list[str] = []

    def check() -> bool:
        node = healthy_on(site)
        if node is not None:
            found[:] = [node]
        return node is not None

    took = proof.wait_for(check, timeout, "MAIL-RG online with mail-rs OK and answering")
    return found[0], took


# --- Messaging Server on a node -----------------------------------------------------------------


def server_root(site: Site, node: str) -> str:
    """The installation's path on the node (the same on every node)."""
    return site.server_root


def inject(site: Site, node: str, *fault: str) -> None:
    """`mssim fault <server root> ...` on `node`, e.g. ("imapd", "hang") or ("clear",)."""
    argv = [tool("mssim"), "fault", server_root(site, node), *fault]
    host = site.host(node)
    if host is None:
        raise subprocess.CalledProcessError(1, argv, "", f"node {node} is down")
    done = subprocess.run(host.command(argv), capture_output=True, text=True, timeout=60,
                          check=False)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(
            done.returncode, argv, done.stdout,
            f"mssim fault {' '.join(fault)} on {node} exited {done.returncode}: "
            f"{done.stderr.strip() or done.stdout.strip()}")


def clear_faults(site: Site) -> None:
    for node in site.nodes:
        if site.host(node) is not None and site.on(node, site.server_root + "/lib").is_dir():
            inject(site, node, "clear")


def processes(site: Site, node: str) -> list[str]:
    """`pid command line` of the Messaging Server processes of `node`'s installation (pids
    as this machine numbers them)."""
    base = server_root(site, node) + "/"
    return [f"{pid} {args}" for pid, args in site.processes(node) if base in args]


def watcher_pid(site: Site, node: str) -> int | None:
    """The oldest watcher of the node (a machine pid: this process may signal it)."""
    program = server_root(site, node) + "/lib/watcher"
    for pid, args in site.processes(node):
        if args.startswith(program):
            return pid
    return None


def monitor_has_looked(site: Site, node: str) -> bool:
    """Whether the node's fault monitor (ims_probe) has lived long enough to have looked at
    the watcher: it looks at once and then every WATCH_INTERVAL. Start sets Status OK before
    a new monitor's first look; a watcher killed in that moment is reported after the
    monitor's start-up grace as "not running", which is another fault than a death."""
    import psutil  # noqa: PLC0415 - the stand-ins' dependency; only this check needs it

    from scims.fault_monitor import WATCH_INTERVAL  # noqa: PLC0415

    for pid, args in site.processes(node):
        if "/bin/ims_probe " in args + " ":
            try:
                age = time.time() - psutil.Process(pid).create_time()
            except psutil.Error:
                return False
            return age > 2 * WATCH_INTERVAL
    return False


def kill_watcher(site: Site, node: str, timeout: float = 30) -> int:
    """Kill -9 the node's watcher once the fault monitor watches it (steady state); its pid."""
    proof.wait_for(lambda: watcher_pid(site, node) is not None
                   and monitor_has_looked(site, node), timeout,
                   f"the fault monitor on {node} watching the watcher")
    pid = watcher_pid(site, node)
    assert pid is not None, f"no watcher runs on {node}"
    os.kill(pid, signal.SIGKILL)
    return pid


def wait_no_processes(site: Site, node: str, timeout: float) -> float:
    return proof.wait_for(lambda: not processes(site, node), timeout,
                          f"no Messaging Server process left on {node}")


def storage_mounted(site: Site, node: str) -> bool:
    """Whether the shared file system of the configuration is mounted on `node`."""
    host = site.host(node)
    return host is not None and host.run(["findmnt", "-n", site.config_dir],
                                         capture_output=True).returncode == 0


def elapsed_since(started: float) -> float:
    return time.monotonic() - started
