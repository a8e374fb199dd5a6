"""`clustersim`: create, destroy and inspect a stand-in cluster; boot and panic its nodes;
install packages into node roots.

    clustersim create DIR --nodes mars,venus [--name NAME] [--no-start]
    clustersim destroy [DIR] [--keep]      stop everything it started (and remove DIR)
    clustersim status [DIR]
    clustersim node boot|panic|isolate|reconnect NAME [--cluster DIR]
    clustersim exec NODE [--cluster DIR] -- CMD [ARG...]   run CMD on the node, as root
    clustersim pkgadd -n NODE -d PKGDIR PKG [--cluster DIR]
    clustersim pkgrm -n NODE PKG [--cluster DIR]

DIR defaults to $CLUSTERSIM_DIR, else the current directory if it holds a cluster.

Each node is a real Linux host (see `clustersim.hosts`): creating a cluster needs root,
namespaces and loop devices, and says in one line what is missing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import sys
from pathlib import Path

from clustersim import hosts
from clustersim import node as nodelife
from clustersim.config import ClusterConfig
from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout
from clustersim.syslogd import default_syslog_conf

USERS_FILE = (  # the /etc/passwd of a fresh Solaris node
    """root:x:0:0:Super-User:/root:/sbin/sh
daemon:x:1:1::/:
bin:x:2:2::/usr/bin:
sys:x:3:3::/:
adm:x:4:4:Admin:/var/adm:
lp:x:71:8:Line Printer Admin:/usr/spool/lp:
uucp:x:5:5:uucp Admin:/usr/lib/uucp:
nuucp:x:9:9:uucp Admin:/var/spool/uucppublic:/usr/lib/uucp/uucico
smmsp:x:25:25:SendMail Message Submission Program:/:
listen:x:37:4:Network Admin:/usr/net/nls:
nobody:x:60001:60001:NFS Anonymous Access User:/:
noaccess:x:60002:60002:No Access User:/:
nobody4:x:65534:65534:SunOS 4.x NFS Anonymous Access User:/:
"""
)
GROUP = """root::0:
other::1:root
bin::2:root,daemon
sys::3:root,bin,adm
adm::4:root,daemon
uucp::5:root
mail::6:root
tty::7:root,adm
lp::8:root,adm
nuucp::9:root
staff::10:
daemon::12:root
smmsp::25:
sysadmin::14:
nobody::60001:
noaccess::60002:
nogroup::65534:
"""
VFSTAB = """#device\t\tdevice\t\tmount\t\tFS\tfsck\tmount\tmount
#to mount\tto fsck\t\tpoint\t\ttype\tpass\tat boot\toptions
#
/devices\t-\t/devices\tdevfs\t-\tno\t-
/proc\t-\t/proc\tproc\t-\tno\t-
swap\t-\t/tmp\ttmpfs\t-\tyes\t-
"""
NODE_DIRS = ("etc", "dev", "tmp", "usr/cluster/bin", "usr/cluster/lib/rgm/rtreg",
             "opt/cluster/lib/rgm/rtreg", "var/cluster/rgm/rt", "var/adm", "var/log", "opt",
             "var/opt", "var/sadm/install", "var/sadm/pkg", "var/run", "var/tmp")


def find_cluster(given: str | None) -> ClusterLayout:
    candidate = given or os.environ.get("CLUSTERSIM_DIR") or "."
    layout = ClusterLayout.at(candidate)
    if not layout.config_file.exists():
        raise ClusterError(f"no cluster at {layout.base} (give DIR or --cluster, or set "
                           "CLUSTERSIM_DIR)", "CLUSTER")
    return layout


def make_node_root(layout: ClusterLayout, cfg: ClusterConfig, node: str) -> None:
    from clustersim.builtin import RTR_DIR, RTR_FILES  # noqa: PLC0415
    from clustersim.wrappers import write_node_commands  # noqa: PLC0415

    root = layout.node_root(node)
    for sub in NODE_DIRS:
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "etc" / "nodename").write_text(f"{node}\n")
    (root / "etc" / "passwd").write_text(USERS_FILE)
    (root / "etc" / "group").write_text(GROUP)
    (root / "etc" / "hosts").write_text(hosts.hosts_file(cfg, node))
    (root / "etc" / "vfstab").write_text(VFSTAB)
    # Solaris installs the file its syslog.conf sends mail.debug to (syslogd opens only
    # files that exist).
    (root / "var" / "log" / "syslog").touch()
    (root / "var" / "adm" / "messages").touch()
    (root / "dev" / "console").touch()
    (root / "etc" / "syslog.conf").write_text(default_syslog_conf())
    (root / "var" / "sadm" / "install" / "contents").touch()
    for name in RTR_FILES:
        shutil.copyfile(RTR_DIR / name, root / "usr/cluster/lib/rgm/rtreg" / name)
    write_node_commands(layout, node, cfg.python)


def make_searchable(directory: Path) -> None:
    """Let every user traverse the path to the node roots, as every user can reach `/` on a
    real node: applications drop to their runtime users (Messaging Server's mailsrv), and a
    private temporary directory (mode 0700, as pytest and mkdtemp make them) would lock them
    out of their own installation. Only the search bit is added; nothing becomes readable."""
    for path in (directory, *directory.parents):
        try:
            mode = path.stat().st_mode
            if not mode & stat.S_IXOTH:
                path.chmod(mode | stat.S_IXOTH | stat.S_IXGRP)
        except PermissionError:
            continue


def create(directory: str, nodes: list[str], name: str | None, start: bool) -> ClusterLayout:
    from clustersim.store import Store  # noqa: PLC0415

    layout = ClusterLayout.at(directory)
    if layout.config_file.exists():
        raise ClusterError(f"a cluster already exists at {layout.base}", "CLUSTER")
    if not nodes or len(set(nodes)) != len(nodes):
        raise ClusterError("--nodes needs distinct node names", "INVAL")
    for n in nodes:
        if not n.replace("-", "").replace("_", "").isalnum():
            raise ClusterError(f"invalid node name \"{n}\"", "INVAL")
    hosts.check_machine()
    layout.base.mkdir(parents=True, exist_ok=True)
    make_searchable(layout.base)
    layout.disks.mkdir(exist_ok=True)
    cfg = ClusterConfig(name=name or layout.base.name, nodes=nodes, python=sys.executable)
    cfg.save(layout)
    Store.create(layout.state_db, nodes).close()
    for n in nodes:
        make_node_root(layout, cfg, n)
    try:
        if start:
            start_cluster(layout)
    except BaseException:
        destroy(layout, keep=True)  # a half-started cluster leaves nothing running
        raise
    return layout


def start_cluster(layout: ClusterLayout) -> None:
    from clustersim.client import call_rgmd  # noqa: PLC0415
    from clustersim.rgmd import start_rgmd  # noqa: PLC0415

    if not (layout.base / "hostlab.json").exists():
        hosts.make_lab(layout, ClusterConfig.load(layout))
    hosts.start_quorum_server(layout, ClusterConfig.load(layout))
    start_rgmd(layout)
    call_rgmd(layout, "register_builtin")
    for n in ClusterConfig.load(layout).nodes:
        boot_node(layout, n)


def boot_node(layout: ClusterLayout, node: str) -> None:
    from clustersim.client import call_rgmd  # noqa: PLC0415

    cfg = ClusterConfig.load(layout)
    if node not in cfg.nodes:
        raise ClusterError(f"node \"{node}\" is not a cluster node", "NODE")
    nodelife.boot(layout, node)
    call_rgmd(layout, "node_up", node=node)


def panic_node(layout: ClusterLayout, node: str) -> list[int]:
    cfg = ClusterConfig.load(layout)
    if node not in cfg.nodes:
        raise ClusterError(f"node \"{node}\" is not a cluster node", "NODE")
    # The cluster learns of it as a cluster does: the other nodes stop hearing it
    # (heartbeat_timeout), and the side with quorum declares it dead.
    return nodelife.panic(layout, node)


def isolate_node(layout: ClusterLayout, node: str, connected: bool) -> None:
    """Cut (or mend) the node's cable: it runs on, alone on its side of the network."""
    cfg = ClusterConfig.load(layout)
    if node not in cfg.nodes:
        raise ClusterError(f"node \"{node}\" is not a cluster node", "NODE")
    target = hosts.host(layout, node)
    if connected:
        target.mend_cable()
    else:
        target.cut_cable()


def destroy(layout: ClusterLayout, keep: bool = False) -> None:
    """Stop rgmd first (so it does not fail groups over while nodes stop), then every
    node's daemons and every process of the node, then remove what was created."""
    from clustersim.rgmd import stop_rgmd  # noqa: PLC0415

    stop_rgmd(layout)
    cfg = ClusterConfig.load(layout)
    for n in cfg.nodes:
        nodelife.shutdown(layout, n)
    hosts.destroy_lab(layout)
    shutil.rmtree(layout.run_dir, ignore_errors=True)
    if not keep:
        shutil.rmtree(layout.base, ignore_errors=True)


def leftover_pids(layout: ClusterLayout) -> list[int]:
    """Processes of the cluster still alive (should be none after destroy)."""
    from clustersim.rgmd import rgmd_pid  # noqa: PLC0415

    pids: set[int] = set()
    cfg = ClusterConfig.load(layout) if layout.config_file.exists() else None
    if cfg:
        for n in cfg.nodes:
            pids |= nodelife.node_processes(layout, n)
    pid = rgmd_pid(layout)
    if pid:
        pids.add(pid)
    mark = str(layout.base)
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if mark in cmdline and ("clustersim" in cmdline):
            pids.add(int(entry))
    return sorted(pids)


def status(layout: ClusterLayout) -> str:
    from clustersim.commands.scstat import render  # noqa: PLC0415
    from clustersim.rgmd import rgmd_pid  # noqa: PLC0415

    cfg = ClusterConfig.load(layout)
    rgmd = rgmd_pid(layout)
    lines = [f"cluster {cfg.name} at {layout.base}",
             f"rgmd: {f'running, pid {rgmd}' if rgmd else 'stopped'}"]
    for n in cfg.nodes:
        up = nodelife.agent_up(layout, n)
        lines.append(f"node {n}: {'up' if up else 'down'}, "
                     f"{hosts.node_address(cfg, n)}, files in {layout.node_root(n)}")
    return "\n".join(lines) + "\n" + render(layout, ["-g"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clustersim", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("create", help="create (and start) a cluster")
    p.add_argument("dir")
    p.add_argument("--nodes", required=True)
    p.add_argument("--name")
    p.add_argument("--no-start", action="store_true")
    p = sub.add_parser("start", help="start rgmd and boot every node of an existing cluster")
    p.add_argument("dir", nargs="?")
    p = sub.add_parser("destroy", help="stop everything the cluster started and remove it")
    p.add_argument("dir", nargs="?")
    p.add_argument("--keep", action="store_true", help="keep the cluster directory")
    p = sub.add_parser("status", help="daemons, nodes, groups")
    p.add_argument("dir", nargs="?")
    p = sub.add_parser("node", help="boot, panic (power off), isolate (cut its cable) or "
                       "reconnect a node")
    p.add_argument("action", choices=("boot", "panic", "isolate", "reconnect"))
    p.add_argument("name")
    p.add_argument("--cluster")
    p = sub.add_parser("exec", help="run a command on a node (or the client host), as root")
    p.add_argument("name")
    p.add_argument("--cluster")
    p.add_argument("argv", nargs=argparse.REMAINDER)
    for name in ("pkgadd", "pkgrm"):
        p = sub.add_parser(name, help=f"{name}(1M) into a node root")
        p.add_argument("-n", "--node", required=True)
        if name == "pkgadd":
            p.add_argument("-d", "--device", required=True, help="directory of packages")
        p.add_argument("pkg", nargs="+")
        p.add_argument("--cluster")
    ns = parser.parse_args(argv)
    try:
        if ns.cmd == "create":
            layout = create(ns.dir, [n.strip() for n in ns.nodes.split(",") if n.strip()],
                            ns.name, not ns.no_start)
            print(f"cluster {ClusterConfig.load(layout).name} created at {layout.base}")
        elif ns.cmd == "start":
            start_cluster(find_cluster(ns.dir))
        elif ns.cmd == "destroy":
            layout = find_cluster(ns.dir)
            destroy(layout, ns.keep)
            left = leftover_pids(layout)
            if left:
                print(f"clustersim: processes left behind: {left}", file=sys.stderr)
                return 1
        elif ns.cmd == "status":
            sys.stdout.write(status(find_cluster(ns.dir)))
        elif ns.cmd == "node":
            layout = find_cluster(ns.cluster)
            if ns.action == "boot":
                boot_node(layout, ns.name)
            elif ns.action == "panic":
                panic_node(layout, ns.name)
            else:
                isolate_node(layout, ns.name, connected=ns.action == "reconnect")
        elif ns.cmd == "exec":
            argv = list(ns.argv)
            while argv[:1] and argv[0].startswith("--cluster"):
                option = argv.pop(0)
                ns.cluster = option.partition("=")[2] or (argv.pop(0) if argv else None)
            if argv[:1] == ["--"]:
                argv.pop(0)
            if not argv:
                raise ClusterError("exec needs a command: clustersim exec NODE -- CMD", "INVAL")
            return hosts.exec_on(find_cluster(ns.cluster), ns.name, argv)
        elif ns.cmd in ("pkgadd", "pkgrm"):
            from clustersim import pkg  # noqa: PLC0415

            layout = find_cluster(ns.cluster)
            for name in ns.pkg:
                if ns.cmd == "pkgadd":
                    sys.stdout.write(pkg.pkgadd(layout, ns.node, Path(ns.device), name))
                else:
                    sys.stdout.write(pkg.pkgrm(layout, ns.node, name))
    except ClusterError as exc:
        print(f"clustersim: {exc}", file=sys.stderr)
        return exc.exit_code or 1
    except RuntimeError as exc:
        print(f"clustersim: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
