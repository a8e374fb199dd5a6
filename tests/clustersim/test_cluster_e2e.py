"""End to end on a two-node stand-in cluster with the TEST.sleeper type: what an
administrator and an agent can observe of the RGM."""

from __future__ import annotations

import os
import subprocess

import pytest

from clustersim import cli, hosts, rgmd
from clustersim import node as nodelife
from support.sleeper import CLUSTER_WAIT, Cluster
from support.waiting import wait_for

pytestmark = pytest.mark.e2e

GROUP_ROWS = "Group:"


def _group(c: Cluster, rg: str = "rg", rs: tuple[str, ...] = ("app",), **ext: str) -> None:
    c.ok("mars", "scrgadm", "-a", "-g", rg, "-h", "mars,venus")
    for name in rs:
        args = [f"-x{k}={v}" for k, v in ext.items()]
        c.ok("mars", "scrgadm", "-a", "-j", name, "-g", rg, "-t", "TEST.sleeper", *args)


def test_create_layout_and_cluster_queries(cluster: Cluster) -> None:
    root = cluster.root("venus")
    for rel in ("usr/cluster/bin/scha_resource_get", "usr/cluster/bin/pmfadm", "etc/passwd",
                "etc/group", "etc/hosts", "var/adm/messages", "etc/nodename",
                "usr/cluster/lib/rgm/rtreg/SUNW.HAStoragePlus"):
        assert (root / rel).exists(), rel
    assert cluster.ok("venus", "scha_cluster_get", "-O", "Nodename_local") == "venus\n"
    assert cluster.ok("venus", "scha_cluster_get", "-O", "All_nodenames") == "mars\nvenus\n"
    assert cluster.ok("mars", "scha_cluster_get", "-O", "Node_state", "venus") == "UP\n"
    assert cluster.ok("mars", "scha_cluster_get", "-O", "SYSLOG_FACILITY") == "daemon\n"
    missing = cluster.run("mars", "scha_resource_get", "-O", "Type", "-R", "nope")
    assert missing.returncode == 14 and "nope" in missing.stderr
    assert "Cluster.RGM.rgmd" in (root / "var/adm/messages").read_text()
    status = cli.status(cluster.layout)
    assert f"rgmd: running, pid {rgmd.rgmd_pid(cluster.layout)}" in status
    for node, address in (("mars", "198.18.0.11"), ("venus", "198.18.0.12")):
        assert f"node {node}: up, {address}, files in {cluster.root(node)}" in status
        # the node is a host of its own: its name, its address, its processes
        assert cluster.sh(node, "hostname").strip() == node
        assert cluster.addresses(node) == [address]
        assert "clustersim.noded" in cluster.sh(node, "ps", "-e", "-o", "args")
        assert cluster.sh(node, "cat", "/etc/nodename").strip() == node
        assert cluster.sh(node, "ls", "/usr/cluster/bin/scha_resource_get").strip()


