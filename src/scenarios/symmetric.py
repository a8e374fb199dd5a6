"""The guide's symmetric example: two instances, each node primary for one.

MS_RG_MARS (mars, venus; logical host meadow) and MS_RG_VENUS (venus, mars; pasture), each
with its own binaries and configuration on global file systems of the shared disks
(/opt/<node>/SUNWmsgsr and /var/opt/<node>/SUNWmsgsr): unique directories per instance, or
the two would collide on one node after a failover (the guide's "contention problem").

Corrected where the seed is wrong: each instance enables the resource it created
(ms-rs-mars, not mail-rs-mars); during the MARS setup it switches MS_RG_MARS (the seed
switches MS_RG_VENUS, not yet created); the checks switch the instance's own group (the seed
says MAIL-RG, which this example never creates); -x options have no blank before `=`.
"""

from __future__ import annotations

from pathlib import Path

from scenarios import generic
from scenarios.console import Console
from scenarios.session import Session
from scenarios.site import Site

DISKS = {"mars": ("/dev/md/penguin/dsk/d500", "/dev/md/penguin/dsk/d400"),
         "venus": ("/dev/md/polarbear/dsk/d200", "/dev/md/polarbear/dsk/d300")}


def sites(directory: Path) -> list[Site]:
    """The two instances: one Site each, in the same cluster."""
    return [
        Site(directory, nodes=("mars", "venus"), group="MS_RG_MARS", logical_host="meadow",
             storage_resource="ms-hasp-mars", mail_resource="ms-rs-mars",
             server_root="/opt/mars/SUNWmsgsr", config_dir="/var/opt/mars/SUNWmsgsr",
             logical_suffix=155, describe_logical_host=True),
        Site(directory, nodes=("venus", "mars"), group="MS_RG_VENUS", logical_host="pasture",
             storage_resource="ms-hasp-venus", mail_resource="ms-rs-venus",
             server_root="/opt/venus/SUNWmsgsr", config_dir="/var/opt/venus/SUNWmsgsr",
             logical_suffix=157, describe_logical_host=True),
    ]


def sessions(directory: Path, console: Console) -> list[Session]:
    return [Session(site, console) for site in sites(directory)]


def prepare_nodes(sessions_: list[Session], package_dir: Path) -> None:
    s = sessions_[0]
    console = s.console
    console.heading("Steps 1-2: SUNWscims, the runtime user, both logical hosts and the four "
                    "global file systems on both nodes")
    generic.install_package(s, package_dir)
    for node in s.site.nodes:
        generic.add_user(s, node)
        generic.add_group(s, node)
        for other in sessions_:
            site = other.site
            s.append(node, "/etc/hosts",
                     f"{site.logical_ip}\t{site.logical_fqdn}\t{site.logical_host}")
        for owner, (binaries, config) in DISKS.items():
            for device, mount in ((binaries, f"/opt/{owner}/SUNWmsgsr"),
                                  (config, f"/var/opt/{owner}/SUNWmsgsr")):
                raw = device.replace("/dsk/", "/rdsk/")
                s.append(node, "/etc/vfstab",
                         f"{device}\t{raw}\t{mount}\tufs\t2\tyes\tlogging,global")
    console.heading("Step 3.1: register the resource types")
    s.cluster(s.site.nodes[0], "scrgadm", "-a", "-t", "SUNW.HAStoragePlus")
    s.cluster(s.site.nodes[0], "scrgadm", "-a", "-t", "SUNW.ims")


def configure_instance(s: Session) -> None:
    """Steps 3.2-11 for one instance, from its primary node, with the generic procedure's
    steps where the example does the same thing."""
    site = s.site
    primary, standby = site.nodes
    s.console.heading(f"Instance {site.group}: group, logical host {site.logical_host}, "
                      "storage for binaries and configuration")
    generic.create_group(s)
    generic.add_logical_host(s)
    s.cluster(primary, "scrgadm", "-a", "-j", site.storage_resource, "-g", site.group,
              "-t", "SUNW.HAStoragePlus",
              "-x", f"FileSystemMountPoints={site.server_root},{site.config_dir}",
              "-x", "AffinityOn=TRUE")
    s.cluster(primary, "scswitch", "-e", "-j", site.storage_resource)

    s.console.heading(f"Instance {site.group}: install and configure Messaging Server on "
                      f"{primary}, on the shared disk")
    generic.install_and_configure(s)
    generic.bind_logical_ip(s)
    generic.fix_imta(s)

    s.console.heading(f"Instance {site.group}: fail over to {standby} and run useconfig there")
    s.cluster(primary, "scswitch", "-z", "-g", site.group, "-h", standby)
    generic.useconfig_on_second(s)

    s.console.heading(f"Instance {site.group}: create and enable {site.mail_resource}")
    s.cluster(standby, "scrgadm", "-a", "-j", site.mail_resource, "-t", "SUNW.ims",
              "-g", site.group, "-x", f"IMS_serverroot={site.server_root}",
              "-y", f"Resource_dependencies={site.logical_host},{site.storage_resource}")
    generic.enable_mail_resource(s)
    s.console.heading(f"Instance {site.group}: check by switching it back to {primary}")
    s.cluster(standby, "scswitch", "-z", "-g", site.group, "-h", primary)


def run_all(sessions_: list[Session], package_dir: Path) -> None:
    prepare_nodes(sessions_, package_dir)
    for s in sessions_:
        configure_instance(s)
    sessions_[0].cluster(sessions_[0].site.nodes[0], "scstat", "-g")


def unconfigure_all(sessions_: list[Session]) -> None:
    """The guide's unconfigure procedure, once per group, then the types once."""
    for s in sessions_:
        s.console.heading(f"Unconfigure {s.site.group}")
        generic.take_group_offline(s)
        generic.disable_resources(s)
        generic.remove_resources(s)
        generic.remove_group(s)
    generic.remove_types(sessions_[0])
