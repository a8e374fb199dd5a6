"""scha_resource_get, scha_resourcegroup_get, scha_resourcetype_get, scha_cluster_get,
scha_resource_setstatus, scha_control (scha_cmds(1HA)).

Queries read the state store directly (fast: a method calls them many times); output is
one value per line, booleans TRUE/FALSE, extension properties a type line then the value,
Status two lines; the exit status is the scha_err_t number. scha_control is a request to
rgmd and returns once the action completed.
"""

from __future__ import annotations

import sys
import time

from clustersim.errors import ClusterError
from clustersim.store import Store, iget

TYPE_CHECKING = False  # typing costs ~10 ms of start-up; annotations are lazy

if TYPE_CHECKING:  # no typing/layout imports at run time: these commands must start fast
    from typing import Any

    from clustersim.layout import ClusterLayout

_BOOL = {True: "TRUE", False: "FALSE"}


class _Usage(ClusterError):
    pass


def _opts(prog: str, argv: list[str], flags: str) -> tuple[dict[str, str], list[str]]:
    """getopt with the error texts the scha commands print."""
    opts: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("-") and len(arg) >= 2 and arg[1] in flags and arg != "--":
            letter = arg[1]
            value = arg[2:]
            if not value:
                i += 1
                if i >= len(argv):
                    raise _Usage(f"option -{letter} requires an argument", "INVAL")
                value = argv[i]
            opts[letter] = value
        elif arg.startswith("-") and len(arg) > 1 and not rest:
            raise _Usage(f"illegal option -- {arg[1:]}", "INVAL")
        else:
            rest.append(arg)
        i += 1
    return opts, rest


def _emit(lines: list[str]) -> None:
    sys.stdout.write("".join(f"{line}\n" for line in lines))


def _value_lines(value: Any) -> list[str]:
    if isinstance(value, bool):
        return [_BOOL[value]]
    if isinstance(value, list):
        return [str(v) for v in value]
    if value is None:
        return []
    return [str(value)]


def _run(prog: str, body: Any) -> int:
    try:
        body()
        return 0
    except ClusterError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0


def _store(layout: ClusterLayout) -> Store:
    import os  # noqa: PLC0415

    if not os.path.exists(layout.state_db):
        raise ClusterError(f"no cluster at {layout.base}", "CLUSTER")
    return Store(layout.state_db)


def _need(opts: dict[str, str], letter: str, what: str) -> str:
    if letter not in opts:
        raise _Usage(f"-{letter} {what} is required", "INVAL")
    return opts[letter]


def _query(prog: str, argv: list[str], flags: str, what: str,
           layout: ClusterLayout) -> tuple[dict[str, str], list[str], str, str, Store]:
    """What every scha_*_get of one object does first: its options and operands, the -O
    optag, the name of the `what` (given with the letter after O in `flags`), and the
    state store."""
    opts, rest = _opts(prog, argv, flags)
    optag = _need(opts, "O", "optag")
    name = _need(opts, flags[1], what)
    return opts, rest, optag, name, _store(layout)


def _options_only(prog: str, argv: list[str], flags: str) -> dict[str, str]:
    """The options of a command that takes no operand (scha_resource_setstatus,
    scha_control); an operand is refused."""
    opts, rest = _opts(prog, argv, flags)
    if rest:
        raise _Usage(f"unexpected operand {rest[0]}", "INVAL")
    return opts


def _existing(found: dict[str, Any] | None, what: str, name: str, err: str) -> dict[str, Any]:
    """The object a command names, or the refusal every scha_* command gives for one the
    cluster does not have (`resource X does not exist`)."""
    if found is None:
        raise ClusterError(f"{what} {name} does not exist", err)
    return found


def _check_node(store: Store, name: str) -> str:
    if store.node_state(name) is None:
        raise ClusterError(f"node {name} is not a cluster node", "NODE")
    return name


RT_OPTAGS = {"rt_basedir": "rt_basedir", "rt_version": "rt_version", "failover": "failover",
             "api_version": "api_version", "init_nodes": "init_nodes", "pkglist": "pkglist",
             "single_instance": "single_instance", "installed_nodes": "installed_nodes",
             "rt_description": "description"}
METHOD_OPTAGS = ("Start", "Stop", "Validate", "Update", "Init", "Fini", "Boot", "Monitor_start",
                 "Monitor_stop", "Monitor_check", "Prenet_start", "Postnet_stop")


