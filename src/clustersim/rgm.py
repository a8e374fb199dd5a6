"""The resource group manager: the state machine that rgmd runs, one request at a time.

rgmd (the president) owns one `Rgm`; every administrative command, scha_control request and
node membership change becomes one call on it from a single worker thread, so state changes
are serialised and two methods of one resource never run at once. Methods themselves run on
the nodes through a `Runner` (the node agents); the decisions come from `rules`.

State names follow scstat(1M)/scha_*_get: resource states ONLINE, OFFLINE, START_FAILED,
STOP_FAILED, MONITOR_FAILED, ONLINE_NOT_MONITORED, STARTING, STOPPING; group states ONLINE,
OFFLINE, PENDING_ONLINE, PENDING_OFFLINE, ERROR_STOP_FAILED, ONLINE_FAULTED, UNMANAGED.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from clustersim import rtinfo, rules
from clustersim.config import ClusterConfig
from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout
from clustersim.props import (
    FRAMEWORK_RS_PROPS,
    QUERY_ONLY_RS,
    RG_PROPS,
    convert,
    rg_defaults,
    split_array,
)
from clustersim.store import Store, iget

RGMD_TAG = "Cluster.RGM.rgmd"
METHOD_JOURNAL = "methods.journal"
"""Every method run, one JSON line each, under the cluster directory."""
NETWORK_TYPES = ("SUNW.LogicalHostname", "SUNW.SharedAddress")
R_STATE_NAMES = {"ONLINE": "R_ONLINE", "OFFLINE": "R_OFFLINE", "START_FAILED": "R_START_FAILED",
                 "STOP_FAILED": "R_STOP_FAILED", "MONITOR_FAILED": "R_MON_FAILED",
                 "ONLINE_NOT_MONITORED": "R_ONLINE_UNMON", "STARTING": "R_STARTING",
                 "STOPPING": "R_STOPPING"}


@dataclass
class MethodResult:
    """How a method invocation ended: ok, failed (non-zero exit), timeout, nodedown."""

    outcome: str
    code: int | None = None
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


class Runner(Protocol):
    def run(self, node: str, argv: list[str], timeout: float) -> MethodResult: ...


Logger = Callable[[str, str, str, tuple[Any, ...]], None]


class Rgm:
    """Every operation of the RGM; each public method is one serialised request."""

    def __init__(self, layout: ClusterLayout, store: Store, runner: Runner, *,
                 log: Logger | None = None, abort_node: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.layout = layout
        self.store = store
        self.runner = runner
        self.config = ClusterConfig.load(layout)
        self._log = log or (lambda node, level, fmt, args: None)
        self.abort_node = abort_node
        self.clock = clock
        self._parsed: dict[str, Any] = {}

    # ------------------------------------------------------------------ helpers
    def log(self, node: str, level: str, fmt: str, *args: Any) -> None:
        self._log(node, level, fmt, args)

    def _rg(self, name: str) -> dict[str, Any]:
        rg = self.store.rg(name)
        if rg is None:
            hint = [n for n in self.store.rg_names() if n.lower() == name.lower()]
            extra = f" (did you mean \"{hint[0]}\"? names are case-sensitive)" if hint else ""
            raise ClusterError(f"resource group \"{name}\" does not exist{extra}", "RG")
        return rg

    def _rs(self, name: str) -> dict[str, Any]:
        rs = self.store.rs(name)
        if rs is None:
            hint = [n for n in self.store.rs_names() if n.lower() == name.lower()]
            extra = f" (did you mean \"{hint[0]}\"? names are case-sensitive)" if hint else ""
            raise ClusterError(f"resource \"{name}\" does not exist{extra}", "RSRC")
        return rs

    def _rt(self, name: str) -> dict[str, Any]:
        full = self.store.resolve_rt(name)
        rt = self.store.rt(full) if full else None
        if rt is None:
            raise ClusterError(f"resource type \"{name}\" is not registered", "RT")
        return rt

    def _parsed_rt(self, rt: dict[str, Any]) -> Any:
        if rt["name"] not in self._parsed:
            self._parsed[rt["name"]] = rtinfo.parse(Path(rt["rtr_copy"]))
        return self._parsed[rt["name"]]

    def _node(self, name: str) -> str:
        if name not in self.config.nodes:
            raise ClusterError(f"node \"{name}\" is not a cluster node", "NODE")
        return name

    def rs_value(self, rs: dict[str, Any], name: str) -> Any:
        for bag in (rs["props"], rs["ext"]):
            hit = iget(bag, name)
            if hit:
                return hit[1]
        return None

    def _timeout(self, rs: dict[str, Any], method: str) -> float:
        value = self.rs_value(rs, f"{method}_timeout")
        return float(value) if isinstance(value, int) and value > 0 else 3600.0

    def _failover_mode(self, rs: dict[str, Any]) -> str:
        return str(self.rs_value(rs, "Failover_mode") or "NONE")

    def _deps(self, rs: dict[str, Any]) -> list[str]:
        return list(self.rs_value(rs, "Resource_dependencies") or [])

    def _is_network(self, rs: dict[str, Any]) -> bool:
        return rs["type"].split(":", 1)[0] in NETWORK_TYPES

    def _ordered(self, rg: dict[str, Any], names: Iterable[str] | None = None,
                 reverse: bool = False) -> list[str]:
        members = list(names) if names is not None else self.store.rs_names(rg["name"])
        recs = {n: self._rs(n) for n in members}
        deps = {n: self._deps(r) for n, r in recs.items()}
        net = [n for n, r in recs.items() if self._is_network(r)]
        implicit = bool(rg["props"].get("Implicit_network_dependencies", True))
        order = rules.online_order(members, deps, net, implicit)
        return list(reversed(order)) if reverse else order

    def _set_rs(self, rs: str, node: str, state: str) -> None:
        old = self.store.rs_state(rs, node)[0]
        with self.store.tx():
            self.store.set_rs_state(rs, node, state)
            if state == "OFFLINE":
                _st, status, _msg = self.store.rs_state(rs, node)
                if status not in ("OFFLINE",):
                    self.store.set_rs_status(rs, node, "OFFLINE", "")
            if state == "STARTING":
                _st, status, _msg = self.store.rs_state(rs, node)
                if status == "OFFLINE":
                    self.store.set_rs_status(rs, node, "UNKNOWN", "")
        if old != state:
            self.log(node, "notice", "resource %s state on node %s change to %s",
                     rs, node, R_STATE_NAMES.get(state, state))

    def _set_rg(self, rg: str, node: str, state: str) -> None:
        old = self.store.rg_state(rg, node)
        with self.store.tx():
            self.store.set_rg_state(rg, node, state)
        if old != state:
            self.log(node, "notice", "resource group %s state on node %s change to %s",
                     rg, node, f"RG_{state}")

    def _up(self) -> list[str]:
        return self.store.up_nodes()

    def _where_up(self, rg: str) -> list[str]:
        return [n for n in self.config.nodes
                if self.store.rg_state(rg, n) in rules.RG_UP_STATES]

    # ------------------------------------------------------------------ methods
    def _argv(self, node: str, rs: dict[str, Any], method: str) -> list[str] | None:
        rt = self._rt(rs["type"])
        path = rtinfo.method_path(self.layout, node, rt, method)
        if path is None:
            return None
        return [str(path), "-R", rs["name"], "-T", rt["name"], "-G", rs["rg"]]

    def call(self, node: str, rs: dict[str, Any], method: str,
             extra: list[str] | None = None) -> MethodResult | None:
        """Run `method` of `rs` on `node` as the RGM does; None if the type has no such method."""
        argv = self._argv(node, rs, method)
        if argv is None:
            return None
        if self.store.node_state(node) != "UP":  # e.g. aborted earlier in this request
            return MethodResult("nodedown")
        if extra:  # rt_callbacks(1HA): validate [-c|-u] -R -T -G [-r ...] [-x ...] [-g ...]
            argv = [argv[0], extra[0], *argv[1:], *extra[1:]]
        timeout = self._timeout(rs, method)
        name = Path(argv[0]).name
        self.log(node, "notice", "launching method <%s> for resource <%s>, resource group <%s>, "
                 "node <%s>, timeout <%d> seconds", name, rs["name"], rs["rg"], node, int(timeout))
        if not rtinfo.on_node(self.layout, node, argv[0]).exists():
            self.log(node, "error", "Method <%s> on resource <%s>, node <%s>: "
                     "Execution failed: no such method tag.", name, rs["name"], node)
            return MethodResult("failed", 127)
        began = time.time()
        result = self.runner.run(node, argv, timeout)
        self._journal_method(node, rs, name, began, result)
        used = int(100 * result.duration / timeout) if timeout else 0
        if result.ok:
            self.log(node, "notice", "method <%s> completed successfully for resource <%s>, "
                     "resource group <%s>, node <%s>, time used: %d%% of timeout <%d seconds>",
                     name, rs["name"], rs["rg"], node, used, int(timeout))
        elif result.outcome == "timeout":
            self.log(node, "error", "Method <%s> on resource <%s>, resource group <%s>, "
                     "node <%s>: Timeout.", name, rs["name"], rs["rg"], node)
        elif result.outcome == "failed":
            self.log(node, "error", "Method <%s> failed on resource <%s> in resource group "
                     "<%s> [exit code <%d>, time used: %d%% of timeout <%d seconds>]",
                     name, rs["name"], rs["rg"], result.code or 0, used, int(timeout))
        return result

    def _journal_method(self, node: str, rs: dict[str, Any], method: str, began: float,
                        result: MethodResult) -> None:
        """One line per method run in `<cluster>/methods.journal` (JSON: when it began, how
        long it took, the outcome), so a benchmark can tell the methods' share of a
        switchover from the RGM's own (bench/bench_switchover.py)."""
        line = json.dumps({"node": node, "resource": rs["name"], "type": rs.get("type", ""),
                           "method": method, "began": round(began, 4),
                           "duration": round(result.duration, 4),
                           "outcome": result.outcome})
        with contextlib.suppress(OSError), \
                open(self.layout.base / METHOD_JOURNAL, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def _validate_args(self, rs_props: dict[str, Any], ext: dict[str, Any],
                       rg_props: dict[str, Any], mode: str) -> list[str]:
        args = [mode]
        for flag, bag in (("-r", rs_props), ("-x", ext), ("-g", rg_props)):
            for key, value in bag.items():
                if key.startswith("_"):  # the RGM's own bookkeeping, not a property
                    continue
                if isinstance(value, bool):
                    text = "TRUE" if value else "FALSE"
                elif isinstance(value, list):
                    text = ",".join(str(v) for v in value)
                elif value is None:
                    continue
                else:
                    text = str(value)
                args += [flag, f"{key}={text}"]
        return args

    def _validate(self, rs: dict[str, Any], nodes: list[str], args: list[str]) -> None:
        """Validate on every node at once (as the RGM does); any failure cancels the change."""
        if not self._rt(rs["type"])["methods"].get("Validate") or not nodes:
            return
        with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
            results = dict(zip(nodes, pool.map(lambda n: self.call(n, rs, "Validate", args),
                                               nodes)))
        failed = [n for n, r in results.items() if r is not None and not r.ok]
        if failed:
            raise ClusterError(f"VALIDATE method failed for resource \"{rs['name']}\" on node(s) "
                               f"{', '.join(failed)}; the change is cancelled", "METHOD")

    def _init_nodes(self, rs: dict[str, Any], rg: dict[str, Any]) -> list[str]:
        rt = self._rt(rs["type"])
        return rules.init_nodes(rt["init_nodes"], rg["props"].get("Nodelist", []),
                                rt.get("installed_nodes", ["*"]), self._up())

    # ------------------------------------------------------------------ resource types
    def register_type(self, node: str, name: str | None, rtr_file: str | None,
                      installed: list[str] | None = None) -> str:
        if rtr_file:
            path = Path(rtr_file)
            if not path.is_absolute():
                raise ClusterError(f"registration file \"{rtr_file}\" must be an absolute path",
                                   "INVAL")
            local = self.layout.node_root(node) / rtr_file.lstrip("/")
            path = local if local.is_file() else path
            if not path.is_file():
                raise ClusterError(f"registration file \"{rtr_file}\" not found", "RT")
        else:
            assert name is not None
            found = rtinfo.find_rtr(self.layout, node, name)
            if found is None:
                raise ClusterError(
                    f"resource type \"{name}\": no registration file {name} in "
                    f"/usr/cluster/lib/rgm/rtreg or /opt/cluster/lib/rgm/rtreg on node {node} "
                    "(is its package installed? or give the file with -f)", "RT")
            path = found
        parsed = rtinfo.parse(path)
        if name and name.split(":", 1)[0].lower() != parsed.name.lower():
            raise ClusterError(f"registration file {path} defines type {parsed.full_name}, "
                               f"not {name}", "RT")
        if self.store.rt(parsed.full_name):
            raise ClusterError(f"resource type \"{parsed.full_name}\" is already registered",
                               "RT")
        copy = rtinfo.register_copy(self.layout, path, parsed.full_name)
        data = rtinfo.summarise(parsed, copy)
        if installed:
            for n in installed:
                self._node(n)
            data["installed_nodes"] = installed
        self._parsed[data["name"]] = parsed
        with self.store.tx():
            self.store.put_rt(data)
        return data["name"]

    def change_type(self, name: str, installed: list[str]) -> None:
        rt = self._rt(name)
        for n in installed:
            self._node(n)
        rt["installed_nodes"] = installed
        with self.store.tx():
            self.store.put_rt(rt)

    def unregister_type(self, name: str) -> None:
        rt = self._rt(name)
        users = self.store.rs_of_type(rt["name"])
        if users:
            raise ClusterError(f"resource type \"{rt['name']}\" still has resources: "
                               f"{', '.join(users)}", "RT")
        self._parsed.pop(rt["name"], None)
        with self.store.tx():
            self.store.del_rt(rt["name"])

    # ------------------------------------------------------------------ groups
    def _rg_props(self, name: str, raw: dict[str, str], current: dict[str, Any],
                  creating: bool) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for key, value in raw.items():
            spec = RG_PROPS.get(key.lower())
            if spec is None:
                raise ClusterError(f"\"{key}\" is not a resource group property "
                                   f"(resource group {name})", "PROP")
            if spec.tunable == "NONE" or (spec.tunable == "AT_CREATION" and not creating):
                raise ClusterError(f"property {spec.name} of resource group {name} cannot be "
                                   "changed" + ("" if creating else " after creation"), "PROP")
            changes[spec.name] = convert(spec, value, f"resource group {name}")
        if "Nodelist" in changes:
            for n in changes["Nodelist"]:
                self._node(n)
        merged = {**current, **changes}
        if merged.get("RG_mode") == "Failover" and int(merged.get("Maximum_primaries", 1)) > 1:
            raise ClusterError(f"resource group {name}: a Failover group has "
                               "Maximum_primaries 1", "PROP")
        for dep in merged.get("RG_dependencies", []):
            if dep != name:
                self._rg(dep)
        return changes

    def create_rg(self, name: str, nodelist: list[str] | None, raw: dict[str, str]) -> None:
        if self.store.rg(name):
            raise ClusterError(f"resource group \"{name}\" already exists", "RG")
        if self.store.rs(name):
            raise ClusterError(f"\"{name}\" is already the name of a resource", "RG")
        props = rg_defaults(name)
        props["Nodelist"] = list(self.config.nodes)
        if nodelist is not None:
            raw = {**raw, "Nodelist": ",".join(nodelist)}
        props.update(self._rg_props(name, raw, props, creating=True))
        if props["RG_mode"] == "Scalable" and "maximum_primaries" not in {
                k.lower() for k in raw}:
            props["Maximum_primaries"] = props["Desired_primaries"] = len(props["Nodelist"])
        with self.store.tx():
            self.store.put_rg(name, False, props)
            for n in self.config.nodes:
                self.store.set_rg_state(name, n, "UNMANAGED")

    def change_rg(self, name: str, nodelist: list[str] | None, raw: dict[str, str]) -> None:
        rg = self._rg(name)
        if nodelist is not None:
            raw = {**raw, "Nodelist": ",".join(nodelist)}
        changes = self._rg_props(name, raw, rg["props"], creating=False)
        for rsname in self.store.rs_names(name):
            rs = self._rs(rsname)
            self._validate(rs, self._init_nodes(rs, {"props": {**rg["props"], **changes}}),
                           self._validate_args({}, {}, changes, "-u"))
        with self.store.tx():
            self.store.put_rg(name, rg["managed"], {**rg["props"], **changes})
        for rsname in self.store.rs_names(name):
            self._update_where_online(self._rs(rsname))

    def remove_rg(self, name: str) -> None:
        self._rg(name)
        members = self.store.rs_names(name)
        if members:
            raise ClusterError(f"resource group \"{name}\" still contains resources: "
                               f"{', '.join(members)} (remove them first with scrgadm -r -j)",
                               "RG")
        busy = self._where_up(name)
        if busy:
            raise ClusterError(f"resource group \"{name}\" is online on {', '.join(busy)}; "
                               "take it offline first (scswitch -F -g)", "STATE")
        for other in self.store.rg_names():
            if name in self._rg(other)["props"].get("RG_dependencies", []):
                raise ClusterError(f"resource group \"{other}\" depends on \"{name}\"", "DEPEND")
        with self.store.tx():
            self.store.del_rg(name)

    # ------------------------------------------------------------------ resources
    def _rs_props(self, rt: dict[str, Any], rsname: str, raw_y: dict[str, str],
                  raw_x: dict[str, str], *, creating: bool, enabled: bool
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
        parsed = self._parsed_rt(rt)
        declared = rt["properties"]
        lowmap = {k.lower(): k for k in declared}
        sys_changes: dict[str, Any] = {}
        ext_changes: dict[str, Any] = {}
        owner = f"resource {rsname}"
        for flag, raw in (("-y", raw_y), ("-x", raw_x)):
            for key, value in raw.items():
                low = key.lower()
                if low in QUERY_ONLY_RS:
                    raise ClusterError(f"property {key} of {owner} is query-only and cannot be "
                                       "set", "PROP")
                canonical = lowmap.get(low)
                if canonical is None:
                    spec = FRAMEWORK_RS_PROPS.get(low)
                    if spec is None or flag == "-x":
                        raise ClusterError(
                            f"\"{key}\" is not a{'n extension' if flag == '-x' else ''} "
                            f"property of resource type {rt['name']} ({owner})", "PROP")
                    if not creating and spec.tunable == "AT_CREATION":
                        raise ClusterError(f"property {spec.name} of {owner} can only be set "
                                           "at creation", "PROP")
                    sys_changes[spec.name] = convert(spec, value, owner)
                    continue
                attrs = declared[canonical]
                if attrs["extension"] != (flag == "-x"):
                    other = "-x" if attrs["extension"] else "-y"
                    raise ClusterError(f"property {canonical} of {owner} is "
                                       f"{'an extension' if attrs['extension'] else 'a system'} "
                                       f"property: give it with {other}", "PROP")
                tunable = attrs["tunable"]
                if tunable in ("NONE", "FALSE") and not (creating and attrs["default"] is None):
                    raise ClusterError(f"property {canonical} of {owner} is not tunable", "PROP")
                if tunable == "AT_CREATION" and not creating:
                    raise ClusterError(f"property {canonical} of {owner} can only be set at "
                                       "creation (Tunable = AT_CREATION)", "PROP")
                if tunable == "WHEN_DISABLED" and not creating and enabled:
                    raise ClusterError(f"property {canonical} of {owner} can only be changed "
                                       "while the resource is disabled (Tunable = "
                                       "WHEN_DISABLED)", "PROP")
                typed = self._check_value(parsed, canonical, value, attrs, owner)
                (ext_changes if attrs["extension"] else sys_changes)[canonical] = typed
        return sys_changes, ext_changes

    @staticmethod
    def _check_value(parsed: Any, name: str, raw: str, attrs: dict[str, Any], owner: str) -> Any:
        from scims import rtr  # noqa: PLC0415

        text = raw
        if attrs["type"] == "STRINGARRAY":
            text = ",".join(split_array(raw))
        try:
            value = parsed.check_value(name, text)
        except rtr.PropertyValueError as exc:
            raise ClusterError(f"invalid value \"{raw}\" for property {name} of {owner}: {exc}",
                               "PROP") from None
        if attrs["type"] == "STRINGARRAY" and isinstance(value, str):
            value = split_array(value)
        if isinstance(value, tuple):
            value = list(value)
        return value

    def create_rs(self, name: str, rgname: str, typename: str, raw_y: dict[str, str],
                  raw_x: dict[str, str]) -> None:
        if self.store.rs(name):
            raise ClusterError(f"resource \"{name}\" already exists", "RSRC")
        if self.store.rg(name):
            raise ClusterError(f"\"{name}\" is already the name of a resource group", "RSRC")
        rg = self._rg(rgname)
        rt = self._rt(typename)
        if rt["failover"] and int(rg["props"].get("Maximum_primaries", 1)) > 1:
            raise ClusterError(f"resource type {rt['name']} is a failover type; resource group "
                               f"{rgname} can be online on several nodes", "RT")
        if rt.get("single_instance") and self.store.rs_of_type(rt["name"]):
            raise ClusterError(f"resource type {rt['name']} is Single_instance and already has "
                               "a resource", "RT")
        sys_changes, ext_changes = self._rs_props(rt, name, raw_y, raw_x, creating=True,
                                                  enabled=False)
        props: dict[str, Any] = {}
        ext: dict[str, Any] = {}
        for pname, attrs in rt["properties"].items():
            if pname.lower() in QUERY_ONLY_RS:
                continue
            (ext if attrs["extension"] else props)[pname] = attrs["default"]
        for spec in FRAMEWORK_RS_PROPS.values():
            if not iget(props, spec.name):
                props[spec.name] = list(spec.default) if isinstance(spec.default, list) \
                    else spec.default
        props.update(sys_changes)
        ext.update(ext_changes)
        props["Type_version"] = rt["rt_version"]
        missing = [k for k, v in {**props, **ext}.items() if v is None
                   and k.lower() not in ("port_list",)]
        if missing:
            raise ClusterError(f"resource {name}: property {', '.join(missing)} has no default "
                               "and must be given (-x/-y name=value)", "PROP")
        for dep in self._all_deps(props):
            if dep == name:
                raise ClusterError(f"resource {name} cannot depend on itself", "DEPEND")
            self._rs(dep)
        if props.get("Network_resources_used"):
            for net in props["Network_resources_used"]:
                self._rs(net)
        if rt["base"] in NETWORK_TYPES:
            self._map_hostnames(name, ext)
        rec = {"name": name, "rg": rgname, "type": rt["name"], "props": props, "ext": ext}
        self._validate(rec, self._init_nodes(rec, rg),
                       self._validate_args(props, ext, rg["props"], "-c"))
        with self.store.tx():
            self.store.put_rs(name, rgname, rt["name"], props, ext)
            self.store.set_switches(name, False, True)
            for n in self.config.nodes:
                self.store.set_rs_state(name, n, "OFFLINE")
                self.store.set_rs_status(name, n, "OFFLINE", "")
        if rg["managed"]:
            self._run_on(self._init_nodes(rec, rg), rec, "Init")

    @staticmethod
    def _all_deps(props: dict[str, Any]) -> list[str]:
        out: list[str] = []
        for key in ("Resource_dependencies", "Resource_dependencies_weak",
                    "Resource_dependencies_restart"):
            out += list(props.get(key) or [])
        return out

    def _map_hostnames(self, rsname: str, ext: dict[str, Any]) -> None:
        from clustersim.builtin import network  # noqa: PLC0415

        hit = iget(ext, "HostnameList")
        hosts = list(hit[1]) if hit else []
        if not hosts:
            raise ClusterError(f"resource {rsname}: HostnameList is empty", "PROP")
        for host in hosts:
            network.ensure_hostname(self.layout, self.config.nodes, host)

    def _run_on(self, nodes: list[str], rs: dict[str, Any], method: str) -> None:
        """Init/Fini/Boot: a failure is logged and otherwise ignored (DEVG30)."""
        for n in nodes:
            self.call(n, rs, method)

    def create_lh(self, rgname: str, hosts: list[str], name: str | None,
                  raw_y: dict[str, str], netif: str | None) -> str:
        rsname = name or hosts[0]
        full = self.store.resolve_rt("SUNW.LogicalHostname")
        if full is None:
            raise ClusterError("resource type SUNW.LogicalHostname is not registered", "RT")
        raw_x = {"HostnameList": ",".join(hosts)}
        if netif:
            raw_x["NetIfList"] = netif
        self.create_rs(rsname, rgname, full, raw_y, raw_x)
        return rsname

    def change_rs(self, name: str, raw_y: dict[str, str], raw_x: dict[str, str]) -> None:
        rs = self._rs(name)
        rt = self._rt(rs["type"])
        rg = self._rg(rs["rg"])
        enabled = self.store.switches(name)[0]
        sys_changes, ext_changes = self._rs_props(rt, name, raw_y, raw_x, creating=False,
                                                      enabled=enabled)
        new_props = {**rs["props"], **sys_changes}
        for dep in self._all_deps(sys_changes):
            if dep == name:
                raise ClusterError(f"resource {name} cannot depend on itself", "DEPEND")
            self._rs(dep)
        deps = {n: self._deps(self._rs(n)) for n in self.store.rs_names()}
        deps[name] = list(new_props.get("Resource_dependencies") or [])
        if rules.dependency_cycle(name, deps):
            raise ClusterError(f"resource {name}: Resource_dependencies would form a cycle",
                               "DEPEND")
        if "HostnameList" in ext_changes:
            self._map_hostnames(name, ext_changes)
        self._validate(rs, self._init_nodes(rs, rg),
                       self._validate_args(sys_changes, ext_changes, {}, "-u"))
        with self.store.tx():
            self.store.put_rs(name, rs["rg"], rs["type"], new_props,
                              {**rs["ext"], **ext_changes})
        self._update_where_online(self._rs(name))

    def _update_where_online(self, rs: dict[str, Any]) -> None:
        """rt_callbacks(1HA): after a successful property change of a resource or its group,
        Update runs on every node where the resource is online."""
        for n in self.config.nodes:
            if self.store.rs_state(rs["name"], n)[0] in ("ONLINE", "ONLINE_NOT_MONITORED",
                                                         "MONITOR_FAILED"):
                self.call(n, rs, "Update")

    def remove_rs(self, name: str) -> None:
        rs = self._rs(name)
        if self.store.switches(name)[0]:
            raise ClusterError(f"resource \"{name}\" is enabled; disable it first "
                               "(scswitch -n -j)", "STATE")
        busy = [n for n in self.config.nodes if self.store.rs_state(name, n)[0] != "OFFLINE"]
        if busy:
            raise ClusterError(f"resource \"{name}\" is not offline on {', '.join(busy)}",
                               "STATE")
        for other in self.store.rs_names():
            if other != name and name in self._all_deps(self._rs(other)["props"]):
                raise ClusterError(f"resource \"{other}\" depends on \"{name}\"; remove the "
                                   "dependency or that resource first", "DEPEND")
        rg = self._rg(rs["rg"])
        if rg["managed"]:
            self._run_on(self._init_nodes(rs, rg), rs, "Fini")
        with self.store.tx():
            self.store.del_rs(name)

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
        target = self._giveover_target(rg, node, rsname)
        if target is None:
            self.log(node, "error", "scha_control %s on resource group %s rejected: no healthy "
                     "node to master it", tag, rgname)
            raise ClusterError(f"no other node can master resource group {rgname} (none up, "
                               "excluded by Pingpong_interval, or Monitor_check failed)",
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

    def _giveover_target(self, rg: dict[str, Any], node: str, rsname: str) -> str | None:
        """The first candidate on which Monitor_check of `rsname`, the resource whose monitor
        asked, succeeds: "scha_control calls Monitor_check (if defined), which determines
        whether the requested node is reliable enough to master the resource group that
        contains the resource" (Data Services Developer's Guide, "Monitoring a Resource").
        The other resources of the group are not asked."""
        now = self.clock()
        interval = int(rg["props"].get("Pingpong_interval", 3600))
        for cand in rules.candidate_nodes(rg["props"].get("Nodelist", []), self._up(), [node]):
            if rules.pingpong_blocked(
                    [t for _n, t in self.store.events("giveover", rg["name"], 0, cand)],
                    now, interval):
                continue
            if rules.pingpong_blocked(
                    [t for _n, t in self.store.events("start_failed", rg["name"], 0, cand)],
                    now, interval):
                continue
            result = self.call(cand, self._rs(rsname), "Monitor_check")
            if result is None or result.ok:
                return cand
        return None

    # ------------------------------------------------------------------ membership
    def node_down(self, node: str) -> None:
        """A node died (or Failover_mode HARD aborted it): its groups are offline there (no
        Stop runs) and fail over, except those the administrator wants offline."""
        if self.store.node_state(node) == "DOWN":
            return
        from clustersim import hosts  # noqa: PLC0415
        from clustersim.builtin import release_node  # noqa: PLC0415

        if hosts.fence(self.layout, node):
            self.log(self._any_up(), "warning", "node %s still ran after it left the cluster: "
                     "fenced off the shared disks (failfast: the node is aborted)", node)
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
