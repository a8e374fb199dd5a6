"""`mssim`: install a stand-in Messaging Server, inject faults into a running one.

    mssim install --base B [--config C --host FQDN --ip ADDR --user U --group G] [--root R]
                  [--smtp-port N --submit-port N --imap-port N --pop-port N --http-port N
                   --ens-port N --watcher-port N --jc-port N]
    mssim fault B <daemon> crash|hang|stall|slow:<sec>|refuse|exit-on-start|stop-hang|clear
    mssim fault B start-msg fail|hang|clear      mssim fault B stop-msg fail|hang|clear
    mssim fault B clear
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

from mssim import faults, install, node
from mssim.install import Installation, InstallError


def cmd_install(ns: argparse.Namespace) -> int:
    base = Path(os.path.abspath(ns.base))
    root = Path(ns.root) if ns.root else node.node_root(str(base / "sbin" / "x"))
    install.install_package(base)
    print(f"Installed Messaging Server 6.3 (mssim) in {base}")
    if not ns.config:
        print("Configuration deferred: run B/sbin/useconfig, or mssim install --config")
        return 0
    if not ns.host:
        raise InstallError("--host FQDN is required with --config")
    ip = ns.ip or node.resolve_host(root, ns.host)
    if not ip:
        raise InstallError(f"--ip not given and {ns.host} not in {root / 'etc/hosts'}")
    addr = ipaddress.ip_address(ip)
    if addr.is_unspecified:
        raise InstallError("--ip must be a host address, not 0.0.0.0")
    ports = {
        "smtp": ns.smtp_port, "submit": ns.submit_port, "imap": ns.imap_port,
        "pop": ns.pop_port, "http": ns.http_port, "ens": ns.ens_port,
        "watcher": ns.watcher_port, "job_controller": ns.jc_port,
    }
    if os.geteuid() == 0 and node.find_user(root, ns.user) is None:
        print(f"Warning: user {ns.user} not found in {root / 'etc/passwd'}; daemons started as "
              "root will refuse to run", file=sys.stderr)
    setup = install.configure(base, Path(os.path.abspath(ns.config)), ns.host, ip, ns.user,
                              ns.group, ports, root)
    print(f"Configured {ns.host} ({ip}); configuration directory {ns.config}")
    print(f"Saved configuration: {setup}")
    return 0


def cmd_fault(ns: argparse.Namespace) -> int:
    inst = Installation(Path(os.path.abspath(ns.base)))
    if not inst.lib.is_dir():
        raise InstallError(f"{ns.base} is not a Messaging Server installation")
    if ns.target == "clear" and ns.fault is None:
        faults.clear(inst)
        print("all faults cleared")
        return 0
    if ns.fault is None:
        raise InstallError("fault: which fault? (crash|hang|stall|slow:<sec>|refuse|exit-on-start|"
                           "stop-hang|clear)")
    print(faults.inject(inst, ns.target, ns.fault))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mssim", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser("install", help="install (and configure) a stand-in Messaging Server")
    i.add_argument("--base", required=True, help="server root B (msg-svr-base)")
    i.add_argument("--config", help="configuration/data directory C (configure now)")
    i.add_argument("--host", help="fully qualified host name (the logical host in HA)")
    i.add_argument("--ip", help="the host's address (loopback 127.x.y.z in tests)")
    i.add_argument("--user", default="mailsrv")
    i.add_argument("--group", default="mail")
    i.add_argument("--root", help="node root for etc/passwd, etc/group, etc/hosts")
    for name, port in (("smtp", 25), ("submit", 587), ("imap", 143), ("pop", 110),
                       ("http", 80), ("ens", 7997), ("watcher", 49994), ("jc", 27442)):
        i.add_argument(f"--{name}-port", type=int, default=port)
    i.set_defaults(func=cmd_install)
    f = sub.add_parser("fault", help="inject a fault into an installation")
    f.add_argument("base")
    f.add_argument("target", help="daemon name, start-msg, stop-msg, or clear")
    f.add_argument("fault", nargs="?")
    f.set_defaults(func=cmd_fault)
    return p


def main(argv: list[str] | None = None) -> int:
    ns = parser().parse_args(argv)
    try:
        return int(ns.func(ns))
    except (InstallError, faults.FaultError, ValueError, OSError) as exc:
        print(f"mssim: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
