"""The guide's procedures run end to end on the stand-in cluster, checking what each step is
documented to achieve, then their unconfigure procedures, leaving nothing running."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from imsguide import asymmetric, faults, generic, proof, symmetric
from imsguide.console import Console
from imsguide.session import Session, tool
from imsguide.site import Site

pytestmark = pytest.mark.e2e
TOP = Path(__file__).resolve().parents[2]
USER = "joe"


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    subprocess.run([sys.executable, str(TOP / "packaging" / "build.py"), "--no-dist", "--out",
                    str(out)], check=True, capture_output=True, timeout=600)
    return out / "pkg"


@pytest.fixture
def cluster_dir(public_tmp_path: Path, show_node_logs: Callable[[Path], None]) -> Iterator[Path]:
    """Not under tmp_path: Messaging Server's servers run as mailsrv, who could no longer reach
    them once another pytest session starts (see testbed.public_directory)."""
    directory = public_tmp_path / "cluster"
    show_node_logs(directory)
    yield directory
    # --keep: after a failure the node roots and their logs stay for a look (public_tmp_path)
    done = subprocess.run([tool("clustersim"), "destroy", "--keep", str(directory)],
                          capture_output=True,
                          text=True, timeout=300, check=False)
    left = subprocess.run(["pgrep", "-a", "-f", str(directory)], capture_output=True,
                          text=True, check=False).stdout.strip()
    assert left == "", f"processes left behind: {left}"
    assert done.returncode == 0, done.stdout + done.stderr


def create(site: Site) -> None:
    subprocess.run([tool("clustersim"), "create", str(site.directory), "--nodes",
                    ",".join(site.nodes)], check=True, capture_output=True, timeout=300)


def ask(site: Site, *argv: str, node: str | None = None) -> list[str]:
    return proof.ask(site, node or site.nodes[0], *argv)


def rs_state(site: Site, resource: str, node: str) -> str:
    lines = ask(site, "scha_resource_get", "-O", "Resource_state_node", "-R", resource,
                "-G", site.group, node)
    return lines[0].strip() if lines else "?"


def rg_state(site: Site, node: str) -> str:
    lines = ask(site, "scha_resourcegroup_get", "-O", "RG_state_node", "-G", site.group, node)
    return lines[0].strip() if lines else "?"


def on_node(site: Site, node: str, *argv: str) -> subprocess.CompletedProcess[str]:
    host = site.host(node)
    assert host is not None, f"{node} is down"
    return host.run(list(argv), capture_output=True, text=True, timeout=60)


def mounted(site: Site, node: str, mount: str) -> bool:
    """A file system is mounted at `mount` in `node`'s mount namespace."""
    return on_node(site, node, "findmnt", "-n", mount).returncode == 0


def on_shared_disk(site: Site, node: str, path: str) -> bool:
    """`path` (links followed) lies on one of the cluster's shared disks (a loop device)."""
    device = on_node(site, node, "findmnt", "-n", "-o", "MAJ:MIN", "-T", path).stdout
    return device.strip().startswith("7:")  # loop devices are block major 7


def messaging_processes(site: Site) -> list[str]:
    """Messaging Server daemons (`.../SUNWmsgsr/lib/...`) on any node of the cluster."""
    return [f"{node}: {args}" for node in site.nodes for _pid, args in site.processes(node)
            if "SUNWmsgsr/lib/" in args]


# --- what each step of the generic procedure is documented to achieve ---------------------


def installed_everywhere(site: Site) -> None:
    for node in site.nodes:
        assert site.on(node, "/opt/SUNWscims/bin/ims_svc_start").exists()
        assert site.on(node, "/opt/cluster/lib/rgm/rtreg/SUNW.ims").exists()


