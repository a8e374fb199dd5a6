"""The RGM's state and what every part of it uses: the store, the log, property
lookups, and running a resource's method on a node (journalled).
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
    pid: int | None = None
    """The method's process id on its node (the journal's: a command it ran names it as
    its parent in the command journal, clustersim.dispatch)."""

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


class Runner(Protocol):
    def run(self, node: str, argv: list[str], timeout: float) -> MethodResult: ...


Logger = Callable[[str, str, str, tuple[Any, ...]], None]


def _existing(found: dict[str, Any] | None, what: str, name: str,
              names: Callable[[], Iterable[str]], err: str) -> dict[str, Any]:
    """The object an administrator named, or the refusal that says so, with the name it
    differs from only in case if there is one (names are case-sensitive)."""
    if found is not None:
        return found
    hint = [n for n in names() if n.lower() == name.lower()]
    extra = f" (did you mean \"{hint[0]}\"? names are case-sensitive)" if hint else ""
    raise ClusterError(f"{what} \"{name}\" does not exist{extra}", err)


class RgmBase:
    """The RGM's state and its helpers; `Rgm` adds the requests."""


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
        return _existing(self.store.rg(name), "resource group", name, self.store.rg_names, "RG")

    def _rs(self, name: str) -> dict[str, Any]:
        return _existing(self.store.rs(name), "resource", name, self.store.rs_names, "RSRC")

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
                           "outcome": result.outcome, "pid": result.pid})
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

