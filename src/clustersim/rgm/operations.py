"""The RGM's operations: groups online and offline, switchovers, enable and disable,
scha_control's restarts and giveovers, and a node leaving or joining the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clustersim import rules
from clustersim.errors import ClusterError
from clustersim.rgm.base import RgmBase


class Operations(RgmBase):
    """Everything that moves a group or a resource between states."""

    # ------------------------------------------------------------------ online / offline
    def _start_resources(self, rg: dict[str, Any], node: str, names: list[str]) -> list[str]:
        """Prenet_start, Start, Monitor_start of `names` on `node` in dependency order.

        Returns the resources whose Start (or Prenet_start) failed.
        """
        order = self._ordered(rg, names)
        started: set[str] = set()
        failed: list[str] = []
        blocked: set[str] = set()
        recs = {n: self._rs(n) for n in order}

        def deps_ok(n: str) -> bool:
            for d in self._deps(recs[n]):
                if d in blocked or (d in recs and d not in started and d in failed):
                    return False
                if d not in recs:  # outside this start: must already be online here/anywhere
                    other = self.store.rs(d)
                    if other and not any(self.store.rs_state(d, m)[0] in (
                            "ONLINE", "ONLINE_NOT_MONITORED", "MONITOR_FAILED")
                            for m in self.config.nodes):
                        return False
            return True

        for n in order:
            self._set_rs(n, node, "STARTING")
        for phase in ("Prenet_start", "Start"):
            for n in order:
                if n in failed or n in blocked:
                    continue
                if not deps_ok(n):
                    blocked.add(n)
                    self.log(node, "error", "resource %s not started on node %s: a resource it "
                             "depends on is not online", n, node)
                    continue
                result = self.call(node, recs[n], phase)
                if result is not None and result.outcome == "nodedown":
                    return failed
                if result is not None and not result.ok:
                    failed.append(n)
                    self._set_rs(n, node, "START_FAILED")
                    with self.store.tx():
                        self.store.add_event("start_failed", rg["name"], node, self.clock())
                elif phase == "Start":
                    started.add(n)
        for n in order:
            if n in blocked:
                self._set_rs(n, node, "OFFLINE")
            elif n in started:
                self._start_monitor(node, recs[n])
        return failed

    def _start_monitor(self, node: str, rs: dict[str, Any]) -> None:
        monitored = self.store.switches(rs["name"])[1]
        has_monitor = bool(self._rt(rs["type"])["methods"].get("Monitor_start"))
        if not has_monitor:
            self._set_rs(rs["name"], node, "ONLINE")
            return
        if not monitored:
            self._set_rs(rs["name"], node, "ONLINE_NOT_MONITORED")
            return
        result = self.call(node, rs, "Monitor_start")
        if result is not None and result.outcome == "nodedown":
            return
        self._set_rs(rs["name"], node, "ONLINE" if result is None or result.ok
                     else "MONITOR_FAILED")

    def _stop_resources(self, rg: dict[str, Any], node: str, names: list[str]) -> list[str]:
        """Monitor_stop, Stop, Postnet_stop of `names` on `node`, dependents first.

        Returns the resources whose stop failed (left Stop_failed).
        """
        order = self._ordered(rg, names, reverse=True)
        recs = {n: self._rs(n) for n in order}
        active = [n for n in order if self.store.rs_state(n, node)[0] not in ("OFFLINE",)]
        failed: list[str] = []
        for n in active:
            state = self.store.rs_state(n, node)[0]
            if state == "STOP_FAILED":
                failed.append(n)
                continue
            self._set_rs(n, node, "STOPPING")
            if state in ("ONLINE", "MONITOR_FAILED"):
                self._stop_step(node, recs[n], "Monitor_stop", failed)
                if self.store.node_state(node) != "UP":
                    return failed  # aborted (Failover_mode HARD): node_down cleaned up
        for phase in ("Stop", "Postnet_stop"):
            for n in active:
                if n in failed:
                    continue
                self._stop_step(node, recs[n], phase, failed)
                if self.store.node_state(node) != "UP":
                    return failed
        for n in active:
            if n not in failed:
                self._set_rs(n, node, "OFFLINE")
        return failed

    def _stop_step(self, node: str, rs: dict[str, Any], method: str, failed: list[str]) -> None:
        result = self.call(node, rs, method)
        if result is None or result.ok or result.outcome == "nodedown":
            return
        failed.append(rs["name"])
        self._set_rs(rs["name"], node, "STOP_FAILED")
        if rules.stop_failure_aborts_node(self._failover_mode(rs)) and self.abort_node:
            # r_properties(5) HARD: "the RGM aborts the node, which forces the resource group
            # offline". The node is dead from here on, within this same request: its groups
            # are offline there and fail over unless the administrator asked them offline.
            self.log(node, "error", "Failover_mode is HARD: aborting node %s to force resource "
                     "group %s offline", node, rs["rg"])
            self.abort_node(node)
            self.node_down(node)

    def _enabled(self, rg: str) -> list[str]:
        return [n for n in self.store.rs_names(rg) if self.store.switches(n)[0]]

    def online_on(self, rgname: str, node: str, hops: int = 0) -> None:
        """Bring the group online on `node`; on a Start failure apply Failover_mode."""
        rg = self._rg(rgname)
        if self.store.node_state(node) != "UP" or node in self._where_up(rgname):
            return  # the node died meanwhile, or a failover already brought the group here
        if len(self._where_up(rgname)) >= int(rg["props"].get("Maximum_primaries", 1) or 1):
            # never more masters than Maximum_primaries: a node death within this request
            # (Failover_mode HARD) has already failed the group over elsewhere
            return
        self._set_rg(rgname, node, "PENDING_ONLINE")
        failed = self._start_resources(rg, node, self._enabled(rgname))
        if self.store.node_state(node) != "UP":
            return
        states = [self.store.rs_state(n, node)[0] for n in self.store.rs_names(rgname)]
        self._set_rg(rgname, node, rules.rg_state_after_online(states))
        relocate = [n for n in failed
                    if rules.start_failure_relocates(self._failover_mode(self._rs(n)))]
        if relocate and hops < len(self.config.nodes) * 2:
            target = self._next_node(rg, exclude=[node], failures=True)
            if target is None:
                self.log(node, "error", "resource group %s: no other node can master it; it "
                         "stays on node %s", rgname, node)
                return
            self.log(node, "notice", "resource %s failed to start on node %s; relocating "
                     "resource group %s to node %s", relocate[0], node, rgname, target)
            if self.offline_on(rgname, node):
                self.online_on(rgname, target, hops + 1)

    def offline_on(self, rgname: str, node: str) -> bool:
        """Take the group offline on `node`; False if a stop failed (Error_stop_failed)."""
        rg = self._rg(rgname)
        if self.store.rg_state(rgname, node) in ("OFFLINE", "UNMANAGED"):
            return True
        self._set_rg(rgname, node, "PENDING_OFFLINE")
        failed = self._stop_resources(rg, node, self.store.rs_names(rgname))
        if self.store.node_state(node) != "UP":
            return True
        self._set_rg(rgname, node, "ERROR_STOP_FAILED" if failed else "OFFLINE")
        return not failed

    def _next_node(self, rg: dict[str, Any], exclude: Iterable[str] = (),
                   failures: bool = False, giveover: bool = False) -> str | None:
        now = self.clock()
        interval = int(rg["props"].get("Pingpong_interval", 3600))
        out = []
        for n in rules.candidate_nodes(rg["props"].get("Nodelist", []), self._up(), exclude):
            if failures and rules.pingpong_blocked(
                    [t for _n, t in self.store.events("start_failed", rg["name"], 0, n)],
                    now, interval):
                continue
            if giveover and rules.pingpong_blocked(
                    [t for _n, t in self.store.events("giveover", rg["name"], 0, n)],
                    now, interval):
                continue
            out.append(n)
        return out[0] if out else None

    def _check_stop_failed(self, rgname: str) -> None:
        bad = [n for n in self.config.nodes if self.store.rg_state(rgname, n) ==
               "ERROR_STOP_FAILED"]
        if bad:
            raise ClusterError(f"resource group {rgname} is in ERROR_STOP_FAILED state on "
                               f"{', '.join(bad)}; clear it with scswitch -c -h node -j "
                               "resource -f STOP_FAILED", "STATE")

    def _want(self, rgname: str, wanted: bool) -> None:
        """Remember whether the administrator wants the group online: a node that joins
        brings up only groups that are meant to be online (not ones taken offline)."""
        rg = self._rg(rgname)
        with self.store.tx():
            self.store.put_rg(rgname, rg["managed"], {**rg["props"], "_wanted": wanted})

    def _manage(self, rgname: str) -> None:
        rg = self._rg(rgname)
        if rg["managed"]:
            return
        for dep in rg["props"].get("RG_dependencies", []):
            if not self._rg(dep)["managed"]:
                raise ClusterError(f"resource group {rgname} depends on unmanaged group {dep}",
                                   "DEPEND")
        with self.store.tx():
            self.store.put_rg(rgname, True, rg["props"])
            for n in self.config.nodes:
                self.store.set_rg_state(rgname, n, "OFFLINE")
        for rsname in self.store.rs_names(rgname):
            rs = self._rs(rsname)
            self._run_on(self._init_nodes(rs, rg), rs, "Init")

    def manage(self, rgs: list[str]) -> None:
        for name in rgs:
            self._rg(name)
        for name in rgs:
            self._manage(name)

    def unmanage(self, rgs: list[str]) -> None:
        for name in rgs:
            self._rg(name)
            if self._where_up(name):
                raise ClusterError(f"resource group {name} is not offline; take it offline "
                                   "first (scswitch -F -g)", "STATE")
            enabled = self._enabled(name)
            if enabled:
                raise ClusterError(f"resource group {name} has enabled resources "
                                   f"({', '.join(enabled)}); disable them first", "STATE")
        for name in rgs:
            rg = self._rg(name)
            for rsname in self.store.rs_names(name):
                rs = self._rs(rsname)
                self._run_on(self._init_nodes(rs, rg), rs, "Fini")
            with self.store.tx():
                self.store.put_rg(name, False, rg["props"])
                for n in self.config.nodes:
                    self.store.set_rg_state(name, n, "UNMANAGED")

    def _primaries(self, rg: dict[str, Any]) -> list[str]:
        want = int(rg["props"].get("Desired_primaries", 1) or 1)
        cands = rules.candidate_nodes(rg["props"].get("Nodelist", []), self._up())
        return cands[:max(1, want)]

    def bring_online(self, rgs: list[str] | None, enable_all: bool = True) -> None:
        """scswitch -Z: manage, enable every resource and monitor, bring online on the
        default primaries (groups already online stay where they are)."""
        names = rgs if rgs is not None else self.store.rg_names()
        for name in names:
            self._rg(name)
            self._check_stop_failed(name)
        for name in self._rg_order(names):
            self._manage(name)
            self._want(name, True)
            if enable_all:
                with self.store.tx():
                    for rsname in self.store.rs_names(name):
                        self.store.set_switches(rsname, True, True)
            rg = self._rg(name)
            current = [n for n in self.config.nodes
                       if self.store.rg_state(name, n) in rules.RG_ONLINE_STATES]
            if current:
                for node in current:  # start newly enabled resources in place
                    self._start_missing(rg, node)
                continue
            primaries = self._primaries(rg)
            if not primaries:
                self.log(self._any_up(), "error", "resource group %s: no node of its node list "
                         "is up", name)
            for node in primaries:
                self.online_on(name, node)

    def _any_up(self) -> str:
        up = self._up()
        return up[0] if up else self.config.nodes[0]

    def _rg_order(self, names: list[str]) -> list[str]:
        deps = {n: [d for d in self._rg(n)["props"].get("RG_dependencies", [])] for n in names}
        return rules.online_order(names, deps, (), False)

    def _start_missing(self, rg: dict[str, Any], node: str) -> None:
        todo = [n for n in self._enabled(rg["name"])
                if self.store.rs_state(n, node)[0] == "OFFLINE"]
        if not todo:
            return
        failed = self._start_resources(rg, node, todo)
        states = [self.store.rs_state(n, node)[0] for n in self.store.rs_names(rg["name"])]
        self._set_rg(rg["name"], node, rules.rg_state_after_online(states))
        relocate = [n for n in failed
                    if rules.start_failure_relocates(self._failover_mode(self._rs(n)))]
        if relocate:
            target = self._next_node(rg, exclude=[node], failures=True)
            if target and self.offline_on(rg["name"], node):
                self.online_on(rg["name"], target)

    def take_offline(self, rgs: list[str]) -> None:
        """scswitch -F: offline on every node (the group stays managed)."""
        for name in rgs:
            self._rg(name)
        for name in reversed(self._rg_order(rgs)):
            rg = self._rg(name)
            if not rg["managed"]:
                continue
            self._want(name, False)
            for node in self._where_up(name):
                self.offline_on(name, node)
            self._check_stop_failed(name)

    def switch(self, rgs: list[str], nodes: list[str]) -> None:
        """scswitch -z: make `nodes` the group's primaries (offline elsewhere first)."""
        for n in nodes:
            self._node(n)
            if self.store.node_state(n) != "UP":
                raise ClusterError(f"node {n} is not a cluster member (it is down)", "NODE")
        for name in rgs:
            rg = self._rg(name)
            for n in nodes:
                if n not in rg["props"].get("Nodelist", []):
                    raise ClusterError(f"node {n} is not in the node list of resource group "
                                       f"{name} ({','.join(rg['props'].get('Nodelist', []))})",
                                       "NODE")
            if len(nodes) > int(rg["props"].get("Maximum_primaries", 1)):
                raise ClusterError(f"resource group {name} can be online on at most "
                                   f"{rg['props'].get('Maximum_primaries', 1)} node(s)", "RG")
            self._check_stop_failed(name)
        for name in self._rg_order(rgs):
            self._manage(name)
            self._want(name, True)
            for node in self._where_up(name):
                if node not in nodes and not self.offline_on(name, node):
                    raise ClusterError(f"resource group {name} failed to go offline on node "
                                       f"{node} (ERROR_STOP_FAILED); it was not switched",
                                       "STATE")
            for node in nodes:
                if self.store.rg_state(name, node) not in rules.RG_ONLINE_STATES:
                    self.online_on(name, node)

    def restart(self, rgs: list[str], nodes: list[str] | None) -> None:
        """scswitch -R: offline then online on the nodes where the group is online."""
        for name in rgs:
            self._rg(name)
            self._check_stop_failed(name)
        for name in rgs:
            where = nodes or [n for n in self.config.nodes
                              if self.store.rg_state(name, n) in rules.RG_ONLINE_STATES]
            for node in where:
                if self.offline_on(name, node):
                    self.online_on(name, node)

    def evacuate(self, node: str) -> None:
        """scswitch -S -h node: move every group off `node`."""
        self._node(node)
        for name in self.store.rg_names():
            if node not in self._where_up(name):
                continue
            rg = self._rg(name)
            if self.offline_on(name, node):
                target = self._next_node(rg, exclude=[node, *self._where_up(name)])
                if target:
                    self.online_on(name, target)

    # ------------------------------------------------------------------ enable / disable
    def enable(self, names: list[str], monitor_only: bool) -> None:
        recs = [self._rs(n) for n in names]
        if not monitor_only:
            for rs in recs:
                for dep in self._deps(rs):
                    if dep not in names and not self.store.switches(dep)[0]:
                        raise ClusterError(f"resource {rs['name']} depends on disabled resource "
                                           f"{dep}; enable {dep} first", "DEPEND")
        for rs in recs:
            on_off, monitored = self.store.switches(rs["name"])
            with self.store.tx():
                self.store.set_switches(rs["name"], on_off or not monitor_only,
                                        True if monitor_only else monitored)
        order = self._order_across(names)
        for rsname in order:
            rs = self._rs(rsname)
            rg = self._rg(rs["rg"])
            if not rg["managed"]:
                continue
            for node in self.config.nodes:
                state = self.store.rs_state(rsname, node)[0]
                rg_state = self.store.rg_state(rs["rg"], node)
                if monitor_only:
                    if state == "ONLINE_NOT_MONITORED":
                        self._start_monitor(node, rs)
                elif rg_state in rules.RG_ONLINE_STATES and state == "OFFLINE":
                    self._start_missing(rg, node)

    def _order_across(self, names: list[str]) -> list[str]:
        deps = {n: self._deps(self._rs(n)) for n in names}
        return rules.online_order(names, deps, (), False)

    def disable(self, names: list[str], monitor_only: bool) -> None:
        recs = [self._rs(n) for n in names]
        if not monitor_only:
            for rs in recs:
                for other in self.store.rs_names():
                    if other in names or not self.store.switches(other)[0]:
                        continue
                    if rs["name"] in self._deps(self._rs(other)):
                        raise ClusterError(f"resource {other} is enabled and depends on "
                                           f"{rs['name']}; disable {other} first", "DEPEND")
        for rs in recs:
            on_off, monitored = self.store.switches(rs["name"])
            with self.store.tx():
                if monitor_only:
                    self.store.set_switches(rs["name"], on_off, False)
                else:
                    self.store.set_switches(rs["name"], False, monitored)
        for rsname in reversed(self._order_across(names)):
            rs = self._rs(rsname)
            rg = self._rg(rs["rg"])
            for node in self.config.nodes:
                state = self.store.rs_state(rsname, node)[0]
                if monitor_only:
                    if state in ("ONLINE", "MONITOR_FAILED"):
                        failed: list[str] = []
                        self._stop_step(node, rs, "Monitor_stop", failed)
                        if not failed:
                            self._set_rs(rsname, node, "ONLINE_NOT_MONITORED")
                elif state not in ("OFFLINE", "STOP_FAILED"):
                    failed = self._stop_resources(rg, node, [rsname])
                    if failed and self.store.node_state(node) == "UP":
                        self._set_rg(rg["name"], node, "ERROR_STOP_FAILED")

    def clear(self, nodes: list[str], names: list[str], flag: str) -> None:
        """scswitch -c -f STOP_FAILED: the administrator says the resource is really stopped."""
        if flag.upper() != "STOP_FAILED":
            raise ClusterError(f"unknown error flag \"{flag}\" (only STOP_FAILED can be "
                               "cleared)", "INVAL")
        for n in nodes:
            self._node(n)
        for name in names:
            self._rs(name)
        for name in names:
            rs = self._rs(name)
            for node in nodes:
                if self.store.rs_state(name, node)[0] != "STOP_FAILED":
                    continue
                self._set_rs(name, node, "OFFLINE")
                states = [self.store.rs_state(n, node)[0] for n in self.store.rs_names(rs["rg"])]
                if "STOP_FAILED" in states:
                    continue
                if any(s != "OFFLINE" for s in states):
                    self._set_rg(rs["rg"], node, rules.rg_state_after_online(
                        s for s in states if s != "OFFLINE"))
                else:
                    self._set_rg(rs["rg"], node, "OFFLINE")

    # ------------------------------------------------------------------ scha_control
    def scha_control(self, tag: str, rgname: str, rsname: str, node: str) -> None:
        tag = tag.upper()
        if tag not in rules.SCHA_CONTROL_TAGS:
            raise ClusterError(f"invalid scha_control tag \"{tag}\"", "TAG")
        rg = self._rg(rgname)
        rs = self._rs(rsname)
        if rs["rg"] != rgname:
            raise ClusterError(f"resource {rsname} is not in resource group {rgname}", "RSRC")
        if self.store.rg_state(rgname, node) not in rules.RG_ONLINE_STATES:
            raise ClusterError(f"resource group {rgname} is not online on node {node}", "STATE")
        refusal = rules.scha_control_refusal(tag, self._failover_mode(rs))
        if refusal:
            self.log(node, "error", "scha_control %s on resource %s rejected: %s", tag, rsname,
                     refusal)
            raise ClusterError(f"{refusal} (resource {rsname})", "CHECKS")
        now = self.clock()
        if tag == "RESOURCE_IS_RESTARTED":
            with self.store.tx():
                self.store.add_event("rs_restart", rsname, node, now)
            return
        if tag == "RESOURCE_RESTART":
            if self.store.rs_state(rsname, node)[0] not in ("ONLINE", "ONLINE_NOT_MONITORED",
                                                            "MONITOR_FAILED", "START_FAILED"):
                raise ClusterError(f"resource {rsname} is not online on node {node}", "STATE")
            with self.store.tx():
                self.store.add_event("rs_restart", rsname, node, now)
            self._restart_resource(rg, rs, node)
            return
        if tag in ("RESTART", "CHECK_RESTART"):
            if tag == "CHECK_RESTART":
                return
            with self.store.tx():
                self.store.add_event("rg_restart", rgname, node, now)
            if self.offline_on(rgname, node):
                self.online_on(rgname, node)
            return
        # GIVEOVER / CHECK_GIVEOVER: Monitor_check of the requesting resource on candidates,
        # in Nodelist order.
        excluded: list[str] = []
        target = self._giveover_target(rg, node, rsname, excluded)
        if target is None:
            why = "; ".join(excluded) or "no other node of its Nodelist is a cluster member"
            self.log(node, "error", "scha_control %s on resource group %s rejected: no other "
                     "node can master it: %s", tag, rgname, why)
            raise ClusterError(f"no other node can master resource group {rgname}: {why}",
                               "CHECKS")
        if tag == "CHECK_GIVEOVER":
            return
        with self.store.tx():
            self.store.add_event("giveover", rgname, node, now)
        self.log(node, "notice", "scha_control GIVEOVER: relocating resource group %s from node "
                 "%s to node %s", rgname, node, target)
        if self.offline_on(rgname, node):
            self.online_on(rgname, target)

    def _restart_resource(self, rg: dict[str, Any], rs: dict[str, Any], node: str) -> None:
        """scha_control RESOURCE_RESTART: Monitor_stop, Stop, Start, Monitor_start on this
        node only; Prenet_start/Postnet_stop and the other resources are left alone."""
        name = rs["name"]
        failed: list[str] = []
        self._set_rs(name, node, "STOPPING")
        if self._rt(rs["type"])["methods"].get("Monitor_start") and \
                self.store.switches(name)[1]:
            self._stop_step(node, rs, "Monitor_stop", failed)
        if not failed:
            self._stop_step(node, rs, "Stop", failed)
        if self.store.node_state(node) != "UP":
            return  # Failover_mode HARD aborted the node; the group failed over
        if failed:
            self._set_rg(rg["name"], node, "ERROR_STOP_FAILED")
            raise ClusterError(f"resource {name} failed to stop on node {node}", "METHOD")
        self._set_rs(name, node, "STARTING")
        result = self.call(node, rs, "Start")
        if result is not None and not result.ok:
            self._set_rs(name, node, "START_FAILED")
            states = [self.store.rs_state(n, node)[0] for n in self.store.rs_names(rg["name"])]
            self._set_rg(rg["name"], node, rules.rg_state_after_online(states))
            if rules.start_failure_relocates(self._failover_mode(rs)):
                target = self._next_node(rg, exclude=[node], failures=True)
                if target and self.offline_on(rg["name"], node):
                    self.online_on(rg["name"], target)
            return
        self._start_monitor(node, rs)

    def _giveover_target(self, rg: dict[str, Any], node: str, rsname: str,
                         excluded: list[str] | None = None) -> str | None:
        """The first candidate on which Monitor_check of `rsname`, the resource whose monitor
        asked, succeeds: "scha_control calls Monitor_check (if defined), which determines
        whether the requested node is reliable enough to master the resource group that
        contains the resource" (Data Services Developer's Guide, "Monitoring a Resource").
        The other resources of the group are not asked. `excluded` collects why each
        candidate was passed over, in the words the RGM logs (which node, Pingpong_interval
        and how long ago, or Monitor_check)."""
        now = self.clock()
        interval = int(rg["props"].get("Pingpong_interval", 3600))
        why = excluded if excluded is not None else []
        for cand in rules.candidate_nodes(rg["props"].get("Nodelist", []), self._up(), [node]):
            gave_up = [t for _n, t in self.store.events("giveover", rg["name"], 0, cand)]
            if rules.pingpong_blocked(gave_up, now, interval):
                why.append(f"node {cand} gave the group up {now - max(gave_up):.0f} s ago, "
                           f"within Pingpong_interval ({interval} s)")
                continue
            failed = [t for _n, t in self.store.events("start_failed", rg["name"], 0, cand)]
            if rules.pingpong_blocked(failed, now, interval):
                why.append(f"the group failed to start on node {cand} "
                           f"{now - max(failed):.0f} s ago, within Pingpong_interval "
                           f"({interval} s)")
                continue
            result = self.call(cand, self._rs(rsname), "Monitor_check")
            if result is None or result.ok:
                return cand
            why.append(f"Monitor_check of resource {rsname} failed on node {cand}")
        return None

    # ------------------------------------------------------------------ membership
    def node_down(self, node: str) -> None:
        """A node died (or Failover_mode HARD aborted it): its groups are offline there (no
        Stop runs) and fail over, except those the administrator wants offline."""
        if self.store.node_state(node) == "DOWN":
            return
        from clustersim import hosts  # noqa: PLC0415
        from clustersim.builtin import release_node  # noqa: PLC0415

        # said on a survivor: the departed node is not yet marked DOWN, and its log dies
        survivor = next((n for n in self._up() if n != node), self._any_up())
        try:
            if hosts.fence(self.layout, node):
                self.log(survivor, "warning", "node %s still ran after it left the "
                         "cluster: fenced off the shared disks (failfast: the node is "
                         "aborted)", node)
        except ClusterError as exc:
            self.log(survivor, "err", "%s", str(exc))
        release_node(self.layout, node)
        affected = []
        with self.store.tx():
            self.store.set_node_state(node, "DOWN")
            for name in self.store.rg_names():
                if self.store.rg_state(name, node) in rules.RG_UP_STATES:
                    affected.append(name)
                if self.store.rg_state(name, node) != "UNMANAGED":
                    self.store.set_rg_state(name, node, "OFFLINE")
                for rsname in self.store.rs_names(name):
                    self.store.set_rs_state(rsname, node, "OFFLINE")
                    self.store.set_rs_status(rsname, node, "OFFLINE", "")
        self.log(self._any_up(), "notice", "node %s left the cluster", node)
        for name in self._rg_order(affected):
            rg = self._rg(name)
            if not rg["managed"] or not rg["props"].get("_wanted"):
                continue  # the administrator asked for it offline (scswitch -F)
            current = [n for n in self.config.nodes
                       if self.store.rg_state(name, n) in rules.RG_UP_STATES]
            want = int(rg["props"].get("Desired_primaries", 1) or 1)
            if len(current) >= want:
                continue
            target = self._next_node(rg, exclude=current, failures=True)
            if target is None:
                self.log(self._any_up(), "error", "resource group %s: no node available to "
                         "master it after node %s died", name, node)
                continue
            self.online_on(name, target)

    def node_up(self, node: str) -> None:
        """A node joined: Boot methods, then groups with no master come online, and groups
        with Failback move back to a node they prefer."""
        with self.store.tx():
            self.store.set_node_state(node, "UP")
        self.log(node, "notice", "node %s joined the cluster", node)
        for name in self.store.rg_names():
            rg = self._rg(name)
            if not rg["managed"]:
                continue
            for rsname in self.store.rs_names(name):
                rs = self._rs(rsname)
                if node in self._init_nodes(rs, rg):
                    self.call(node, rs, "Boot")
        for name in self._rg_order(self.store.rg_names()):
            rg = self._rg(name)
            if not rg["managed"] or node not in rg["props"].get("Nodelist", []):
                continue
            if not rg["props"].get("_wanted"):
                continue
            current = [n for n in self.config.nodes
                       if self.store.rg_state(name, n) in rules.RG_UP_STATES]
            want = int(rg["props"].get("Desired_primaries", 1) or 1)
            if len(current) < want and self.store.rg_state(name, node) == "OFFLINE":
                if rg["props"].get("Auto_start_on_new_cluster", True) or current:
                    self.online_on(name, node)
            elif rg["props"].get("Failback") and current and node not in current:
                nodelist = rg["props"].get("Nodelist", [])
                worst = max(current, key=lambda n: nodelist.index(n) if n in nodelist else 99)
                if nodelist.index(node) < nodelist.index(worst) and self.offline_on(name, worst):
                    self.online_on(name, node)