def same_ids_everywhere(site: Site) -> None:
    for node in site.nodes:
        users = site.on(node, "/etc/passwd").read_text()
        assert f"{site.user}:x:{site.uid}:{site.gid}:" in users
        group = [line for line in site.on(node, "/etc/group").read_text().splitlines()
                 if line.startswith(f"{site.group_name}:")]
        assert len(group) == 1 and f":{site.gid}:" in group[0] and site.user in group[0]
        assert site.logical_host in site.on(node, "/etc/hosts").read_text()


def types_registered(site: Site) -> None:
    types = ask(site, "scha_cluster_get", "-O", "All_resourcetypes")
    assert any(t.startswith("SUNW.ims") for t in types), types
    assert any(t.startswith("SUNW.HAStoragePlus") for t in types), types


def group_created(site: Site) -> None:
    assert ask(site, "scha_resourcegroup_get", "-O", "Nodelist", "-G", site.group) == \
        list(site.nodes)


def logical_host_online_on_first(site: Site) -> None:
    first, second = site.nodes
    assert rg_state(site, first) == "ONLINE"
    assert rs_state(site, site.logical_host, first) == "ONLINE"
    assert rs_state(site, site.logical_host, second) == "OFFLINE"
    if site.describe_logical_host:
        assert ask(site, "scha_resource_get", "-O", "R_description", "-R", site.logical_host,
                   "-G", site.group) == [f"LogicalHostname resource for {site.logical_host}"]


def storage_on_first_only(site: Site) -> None:
    first, second = site.nodes
    assert rs_state(site, site.storage_resource, first) == "ONLINE"
    assert mounted(site, first, site.config_dir)
    assert not mounted(site, second, site.config_dir), "a failover file system on two nodes"


def configured_with_logical_host(site: Site) -> None:
    first = site.nodes[0]
    hostname = on_node(site, first, f"{site.server_root}/sbin/configutil", "-o",
                       "local.hostname")
    assert hostname.stdout.strip() == site.logical_fqdn
    assert on_shared_disk(site, first, f"{site.server_root}/config/msg.conf"), \
        "the configuration must be on the shared disk"


def bound_to_logical_ip(site: Site) -> None:
    config = site.on(site.nodes[0], site.server_root) / "config"
    assert f"INTERFACE_ADDRESS={site.logical_ip}" in (config / "dispatcher.cnf").read_text()
    assert f"INTERFACE_ADDRESS={site.logical_ip}" in \
        (config / "job_controller.cnf").read_text()
    assert (config / "dispatcher.cnf.pre-ha").exists()
    listen = on_node(site, site.nodes[0], f"{site.server_root}/sbin/configutil", "-o",
                     "service.listenaddr")
    assert listen.stdout.strip() == site.logical_ip


def imta_names_no_node(site: Site) -> None:
    imta = (site.on(site.nodes[0], site.server_root) / "config" / "imta.cnf").read_text()
    assert site.nodes[0] not in imta


def failed_over_to_second(site: Site) -> None:
    first, second = site.nodes
    assert rg_state(site, second) == "ONLINE" and rg_state(site, first) == "OFFLINE"
    assert mounted(site, second, site.config_dir) and not mounted(site, first, site.config_dir)


def binaries_on_second(site: Site) -> None:
    base = site.on(site.nodes[1], site.server_root)
    assert (base / "sbin" / "start-msg").exists()


def second_uses_shared_config(site: Site) -> None:
    base = site.on(site.nodes[1], site.server_root)
    assert (base / "config" / "msg.conf").exists()


def resource_created_disabled(site: Site) -> None:
    assert ask(site, "scha_resource_get", "-O", "On_off_switch", "-R", site.mail_resource,
               "-G", site.group) == ["DISABLED"]
    assert ask(site, "scha_resource_get", "-O", "Type", "-R", site.mail_resource, "-G",
               site.group)[0].startswith("SUNW.ims")


def mail_resource_online(site: Site) -> None:
    second = site.nodes[1]
    assert rs_state(site, site.mail_resource, second) == "ONLINE"
    proof.wait_for(lambda: proof.resource_status(site, second)[0] == "OK", 60,
                   "status OK from the fault monitor")
    assert proof.services_answer(site)


