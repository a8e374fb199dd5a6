"""The guide's generic procedure (section 3.4.3, 17 steps) and its unconfigure procedure.

The procedure is data: `steps()` lists the numbered steps, each a function of the session,
so the demo runs them in order and the end-to-end tests check the documented outcome after
each one. Corrected where the guide is wrong (docs/procedure.md, "Mistakes"): the unconfigure
procedure disables this example's resources, not `budgie` of the asymmetric example; `-x`
options carry no blank before `=`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from imsguide.session import Session, StepFailed, tool


@dataclass(frozen=True)
class Step:
    number: str
    title: str
    action: Callable[[Session], None]


# --- steps 1-3: every node ---------------------------------------------------------------


def install_package(s: Session, package_dir: Path) -> None:
    for node in s.site.nodes:
        s.host(node, ["pkgadd", "-d", str(package_dir), "SUNWscims"],
               [tool("clustersim"), "pkgadd", "-n", node, "-d", str(package_dir.resolve()),
                "--cluster", str(s.site.directory), "SUNWscims"])


def add_group(s: Session, node: str) -> None:
    """groupadd, unless the node has the group already (Solaris ships mail, GID 6)."""
    site = s.site
    path = site.on(node, "/etc/group")
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        fields = line.split(":")
        if fields[0] != site.group_name or len(fields) < 4:
            continue
        if fields[2] != str(site.gid):
            raise StepFailed(f"group {site.group_name} has GID {fields[2]} on {node}, "
                             f"not {site.gid} as on the other nodes")
        s.console.note(f"group {site.group_name} (GID {site.gid}) exists on {node}")
        members = [m for m in fields[3].split(",") if m]
        if site.user not in members:
            s.console.command(node, ["usermod", "-G", site.group_name, site.user])
            fields[3] = ",".join([*members, site.user])
            lines[number] = ":".join(fields)
            path.write_text("\n".join(lines) + "\n")
        return
    s.console.command(node, ["groupadd", "-g", str(site.gid), site.group_name])
    with path.open("a", encoding="utf-8") as f:
        f.write(f"{site.group_name}::{site.gid}:{site.user}\n")


def add_user(s: Session, node: str) -> None:
    site = s.site
    s.console.command(node, ["useradd", "-u", str(site.uid), "-g", site.group_name,
                             "-d", "/", "-s", "/bin/false", site.user])
    with site.on(node, "/etc/passwd").open("a", encoding="utf-8") as f:
        f.write(f"{site.user}:x:{site.uid}:{site.gid}:Messaging Server:/:/bin/false\n")


def create_accounts_and_tables(s: Session) -> None:
    """The runtime user and group (same IDs everywhere), the logical host in /etc/hosts and
    the shared file system in /etc/vfstab, on every node."""
    site = s.site
    for node in site.nodes:
        add_user(s, node)
        add_group(s, node)
        s.append(node, "/etc/hosts", f"{site.logical_ip}\t{site.logical_fqdn}\t"
                 f"{site.logical_host}")
        raw = site.disk_device.replace("/dsk/", "/rdsk/")
        s.append(node, "/etc/vfstab",
                 f"{site.disk_device}\t{raw}\t{site.config_dir}\tufs\t2\tno\tlogging")
    s.append_client_hosts(f"{site.logical_ip}\t{site.logical_fqdn}\t{site.logical_host}")


# --- steps 4-7: the cluster --------------------------------------------------------------


def register_types(s: Session) -> None:
    s.cluster(s.site.nodes[0], "scrgadm", "-a", "-t", "SUNW.ims")
    s.cluster(s.site.nodes[0], "scrgadm", "-a", "-t", "SUNW.HAStoragePlus")


def create_group(s: Session) -> None:
    s.cluster(s.site.nodes[0], "scrgadm", "-a", "-g", s.site.group, "-h", ",".join(s.site.nodes))


def add_logical_host(s: Session) -> None:
    site = s.site
    first = site.nodes[0]
    s.cluster(first, "scrgadm", "-a", "-L", "-g", site.group, "-l", site.logical_host)
    if site.describe_logical_host:
        s.cluster(first, "scrgadm", "-c", "-j", site.logical_host, "-y",
                  f"R_description=LogicalHostname resource for {site.logical_host}")
    s.cluster(first, "scswitch", "-Z", "-g", site.group)


def add_storage(s: Session) -> None:
    site = s.site
    first = site.nodes[0]
    s.cluster(first, "scrgadm", "-a", "-j", site.storage_resource, "-g", site.group,
              "-t", "SUNW.HAStoragePlus", "-x", f"FilesystemMountPoints={site.config_dir}",
              "-x", "AffinityOn=True")
    s.cluster(first, "scswitch", "-e", "-j", site.storage_resource)


# --- steps 8-14: Messaging Server --------------------------------------------------------


def install_and_configure(s: Session) -> None:
    site = s.site
    first = site.nodes[0]
    s.host(first, [f"{site.server_root}/sbin/configure"],
           [tool("mssim"), "install", "--base", site.server_root,
            "--config", site.config_dir, "--host", site.logical_fqdn,
            "--ip", site.node_ip(first), "--user", site.user, "--group", site.group_name,
            *site.ports.install_options()])


def bind_logical_ip(s: Session) -> None:
    site = s.site
    first = site.nodes[0]
    s.host(first, [f"{site.server_root}/sbin/ha_ip_config"],
           [f"{site.server_root}/sbin/ha_ip_config"],
           stdin=f"{site.logical_ip}\n\nno\n")


def fix_imta(s: Session) -> None:
    site = s.site
    first = site.nodes[0]
    imta = site.on(first, site.server_root) / "config" / "imta.cnf"
    text = imta.read_text()
    count = text.count(first)
    s.console.command(first, ["sed", f"s/{first}/{site.logical_host}/g", "imta.cnf"])
    imta.write_text(text.replace(first, site.logical_host))
    s.console.note(f"{count} occurrence(s) of {first} replaced")


def fail_over_to_second(s: Session) -> None:
    site = s.site
    second = site.nodes[1]
    s.cluster(site.nodes[0], "scswitch", "-z", "-g", site.group, "-h", second)
    s.cluster(second, "scstat", "-g")


def install_on_second(s: Session) -> None:
    site = s.site
    second = site.nodes[1]
    s.host(second, ["pkgadd", "-d", ".", "SUNWmsgsr"],
           [tool("mssim"), "install", "--base", site.server_root,
            "--ip", site.node_ip(second), *site.ports.install_options()])


def useconfig_on_second(s: Session) -> None:
    site = s.site
    second = site.nodes[1]
    setup = site.on(second, site.config_dir) / "setup"
    saved = sorted(p.name for p in setup.glob("configure_*"))
    if not saved:
        raise StepFailed(f"no configure_* in {site.config_dir}/setup on {second}")
    s.host(second, ["useconfig", f"{site.config_dir}/setup/{saved[-1]}"],
           [f"{site.server_root}/sbin/useconfig", f"{site.config_dir}/setup/{saved[-1]}"])


# --- steps 15-17: the Messaging Server resource ------------------------------------------


def create_mail_resource(s: Session) -> None:
    site = s.site
    s.cluster(site.nodes[1], "scrgadm", "-a", "-j", site.mail_resource, "-t", "SUNW.ims",
              "-g", site.group, "-x", f"IMS_serverroot={site.server_root}",
              "-y", f"Resource_dependencies={site.storage_resource},{site.logical_host}")


def enable_mail_resource(s: Session) -> None:
    s.cluster(s.site.nodes[1], "scswitch", "-e", "-j", s.site.mail_resource)


def watch_console(s: Session) -> None:
    """Step 1's "watch /dev/console": where each node's console is, and what syslog sends it
    (Solaris' default /etc/syslog.conf: every error, kern.notice and auth.notice)."""
    for node in s.site.nodes:
        s.console.note(f"{node}'s console is /dev/console on {node}: errors of every facility "
                       f"reach it (`*.err;kern.notice;auth.notice /dev/sysmsg` in "
                       f"/etc/syslog.conf)")


def begin(s: Session, package_dir: Path) -> None:
    """Steps 1-2: superuser, the console watched, the package on every node."""
    watch_console(s)
    install_package(s, package_dir)


def show_status(s: Session) -> None:
    """Step 17: `scstat -pw`, as the guide says (every node, group and resource), then the
    console and /var/adm/messages of each node, as the guide asks the administrator to read."""
    s.cluster(s.site.nodes[1], "scstat", "-pw")
    for node in s.site.nodes:
        s.host(node, ["tail", "-5", "/dev/console"], ["tail", "-n", "5", "/dev/console"])
        s.host(node, ["tail", "-5", "/var/adm/messages"],
               ["tail", "-n", "5", "/var/adm/messages"])


def steps(package_dir: Path) -> list[Step]:
    """Steps 1-17 of the generic procedure, from bare nodes to Messaging Server online."""
    return [
        Step("1-2", "as superuser, watching the console, install SUNWscims on every node",
             lambda s: begin(s, package_dir)),
        Step("3", "create the runtime user and group on every node (same IDs everywhere); "
             "the logical host and the shared file system in /etc/hosts and /etc/vfstab",
             create_accounts_and_tables),
        Step("4", "register the resource types", register_types),
        Step("5", "create the failover resource group", create_group),
        Step("6", "add the logical host name and bring the group online", add_logical_host),
        Step("7", "add the HAStoragePlus resource for the shared file system", add_storage),
        Step("8-9", "install Messaging Server on the first node and configure it with the "
             "logical host name, the configuration on the shared disk", install_and_configure),
        Step("10", "bind the services to the logical IP address (once, here)",
             bind_logical_ip),
        Step("11", "make imta.cnf name the logical host, not the physical one", fix_imta),
        Step("12", "fail the group over to the second node to test the storage",
             fail_over_to_second),
        Step("13", "install Messaging Server on the second node (binaries only)",
             install_on_second),
        Step("14", "run useconfig on the second node instead of configure",
             useconfig_on_second),
        Step("15", "create the Messaging Server resource", create_mail_resource),
        Step("16", "enable it (the group is online, so it comes online)",
             enable_mail_resource),
        Step("17", "check that the group and the resource are online", show_status),
    ]


def run_step(s: Session, step: Step) -> None:
    """`Step 12: ...` for the guide's numbered steps (U1... unconfigure), the number alone for
    an unnumbered one (`Check: ...`)."""
    numbered = step.number[:1].isdigit() or step.number[:1] == "U"
    s.console.heading(f"{'Step ' if numbered else ''}{step.number}: {step.title}")
    step.action(s)


def run_steps(s: Session, steps_: list[Step]) -> None:
    for step in steps_:
        run_step(s, step)


def run(s: Session, package_dir: Path) -> None:
    """Steps 1-17: from bare nodes to Messaging Server online under the cluster."""
    run_steps(s, steps(package_dir))


# --- unconfigure ---------------------------------------------------------------------------


def take_group_offline(s: Session) -> None:
    s.cluster(s.site.nodes[0], "scswitch", "-F", "-g", s.site.group)


def _resources(s: Session) -> tuple[str, str, str]:
    return (s.site.mail_resource, s.site.storage_resource, s.site.logical_host)


def disable_resources(s: Session) -> None:
    for resource in _resources(s):
        s.cluster(s.site.nodes[0], "scswitch", "-n", "-j", resource)


def remove_resources(s: Session) -> None:
    for resource in _resources(s):
        s.cluster(s.site.nodes[0], "scrgadm", "-r", "-j", resource)


def remove_group(s: Session) -> None:
    s.cluster(s.site.nodes[0], "scrgadm", "-r", "-g", s.site.group)


def remove_types(s: Session) -> None:
    s.cluster(s.site.nodes[0], "scrgadm", "-r", "-t", "SUNW.ims")
    s.cluster(s.site.nodes[0], "scrgadm", "-r", "-t", "SUNW.HAStoragePlus")


UNCONFIGURE_STEPS = [
    Step("U1", "take the resource group offline", take_group_offline),
    Step("U2", "disable every resource of the group", disable_resources),
    Step("U3", "remove the resources", remove_resources),
    Step("U4", "remove the resource group", remove_group),
    Step("U5", "unregister the resource types", remove_types),
]


def unconfigure(s: Session) -> None:
    """The guide's unconfigure procedure, for this example's own resources."""
    run_steps(s, UNCONFIGURE_STEPS)
