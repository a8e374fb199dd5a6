"""`--engine pacemaker`: the OCF agent ocf:sunw:ims on the three-node Pacemaker/Corosync bed
(src/pacemakerbed), with fencing (fence_hostlab), the group fs + ip + ms, mail at the
virtual address 198.18.77.100.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from chaos import engine, machine
from chaos.engine import Start
from chaos.load import Service
from imsguide.site import resolve_inside
from pacemakerbed import bed as pmbed

TOP = Path(__file__).resolve().parents[2]
PM_CLASSES = ("kill-daemon", "kill-watcher", "hang-daemon", "hang-stop-msg", "power-off",
              "freeze", "net-cut", "partition", "switchover", "double", "disk-full", "load")
STARTED = re.compile(r"^(?P<stamp>[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d)\S* (?P<node>\S+) "
                     r".*Result of start operation for " + pmbed.RESOURCE + r" on (?P<on>\S+): ok")
AGENT = re.compile(r"\bims\(" + pmbed.RESOURCE + r"\)\[")
"""The OCF agent's syslog tag, `ims(<resource>)[<pid>]`."""
ABOUT = re.compile(r"\b(" + "|".join((pmbed.RESOURCE, "fs", "ip", pmbed.GROUP))
                   + r")(_|\b)|\b(fenc\w*|stonith|lost|unclean|membership|quorum)\b",
                   re.IGNORECASE)
"""What makes an engine's line a word about a fault: it names a resource of the group, or
a node's loss, fencing or the quorum."""
NOISE = ("High CPU load", "cib_perform_op", "(log_", "pcmk__", "Diff:", "pacemaker-based")
"""The Pacemaker log's bookkeeping (the load it sees, the CIB's diffs): not a word about a
fault, though it names resources."""


HARD_ERRORS = ("2", "3", "5", "6")
"""OCF_ERR_ARGS, OCF_ERR_UNIMPLEMENTED, OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED: Pacemaker
bans the resource from the node (or the cluster) until an administrator cleans it up."""


