"""The Sun Cluster 3.2 object CLI, where it maps directly onto the RGM's operations:
clresourcetype (clrt), clresourcegroup (clrg), clresource (clrs), clreslogicalhostname
(clrslh). Subcommands: register/unregister/list; create/delete/online/offline/switch/
restart/manage/unmanage/list/status; create/delete/enable/disable/monitor/unmonitor/set/
clear/list/status; create for logical hosts. `+` means every object, as in the real CLI."""

from __future__ import annotations

import sys

from clustersim.client import call_rgmd
from clustersim.commands import adminargs
from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout
from clustersim.store import Store


def _parse(argv: list[str], valued: str) -> tuple[str, dict[str, list[str]], set[str],
                                                   list[str]]:
    if not argv:
        raise ClusterError("a subcommand is required", "INVAL")
    sub, rest = argv[0], argv[1:]
    values: dict[str, list[str]] = {}
    flags: set[str] = set()
    operands: list[str] = []
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg.startswith("-") and len(arg) == 2:
            if arg[1] in valued:
                if i + 1 >= len(rest):
                    raise ClusterError(f"option {arg} requires an argument", "INVAL")
                values.setdefault(arg[1], []).append(rest[i + 1])
                i += 2
                continue
            flags.add(arg[1])
        else:
            operands.append(arg)
        i += 1
    return sub, values, flags, operands


def _props(values: dict[str, list[str]], letter: str) -> dict[str, str]:
    return dict(adminargs.assignment(letter, v) for v in values.get(letter, []))


def _list_or_status(layout: ClusterLayout, sub: str, names: list[str]) -> None:
    """What every object command answers alike: `list` (the names), `status` (scstat -g);
    any other subcommand is unknown."""
    if sub == "list":
        print("\n".join(names))
    elif sub == "status":
        from clustersim.commands.scstat import render  # noqa: PLC0415

        sys.stdout.write(render(layout, ["-g"]))
    else:
        raise ClusterError(f"unknown subcommand {sub}", "INVAL")


def _all(operands: list[str], everything: list[str]) -> list[str]:
    return everything if operands == ["+"] else operands


def clresourcetype(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    def body() -> None:
        sub, values, _flags, ops = _parse(argv, "fn")
        store = Store(layout.state_db)
        if sub == "register":
            for name in ops:
                call_rgmd(layout, "register_type", node=node, name=name,
                          rtr_file=(values.get("f") or [None])[0],
                          installed=adminargs.csv(values["n"][0]) if "n" in values else None)
        elif sub == "unregister":
            for name in _all(ops, [r["name"] for r in store.rts()]):
                call_rgmd(layout, "unregister_type", name=name)
        elif sub in ("list", "show"):
            for rt in store.rts():
                print(rt["name"])
        else:
            raise ClusterError(f"unknown subcommand {sub}", "INVAL")

    return adminargs.run("clresourcetype", body)


def clresourcegroup(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    def body() -> None:
        sub, values, flags, ops = _parse(argv, "npF")
        store = Store(layout.state_db)
        groups = _all(ops, store.rg_names())
        nodes = adminargs.csv(values["n"][0]) if "n" in values else None
        if sub == "create":
            for g in groups:
                call_rgmd(layout, "create_rg", name=g, nodelist=nodes, raw=_props(values, "p"))
        elif sub == "delete":
            for g in groups:
                call_rgmd(layout, "remove_rg", name=g)
        elif sub == "set":
            for g in groups:
                call_rgmd(layout, "change_rg", name=g, nodelist=nodes, raw=_props(values, "p"))
        elif sub == "online":
            if "M" in flags:
                call_rgmd(layout, "manage", rgs=groups)
            call_rgmd(layout, "bring_online", rgs=groups, enable_all="e" in flags)
        elif sub == "offline":
            call_rgmd(layout, "take_offline", rgs=groups)
        elif sub == "switch":
            call_rgmd(layout, "switch", rgs=groups, nodes=nodes or [])
        elif sub == "restart":
            call_rgmd(layout, "restart", rgs=groups, nodes=nodes)
        elif sub == "manage":
            call_rgmd(layout, "manage", rgs=groups)
        elif sub == "unmanage":
            call_rgmd(layout, "unmanage", rgs=groups)
        else:
            _list_or_status(layout, sub, store.rg_names())

    return adminargs.run("clresourcegroup", body)


def _split_p(store: Store, rtype: str, raw: dict[str, str]) -> tuple[dict[str, str],
                                                                      dict[str, str]]:
    """`-p` names either kind of property: sort them by the type's declarations."""
    full = store.resolve_rt(rtype)
    rt = store.rt(full) if full else None
    ext_names = {k.lower() for k, v in (rt or {"properties": {}})["properties"].items()
                 if v["extension"]}
    y = {k: v for k, v in raw.items() if k.lower() not in ext_names}
    x = {k: v for k, v in raw.items() if k.lower() in ext_names}
    return y, x


def clresource(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    def body() -> None:
        sub, values, flags, ops = _parse(argv, "gtpxynf")
        store = Store(layout.state_db)
        names = _all(ops, store.rs_names())
        if sub == "create":
            rtype = (values.get("t") or [""])[0]
            y, x = _split_p(store, rtype, _props(values, "p"))
            for r in names:
                call_rgmd(layout, "create_rs", name=r, rgname=(values.get("g") or [""])[0],
                          typename=rtype, raw_y={**y, **_props(values, "y")},
                          raw_x={**x, **_props(values, "x")})
                if "d" not in flags:
                    call_rgmd(layout, "enable", names=[r], monitor_only=False)
        elif sub == "set":
            for r in names:
                rs = store.rs(r)
                if rs is None:
                    raise ClusterError(f"resource \"{r}\" does not exist", "RSRC")
                y, x = _split_p(store, rs["type"], _props(values, "p"))
                call_rgmd(layout, "change_rs", name=r, raw_y={**y, **_props(values, "y")},
                          raw_x={**x, **_props(values, "x")})
        elif sub in ("enable", "disable", "monitor", "unmonitor"):
            op = "enable" if sub in ("enable", "monitor") else "disable"
            call_rgmd(layout, op, names=names, monitor_only=sub.endswith("monitor"))
        elif sub == "delete":
            for r in names:
                call_rgmd(layout, "remove_rs", name=r)
        elif sub == "clear":
            call_rgmd(layout, "clear", nodes=adminargs.csv((values.get("n") or [node])[0]),
                      names=names, flag=(values.get("f") or ["STOP_FAILED"])[0])
        else:
            _list_or_status(layout, sub, store.rs_names())

    return adminargs.run("clresource", body)


def clreslogicalhostname(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    if argv and argv[0] != "create":
        return clresource(argv, layout=layout, node=node)

    def body() -> None:
        _sub, values, flags, ops = _parse(argv, "ghNp")
        hosts = adminargs.csv((values.get("h") or [""])[0]) or ops[:1]
        name = call_rgmd(layout, "create_lh", rgname=(values.get("g") or [""])[0],
                         hosts=hosts, name=ops[0] if ops else None,
                         raw_y=_props(values, "p"), netif=(values.get("N") or [None])[0])
        if "d" not in flags:
            call_rgmd(layout, "enable", names=[name], monitor_only=False)

    return adminargs.run("clreslogicalhostname", body)
