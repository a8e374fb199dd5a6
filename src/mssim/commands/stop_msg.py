"""sbin/stop-msg [-h | ha | [-f] service...]: stop Messaging Server.

`stop-msg ha` (and plain `stop-msg` outside HA) stops the watcher, which stops its servers,
then makes sure no process of the installation is left: whatever ignores SIGTERM for the grace
period is killed. Plain `stop-msg` on an installation started with `start-msg ha` refuses, as
the real one does, and names the cluster commands to use instead.

`stop-msg [-f] component...` takes start-msg's component names ("To use stop-msg component,
the component must be enabled": a disabled one is reported "not enabled" and left alone).
`stop-msg watcher` stops the watcher alone; its servers keep running, unsupervised.
"""

from __future__ import annotations

import sys

from mssim import faults, procs, product
from mssim.commands.common import begin, watcher_pid, watcher_request
from mssim.install import Installation

USAGE = """Usage: ./stop-msg [OPTIONS] [COMPONENTS...]
         Stop all or some Messaging Server components.
Usage: ./stop-msg ha
         Stop all Messaging Server components in HA mode.
"""
GRACE = 3.0
WATCHER_GRACE = 5.0  # the watcher itself waits up to 3 s per server before killing it

HA_WARNING = """stop-msg: HA configuration detected.
Messaging Server is running under the control of the cluster and must be stopped with the
cluster commands, for example (Sun Cluster 3.x):
    scswitch -n -j <resource>             (disable the Messaging Server resource)
    scswitch -F -g <resource_group>       (take the whole resource group offline)
or use "stop-msg ha" from the cluster agent.
"""


def stop_all(inst: Installation) -> int:
    by_daemon = {name: pid for pid, name in procs.programs(inst).items()}
    for svc in reversed(product.SERVICES):
        if svc.daemon in by_daemon:
            print(f"Stopping {svc.name} server .... {by_daemon[svc.daemon]}", flush=True)
    wpid = watcher_pid(inst)
    if wpid:
        print(f"Stopping watcher .... {wpid}", flush=True)
        procs.terminate([wpid], WATCHER_GRACE)
    leftovers = procs.find_pids(inst)
    if leftovers:
        procs.terminate(leftovers, GRACE)
    for name in product.LIB_PROGRAMS:
        pid = procs.read_pidfile(inst, name)
        if pid is not None and not procs.alive(pid):
            try:
                inst.pidfile(name).unlink()
            except OSError:
                pass
    faults.clean_acknowledgements(inst)
    return 0


def stop_services(inst: Installation, names: list[str], force: bool) -> int:
    services: list[str] = []
    stop_watcher = False
    for comp in names:
        if comp == "watcher":
            if inst.flag("local.watcher.enable", True):
                stop_watcher = True
            else:
                print("watcher is not enabled")
            continue
        if comp in product.ABSENT_COMPONENTS:
            print(f"{comp} is not enabled")
            continue
        if comp not in product.COMPONENT_ALIASES:
            print(USAGE, end="", file=sys.stderr)
            return 1
        for svc in product.COMPONENT_ALIASES[comp]:
            if not inst.service_enabled(svc):
                print(f"{svc} is not enabled")
            elif svc not in services:
                services.append(svc)
    wpid = watcher_pid(inst)
    if wpid and services:
        try:
            cmd = "STOP " + ("-f " if force else "") + " ".join(services)
            for line in watcher_request(inst, cmd, 30.0):
                words = line.split()
                if words[:1] == ["STOPPED"] and len(words) == 3:
                    print(f"Stopping {words[1]} server .... {words[2]}", flush=True)
            services = []
        except OSError as exc:
            print(f"Cannot connect to watcher ({exc}); stopping the servers directly")
    stop_directly(inst, services, force)
    if stop_watcher and wpid:
        print(f"Stopping watcher .... {wpid}", flush=True)
        try:
            for _ in watcher_request(inst, "EXIT", 10.0):
                pass
        except OSError as exc:
            print(f"Cannot connect to watcher ({exc}); killing it", flush=True)
            procs.terminate([wpid], 0.0, force=True)
        if procs.wait_gone([wpid], WATCHER_GRACE):
            procs.terminate([wpid], 0.0, force=True)
    return 0


def stop_directly(inst: Installation, services: list[str], force: bool) -> None:
    """Stop services with no watcher to ask (SIGTERM, SIGKILL after GRACE; -f: SIGKILL)."""
    for name in reversed(services):
        daemon = product.SERVICE_BY_NAME[name].daemon
        pids = procs.find_pids(inst, [daemon])
        for pid in pids:
            print(f"Stopping {name} server .... {pid}", flush=True)
        procs.terminate(pids, GRACE, force=force)


def main(argv: list[str]) -> int:
    inst, args, done = begin("stop-msg", argv, USAGE)
    if done is not None:
        return done
    if args == ["ha"]:
        code = stop_all(inst)
        try:
            inst.ha_marker.unlink()
        except FileNotFoundError:
            pass
        return code
    if not args:
        if inst.ha_marker.exists():
            print(HA_WARNING, end="", file=sys.stderr)
            return 1
        return stop_all(inst)
    force = args[0] == "-f"
    names = args[1:] if force else args
    if not names or "ha" in names:
        print(USAGE, end="", file=sys.stderr)
        return 1
    return stop_services(inst, names, force)
