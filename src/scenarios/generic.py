"""The guide's generic procedure (section 3.4.3, 17 steps) and its unconfigure procedure.

Corrected where the seed is wrong (see shared/seed/digest.md): the unconfigure procedure
disables this example's resources, not `budgie` of the asymmetric example; `-x` options
carry no blank before `=`.
"""

from __future__ import annotations

from pathlib import Path

from scenarios.session import Session, StepFailed, tool


def prepare_nodes(s: Session, package_dir: Path) -> None:
    """Steps 1-3, and the host and file system tables every node needs."""
    site = s.site
    s.console.heading("Steps 1-3: on every node, install SUNWscims and create the runtime "
                      "user and group (same IDs everywhere)")
    for node in site.nodes:
        s.host(node, ["pkgadd", "-d", str(package_dir), "SUNWscims"],
               [tool("clustersim"), "pkgadd", "-n", node, "-d", str(package_dir.resolve()),
                "--cluster", str(site.directory), "SUNWscims"])
        add_group(s, node)
        s.console.command(node, ["useradd", "-u", str(site.uid), "-g", site.group_name,
                                 "-d", "/", "-s", "/bin/false", site.user])
        with site.on(node, "/etc/passwd").open("a", encoding="utf-8") as f:
            f.write(f"{site.user}:x:{site.uid}:{site.gid}:Messaging Server:/:/bin/false\n")
        s.append(node, "/etc/hosts", f"{site.logical_ip}\t{site.logical_fqdn}\t"
                 f"{site.logical_host}")
        raw = site.disk_device.replace("/dsk/", "/rdsk/")
        s.append(node, "/etc/vfstab",
                 f"{site.disk_device}\t{raw}\t{site.config_dir}\tufs\t2\tno\tlogging")


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


def register_and_create_group(s: Session) -> None:
    site = s.site
    first = site.nodes[0]
    s.console.heading("Step 4: register the resource types")
    s.cluster(first, "scrgadm", "-a", "-t", "SUNW.ims")
    s.cluster(first, "scrgadm", "-a", "-t", "SUNW.HAStoragePlus")
    s.console.heading("Step 5: create the failover resource group")
    s.cluster(first, "scrgadm", "-a", "-g", site.group, "-h", ",".join(site.nodes))
    s.console.heading("Step 6: add the logical host name and bring the group online")
    s.cluster(first, "scrgadm", "-a", "-L", "-g", site.group, "-l", site.logical_host)
    if site.describe_logical_host:
        s.cluster(first, "scrgadm", "-c", "-j", site.logical_host, "-y",
                  f"R_description=LogicalHostname resource for {site.logical_host}")
    s.cluster(first, "scswitch", "-Z", "-g", site.group)
    s.console.heading("Step 7: add the HAStoragePlus resource for the shared file system")
    s.cluster(first, "scrgadm", "-a", "-j", site.storage_resource, "-g", site.group,
              "-t", "SUNW.HAStoragePlus", "-x", f"FilesystemMountPoints={site.config_dir}",
              "-x", "AffinityOn=True")
    s.cluster(first, "scswitch", "-e", "-j", site.storage_resource)


def install_messaging_server(s: Session) -> None:
    site = s.site
    first, second = site.nodes[0], site.nodes[1]
    s.console.heading("Steps 8-9: install Messaging Server on the first node and configure it "
                      "with the logical host name, the configuration on the shared disk")
    s.host(first, [f"{site.server_root}/sbin/configure"],
           [tool("mssim"), "install", "--base", str(site.on(first, site.server_root)),
            "--config", str(site.on(first, site.config_dir)), "--host", site.logical_fqdn,
            "--ip", site.node_ip(first), "--user", site.user, "--group", site.group_name,
            *site.ports.install_options()])
    s.console.heading("Step 10: bind the services to the logical IP address (once, here)")
    s.host(first, [f"{site.server_root}/sbin/ha_ip_config"],
           [str(site.on(first, site.server_root) / "sbin" / "ha_ip_config")],
           stdin=f"{site.logical_ip}\n\nno\n")
    s.console.heading("Step 11: make imta.cnf name the logical host, not the physical one")
    imta = site.on(first, site.server_root) / "config" / "imta.cnf"
    text = imta.read_text()
    count = text.count(first)
    s.console.command(first, ["sed", f"s/{first}/{site.logical_host}/g", "imta.cnf"])
    imta.write_text(text.replace(first, site.logical_host))
    s.console.note(f"{count} occurrence(s) of {first} replaced")
    s.console.heading(f"Step 12: fail the group over to {second} to test the storage")
    s.cluster(first, "scswitch", "-z", "-g", site.group, "-h", second)
    s.cluster(second, "scstat", "-g")
    s.console.heading(f"Step 13: install Messaging Server on {second} (binaries only)")
    s.host(second, ["pkgadd", "-d", ".", "SUNWmsgsr"],
           [tool("mssim"), "install", "--base", str(site.on(second, site.server_root)),
            "--ip", site.node_ip(second), *site.ports.install_options()])
    s.console.heading(f"Step 14: run useconfig on {second} instead of configure")
    setup = site.on(second, site.config_dir) / "setup"
    saved = sorted(p.name for p in setup.glob("configure_*"))
    if not saved:
        raise StepFailed(f"no configure_* in {site.config_dir}/setup on {second}")
    s.host(second, ["useconfig", f"{site.config_dir}/setup/{saved[-1]}"],
           [str(site.on(second, site.server_root) / "sbin" / "useconfig"),
            str(setup / saved[-1])])


def create_mail_resource(s: Session) -> None:
    site = s.site
    second = site.nodes[1]
    s.console.heading("Step 15: create the Messaging Server resource")
    s.cluster(second, "scrgadm", "-a", "-j", site.mail_resource, "-t", "SUNW.ims",
              "-g", site.group, "-x", f"IMS_serverroot={site.server_root}",
              "-y", f"Resource_dependencies={site.storage_resource},{site.logical_host}")
    s.console.heading("Step 16: enable it (the group is online, so it comes online)")
    s.cluster(second, "scswitch", "-e", "-j", site.mail_resource)
    s.console.heading("Step 17: check that the group and the resource are online")
    s.cluster(second, "scstat", "-g")


def run(s: Session, package_dir: Path) -> None:
    """Steps 1-17: from bare nodes to Messaging Server online under the cluster."""
    prepare_nodes(s, package_dir)
    register_and_create_group(s)
    install_messaging_server(s)
    create_mail_resource(s)


def unconfigure(s: Session) -> None:
    """The guide's unconfigure procedure, for this example's own resources."""
    site = s.site
    node = site.nodes[0]
    s.console.heading("Unconfigure: take the group offline, disable and remove everything")
    s.cluster(node, "scswitch", "-F", "-g", site.group)
    for resource in (site.mail_resource, site.storage_resource, site.logical_host):
        s.cluster(node, "scswitch", "-n", "-j", resource)
    for resource in (site.mail_resource, site.storage_resource, site.logical_host):
        s.cluster(node, "scrgadm", "-r", "-j", resource)
    s.cluster(node, "scrgadm", "-r", "-g", site.group)
    s.cluster(node, "scrgadm", "-r", "-t", "SUNW.ims")
    s.cluster(node, "scrgadm", "-r", "-t", "SUNW.HAStoragePlus")