def scstat_pw(site: Site, node: str) -> str:
    """What step 17's `scstat -pw` shows on `node`."""
    return "\n".join(ask(site, "scstat", "-pw", node=node))


def shows_online(out: str, site: Site, node: str) -> None:
    assert re.search(rf"Group: {re.escape(site.group)}\s+{node}\s+Online", out), out
    assert re.search(rf"Resource: {re.escape(site.mail_resource)}\s+{node}\s+Online", out), out


def scstat_shows_it_online(site: Site) -> None:
    out = scstat_pw(site, site.nodes[1])
    assert "-- Cluster Nodes --" in out and "-- Quorum Summary --" in out, out
    shows_online(out, site, site.nodes[1])


OUTCOMES: dict[str, Callable[[Site], None]] = {
    "1-2": installed_everywhere, "3": same_ids_everywhere, "4": types_registered,
    "5": group_created, "6": logical_host_online_on_first, "7": storage_on_first_only,
    "8-9": configured_with_logical_host, "10": bound_to_logical_ip, "11": imta_names_no_node,
    "12": failed_over_to_second, "13": binaries_on_second, "14": second_uses_shared_config,
    "15": resource_created_disabled, "16": mail_resource_online, "17": scstat_shows_it_online,
}


def group_offline_nothing_runs(site: Site) -> None:
    assert all(rg_state(site, n) == "OFFLINE" for n in site.nodes)
    assert messaging_processes(site) == []
    assert not any(mounted(site, n, site.config_dir) for n in site.nodes)


def resources_disabled(site: Site) -> None:
    for resource in (site.mail_resource, site.storage_resource, site.logical_host):
        assert ask(site, "scha_resource_get", "-O", "On_off_switch", "-R", resource, "-G",
                   site.group) == ["DISABLED"]


def resources_gone(site: Site) -> None:
    assert ask(site, "scha_resourcegroup_get", "-O", "Resource_list", "-G", site.group) == []


def group_gone(site: Site) -> None:
    assert site.group not in ask(site, "scha_cluster_get", "-O", "All_resourcegroups")


def types_gone(site: Site) -> None:
    types = ask(site, "scha_cluster_get", "-O", "All_resourcetypes")
    assert not any(t.startswith(("SUNW.ims", "SUNW.HAStoragePlus")) for t in types), types


UNCONFIGURE_OUTCOMES: dict[str, Callable[[Site], None]] = {
    "U1": group_offline_nothing_runs, "U2": resources_disabled, "U3": resources_gone,
    "U4": group_gone, "U5": types_gone,
}


# --- the symmetric example: what each step achieves for its instance ----------------------


def instance_processes(site: Site) -> list[str]:
    """Messaging Server processes of this instance's installation, on any node."""
    return [line for node in site.nodes for line in faults.processes(site, node)]


def hosts_and_global_file_systems(site: Site) -> None:
    same_ids_everywhere(site)
    for node in site.nodes:
        hosts = site.on(node, "/etc/hosts").read_text()
        assert "meadow" in hosts and "pasture" in hosts, hosts
        vfstab = site.on(node, "/etc/vfstab").read_text()
        for owner in ("mars", "venus"):
            for mount in (f"/opt/{owner}/SUNWmsgsr", f"/var/opt/{owner}/SUNWmsgsr"):
                assert re.search(rf"\s{mount}\s.*\slogging,global$", vfstab, re.M), vfstab


def global_storage_online(site: Site) -> None:
    primary, standby = site.nodes
    assert rs_state(site, site.storage_resource, primary) == "ONLINE"
    assert rs_state(site, site.storage_resource, standby) == "OFFLINE"
    for node in site.nodes:  # global file systems: mounted on every node
        assert mounted(site, node, site.server_root) and mounted(site, node, site.config_dir)


