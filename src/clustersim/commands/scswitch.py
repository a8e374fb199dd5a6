"""scswitch(1M): switch, bring online/offline, restart, enable/disable resources and their
monitors, manage/unmanage groups, clear STOP_FAILED -- Sun Cluster 3.1 syntax."""

from __future__ import annotations

from clustersim.client import call_rgmd
from clustersim.commands import adminargs
from clustersim.errors import ClusterError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from clustersim.paths import CommandLayout as ClusterLayout

PROG = "scswitch"
ACTIONS = "ZzFenRcuoSQ"


def main(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    return adminargs.run(PROG, lambda: _main(argv, layout, node))


def _main(argv: list[str], layout: ClusterLayout, node: str) -> None:
    opts, _ = adminargs.parse(argv, ACTIONS + "M", "ghjfDk")
    actions = [k for k, _v in opts if k in ACTIONS]
    if len(set(actions)) != 1:
        raise ClusterError("exactly one of -Z -z -F -e -n -R -c -u -o -S is required "
                           "(see scswitch(1M))", "INVAL")
    action = actions[0]
    values: dict[str, list[str]] = {}
    for k, v in opts:
        if v:
            values.setdefault(k, []).extend(adminargs.csv(v) if k != "f" else [v])
    monitor = any(k == "M" for k, _v in opts)
    groups = values.get("g")
    nodes = values.get("h")
    resources = values.get("j")

    def need(what: list[str] | None, text: str) -> list[str]:
        if not what:
            raise ClusterError(f"-{action} needs {text}", "INVAL")
        return what

    if action == "Z":
        call_rgmd(layout, "bring_online", rgs=groups)
    elif action == "z":
        if "D" in values:
            raise ClusterError("device group switchover (-D) is not supported here", "INVAL")
        call_rgmd(layout, "switch", rgs=need(groups, "-g resource-group"),
                  nodes=need(nodes, "-h node[,...]"))
    elif action == "F":
        call_rgmd(layout, "take_offline", rgs=need(groups, "-g resource-group"))
    elif action == "e":
        call_rgmd(layout, "enable", names=need(resources, "-j resource"), monitor_only=monitor)
    elif action == "n":
        call_rgmd(layout, "disable", names=need(resources, "-j resource"), monitor_only=monitor)
    elif action == "R":
        call_rgmd(layout, "restart", rgs=need(groups, "-g resource-group"), nodes=nodes)
    elif action == "c":
        flag = values.get("f", [""])[0]
        if not flag:
            raise ClusterError("-c needs -f STOP_FAILED", "INVAL")
        call_rgmd(layout, "clear", nodes=need(nodes, "-h node[,...]"),
                  names=need(resources, "-j resource"), flag=flag)
    elif action == "u":
        call_rgmd(layout, "unmanage", rgs=need(groups, "-g resource-group"))
    elif action == "o":
        call_rgmd(layout, "manage", rgs=need(groups, "-g resource-group"))
    elif action == "S":
        for n in need(nodes, "-h node"):
            call_rgmd(layout, "evacuate", node=n)
    else:
        raise ClusterError(f"-{action} is not supported by this cluster", "INVAL")