def test_registration_properties_and_validate(sleeper: Cluster) -> None:
    c = sleeper
    assert (c.root("mars") / "var/tmp/TESTsleep.postinstall").read_text().startswith(
        f"BASEDIR={c.root('mars')}/opt CLIENT_BASEDIR=/opt PKGINST=TESTsleep")
    assert c.ok("mars", "scha_resourcetype_get", "-O", "RT_basedir", "-T", "TEST.sleeper") \
        == "/opt/TESTsleep/bin\n"
    c.ok("mars", "scrgadm", "-a", "-g", "rg", "-h", "mars,venus")
    bad = c.run("mars", "scrgadm", "-a", "-j", "app", "-g", "rg", "-t", "TEST.sleeper",
                "-x", "Mode=noisy")
    assert bad.returncode == 15 and "Mode" in bad.stderr
    unknown = c.run("mars", "scrgadm", "-a", "-j", "app", "-g", "rg", "-t", "TEST.sleeper",
                    "-x", "Colour=blue")
    assert unknown.returncode != 0 and "Colour" in unknown.stderr
    c.fault("venus", "app", "validate", "fail")
    failed = c.run("mars", "scrgadm", "-a", "-j", "app", "-g", "rg", "-t", "TEST.sleeper")
    assert failed.returncode != 0 and "venus" in failed.stderr
    assert c.run("mars", "scha_resource_get", "-O", "Type", "-R", "app").returncode == 14
    c.fault("venus", "app", "validate", None)
    os.environ["CLUSTERSIM_LEAK_CHECK"] = "1"
    try:
        c.ok("mars", "scrgadm", "-a", "-j", "app", "-g", "rg", "-t", "TEST.sleeper",
             "-x", "Label=first")
    finally:
        del os.environ["CLUSTERSIM_LEAK_CHECK"]
    validates = [ln.split() for ln in c.journal() if " sleeper_validate " in ln]
    assert {v[0] for v in validates} == {"mars", "venus"}
    assert validates[-1][2:9] == ["-c", "-R", "app", "-T", "TEST.sleeper", "-G", "rg"]
    assert "Label=first" in validates[-1]
    env = (c.root("mars") / "var/tmp/sleeper/app.validate.env").read_text()
    assert "SC_NODE_ROOT" not in env and "LANG=C" in env
    assert "PATH=/usr/cluster/bin:/usr/bin:/bin" in env.splitlines()
    assert "CLUSTERSIM_LEAK_CHECK" not in env
    assert c.ok("mars", "scha_resource_get", "-O", "Extension", "-R", "app", "-G", "rg",
                "Label") == "STRING\nfirst\n"
    n = len(c.journal())
    c.ok("mars", "scrgadm", "-c", "-j", "app", "-x", "Label=second")
    update = [ln.split() for ln in c.journal()[n:] if "validate" in ln]
    assert update and update[0][2] == "-u" and update[0][9:] == ["-x", "Label=second"]
    refused = c.run("mars", "scrgadm", "-c", "-j", "app", "-x", "Mode=loud")
    assert refused.returncode == 15 and "AT_CREATION" in refused.stderr
    c.ok("mars", "scswitch", "-Z", "-g", "rg")
    busy = c.run("mars", "scrgadm", "-c", "-j", "app", "-x", "Sleep_seconds=5")
    assert busy.returncode == 15 and "disabled" in busy.stderr
    n = len(c.journal())
    c.ok("mars", "scrgadm", "-c", "-j", "app", "-x", "Label=third")
    assert ("mars", "update", "app") in c.calls(n)


def test_online_offline_order_switchover_and_scstat(sleeper: Cluster) -> None:
    c = sleeper
    _group(c, rs=("base", "top"))
    c.ok("mars", "scrgadm", "-c", "-j", "top", "-y", "Resource_dependencies=base")
    c.ok("mars", "scswitch", "-Z", "-g", "rg")
    online = [(m, r) for n, m, r in c.calls() if n == "mars" and m != "validate"]
    assert online == [("prenet_start", "base"), ("prenet_start", "top"), ("start", "base"),
                      ("start", "top"), ("monitor_start", "base"), ("monitor_start", "top")]
    assert c.ok("venus", "scha_resourcegroup_get", "-O", "RG_state_node", "-G", "rg",
                "mars") == "ONLINE\n"
    assert c.ok("mars", "scha_resource_get", "-O", "Status", "-R", "top") == \
        "OK\nService is online.\n"
    n = len(c.journal())
    c.ok("mars", "scswitch", "-z", "-g", "rg", "-h", "venus")
    moved = c.calls(n)
    offline = [(m, r) for node, m, r in moved if node == "mars"]
    assert offline == [("monitor_stop", "top"), ("monitor_stop", "base"), ("stop", "top"),
                       ("stop", "base"), ("postnet_stop", "top"), ("postnet_stop", "base")]
    assert all(node == "venus" for node, _m, _r in moved[len(offline):])
    stat = c.ok("mars", "scstat", "-pw")
    assert any(ln.split()[1:4] == ["rg", "venus", "Online"] for ln in stat.splitlines()
               if ln.strip().startswith(GROUP_ROWS))
    assert "Resource: top                 venus               Online    Online - Service is " \
           "online." in stat
    assert not c.pmf_pids("mars", "rg,top,0.svc")
    assert c.pmf_pids("venus", "rg,top,0.svc")
    refused = c.run("mars", "scswitch", "-n", "-j", "base")
    assert refused.returncode == 8 and "top" in refused.stderr
    c.ok("mars", "scswitch", "-n", "-M", "-j", "top")
    assert c.rs_state("top", "venus") == "ONLINE_NOT_MONITORED"
    c.ok("mars", "scswitch", "-n", "-j", "top")
    assert c.rs_state("top", "venus") == "OFFLINE"
    assert c.ok("mars", "scha_resource_get", "-O", "On_off_switch", "-R", "top") == "DISABLED\n"
    c.ok("mars", "scswitch", "-F", "-g", "rg")
    assert c.rg_state("rg", "venus") == "OFFLINE"
    # the seed's unconfigure order
    for name in ("top", "base"):
        c.ok("mars", "scswitch", "-n", "-j", name)
        c.ok("mars", "scrgadm", "-r", "-j", name)
    c.ok("mars", "scrgadm", "-r", "-g", "rg")
    c.ok("mars", "scrgadm", "-r", "-t", "TEST.sleeper")