def configured_on_shared_disk(site: Site) -> None:
    configured_with_logical_host(site)
    assert on_shared_disk(site, site.nodes[0], f"{site.server_root}/sbin"), \
        "the symmetric example keeps the binaries on the shared disk"


def online_on_standby(site: Site) -> None:
    primary, standby = site.nodes
    assert rg_state(site, standby) == "ONLINE" and rg_state(site, primary) == "OFFLINE"
    assert rs_state(site, site.storage_resource, standby) == "ONLINE"


def useconfig_ran_on_standby(site: Site) -> None:
    base = site.on(site.nodes[1], site.server_root)
    assert list((base / "install").glob("useconfiglog_*")), "no useconfig log"
    assert (base / "config" / "msg.conf").exists()


def back_on_primary(site: Site) -> None:
    primary, standby = site.nodes
    assert rg_state(site, primary) == "ONLINE" and rg_state(site, standby) == "OFFLINE"
    assert rs_state(site, site.mail_resource, primary) == "ONLINE"
    proof.wait_for(lambda: proof.resource_status(site, primary)[0] == "OK", 60,
                   "status OK from the fault monitor")
    assert proof.services_answer(site)
    assert instance_processes(site), f"no Messaging Server process of {site.group}"


def both_online_on_primaries(sites: list[Site]) -> None:
    out = scstat_pw(sites[0], sites[0].nodes[0])
    for site in sites:
        shows_online(out, site, site.nodes[0])


SYMMETRIC_OUTCOMES: dict[str, Callable[[Site], None]] = {
    "1": installed_everywhere, "2": hosts_and_global_file_systems, "3.1": types_registered,
    "3.2": group_created, "3.3": logical_host_online_on_first,
    "3.4-3.5": global_storage_online, "4-5": configured_on_shared_disk,
    "6": bound_to_logical_ip, "7": imta_names_no_node, "8": online_on_standby,
    "9": useconfig_ran_on_standby, "10": mail_resource_online, "11": back_on_primary,
}


def instance_offline(site: Site) -> None:
    assert all(rg_state(site, n) == "OFFLINE" for n in site.nodes)
    assert instance_processes(site) == []


def symmetric_unconfigure_outcome(number: str) -> Callable[[Site], None]:
    """U1.x (MS_RG_MARS) and U2.x (MS_RG_VENUS): the group's own outcome; U3: the types."""
    if number == "U3":
        return types_gone
    return {"1": instance_offline, "2": resources_disabled, "3": resources_gone,
            "4": group_gone}[number.split(".")[1]]


# --- running a procedure step by step -------------------------------------------------------


def checked(session: Session, step: generic.Step, outcome: Callable[[Site], None],
            transcript: io.StringIO) -> None:
    """Run one step, then check its documented outcome; on failure, say what it printed."""
    where = len(transcript.getvalue())
    generic.run_step(session, step)
    try:
        outcome(session.site)
    except AssertionError as exc:
        raise AssertionError(f"step {step.number} ({session.site.group}): {exc}\n"
                             f"{transcript.getvalue()[where:][-3000:]}") from exc


def test_generic_procedure_step_by_step(package_dir: Path, cluster_dir: Path,
                                        another_pytest_starts: Callable[[], None]) -> None:
    site = Site(cluster_dir)
    transcript = io.StringIO()
    session = Session(site, Console(out=transcript))
    create(site)
    steps = generic.steps(package_dir)
    assert [step.number for step in steps] == list(OUTCOMES)
    for step in steps:
        # Other pytest sessions start on a shared machine at any time (see cluster_dir).
        another_pytest_starts()
        checked(session, step, OUTCOMES[step.number], transcript)
    assert f"{site.nodes[1]}# scstat -pw" in transcript.getvalue(), "step 17 is scstat -pw"
    sent = proof.send_mail(site, USER, "generic", "through the cluster")
    proof.wait_for(lambda: sent in proof.pop_message_ids(site, USER), 30, "mail delivered")
    assert [s.number for s in generic.UNCONFIGURE_STEPS] == list(UNCONFIGURE_OUTCOMES)
    for step in generic.UNCONFIGURE_STEPS:
        checked(session, step, UNCONFIGURE_OUTCOMES[step.number], transcript)