def _rt_value(rt: dict[str, Any], optag: str) -> list[str] | None:
    low = optag.lower()
    if low in RT_OPTAGS:
        return _value_lines(rt[RT_OPTAGS[low]])
    for m in METHOD_OPTAGS:
        if m.lower() == low:
            return _value_lines(rt["methods"].get(m, ""))
    if low == "is_logical_hostname":
        return [_BOOL[rt["base"] == "SUNW.LogicalHostname"]]
    if low == "is_shared_address":
        return [_BOOL[rt["base"] == "SUNW.SharedAddress"]]
    if low == "rt_system":
        return ["FALSE"]
    return None


def resource_get(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    def body() -> None:
        opts, rest, optag, name, store = _query("scha_resource_get", argv, "ORGZ",
                                                "resource", layout)
        rs = _existing(store.rs(name), "resource", name, "RSRC")
        if "G" in opts and opts["G"] != rs["rg"]:
            raise ClusterError(f"resource {name} is not in resource group {opts['G']}", "RG")
        _emit(_resource_value(store, rs, optag, rest, node))

    return _run("scha_resource_get", body)


def _resource_value(store: Store, rs: dict[str, Any], optag: str, rest: list[str],
                    node: str) -> list[str]:
    low = optag.lower()
    name = rs["name"]
    arg_node = rest[0] if rest else node
    if low == "extension":
        if not rest:
            raise ClusterError("-O Extension needs the extension property name", "INVAL")
        hit = iget(rs["ext"], rest[0])
        if hit is None:
            raise ClusterError(f"resource {name} has no extension property {rest[0]}", "PROP")
        rt = store.rt(rs["type"]) or {"properties": {}}
        ptype = rt["properties"].get(hit[0], {}).get("type", "STRING")
        return [ptype, *_value_lines(hit[1])]
    if low in ("resource_state", "resource_state_node"):
        return [store.rs_state(name, _check_node(store, arg_node))[0]]
    if low in ("status", "status_node"):
        _state, status, msg = store.rs_state(name, _check_node(store, arg_node))
        return [status, msg or ""]
    if low == "type":
        return [rs["type"]]
    if low in ("group", "resource_group"):
        return [rs["rg"]]
    if low == "resource_name":
        return [name]
    if low in ("on_off_switch", "on_off_switch_node"):
        return ["ENABLED" if store.switches(name)[0] else "DISABLED"]
    if low in ("monitored_switch", "monitored_switch_node"):
        return ["ENABLED" if store.switches(name)[1] else "DISABLED"]
    if low in ("num_resource_restarts", "num_rg_restarts",
               "num_resource_restarts_zone", "num_rg_restarts_zone"):
        hit = iget(rs["props"], "Retry_interval")
        window = int(hit[1]) if hit and hit[1] else 3600
        since = time.time() - window
        if low.startswith("num_resource"):
            return [str(len(store.events("rs_restart", name, since, node)))]
        return [str(len(store.events("rg_restart", rs["rg"], since, node)))]
    hit = iget(rs["props"], optag)
    if hit is not None:
        return _value_lines(hit[1])
    rt = store.rt(rs["type"])
    if rt is not None:
        value = _rt_value(rt, optag)
        if value is not None:
            return value
    if iget(rs["ext"], optag):
        raise ClusterError(f"{optag} is an extension property: use -O Extension {optag}", "TAG")
    raise ClusterError(f"invalid optag {optag} (not a property of resource {name})", "TAG")


def resourcegroup_get(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    def body() -> None:
        _, rest, optag, name, store = _query("scha_resourcegroup_get", argv, "OGZ",
                                             "resource group", layout)
        rg = _existing(store.rg(name), "resource group", name, "RG")
        low = optag.lower()
        arg_node = rest[0] if rest else node
        if low in ("rg_state", "rg_state_node"):
            out = [store.rg_state(name, _check_node(store, arg_node))]
        elif low == "resource_list":
            out = store.rs_names(name)
        elif low == "rg_is_frozen":
            out = ["FALSE"]
        elif low == "rg_name":
            out = [name]
        else:
            hit = iget({k: v for k, v in rg["props"].items() if not k.startswith("_")}, optag)
            if hit is None:
                raise ClusterError(f"invalid optag {optag} for resource group {name}", "TAG")
            out = _value_lines(hit[1])
        _emit(out)

    return _run("scha_resourcegroup_get", body)


def resourcetype_get(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    def body() -> None:
        _, _, optag, name, store = _query("scha_resourcetype_get", argv, "OTZ",
                                          "resource type", layout)
        full = store.resolve_rt(name)
        rt = store.rt(full) if full else None
        if rt is None:
            raise ClusterError(f"resource type {name} is not registered", "RT")
        if optag.lower() == "resource_list":
            _emit(store.rs_of_type(rt["name"]))
            return
        value = _rt_value(rt, optag)
        if value is None:
            raise ClusterError(f"invalid optag {optag} for resource type {name}", "TAG")
        _emit(value)

    return _run("scha_resourcetype_get", body)


def cluster_get(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    def body() -> None:
        opts, rest = _opts("scha_cluster_get", argv, "OZ")
        optag = _need(opts, "O", "optag").lower()
        store = _store(layout)
        nodes = store.nodes()
        ids = {n: i for n, i, _s in nodes}
        if optag == "nodename_local":
            out = [node]
        elif optag == "nodeid_local":
            out = [str(ids[node])]
        elif optag == "all_nodenames":
            out = [n for n, _i, _s in nodes]
        elif optag == "all_nodeids":
            out = [str(i) for _n, i, _s in nodes]
        elif optag == "nodename_nodeid":
            by_id = {str(i): n for n, i in ids.items()}
            if not rest or rest[0] not in by_id:
                raise ClusterError(f"no node with id {rest[0] if rest else '(none)'}", "NODE")
            out = [by_id[rest[0]]]
        elif optag == "nodeid_nodename":
            out = [str(ids[_check_node(store, rest[0] if rest else node)])]
        elif optag in ("node_state", "node_state_node", "node_state_local",
                       "nodestate_node", "nodestate_local"):  # the last two: the real names
            target = rest[0] if rest and not optag.endswith("_local") else node
            out = [store.node_state(_check_node(store, target)) or "DOWN"]
        elif optag == "syslog_facility":
            out = ["daemon"]
        elif optag == "all_resourcegroups":
            out = store.rg_names()
        elif optag == "all_resourcetypes":
            out = [rt["name"] for rt in store.rts()]
        elif optag == "clustername":
            from clustersim.store import _loads  # noqa: PLC0415

            with open(f"{layout.base}/cluster.json") as fh:
                out = [_loads(fh.read())["name"]]
        else:
            raise ClusterError(f"invalid optag {optag}", "TAG")
        _emit(out)

    return _run("scha_cluster_get", body)


STATUSES = ("OK", "DEGRADED", "FAULTED", "UNKNOWN", "OFFLINE")
RGM_STATUS = {"OK": "R_FM_ONLINE", "DEGRADED": "R_FM_DEGRADED", "FAULTED": "R_FM_FAULTED",
              "UNKNOWN": "R_FM_UNKNOWN", "OFFLINE": "R_FM_OFFLINE"}


def resource_setstatus(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    def body() -> None:
        opts = _options_only("scha_resource_setstatus", argv, "RGsmZ")
        name = _need(opts, "R", "resource")
        group = _need(opts, "G", "resource group")
        status = _need(opts, "s", "status").upper()
        if status not in STATUSES:
            raise ClusterError(f"invalid status {opts['s']} (OK, DEGRADED, FAULTED, UNKNOWN or "
                               "OFFLINE)", "INVAL")
        msg = opts.get("m", "")
        store = _store(layout)
        rs = _existing(store.rs(name), "resource", name, "RSRC")
        if rs["rg"] != group:
            raise ClusterError(f"resource {name} is not in resource group {group}", "RG")
        with store.tx():
            _state, old_status, old_msg = store.rs_state(name, node)
            store.set_rs_status(name, node, status, msg)
        if (old_status, old_msg) != (status, msg):
            from clustersim.syslog_client import log_to_node  # noqa: PLC0415

            if old_status != status:
                fmt = "resource %s status on node %s change to %s"
                log_to_node(layout, node, "Cluster.RGM.rgmd", "notice",
                            fmt % (name, node, RGM_STATUS[status]), msgid_format=fmt)
            if old_msg != msg:
                fmt = "resource %s status msg on node %s change to <%s>"
                log_to_node(layout, node, "Cluster.RGM.rgmd", "notice",
                            fmt % (name, node, msg), msgid_format=fmt)

    return _run("scha_resource_setstatus", body)


def control(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    def body() -> None:
        opts = _options_only("scha_control", argv, "OGRZ")
        tag = _need(opts, "O", "optag")
        group = _need(opts, "G", "resource group")
        name = _need(opts, "R", "resource")
        from clustersim.client import call_rgmd  # noqa: PLC0415

        call_rgmd(layout, "scha_control", tag=tag, rgname=group, rsname=name, node=node)

    return _run("scha_control", body)