def test_method_timeout_and_failover_mode(sleeper: Cluster) -> None:
    c = sleeper
    _group(c)
    c.ok("mars", "scrgadm", "-c", "-j", "app", "-y", "Start_timeout=2", "-y",
         "Failover_mode=NONE")
    c.fault("mars", "app", "start", "hang")
    c.ok("mars", "scswitch", "-Z", "-g", "rg")
    # killed, not finished: the Start method never reached its end, nor did its child
    # `sleep 1000` (same process group) survive; NONE leaves the resource Start_failed
    starts = [run for run in c.intervals() if run.method == "start"]
    assert [(run.node, run.end) for run in starts] == [("mars", None)]
    hung = [p for p in hosts.processes(c.host("mars")) if _cmdline(p) == "sleep 1000"]
    assert hung == [], "the timed-out method's process group was not killed"
    assert c.rs_state("app", "mars") == "START_FAILED"
    assert c.rg_state("rg", "mars") == "ONLINE_FAULTED"
    assert c.rg_state("rg", "venus") == "OFFLINE"
    assert "Method <sleeper_start> on resource <app>, resource group <rg>, node <mars>: " \
        "Timeout." in (c.root("mars") / "var/adm/messages").read_text()
    c.ok("mars", "scswitch", "-F", "-g", "rg")
    # SOFT: the start that hangs on mars times out and the group moves to venus, whose own
    # (healthy) start must not be cut short by a busy machine: a realistic timeout there.
    c.ok("mars", "scrgadm", "-c", "-j", "app", "-y", "Failover_mode=SOFT", "-y",
         "Start_timeout=10")
    c.ok("mars", "scswitch", "-Z", "-g", "rg")
    wait_for(lambda: c.rg_state("rg", "venus") == "ONLINE",
             timeout=CLUSTER_WAIT, what="relocation to venus")
    assert c.rs_state("app", "mars") == "OFFLINE"
    assert c.rs_state("app", "venus") == "ONLINE"


def test_stop_failure_needs_clearing(sleeper: Cluster) -> None:
    c = sleeper
    _group(c)
    c.ok("mars", "scswitch", "-Z", "-g", "rg")
    c.fault("mars", "app", "stop", "fail")
    r = c.run("mars", "scswitch", "-z", "-g", "rg", "-h", "venus")
    assert r.returncode != 0 and "ERROR_STOP_FAILED" in r.stderr
    assert c.rs_state("app", "mars") == "STOP_FAILED"
    assert c.rg_state("rg", "mars") == "ERROR_STOP_FAILED"
    assert "Stop failed" in c.ok("mars", "scstat", "-g")
    c.fault("mars", "app", "stop", None)
    again = c.run("mars", "scswitch", "-z", "-g", "rg", "-h", "venus")
    assert again.returncode != 0 and "STOP_FAILED" in again.stderr
    c.ok("mars", "pmfadm", "-s", "rg,app,0.svc", "KILL")
    c.ok("mars", "scswitch", "-c", "-h", "mars", "-j", "app", "-f", "STOP_FAILED")
    assert c.rg_state("rg", "mars") == "OFFLINE"
    c.ok("mars", "scswitch", "-z", "-g", "rg", "-h", "venus")
    assert c.rs_state("app", "venus") == "ONLINE"


