"""`--engine sc`: the stand-in Sun Cluster, two nodes set up by the guide's generic
procedure (imsguide.testbed, as the tests and the benchmarks build it), Messaging Server
under SUNW.ims with HAStoragePlus and the logical host meadow.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import hostlab
from chaos import engine, machine
from chaos.engine import Start
from chaos.load import Service
from clustersim import devices
from clustersim.rgm import METHOD_JOURNAL
from imsguide import faults, proof, testbed
from imsguide.session import tool

SC_CLASSES = ("kill-daemon", "kill-watcher", "hang-daemon", "hang-stop-msg", "power-off",
              "freeze", "net-cut", "partition", "switchover", "double", "disk-full", "load")
BAD = ("STOP_FAILED", "ERROR", "FAULTED", "MONITOR_FAILED")
"""Words of a resource or group state that only an administrator clears (scswitch -c)."""
PROBE_INTERVAL = 10
PROBE_TIMEOUT = 5
HEARTBEAT_TIMEOUT = 4000
STOP_TIMEOUT = 60
"""The RTR's minimum (default 300): a hung stop-msg is killed after 80 % of it."""


class SunCluster:
    name = "sc"
    nodes: tuple[str, ...] = ("mars", "venus")
    classes = SC_CLASSES

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.stack = ExitStack()
        self.cluster: testbed.Cluster | None = None
        self.names: dict[str, str] = {}
        self.directory: Path | None = None

    # --- building and tearing down --------------------------------------------------------

    def build(self) -> None:
        self.say("building SUNWscims and the two-node stand-in cluster (the guide's generic "
                 "procedure)")
        package = self.stack.enter_context(testbed.built_package())
        self.cluster = self.stack.enter_context(
            testbed.generic_cluster(package, for_tests=False, prefix="chaos-ims-"))
        site = self.site
        self.directory = site.directory
        first = site.nodes[0]
        # node death noticed after 4 s of silence, as the demo does (Sun Cluster's: 10 s);
        # hangs probed every 10 s with a 5 s timeout, Stop_timeout 60 s (an administrator's
        # tuning, documented in docs/chaos.md)
        self.cluster.session.cluster(first, "cluster", "set", "-p", "heartbeat_quantum=500",
                                     "-p", f"heartbeat_timeout={HEARTBEAT_TIMEOUT}")
        self.cluster.set_props("-y", f"Thorough_probe_interval={PROBE_INTERVAL}",
                               "-y", f"Stop_timeout={STOP_TIMEOUT}",
                               "-x", f"Probe_timeout={PROBE_TIMEOUT}")
        faults.wait_healthy(site, testbed.HEAL_TIMEOUT)
        self.client = hostlab.Lab.open(site.directory).hosts[proof.CLIENT]
        self.service = Service(site.logical_ip, site.logical_fqdn, "joe", "secret",
                               site.ports.smtp, site.ports.imap, site.ports.pop)

    def teardown(self) -> list[str]:
        left: list[str] = []
        try:
            self.stack.close()
        except testbed.TestbedError as exc:
            left.append(str(exc).splitlines()[0])
        except (OSError, subprocess.SubprocessError) as exc:
            left.append(f"teardown failed: {exc}")
        if self.directory is not None:
            top = self.directory.parent
            left += engine.settled_leftovers(lambda: engine.leftovers(top))
        return left

    @property
    def site(self) -> Any:
        assert self.cluster is not None
        return self.cluster.site

    # --- what the engine says -------------------------------------------------------------

    def on_client(self, function: Callable[..., Any], *args: Any) -> Any:
        return self.client.call(function, *args)

    def holder(self) -> str | None:
        return proof.group_node(self.site)

    def healthy(self) -> bool:
        node = self.holder()
        return (node is not None and faults.resource_state(self.site, node) == "ONLINE"
                and proof.resource_status(self.site, node)[0] == "OK")

    def _states(self) -> list[tuple[str, str, str]]:
        site = self.site
        found = []
        for node in site.nodes:
            if site.host(node) is None:
                continue
            found.append((node, site.group, faults.group_state(site, node)))
            for resource in (site.mail_resource, site.storage_resource, site.logical_host):
                found.append((node, resource, faults.resource_state(site, node, resource)))
        return found

    def bad_states(self) -> list[str]:
        return [f"{what} {state} on {node}" for node, what, state in self._states()
                if any(word in state for word in BAD)]

    def repair(self) -> str:
        """What an administrator types to get mail back: clear STOP_FAILED, bring the group
        online on a live node."""
        site = self.site
        done = []
        for node in site.nodes:
            if site.host(node) is None:
                self.boot(node)
                done.append(f"clustersim node boot {node}")
        for node, what, state in self._states():
            if "STOP_FAILED" in state and what != site.group:
                self.cluster.cmd(node, "scswitch", "-c", "-h", node, "-j", what, "-f",
                                 "STOP_FAILED", expect=None)
                done.append(f"scswitch -c -h {node} -j {what} -f STOP_FAILED")
        live = [n for n in site.nodes if site.host(n) is not None]
        if live:
            if any(what == site.group and any(w in state for w in BAD)
                   for _n, what, state in self._states()):
                self.cluster.cmd(live[0], "scswitch", "-F", "-g", site.group, expect=None)
                done.append(f"scswitch -F -g {site.group}")
            self.cluster.cmd(live[0], "scswitch", "-z", "-g", site.group, "-h", live[0],
                             expect=None)
            done.append(f"scswitch -z -g {site.group} -h {live[0]}")
        return "; ".join(done)

    def log_files(self) -> dict[str, Path]:
        return {n: self.site.root(n) / "var" / "adm" / "messages" for n in self.site.nodes}

    def is_report(self, line: str) -> bool:
        return bool(line.strip())

    def mount_names(self) -> dict[str, str]:
        """Every mount namespace a node ever had (a fenced node's may outlive it), and the
        machine's own."""
        with contextlib.suppress(OSError):
            self.names.setdefault(os.readlink("/proc/1/ns/mnt"), "machine")
        for node in self.site.nodes:
            host = self.site.host(node)
            if host is not None:
                with contextlib.suppress(OSError, hostlab.HostlabError):
                    machine.name_namespace(self.names,
                                           os.readlink(f"/proc/{host.pid}/ns/mnt"), node)
        return self.names

    def _disk(self) -> Any:
        return hostlab.Lab.open(self.site.directory).disks[
            devices.disk_name(self.site.disk_device)]

    def disk_numbers(self) -> str:
        major, minor = self._disk().numbers
        return f"{major}:{minor}"

    def starts_since(self, wall: float) -> list[Start]:
        path = self.site.directory / METHOD_JOURNAL
        found = []
        try:
            lines = path.read_text().splitlines()
        except OSError:
            return []
        for line in lines:
            with contextlib.suppress(ValueError, KeyError):
                entry = json.loads(line)
                if (str(entry["type"]).startswith("SUNW.ims")
                        and entry["method"] == "ims_svc_start"
                        and float(entry["began"]) >= wall):
                    found.append(Start(entry["node"], float(entry["began"])))
        return found

    def powered(self, node: str) -> bool:
        return self.site.host(node) is not None

    # --- faults -----------------------------------------------------------------------------

    def kill_daemon(self, node: str, daemon: str) -> None:
        faults.inject(self.site, node, daemon, "crash")

    def ready_to_kill_watcher(self, node: str) -> None:
        """Until the fault monitor watches the watcher (a watcher killed before its first
        look is reported as "not running" after a grace: another fault than a death)."""
        with contextlib.suppress(TimeoutError):
            proof.wait_for(lambda: faults.watcher_pid(self.site, node) is not None
                           and faults.monitor_has_looked(self.site, node), 60,
                           f"the fault monitor on {node} watching the watcher")

    def kill_watcher(self, node: str) -> None:
        faults.kill_watcher(self.site, node)

    def daemon_pids(self, node: str, daemon: str) -> list[int]:
        program = f"{self.site.server_root}/lib/{daemon}"
        return [pid for pid, args in self.site.processes(node)
                if args == program or args.startswith(program + " ")]

    def switchover(self, target: str) -> None:
        self.cluster.switch(target, expect=None)

    def _node(self, action: str, node: str) -> None:
        subprocess.run([tool("clustersim"), "node", action, node, "--cluster",
                        str(self.site.directory)], capture_output=True, text=True,
                       timeout=180, check=False)

    def power_off(self, node: str) -> None:
        self._node("panic", node)

    def boot(self, node: str) -> None:
        self._node("boot", node)

    def cut(self, node: str) -> None:
        self._node("isolate", node)

    def mend(self, node: str) -> None:
        self._node("reconnect", node)

    def split(self, nodes: list[str], apart: bool) -> None:
        """The nodes' cables isolated from each other at the switch (bridge port isolation:
        isolated ports do not talk to each other, each still reaches the client host and
        the quorum server there): the interconnect is cut, the quorum device decides."""
        lab = hostlab.Lab.open(self.site.directory)
        for node in nodes:
            host = lab.hosts[node]
            subprocess.run(["ip", "-n", host.segment.netns, "link", "set", "dev", host.cable,
                            "type", "bridge_slave", "isolated", "on" if apart else "off"],
                           capture_output=True, text=True, timeout=30, check=False)

    def freeze(self, node: str) -> tuple[int, Callable[[], None]]:
        host = self.site.host(node)
        if host is None:
            return 0, lambda: None
        return machine.freeze_host(host)

    def stop_msg(self, node: str, fault: str) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            faults.inject(self.site, node, "stop-msg", fault)

    def run_on(self, node: str, argv: list[str], timeout: float = 60
               ) -> subprocess.CompletedProcess[str]:
        host = self.site.host(node)
        if host is None:
            return subprocess.CompletedProcess(argv, 1, "", f"{node} is down")
        return host.run(argv, capture_output=True, text=True, timeout=timeout)

    def popen_on(self, node: str, argv: list[str]) -> subprocess.Popen[bytes] | None:
        host = self.site.host(node)
        if host is None:
            return None
        return host.popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def node_path(self, node: str, path: str) -> Path:
        return self.site.on(node, path)

    def config_dir(self) -> str:
        return self.site.config_dir

    # --- the end ----------------------------------------------------------------------------

    def release_disk(self) -> None:
        """Take the group offline (scswitch -F), so that nothing holds the disk."""
        site = self.site
        live = [n for n in site.nodes if site.host(n) is not None]
        if live:
            self.cluster.cmd(live[0], "scswitch", "-F", "-g", site.group, expect=None)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(faults.storage_mounted(site, n)
                                                  for n in live):
            time.sleep(0.5)

    def fsck(self) -> tuple[bool | None, str]:
        return engine.fsck(self._disk().device)