def online_on_first(site: Site) -> None:
    """The asymmetric example's last check: the group back on its first node."""
    first, second = site.nodes
    assert rg_state(site, first) == "ONLINE" and rg_state(site, second) == "OFFLINE"
    assert rs_state(site, site.mail_resource, first) == "ONLINE"
    assert mounted(site, first, site.config_dir) and not mounted(site, second, site.config_dir)


def test_asymmetric_example_and_its_unconfigure(package_dir: Path, cluster_dir: Path) -> None:
    site = asymmetric.site(cluster_dir)
    assert (site.nodes, site.group, site.logical_host) == (("daisy", "lavender"),
                                                           "MS_RG_DAISY", "budgie")
    transcript = io.StringIO()
    session = Session(site, Console(out=transcript))
    create(site)
    outcomes = {**OUTCOMES, "Check": online_on_first}
    steps = asymmetric.steps(package_dir)
    assert [step.number for step in steps] == list(outcomes)
    for step in steps:
        checked(session, step, outcomes[step.number], transcript)
    # binaries local on each node, the configuration on the shared disk
    for node in site.nodes:
        assert not on_shared_disk(site, node, f"{site.server_root}/sbin")
    sent = proof.send_mail(site, USER, "asymmetric", "to budgie")
    proof.wait_for(lambda: sent in proof.imap_message_ids(site, USER), 30, "mail delivered")
    for step in generic.UNCONFIGURE_STEPS:
        checked(session, step, UNCONFIGURE_OUTCOMES[step.number], transcript)


def test_symmetric_example_two_instances_and_their_unconfigure(
        package_dir: Path, cluster_dir: Path) -> None:
    transcript = io.StringIO()
    sessions = symmetric.sessions(cluster_dir, Console(out=transcript))
    sites = [s.site for s in sessions]
    create(sites[0])
    planned = symmetric.steps(sessions, package_dir)
    instance = ["3.2", "3.3", "3.4-3.5", "4-5", "6", "7", "8", "9", "10", "11"]
    assert [step.number for _s, step in planned] == \
        ["1", "2", "3.1", *instance, *instance, "Check"]
    assert [s.site.group for s, step in planned if step.number == "3.2"] == \
        ["MS_RG_MARS", "MS_RG_VENUS"]
    outcomes = {**SYMMETRIC_OUTCOMES, "Check": lambda _site: both_online_on_primaries(sites)}
    for s, step in planned:
        checked(s, step, outcomes[step.number], transcript)
    assert f"{sites[0].nodes[0]}# scstat -pw" in transcript.getvalue()
    for site in sites:
        sent = proof.send_mail(site, USER, site.group, f"to {site.logical_host}")
        proof.wait_for(lambda site=site, sent=sent: sent in proof.imap_message_ids(site, USER),
                       30, f"mail delivered by {site.group}")
    # the two instances never share a directory (the contention problem)
    roots = {str(site.on(site.nodes[0], site.server_root)) for site in sites}
    assert len(roots) == 2
    undo = symmetric.unconfigure_steps(sessions)
    assert [step.number for _s, step in undo] == \
        ["U1.1", "U1.2", "U1.3", "U1.4", "U2.1", "U2.2", "U2.3", "U2.4", "U3"]
    for s, step in undo:
        checked(s, step, symmetric_unconfigure_outcome(step.number), transcript)
        if step.number == "U1.1":  # the other instance still serves its mail
            assert instance_processes(sites[1]), "MS_RG_VENUS stopped with MS_RG_MARS"
            assert proof.services_answer(sites[1])
    assert messaging_processes(sites[0]) == []