def test_hard_stop_failure_aborts_the_node(sleeper: Cluster) -> None:
    """Failover_mode HARD: the failed Stop aborts mars (every process of it dies), the
    switchover completes on venus, and nothing is left to clear."""
    c = sleeper
    _group(c)
    c.ok("mars", "scrgadm", "-c", "-j", "app", "-y", "Failover_mode=HARD")
    c.ok("mars", "scswitch", "-Z", "-g", "rg")
    service = wait_for(lambda: c.pmf_pids("mars", "rg,app,0.svc"),
                       timeout=CLUSTER_WAIT, what="service pid")
    c.fault("mars", "app", "stop", "fail")
    c.ok("venus", "scswitch", "-z", "-g", "rg", "-h", "venus")
    assert c.ok("venus", "scha_cluster_get", "-O", "Node_state", "mars") == "DOWN\n"
    assert service and not nodelife.agent_up(c.layout, "mars")
    assert not c.host("mars").is_powered, "the aborted node (and its service) runs on"
    assert c.rg_state("rg", "mars") == "OFFLINE" and c.rs_state("app", "mars") == "OFFLINE"
    assert c.rs_state("app", "venus") == "ONLINE"
    assert "node mars left the cluster" in (c.root("venus") / "var/adm/messages").read_text()
    c.fault("mars", "app", "stop", None)
    assert cli.main(["node", "boot", "mars", "--cluster", str(c.layout.base)]) == 0
    assert c.rg_state("rg", "venus") == "ONLINE"
    c.ok("mars", "scswitch", "-z", "-g", "rg", "-h", "mars")
    assert c.rs_state("app", "mars") == "ONLINE"


def test_pmf_restarts_then_gives_up_and_fails_over(sleeper: Cluster) -> None:
    c = sleeper
    _group(c)
    c.ok("mars", "scswitch", "-Z", "-g", "rg")
    first = wait_for(lambda: c.pmf_pids("mars", "rg,app,0.svc"),
                     timeout=CLUSTER_WAIT, what="service pid")
    c.sh("mars", "kill", "-KILL", str(first[0]))  # pids as the node numbers them
    second = wait_for(lambda: [p for p in c.pmf_pids("mars", "rg,app,0.svc")
                               if p not in first], timeout=CLUSTER_WAIT, what="PMF restart")
    c.sh("mars", "kill", "-KILL", str(second[0]))
    wait_for(lambda: c.rs_state("app", "venus") == "ONLINE",
             timeout=CLUSTER_WAIT, what="giveover to venus")
    assert any(m == "giveup" for _n, m, _r in c.calls())
    assert c.rg_state("rg", "mars") == "OFFLINE"


