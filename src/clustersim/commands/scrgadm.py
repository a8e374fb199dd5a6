"""scrgadm(1M): register resource types, create/change/remove resource groups and
resources, print the configuration (-p, -pv, -pvv), in Sun Cluster 3.1 syntax."""

from __future__ import annotations

import sys
from typing import Any

from clustersim.client import call_rgmd
from clustersim.commands import adminargs
from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout
from clustersim.store import Store

PROG = "scrgadm"


def main(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    return adminargs.run(PROG, lambda: _main(argv, layout, node))


def _main(argv: list[str], layout: ClusterLayout, node: str) -> None:
    if not argv:
        raise ClusterError("usage: scrgadm -a|-c|-r|-p [options]  (see scrgadm(1M))", "INVAL")
    opts, _ = adminargs.parse(argv, "acrpvLS", "tgjlhxyfnX")
    modes = [k for k, _v in opts if k in "acrp"]
    if len(set(modes)) != 1:
        raise ClusterError("exactly one of -a, -c, -r, -p is required", "INVAL")
    mode = modes[0]
    single: dict[str, str] = {}
    x: dict[str, str] = {}
    y: dict[str, str] = {}
    flags = {k for k, v in opts if not v}
    for k, v in opts:
        if k == "x":
            name, value = adminargs.assignment("x", v)
            x[name] = value
        elif k == "y":
            name, value = adminargs.assignment("y", v)
            y[name] = value
        elif v:
            if k in single and k not in "h":
                raise ClusterError(f"option -{k} given twice", "INVAL")
            single[k] = v
    if mode == "p":
        _print(layout, single, verbose=sum(1 for k, _ in opts if k == "v"))
        return
    nodes = adminargs.csv(single["h"]) if "h" in single else None

    def rq(op: str, **args: Any) -> Any:
        return call_rgmd(layout, op, **args)

    if "L" in flags:
        if mode != "a":
            raise ClusterError("-L is only used with -a", "INVAL")
        if "g" not in single or "l" not in single:
            raise ClusterError("-a -L needs -g resource-group and -l hostname[,...]", "INVAL")
        rq("create_lh", rgname=single["g"], hosts=adminargs.csv(single["l"]),
           name=single.get("j"), raw_y=y, netif=single.get("n"))
        return
    if "S" in flags:
        raise ClusterError("shared address resources (-S) are not supported by this cluster",
                           "INVAL")
    if "j" in single:
        name = single["j"]
        if mode == "a":
            if "g" not in single or "t" not in single:
                raise ClusterError(f"creating resource {name} needs -g resource-group and -t "
                                   "resource-type", "INVAL")
            rq("create_rs", name=name, rgname=single["g"], typename=single["t"], raw_y=y,
               raw_x=x)
        elif mode == "c":
            if not x and not y:
                raise ClusterError(f"nothing to change for resource {name} (give -x or -y)",
                                   "INVAL")
            rq("change_rs", name=name, raw_y=y, raw_x=x)
        else:
            rq("remove_rs", name=name)
        return
    if "g" in single:
        name = single["g"]
        if x:
            raise ClusterError("-x applies to resources, not resource groups", "INVAL")
        if mode in ("a", "c"):  # creating and changing a group take the same properties
            rq("create_rg" if mode == "a" else "change_rg", name=name, nodelist=nodes, raw=y)
        else:
            rq("remove_rg", name=name)
        return
    if "t" in single:
        name = single["t"]
        if mode == "a":
            rq("register_type", node=node, name=name, rtr_file=single.get("f"),
               installed=nodes)
        elif mode == "c":
            if nodes is None:
                raise ClusterError("-c -t needs -h installed-node-list", "INVAL")
            rq("change_type", name=name, installed=nodes)
        else:
            rq("unregister_type", name=name)
        return
    if "f" in single and mode == "a":
        rq("register_type", node=node, name=None, rtr_file=single["f"], installed=nodes)
        return
    raise ClusterError("name the object: -t resource-type, -g resource-group or -j resource",
                       "INVAL")


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return " ".join(str(v) for v in value) if value else "<NULL>"
    if value in (None, ""):
        return "<NULL>"
    return str(value)


def _line(label: str, value: Any, width: int = 50) -> str:
    return f"{label + ':':<{width}} {_fmt(value)}"


def _print(layout: ClusterLayout, single: dict[str, str], verbose: int) -> None:
    store = Store(layout.state_db)
    out: list[str] = []
    rts = store.rts()
    rgs = store.rg_names()
    if "t" in single:
        full = store.resolve_rt(single["t"])
        if full is None:
            raise ClusterError(f"resource type \"{single['t']}\" is not registered", "RT")
        rts = [r for r in rts if r["name"] == full]
        rgs = []
    if "g" in single:
        if store.rg(single["g"]) is None:
            raise ClusterError(f"resource group \"{single['g']}\" does not exist", "RG")
        rgs = [single["g"]]
        rts = []
    for rt in rts:
        out.append(_line("Res Type name", rt["name"]))
        out.append(_line("  Res Type description", rt["description"]))
        if verbose:
            out.append(_line("  Res Type base directory", rt["rt_basedir"]))
            out.append(_line("  Res Type single instance", rt["single_instance"]))
            out.append(_line("  Res Type init nodes", rt["init_nodes"]))
            out.append(_line("  Res Type failover", rt["failover"]))
            out.append(_line("  Res Type version", rt["rt_version"]))
            out.append(_line("  Res Type API version", rt["api_version"]))
            out.append(_line("  Res Type installed on nodes", rt["installed_nodes"]))
            out.append(_line("  Res Type packages", rt["pkglist"]))
    for name in rgs:
        rg = store.rg(name)
        assert rg is not None
        props = rg["props"]
        out.append(_line("Res Group name", name))
        out.append(_line("  Res Group RG_description", props.get("RG_description")))
        out.append(_line("  Res Group mode", props.get("RG_mode")))
        out.append(_line("  Res Group management state",
                         "Managed" if rg["managed"] else "Unmanaged"))
        out.append(_line("  Res Group RG_project_name", props.get("RG_project_name")))
        out.append(_line("  Res Group Auto_start_on_new_cluster",
                         props.get("Auto_start_on_new_cluster")))
        out.append(_line("  Res Group Failback", props.get("Failback")))
        out.append(_line("  Res Group Nodelist", props.get("Nodelist")))
        out.append(_line("  Res Group Maximum_primaries", props.get("Maximum_primaries")))
        out.append(_line("  Res Group Desired_primaries", props.get("Desired_primaries")))
        out.append(_line("  Res Group RG_dependencies", props.get("RG_dependencies")))
        out.append(_line("  Res Group network dependencies",
                         props.get("Implicit_network_dependencies")))
        out.append(_line("  Res Group Global_resources_used",
                         props.get("Global_resources_used")))
        out.append(_line("  Res Group Pingpong_interval", props.get("Pingpong_interval")))
        out.append(_line("  Res Group Pathprefix", props.get("Pathprefix")))
        for rsname in store.rs_names(name):
            rs = store.rs(rsname)
            assert rs is not None
            p = f"  ({name}) Res"
            q = f"    ({name}:{rsname}) Res"
            on_off, monitored = store.switches(rsname)
            out.append(_line(f"{p} name", rsname))
            out.append(_line(f"{q} R_description", rs["props"].get("R_description")))
            out.append(_line(f"{q} resource type", rs["type"]))
            out.append(_line(f"{q} type version", rs["props"].get("Type_version")))
            out.append(_line(f"{q} resource group name", name))
            out.append(_line(f"{q} resource project name",
                             rs["props"].get("Resource_project_name")))
            out.append(_line(f"{q} enabled", on_off))
            out.append(_line(f"{q} monitor enabled", monitored))
            out.append(_line(f"{q} strong dependencies",
                             rs["props"].get("Resource_dependencies")))
            out.append(_line(f"{q} weak dependencies",
                             rs["props"].get("Resource_dependencies_weak")))
            if verbose:
                for key, value in rs["props"].items():
                    out.append(_line(f"{q} property name", key))
                    out.append(_line(f"{q} property value", value))
                for key, value in rs["ext"].items():
                    out.append(_line(f"{q} property name", key))
                    out.append(_line(f"{q} property class", "extension"))
                    out.append(_line(f"{q} property value", value))
    sys.stdout.write("".join(line.rstrip() + "\n" for line in out))