class Pacemaker:
    name = "pacemaker"
    nodes: tuple[str, ...] = pmbed.NODES
    classes = PM_CLASSES

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.top: Path | None = None
        self.bed: pmbed.PacemakerBed | None = None
        self.names: dict[str, str] = {}
        self.service = Service(pmbed.VIRTUAL_IP, pmbed.MAIL_HOST, "alice", "secret")

    # --- building and tearing down --------------------------------------------------------

    def build(self) -> None:
        self.say("building the scims-ocf package and the three-node Pacemaker bed")
        sys.path.insert(0, str(TOP / "packaging"))
        import debian  # noqa: PLC0415 - packaging/debian.py, the package's builder

        self.top = Path(tempfile.mkdtemp(prefix="chaos-pcmk-", dir="/tmp"))
        os.chmod(self.top, 0o755)  # noqa: S103 - the runtime user reaches the node roots
        deb = debian.build(self.top / "deb")
        self.bed = pmbed.PacemakerBed.create(self.top / "bed", deb, pmbed.Timing())
        self.bed.wait_started()

    def teardown(self) -> list[str]:
        left: list[str] = []
        if self.bed is not None:
            try:
                self.bed.destroy()
            except (OSError, subprocess.SubprocessError) as exc:
                left.append(f"teardown failed: {exc}")
        bed, top = self.bed, self.top

        def find() -> list[str]:
            found = [f"process {line}" for line in bed.leftovers()] if bed else []
            if top is not None:
                found += [x for x in engine.leftovers(top, ["chaos-pcmk"]) if x not in found]
            return found

        left += engine.settled_leftovers(find)
        if top is not None:
            shutil.rmtree(top, ignore_errors=True)
        return left

    @property
    def b(self) -> pmbed.PacemakerBed:
        assert self.bed is not None
        return self.bed

    # --- what the engine says -------------------------------------------------------------

    def on_client(self, function: Callable[..., Any], *args: Any) -> Any:
        return self.b.host(pmbed.CLIENT[0]).call(function, *args)

    def holder(self) -> str | None:
        return self.b.where()

    def healthy(self) -> bool:
        node = self.b.where()
        return node is not None and all(self.b.where(r) == node for r in ("fs", "ip"))

    def bad_states(self) -> list[str]:
        found = []
        status = self.b.status_xml()
        if status is None:
            return ["crm_mon answers nowhere"]
        for rsc in status.iter("resource"):
            if rsc.get("failed") == "true" or rsc.get("blocked") == "true":
                where = ",".join(n.get("name", "") for n in rsc.iter("node"))
                found.append(f"{rsc.get('id')} {rsc.get('role')} failed on {where or '?'}")
        for failure in status.iter("failure"):
            if failure.get("exitcode") in HARD_ERRORS:
                found.append(f"{failure.get('op_key', '?')} on {failure.get('node', '?')} "
                             f"returned '{failure.get('exitstatus', '?')}': a hard error, the "
                             "node is banned until crm_resource --cleanup")
        for node in self.nodes:
            if self.powered(node) and self.b.fail_count(node) >= 10**6:
                found.append(f"{pmbed.RESOURCE} banned from {node} (fail-count INFINITY)")
        return found

    def repair(self) -> str:
        done = []
        for node in self.nodes:
            if not self.powered(node):
                self.boot(node)
                done.append(f"powered {node} on")
        self.b.crm("crm_resource", "--cleanup", "--resource", pmbed.RESOURCE, check=False)
        done.append(f"crm_resource --cleanup --resource {pmbed.RESOURCE}")
        return "; ".join(done)

    def log_files(self) -> dict[str, Path]:
        files = {}
        for node in self.nodes:
            files[f"{node} syslog"] = self.b.node_dir(node) / "syslog"
            files[f"{node} pacemaker.log"] = (self.b.node_dir(node)
                                              / "var/log/pacemaker/pacemaker.log")
        return files

    def is_report(self, line: str) -> bool:
        if AGENT.search(line):
            return True
        return (" notice: " in line or " warning: " in line or " error: " in line
                or " crit: " in line) and bool(ABOUT.search(line)) \
            and not any(q in line for q in NOISE)

    def mount_names(self) -> dict[str, str]:
        with contextlib.suppress(OSError):
            self.names.setdefault(os.readlink("/proc/1/ns/mnt"), "machine")
        for node in (*self.nodes, pmbed.CLIENT[0]):
            host = self.b.lab.hosts.get(node)
            if host is not None and host.is_powered:
                with contextlib.suppress(OSError):
                    machine.name_namespace(self.names,
                                           os.readlink(f"/proc/{host.pid}/ns/mnt"), node)
        return self.names

    def disk_numbers(self) -> str:
        major, minor = self.b.lab.disks["mailstore"].numbers
        return f"{major}:{minor}"

    def starts_since(self, wall: float) -> list[Start]:
        """Successful starts of ms, as each node's controller logged them."""
        found = []
        year = datetime.now(timezone.utc).year
        for node in self.nodes:
            path = self.b.node_dir(node) / "var/log/pacemaker/pacemaker.log"
            try:
                lines = path.read_text(errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                m = STARTED.match(line)
                if not m or m["on"] != node:
                    continue
                with contextlib.suppress(ValueError):
                    at = datetime.strptime(f"{year} {m['stamp']}", "%Y %b %d %H:%M:%S")
                    stamp = at.replace(tzinfo=timezone.utc).timestamp()
                    if stamp >= int(wall):
                        found.append(Start(node, stamp))
        return found

    def powered(self, node: str) -> bool:
        return self.b.host(node).is_powered

    # --- faults -----------------------------------------------------------------------------

    def kill_daemon(self, node: str, daemon: str) -> None:
        self.b.mssim_fault(node, daemon, "crash")

    def ready_to_kill_watcher(self, node: str) -> None:
        with contextlib.suppress(AssertionError, TimeoutError):
            pmbed.wait_for("the watcher", lambda: self.b.messaging_pids(node, "watcher"),
                           timeout=30)
        time.sleep(pmbed.Timing().monitor_interval)  # a monitor has seen it

    def kill_watcher(self, node: str) -> None:
        host = self.b.host(node)
        for pid in machine.programs_of(host.pid, f"{pmbed.SERVER_ROOT}/lib/watcher")[:1]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)

    def daemon_pids(self, node: str, daemon: str) -> list[int]:
        return machine.programs_of(self.b.host(node).pid, f"{pmbed.SERVER_ROOT}/lib/{daemon}")

    def switchover(self, target: str) -> None:
        """The administrator's `crm_resource --move`, the constraint cleared once the group
        has left (or after a minute), so that it never pins later faults."""
        source = self.b.where()
        try:
            self.b.crm("crm_resource", "--move", "--resource", pmbed.GROUP, "--node", target,
                       check=False)
            with contextlib.suppress(AssertionError, TimeoutError):
                pmbed.wait_for("the group to leave", lambda: self.b.where() not in
                               (None, source), timeout=60)
        finally:
            self.b.crm("crm_resource", "--clear", "--resource", pmbed.GROUP, check=False)

    def power_off(self, node: str) -> None:
        self.b.kill_node(node)

    def boot(self, node: str) -> None:
        """Power the node on and start corosync and pacemakerd (the bed has no boot of its
        own: what it builds, in the order it builds it)."""
        bed = self.b
        with bed.lock:
            host = bed.host(node)
            host.power_on()
        bed.pid_namespaces.add(os.stat(f"/proc/{host.pid}/ns/pid").st_ino)
        bed._start_daemons(node)
        with contextlib.suppress(AssertionError, TimeoutError):
            pmbed.wait_for(f"{node} online", lambda: node in bed.online(), timeout=60)

    def cut(self, node: str) -> None:
        self.b.host(node).cut_cable()

    def mend(self, node: str) -> None:
        self.b.host(node).mend_cable()

    def split(self, nodes: list[str], apart: bool) -> None:
        for node in nodes:
            (self.cut if apart else self.mend)(node)

    def freeze(self, node: str) -> tuple[int, Callable[[], None]]:
        host = self.b.host(node)
        if not host.is_powered:
            return 0, lambda: None
        return machine.freeze_host(host)

    def stop_msg(self, node: str, fault: str) -> None:
        if self.powered(node):
            with contextlib.suppress(AssertionError, subprocess.SubprocessError):
                self.b.mssim_fault(node, "stop-msg", fault)

    def run_on(self, node: str, argv: list[str], timeout: float = 60
               ) -> subprocess.CompletedProcess[str]:
        return self.b.run(node, argv, check=False, timeout=timeout)

    def popen_on(self, node: str, argv: list[str]) -> subprocess.Popen[bytes] | None:
        host = self.b.host(node)
        if not host.is_powered:
            return None
        return host.popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def node_path(self, node: str, path: str) -> Path:
        host = self.b.host(node)
        if not host.is_powered:
            return self.b.node_dir(node) / path.lstrip("/")
        return resolve_inside(Path(f"/proc/{host.pid}/root"), path)

    def config_dir(self) -> str:
        return pmbed.CONFIG_DIR

    # --- the end ----------------------------------------------------------------------------

    def release_disk(self) -> None:
        self.b.crm("crm_resource", "--resource", pmbed.GROUP, "--meta", "--set-parameter",
                   "target-role", "--parameter-value", "Stopped", check=False)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self.b.resource_nodes("fs"):
            time.sleep(0.5)

    def fsck(self) -> tuple[bool | None, str]:
        return engine.fsck(self.b.disk_device)
