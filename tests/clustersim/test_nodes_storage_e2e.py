"""Node death and the built-in types on real hosts: a panic powers the node off and its
groups fail over; failover file systems (ext4 on a loop device) and logical host addresses
follow the group, mounted and plumbed only where it is online; unmounting a busy file system
fails with the kernel's own EBUSY; the seed's procedure works as written and its mistakes
are named."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from clustersim import cli, hosts
from support.sleeper import CLUSTER_WAIT, Cluster
from support.waiting import wait_for

pytestmark = pytest.mark.e2e

VFSTAB = ("/dev/md/penguin/dsk/d500 /dev/md/penguin/rdsk/d500 /var/opt/mars/SUNWmsgsr ufs 2 "
          "no logging\n"
          "/dev/md/penguin/dsk/d400 /dev/md/penguin/rdsk/d400 /opt/mars/SUNWmsgsr ufs 2 yes "
          "logging,global\n")


def _storage_group(c: Cluster) -> None:
    for node in ("mars", "venus"):
        with open(c.root(node) / "etc/vfstab", "a") as fh:
            fh.write(VFSTAB)
    # the seed's generic procedure, steps 4-7, 15, 16 (TEST.sleeper stands in for SUNW.ims)
    c.ok("mars", "scrgadm", "-a", "-t", "SUNW.HAStoragePlus")
    c.ok("mars", "scrgadm", "-a", "-g", "MAIL-RG", "-h", "mars,venus")
    for node in ("mars", "venus"):  # the guide: logical hosts in /etc/hosts on every node
        with open(c.root(node) / "etc/hosts", "a") as fh:
            fh.write("198.18.0.155\tmeadow.red.siroe.com\tmeadow\n")
    c.ok("mars", "scrgadm", "-a", "-L", "-g", "MAIL-RG", "-l", "meadow")
    c.ok("mars", "scrgadm", "-c", "-j", "meadow", "-y",
         "R_description=LogicalHostname resource for meadow")
    c.ok("mars", "scswitch", "-Z", "-g", "MAIL-RG")
    c.ok("mars", "scrgadm", "-a", "-j", "disk-rs", "-g", "MAIL-RG", "-t", "SUNW.HAStoragePlus",
         "-x", "FileSystemMountPoints=/opt/mars/SUNWmsgsr, /var/opt/mars/SUNWmsgsr",
         "-x", "AffinityOn=TRUE")
    c.ok("mars", "scswitch", "-e", "-j", "disk-rs")
    c.ok("mars", "scrgadm", "-a", "-j", "mail-rs", "-t", "TEST.sleeper", "-g", "MAIL-RG",
         "-y", "Resource_dependencies=disk-rs,meadow")
    c.ok("mars", "scswitch", "-e", "-j", "mail-rs")


def _mounted(c: Cluster, node: str, mp: str) -> bool:
    return c.mounted(node, mp)


def _addr_up(c: Cluster, node: str) -> bool:
    return "198.18.0.155" in c.addresses(node)


def test_storage_and_logical_host_follow_the_group(sleeper: Cluster) -> None:
    c = sleeper
    _storage_group(c)
    assert c.rs_state("mail-rs", "mars") == "ONLINE"
    assert "meadow" in (c.root("venus") / "etc/hosts").read_text()
    assert _mounted(c, "mars", "/var/opt/mars/SUNWmsgsr")
    assert not _mounted(c, "venus", "/var/opt/mars/SUNWmsgsr")
    assert _mounted(c, "venus", "/opt/mars/SUNWmsgsr"), "a global file system is everywhere"
    assert _addr_up(c, "mars") and not _addr_up(c, "venus")
    assert "ext4" in c.sh("mars", "findmnt", "-n", "-o", "FSTYPE", "/var/opt/mars/SUNWmsgsr")
    c.sh("mars", "mkdir", "/var/opt/mars/SUNWmsgsr/config")
    assert not (c.root("mars") / "var/opt/mars/SUNWmsgsr/config").exists(), \
        "written to the shared disk, not to the node's own directory"
    assert c.ok("mars", "scha_resource_get", "-O", "Resource_state_node", "-R", "disk-rs",
                "venus") == "OFFLINE\n"
    # a process of mars working in the failover file system keeps it busy: HAStoragePlus
    # names it, kills it (fuser -ck) and unmounts; the switchover goes through
    c.ok("mars", "pmfadm", "-c", "squatter", "/bin/sleep", "1000")
    holder = c.run("mars", "pmfadm", "-c", "busy", "/bin/sleep", "1000",
                   cwd="/var/opt/mars/SUNWmsgsr/config")
    assert holder.returncode == 0, holder.stderr
    assert c.pmf_pids("mars", "busy")
    c.ok("mars", "scswitch", "-z", "-g", "MAIL-RG", "-h", "venus")
    messages = (c.root("mars") / "var/adm/messages").read_text()
    assert re.search(r"File system /var/opt/mars/SUNWmsgsr is busy: killing the processes "
                     r"that use it \(fuser -ck\): process \d+ \(sleep\) of user root, "
                     r"working directory in it\.", messages), messages[-2000:]
    assert not c.pmf_pids("mars", "busy")
    assert c.pmf_pids("mars", "squatter"), "a process elsewhere is left alone"
    assert c.rs_state("disk-rs", "mars") == "OFFLINE"
    status = c.ok("mars", "scha_resource_get", "-O", "Status_node", "-R", "disk-rs", "mars")
    assert "Killed to unmount /var/opt/mars/SUNWmsgsr: process " in status
    assert c.rs_state("mail-rs", "venus") == "ONLINE"
    assert _mounted(c, "venus", "/var/opt/mars/SUNWmsgsr")
    assert not _mounted(c, "mars", "/var/opt/mars/SUNWmsgsr")
    assert c.host("venus").run(["test", "-d", "/var/opt/mars/SUNWmsgsr/config"]) \
        .returncode == 0, "the same shared disk"
    assert _addr_up(c, "venus") and not _addr_up(c, "mars")
    c.ok("mars", "pmfadm", "-s", "squatter", "-w", "10", "KILL")


def test_node_panic_fails_groups_over(sleeper: Cluster) -> None:
    c = sleeper
    _storage_group(c)
    wait_for(lambda: c.pmf_pids("mars", "MAIL-RG,mail-rs,0.svc"),
             timeout=CLUSTER_WAIT, what="service")
    processes = hosts.processes(c.host("mars"))
    assert len(processes) > 4
    rc = cli.main(["node", "panic", "mars", "--cluster", str(c.layout.base)])
    assert rc == 0
    for pid in processes:
        assert not _alive(pid), f"process {pid} of mars survived the panic"
    assert not c.host("mars").is_powered
    # venus learns it from silence: mars is declared dead once not heard for the timeout
    wait_for(lambda: c.ok("venus", "scha_cluster_get", "-O", "Node_state", "mars")
             == "DOWN\n", timeout=CLUSTER_WAIT, what="mars declared dead")
    assert "CMM: node mars not heard for 4 s: declared dead" in \
        (c.root("venus") / "var/adm/messages").read_text()
    wait_for(lambda: c.rs_state("mail-rs", "venus") == "ONLINE",
             timeout=CLUSTER_WAIT, what="failover to venus")
    assert c.rg_state("MAIL-RG", "mars") == "OFFLINE"
    assert _mounted(c, "venus", "/var/opt/mars/SUNWmsgsr")
    assert _addr_up(c, "venus")
    assert "Online" in c.ok("venus", "scstat", "-g")
    assert cli.main(["node", "boot", "mars", "--cluster", str(c.layout.base)]) == 0
    assert c.ok("venus", "scha_cluster_get", "-O", "Node_state", "mars") == "UP\n"
    assert c.rg_state("MAIL-RG", "venus") == "ONLINE", "no failback by default"
    c.ok("mars", "scswitch", "-z", "-g", "MAIL-RG", "-h", "mars")
    assert c.rs_state("mail-rs", "mars") == "ONLINE"
    assert _mounted(c, "mars", "/opt/mars/SUNWmsgsr"), "a booted node mounts the global fs"
    assert _mounted(c, "mars", "/var/opt/mars/SUNWmsgsr") and _addr_up(c, "mars")
    assert not _mounted(c, "venus", "/var/opt/mars/SUNWmsgsr") and not _addr_up(c, "venus")


def test_seed_mistakes_get_clear_errors(sleeper: Cluster) -> None:
    c = sleeper
    c.ok("mars", "scrgadm", "-a", "-t", "SUNW.HAStoragePlus")
    c.ok("mars", "scrgadm", "-a", "-g", "MS_RG_daisy", "-h", "mars,venus")
    r = c.run("mars", "scrgadm", "-a", "-L", "-g", "MS_RG_DAISY", "-l", "meadow")
    assert r.returncode == 12 and "MS_RG_DAISY" in r.stderr and "MS_RG_daisy" in r.stderr
    r = c.run("mars", "scswitch", "-z", "-g", "MS_RG_LAVENDER", "-h", "mars")
    assert r.returncode == 12 and "MS_RG_LAVENDER" in r.stderr
    r = c.run("mars", "scswitch", "-e", "-j", "mail-rs-mars")
    assert r.returncode == 14 and "mail-rs-mars" in r.stderr
    r = c.run("mars", "scrgadm", "-a", "-j", "ms-hasp", "-g", "MS_RG_daisy", "-t",
              "SUNW.HAStoragePlus", "-x", "FileSystemMountPoints",
              "=/opt/mars/SUNWmsgsr, /var/opt/mars/SUNWmsgsr")
    assert r.returncode == 3 and "FileSystemMountPoints" in r.stderr and "blank" in r.stderr
    # the HAStorage command without its continuation backslash: -x ServicePaths is lost
    c.ok("mars", "scrgadm", "-a", "-t", "SUNW.HAStorage")
    r = c.run("mars", "scrgadm", "-a", "-j", "disk-rs", "-g", "MS_RG_daisy", "-t",
              "SUNW.HAStorage")
    assert r.returncode == 15 and "disk-rs" in r.stderr and "ServicePaths" in r.stderr
    with open(c.root("mars") / "etc/hosts", "a") as fh:
        fh.write("192.18.75.155 pasture\n")
    r = c.run("mars", "scrgadm", "-a", "-L", "-g", "MS_RG_daisy", "-l", "pasture")
    assert r.returncode != 0 and "192.18.75.155" in r.stderr
    r = c.run("mars", "scrgadm", "-a", "-t", "SUNW.ims")
    assert r.returncode == 13 and "SUNW.ims" in r.stderr


def test_object_cli(sleeper: Cluster) -> None:
    c = sleeper
    c.ok("venus", "clresourcegroup", "create", "-n", "venus,mars", "rg2")
    for node in ("mars", "venus"):
        with open(c.root(node) / "etc/hosts", "a") as fh:
            fh.write("198.18.0.157\tpasture\n")
    c.ok("venus", "clreslogicalhostname", "create", "-g", "rg2", "-h", "pasture", "lh2")
    c.ok("venus", "clresource", "create", "-g", "rg2", "-t", "TEST.sleeper", "-p",
         "Label=oo", "-p", "Resource_dependencies=lh2", "app2")
    assert c.ok("venus", "scha_resource_get", "-O", "Extension", "-R", "app2", "Label") == \
        "STRING\noo\n"
    c.ok("venus", "clresourcegroup", "online", "-M", "rg2")
    assert c.rs_state("app2", "venus") == "ONLINE" and c.rs_state("lh2", "venus") == "ONLINE"
    c.ok("venus", "clresourcegroup", "switch", "-n", "mars", "rg2")
    assert c.rs_state("app2", "mars") == "ONLINE"
    c.ok("venus", "clresource", "disable", "app2")
    assert c.rs_state("app2", "mars") == "OFFLINE"
    assert "rg2" in c.ok("venus", "clresourcegroup", "list")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()[0] != "Z"



def test_each_node_logs_as_solaris_does_to_its_own_files(sleeper: Cluster) -> None:
    """Solaris' default syslog.conf on every node: every file it names exists on the node, so
    the console carries no syslogd complaint; mail.debug lands in the node's own
    /var/log/syslog (never the machine's), daemon.err on the console and in messages."""
    c = sleeper
    machine_log = "/var/log/syslog"
    before = os.path.getsize(machine_log) if os.path.exists(machine_log) else None
    c.sh("mars", "logger", "-p", "mail.debug", "-t", "imta", "mail line for mars")
    c.sh("mars", "logger", "-p", "daemon.err", "-t", "probe", "error line for mars")
    mail = c.root("mars") / "var/log/syslog"
    wait_for(lambda: "mail line for mars" in mail.read_text(),
             timeout=CLUSTER_WAIT, what="mail.debug in mars's log")
    console = c.root("mars") / "dev/console"
    wait_for(lambda: "error line for mars" in console.read_text(),
             timeout=CLUSTER_WAIT, what="the console line")
    assert "No such file" not in console.read_text(), console.read_text()
    assert "error line for mars" in (c.root("mars") / "var/adm/messages").read_text()
    assert "mail line for mars" not in (c.root("venus") / "var/log/syslog").read_text()
    after = os.path.getsize(machine_log) if os.path.exists(machine_log) else None
    assert after == before, "a node wrote to the machine's own /var/log/syslog"


def test_a_logical_address_another_station_answers_for_is_not_plumbed(sleeper: Cluster) -> None:
    """Duplicate address detection: a station of the segment (the client host) answers ARP for
    the logical host's address, so its LogicalHostname resource does not come online on any
    node, says so, and plumbs nothing; once the station lets it go, the group comes online."""
    c = sleeper
    for node in ("mars", "venus"):
        with open(c.root(node) / "etc/hosts", "a") as fh:
            fh.write("198.18.0.156\tthief\n")
    client = hosts.host(c.layout, hosts.CLIENT)
    taken = client.run(["ip", "addr", "add", "198.18.0.156/24", "dev", "eth0"],
                       capture_output=True, text=True)
    assert taken.returncode == 0, taken.stderr
    try:
        c.ok("mars", "scrgadm", "-a", "-g", "LH-RG", "-h", "mars,venus")
        c.ok("mars", "scrgadm", "-a", "-L", "-g", "LH-RG", "-l", "thief")
        c.run("mars", "scswitch", "-Z", "-g", "LH-RG")
        assert c.rs_state("thief", "mars") != "ONLINE"
        assert all("198.18.0.156" not in c.addresses(n) for n in ("mars", "venus"))
        said = (c.root("mars") / "var/adm/messages").read_text()
        assert "IP address 198.18.0.156 (thief) is already in use on the network." in said
    finally:
        client.run(["ip", "addr", "del", "198.18.0.156/24", "dev", "eth0"])
    c.run("mars", "scswitch", "-c", "-h", "mars,venus", "-j", "thief", "-f", "STOP_FAILED")
    c.ok("mars", "scswitch", "-z", "-g", "LH-RG", "-h", "mars")
    wait_for(lambda: c.rs_state("thief", "mars") == "ONLINE", what="thief online on mars")
    assert "198.18.0.156" in c.addresses("mars")


def test_a_departed_node_that_still_runs_is_fenced_before_its_disks_move(sleeper: Cluster) -> None:
    """Fencing: a node the others declared dead but that still runs (it has not yet noticed
    it lost quorum) is kept off the shared disks: given a moment to abort by itself, then
    powered off, before anyone else checks and mounts its failover file system."""
    c = sleeper
    assert hosts.fence(c.layout, "venus", grace=0.5) is True
    assert not c.host("venus").is_powered
    assert hosts.fence(c.layout, "venus", grace=0.5) is False  # already gone: nothing to do
    assert cli.main(["node", "boot", "venus", "--cluster", str(c.layout.base)]) == 0
    assert c.host("venus").is_powered


def test_a_frozen_holder_is_fenced_by_a_power_cut_and_its_disk_moves(sleeper: Cluster) -> None:
    """Every process of the holding node stopped (a hung kernel): the survivor declares it
    dead, powers it off -- which kills the wrappers outside its PID namespace that kept its
    mount namespace, and the disk, alive -- and checks and mounts the disk itself."""
    c = sleeper
    _storage_group(c)
    wait_for(lambda: c.pmf_pids("mars", "MAIL-RG,mail-rs,0.svc"),
             timeout=CLUSTER_WAIT, what="service")
    # a wrapper of mars that lives outside its PID namespace, as nsenter does
    outside = subprocess.Popen(["nsenter", f"--target={c.host('mars').pid}", "--mount",
                                "--net", "--wdns=/var/opt/mars/SUNWmsgsr", "--",
                                "sleep", "300"])
    try:
        assert c.host("mars").freeze() > 4
        wait_for(lambda: c.rs_state("mail-rs", "venus") == "ONLINE",
                 timeout=CLUSTER_WAIT, what="failover to venus")
        assert outside.wait(10) is not None
    finally:
        if outside.poll() is None:
            outside.kill()
            outside.wait(10)
    messages = (c.root("venus") / "var/adm/messages").read_text()
    assert "node mars still ran after it left the cluster: fenced off" in messages
    assert "Cannot continue" not in messages and "Failed to mount" not in messages
    assert not c.host("mars").is_powered
    assert _mounted(c, "venus", "/var/opt/mars/SUNWmsgsr")
    assert c.rg_state("MAIL-RG", "venus") == "ONLINE"


def test_a_device_mounted_elsewhere_is_not_mounted_and_the_log_says_why(
        sleeper: Cluster, tmp_path: Path) -> None:
    c = sleeper
    _storage_group(c)
    c.ok("mars", "scswitch", "-F", "-g", "MAIL-RG")
    squat = tmp_path / "squat"
    squat.mkdir()
    client = c.host(hosts.CLIENT)
    assert client.run(["mount", "/dev/md/penguin/dsk/d500", str(squat)]).returncode == 0
    try:
        c.run("venus", "scswitch", "-z", "-g", "MAIL-RG", "-h", "venus")
        assert c.rs_state("disk-rs", "venus") == "START_FAILED"
        assert not _mounted(c, "venus", "/var/opt/mars/SUNWmsgsr")
        messages = (c.root("venus") / "var/adm/messages").read_text()
        assert "Failed to mount /var/opt/mars/SUNWmsgsr: /dev/md/penguin/dsk/d500 is in use" \
            in messages, messages[-2000:]
    finally:
        client.run(["umount", str(squat)])
