"""The RGM's configuration requests: resource types, groups and resources (scrgadm).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clustersim import rtinfo, rules
from clustersim.errors import ClusterError
from clustersim.props import (
    FRAMEWORK_RS_PROPS,
    QUERY_ONLY_RS,
    RG_PROPS,
    convert,
    rg_defaults,
    split_array,
)
from clustersim.rgm.base import NETWORK_TYPES, RgmBase
from clustersim.store import iget


class Configuration(RgmBase):
    """Register, create, change and remove types, groups and resources."""

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
        from scims.cluster import rtr  # noqa: PLC0415

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