def test_scha_control(sleeper: Cluster) -> None:
    c = sleeper
    _group(c)
    c.ok("mars", "scrgadm", "-c", "-g", "rg", "-y", "Pingpong_interval=600")
    c.ok("mars", "scswitch", "-Z", "-g", "rg")
    n = len(c.journal())
    c.ok("mars", "scha_control", "-O", "RESOURCE_RESTART", "-G", "rg", "-R", "app")
    assert [m for _n, m, _r in c.calls(n)] == ["monitor_stop", "stop", "start", "monitor_start"]
    assert c.ok("mars", "scha_resource_get", "-O", "Num_resource_restarts", "-R", "app") == "1\n"
    c.ok("mars", "scha_control", "-O", "RESOURCE_IS_RESTARTED", "-G", "rg", "-R", "app")
    assert c.ok("mars", "scha_resource_get", "-O", "NUM_RESOURCE_RESTARTS", "-R", "app") == "2\n"
    not_here = c.run("venus", "scha_control", "-O", "GIVEOVER", "-G", "rg", "-R", "app")
    assert not_here.returncode != 0
    c.fault("venus", "app", "monitor_check", "fail")
    sick = c.run("mars", "scha_control", "-O", "CHECK_GIVEOVER", "-G", "rg", "-R", "app")
    assert sick.returncode == 16
    assert c.run("mars", "scha_control", "-O", "GIVEOVER", "-G", "rg", "-R", "app"
                 ).returncode == 16
    assert c.rg_state("rg", "mars") == "ONLINE"
    c.fault("venus", "app", "monitor_check", None)
    c.ok("mars", "scha_control", "-O", "CHECK_GIVEOVER", "-G", "rg", "-R", "app")
    c.ok("mars", "scha_control", "-O", "GIVEOVER", "-G", "rg", "-R", "app")
    assert c.rg_state("rg", "venus") == "ONLINE"
    back = c.run("venus", "scha_control", "-O", "GIVEOVER", "-G", "rg", "-R", "app")
    assert back.returncode == 16, "Pingpong_interval must forbid going straight back"
    n = len(c.journal())
    c.ok("venus", "scha_control", "-O", "RESTART", "-G", "rg", "-R", "app")
    assert c.calls(n) == [("venus", m, "app") for m in (
        "monitor_stop", "stop", "postnet_stop", "prenet_start", "start", "monitor_start")]
    assert c.rg_state("rg", "venus") == "ONLINE"
    assert c.ok("venus", "scha_resource_get", "-O", "Num_rg_restarts", "-R", "app") == "1\n"
    c.ok("mars", "scrgadm", "-c", "-j", "app", "-y", "Failover_mode=RESTART_ONLY")
    only = c.run("venus", "scha_control", "-O", "RESTART", "-G", "rg", "-R", "app")
    assert only.returncode == 16 and "RESTART_ONLY" in only.stderr
    c.ok("venus", "scha_control", "-O", "RESOURCE_RESTART", "-G", "rg", "-R", "app")


def _cmdline(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""



def test_concurrent_requests_never_overlap_methods_of_one_resource(sleeper: Cluster) -> None:
    """An admin restart, a fault monitor's RESOURCE_RESTART and a property change arrive at
    once; the RGM serialises them: no two methods of one resource ever run at the same time
    (only Validate runs on several nodes at once, as the RGM does), and all three succeed."""
    c = sleeper
    _group(c)
    c.ok("mars", "scswitch", "-Z", "-g", "rg")
    c.fault("mars", "app", "stop", "slow")  # a wide window for an overlap to show
    c.fault("mars", "app", "start", "slow")
    n = len(c.intervals())
    bindir = c.layout.node_bin("mars")
    requests = [[bindir / "scswitch", "-R", "-g", "rg"],
                [bindir / "scha_control", "-O", "RESOURCE_RESTART", "-G", "rg", "-R", "app"],
                [bindir / "scrgadm", "-c", "-j", "app", "-x", "Label=busy"]]
    running = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for argv in requests]
    results = [(p.wait(timeout=180), p.stderr.read()) for p in running]
    for p in running:
        p.stdout.close()
        p.stderr.close()
    runs = c.intervals()[n:]
    clashes = [(a, b) for i, a in enumerate(runs) for b in runs[i + 1:]
               if a.resource == b.resource and a.overlaps(b)
               and not (a.method == b.method == "validate" and a.node != b.node)]
    assert clashes == []
    assert [rc for rc, _err in results] == [0, 0, 0], results
    assert all(run.end is not None for run in runs), "every method finished"
    methods = [run.method for run in runs]
    assert methods.count("stop") == 2 and methods.count("start") == 2, methods
    assert methods.count("update") == 1
    assert c.rs_state("app", "mars") == "ONLINE"
    assert c.ok("mars", "scha_resource_get", "-O", "Extension", "-R", "app", "Label") == \
        "STRING\nbusy\n"
