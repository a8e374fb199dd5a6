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

from collections.abc import Callable
from pathlib import Path

from imsguide import generic
from imsguide.console import Console
from imsguide.generic import Step
from imsguide.session import Session
from imsguide.site import Site

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


def prepare_nodes(s: Session, sessions_: list[Session]) -> None:
    """Step 2 (and the runtime accounts): the same /etc/hosts and /etc/vfstab on both nodes."""
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
    for other in sessions_:
        site = other.site
        s.append_client_hosts(f"{site.logical_ip}\t{site.logical_fqdn}\t{site.logical_host}")


def register_types(s: Session) -> None:
    s.cluster(s.site.nodes[0], "scrgadm", "-a", "-t", "SUNW.HAStoragePlus")
    s.cluster(s.site.nodes[0], "scrgadm", "-a", "-t", "SUNW.ims")


def add_storage(s: Session) -> None:
    site = s.site
    primary = site.nodes[0]
    s.cluster(primary, "scrgadm", "-a", "-j", site.storage_resource, "-g", site.group,
              "-t", "SUNW.HAStoragePlus",
              "-x", f"FileSystemMountPoints={site.server_root},{site.config_dir}",
              "-x", "AffinityOn=TRUE")
    s.cluster(primary, "scswitch", "-e", "-j", site.storage_resource)


def switch_to(index: int) -> Callable[[Session], None]:
    """Switch the instance's group to its primary (0) or standby (1) node."""
    def switch(s: Session) -> None:
        site = s.site
        s.cluster(site.nodes[1 - index], "scswitch", "-z", "-g", site.group,
                  "-h", site.nodes[index])
    return switch


def create_and_enable(s: Session) -> None:
    site = s.site
    s.cluster(site.nodes[1], "scrgadm", "-a", "-j", site.mail_resource, "-t", "SUNW.ims",
              "-g", site.group, "-x", f"IMS_serverroot={site.server_root}",
              "-y", f"Resource_dependencies={site.logical_host},{site.storage_resource}")
    generic.enable_mail_resource(s)


def instance_steps(site: Site) -> list[Step]:
    """Steps 3.2-11 for one instance, from its primary node, with the generic procedure's
    steps where the example does the same thing (step 12: the same for the second)."""
    g = site.group
    primary, standby = site.nodes
    return [
        Step("3.2", f"{g}: create the failover resource group on {primary},{standby}",
             generic.create_group),
        Step("3.3", f"{g}: add and describe the logical host {site.logical_host}, bring the "
             "group online", generic.add_logical_host),
        Step("3.4-3.5", f"{g}: the HAStoragePlus resource {site.storage_resource} for the "
             "binaries and the configuration, enabled", add_storage),
        Step("4-5", f"{g}: install and configure Messaging Server on {primary}, on the "
             "shared disk", generic.install_and_configure),
        Step("6", f"{g}: bind the services to the logical IP address (ha_ip_config, once)",
             generic.bind_logical_ip),
        Step("7", f"{g}: make imta.cnf name {site.logical_host}, not {primary}",
             generic.fix_imta),
        Step("8", f"{g}: fail the group over to {standby}", switch_to(1)),
        Step("9", f"{g}: run useconfig on {standby}", generic.useconfig_on_second),
        Step("10", f"{g}: create and enable {site.mail_resource}", create_and_enable),
        Step("11", f"{g}: check by switching it back to {primary}", switch_to(0)),
    ]


def show_status(s: Session) -> None:
    s.cluster(s.site.nodes[0], "scstat", "-pw")


Planned = tuple[Session, Step]
"""A step and the instance (session) it runs for."""


def steps(sessions_: list[Session], package_dir: Path) -> list[Planned]:
    """Steps 1-12 of the example and the final check, each with its instance."""
    first = sessions_[0]
    return [
        (first, Step("1", "install SUNWscims on both nodes",
                     lambda s: generic.install_package(s, package_dir))),
        (first, Step("2", "on both nodes: the runtime user and group, both logical hosts in "
                     "/etc/hosts, the four global file systems in /etc/vfstab",
                     lambda s: prepare_nodes(s, sessions_))),
        (first, Step("3.1", "register the resource types", register_types)),
        *[(s, step) for s in sessions_ for step in instance_steps(s.site)],
        (first, Step("Check", "both groups online on their primaries (scstat -pw)",
                     show_status)),
    ]


def unconfigure_steps(sessions_: list[Session]) -> list[Planned]:
    """The guide's unconfigure procedure: steps 1 and 2 remove one group each, step 3 the
    resource types."""
    planned: list[Planned] = []
    for number, s in enumerate(sessions_, 1):
        g = s.site.group
        planned += [
            (s, Step(f"U{number}.1", f"{g}: take the group offline on every node",
                     generic.take_group_offline)),
            (s, Step(f"U{number}.2", f"{g}: disable its resources", generic.disable_resources)),
            (s, Step(f"U{number}.3", f"{g}: remove its resources", generic.remove_resources)),
            (s, Step(f"U{number}.4", f"{g}: remove the group", generic.remove_group)),
        ]
    planned.append((sessions_[0], Step(f"U{len(sessions_) + 1}",
                                       "unregister the resource types", remove_types)))
    return planned


def remove_types(s: Session) -> None:
    s.cluster(s.site.nodes[0], "scrgadm", "-r", "-t", "SUNW.HAStoragePlus")
    s.cluster(s.site.nodes[0], "scrgadm", "-r", "-t", "SUNW.ims")


def run_all(sessions_: list[Session], package_dir: Path) -> None:
    for s, step in steps(sessions_, package_dir):
        generic.run_step(s, step)


def unconfigure_all(sessions_: list[Session]) -> None:
    """The guide's unconfigure procedure, once per group, then the types once."""
    for s, step in unconfigure_steps(sessions_):
        generic.run_step(s, step)
