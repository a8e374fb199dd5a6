"""Validate as the administrator meets it: `scrgadm -a -j ... -x ...` refused, the reason in
the node's var/adm/messages; warnings logged without refusing the change.

Every test leaves the installation and the node files as it found them."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from imsguide import faults, proof
from imsguide.session import tool
from imsguide.testbed import Cluster

pytestmark = pytest.mark.e2e

BAD = "bad-rs"
ROOT = "/opt/SUNWmsgsr"


@pytest.fixture(scope="module")
def node(cluster: Cluster) -> str:
    """The node where the group (and so the shared configuration) is online."""
    found, _ = faults.wait_healthy(cluster.site, 60)
    return found


def validate_lines(cluster: Cluster, node: str, where: int) -> list[str]:
    tag = f"SC[SUNW.ims,{cluster.site.group},{BAD},ims_svc_validate]: "
    return [line.split(tag, 1)[1] for line in faults.since(cluster.site, node, where)
            if tag in line]


def refused(cluster: Cluster, node: str, server_root: str = ROOT,
            dependencies: str = "disk-rs,meadow") -> list[str]:
    """Create BAD with these properties; assert it is refused; the Validate lines of `node`."""
    site = cluster.site
    where = faults.mark(site, node)
    done = cluster.cmd(node, "scrgadm", "-a", "-j", BAD, "-t", "SUNW.ims", "-g", site.group,
                       "-x", f"IMS_serverroot={server_root}",
                       "-y", f"Resource_dependencies={dependencies}", expect=None)
    assert done.returncode != 0, f"scrgadm accepted IMS_serverroot={server_root}"
    assert "VALIDATE method failed" in done.stderr, done.stderr
    assert not proof.ask(site, node, "scha_resource_get", "-O", "Type", "-R", BAD), \
        f"{BAD} exists although Validate refused it"
    return validate_lines(cluster, node, where)


def errors_of(lines: list[str]) -> list[str]:
    return [line for line in lines if "daemon.error]" in line]


def assert_refused_with(cluster: Cluster, node: str, expected: str, **kwargs: str) -> None:
    """Refused with exactly one error line, and that line says why."""
    lines = refused(cluster, node, **kwargs)
    errors = errors_of(lines)
    assert len(errors) == 1 and errors[0].endswith(f"daemon.error] {expected}"), \
        f"expected one line {expected!r}; Validate logged:\n" + "\n".join(lines)


def test_serverroot_not_given_is_refused_by_the_cluster(cluster: Cluster, node: str) -> None:
    site = cluster.site
    done = cluster.cmd(node, "scrgadm", "-a", "-j", BAD, "-t", "SUNW.ims", "-g", site.group,
                       "-y", "Resource_dependencies=disk-rs,meadow", expect=None)
    assert done.returncode != 0
    assert "IMS_serverroot" in done.stderr


@pytest.mark.parametrize(("value", "expected"), [
    ("/opt/SUNWnothere",
     "IMS_serverroot /opt/SUNWnothere is not a directory on this node: No such file or "
     "directory."),
    ("opt/SUNWmsgsr", "IMS_serverroot opt/SUNWmsgsr is not an absolute path."),
    ("/etc/passwd", "IMS_serverroot /etc/passwd is not a directory on this node: not a "
     "directory."),
    ("/opt/SUNWmsgsr;rm -rf /", "IMS_serverroot /opt/SUNWmsgsr;rm -rf / is refused: it "
     "contains ' ' ';'."),
    ("/opt/$(reboot)", "IMS_serverroot /opt/$(reboot) is refused: it contains '$' '(' ')'."),
    ("/opt/`id`", "IMS_serverroot /opt/`id` is refused: it contains '`'."),
    ("/opt/SUNWmsgsr/../../etc", "IMS_serverroot /opt/SUNWmsgsr/../../etc is refused: it has "
     "an empty, '.' or '..' component."),
    ("/opt/-SUNWmsgsr", "IMS_serverroot /opt/-SUNWmsgsr is refused: a component starts with "
     "'-'."),
])
def test_bad_serverroot_is_refused(cluster: Cluster, node: str, value: str,
                                   expected: str) -> None:
    assert_refused_with(cluster, node, expected, server_root=value)


@contextmanager
def changed(path: Path, *, mode: int | None = None, text: str | None = None,
            move: bool = False) -> Iterator[None]:
    """Change a node file for the length of a test, then put it back as it was."""
    info = path.stat()
    original = path.read_bytes()
    try:
        if move:
            path.rename(path.with_name(path.name + ".moved"))
        if mode is not None:
            path.chmod(mode)
        if text is not None:
            path.write_text(text)
        yield
    finally:
        if move:
            path.with_name(path.name + ".moved").rename(path)
        path.write_bytes(original)
        path.chmod(stat.S_IMODE(info.st_mode))


UNUSABLE = "Messaging Server command {path} "
UNTRUSTED = "Refusing to run {path} as root: the file "


@pytest.mark.parametrize(("command", "change", "expected"), [
    ("start-msg", {"move": True}, UNUSABLE + "does not exist."),
    ("stop-msg", {"move": True}, UNUSABLE + "does not exist."),
    ("start-msg", {"mode": 0o644}, UNUSABLE + "is not executable."),
    ("stop-msg", {"mode": 0o600}, UNUSABLE + "is not executable."),
    ("start-msg", {"mode": 0o757},
     UNTRUSTED + "(owner user ID 0, mode 0757) is writable by users other than root."),
    ("stop-msg", {"mode": 0o775},
     UNTRUSTED + "(owner user ID 0, mode 0775) is writable by users other than root."),
])
def test_unsafe_commands_are_refused(cluster: Cluster, node: str, command: str,
                                     change: dict[str, object], expected: str) -> None:
    path = cluster.site.on(node, f"{ROOT}/sbin/{command}")
    with changed(path, **change):  # type: ignore[arg-type]
        assert_refused_with(cluster, node, expected.format(path=f"{ROOT}/sbin/{command}"))


def test_unreadable_configuration_is_refused(cluster: Cluster, node: str) -> None:
    msg_conf = cluster.site.on(node, f"{cluster.site.config_dir}/config/msg.conf")
    with changed(msg_conf, move=True):
        lines = refused(cluster, node)
    errors = errors_of(lines)
    assert len(errors) == 1, "\n".join(lines)
    assert errors[0].startswith("[ID 855581 daemon.error] Failed to get the configuration "
                                "info: "), "\n".join(lines)


def _without(path: Path, name: str) -> str:
    return "".join(line for line in path.read_text().splitlines(keepends=True)
                   if not line.startswith(name + ":"))


def test_runtime_user_missing_is_refused(cluster: Cluster, node: str) -> None:
    passwd = cluster.site.on(node, "/etc/passwd")
    with changed(passwd, text=_without(passwd, "mailsrv")):
        assert_refused_with(cluster, node, "Username mailsrv does not exist.")


def test_runtime_group_missing_is_refused(cluster: Cluster, node: str) -> None:
    group = cluster.site.on(node, "/etc/group")
    with changed(group, text=_without(group, "mail")):
        assert_refused_with(cluster, node, "Groupname mail does not exist.")


def test_runtime_user_root_is_refused(cluster: Cluster, node: str) -> None:
    passwd = cluster.site.on(node, "/etc/passwd")
    text = re.sub(r"^mailsrv:x:\d+:", "mailsrv:x:0:", passwd.read_text(), flags=re.M)
    with changed(passwd, text=text):
        assert_refused_with(cluster, node, "Username mailsrv is the superuser; Messaging "
                            "Server must run as an ordinary user.")


def test_configuration_not_on_managed_storage_is_refused(cluster: Cluster, node: str) -> None:
    assert_refused_with(cluster, node, "The configuration directory /var/opt/SUNWmsgsr is not "
                        "on a file system of a SUNW.HAStoragePlus or SUNW.HAStorage resource "
                        "in Resource_dependencies.", dependencies="meadow")


def test_second_resource_on_the_same_installation_is_refused(cluster: Cluster,
                                                             node: str) -> None:
    assert_refused_with(cluster, node, f"Resource {cluster.site.mail_resource} already uses "
                        f"the Messaging Server installation {ROOT}.")


def test_second_installation_on_the_same_configuration_is_refused(cluster: Cluster,
                                                                  node: str) -> None:
    site = cluster.site
    second = "/opt/SUNWmsgsr2"
    base = site.on(node, second)
    setup = site.on(node, site.config_dir) / "setup"
    saved = sorted(p.name for p in setup.glob("configure_*"))[-1]
    files = {name: site.on(node, name).read_bytes() for name in ("/etc/passwd", "/etc/group")}
    try:
        subprocess.run([tool("mssim"), "install", "--base", str(base),
                        "--ip", site.node_ip(node), *site.ports.install_options()],
                       capture_output=True, text=True, timeout=120, check=True)
        subprocess.run([str(base / "sbin" / "useconfig"), str(setup / saved)],
                       capture_output=True, text=True, timeout=120, check=True)
        assert_refused_with(cluster, node, f"Resource {site.mail_resource} already uses the "
                            "Messaging Server configuration directory /var/opt/SUNWmsgsr.",
                            server_root=second)
    finally:
        shutil.rmtree(base, ignore_errors=True)
        for name, content in files.items():
            site.on(node, name).write_bytes(content)


def test_ha_warnings_are_logged_without_refusing(cluster: Cluster, node: str) -> None:
    """ha_ip_config not run, imta.cnf naming a node, local.autorestart and
    local.watcher.enable off: the change goes through, each problem is a warning."""
    site = cluster.site
    config = site.on(node, site.config_dir) / "config"
    msg_conf, imta = config / "msg.conf", config / "imta.cnf"
    conf = msg_conf.read_text()
    conf = re.sub(r"^service\.listenaddr\s*=.*$", "", conf, flags=re.M)
    conf = re.sub(r"^local\.(autorestart|watcher\.enable)\s*=.*$", "", conf, flags=re.M)
    conf += "local.autorestart = 0\nlocal.watcher.enable = 0\n"
    # The monitor is switched off so that the changed files are not probed meanwhile.
    cluster.cmd(node, "scswitch", "-n", "-M", "-j", site.mail_resource)
    try:
        with changed(msg_conf, text=conf), \
                changed(imta, text=f"{node}.{site.domain} $U%$D\n" + imta.read_text()):
            where = faults.mark(site, node)
            cluster.set_props("-y", "Retry_interval=900")
            tag = f"SC[SUNW.ims,{site.group},{site.mail_resource},ims_svc_validate]: "
            lines = [line.split(tag, 1)[1] for line in faults.since(site, node, where)
                     if tag in line]
    finally:
        cluster.cmd(node, "scswitch", "-e", "-M", "-j", site.mail_resource)
    text = "\n".join(lines)
    assert not any("daemon.error" in line for line in lines), text
    assert re.search(r"daemon\.warning\] Messaging Server service imap listens on all "
                     r"interfaces, port \d+, not on a logical host address", text), text
    assert re.search(rf"daemon\.warning\] imta\.cnf line \d+ names the physical host "
                     rf"{node}", text), text
    assert "daemon.warning] configutil parameter local.autorestart is off." in text
    assert "daemon.warning] configutil parameter local.watcher.enable is off." in text
    lines = proof.ask(site, node, "scha_resource_get", "-O", "Retry_interval",
                      "-R", site.mail_resource, "-G", site.group)
    assert lines == ["900"], "the change was not accepted"
    faults.wait_healthy(site, 60)


def mail_rs_lines(cluster: Cluster, node: str, where: int) -> list[str]:
    tag = f"SC[SUNW.ims,{cluster.site.group},{cluster.site.mail_resource},ims_svc_validate]: "
    return [line.split(tag, 1)[1] for line in faults.since(cluster.site, node, where)
            if tag in line]


def stored(cluster: Cluster, node: str, name: str) -> int:
    site = cluster.site
    lines = proof.ask(site, node, "scha_resource_get", "-O", name, "-R", site.mail_resource,
                      "-G", site.group)
    assert len(lines) == 1, f"{name}: {lines}"
    return int(lines[0])


def test_retry_interval_too_short_for_the_restarts_is_refused(cluster: Cluster,
                                                               node: str) -> None:
    """Retry_interval >= Thorough_probe_interval x Retry_count, judged on the new values
    (here Thorough_probe_interval and Retry_count) with the stored Retry_interval."""
    site = cluster.site
    interval = stored(cluster, node, "Retry_interval")
    probe_interval = interval // 2 + 1
    where = faults.mark(site, node)
    done = cluster.cmd(node, "scrgadm", "-c", "-j", site.mail_resource,
                       "-y", f"Thorough_probe_interval={probe_interval}", "-y", "Retry_count=2",
                       expect=None)
    assert done.returncode != 0, "scrgadm accepted a Retry_interval too short for the restarts"
    assert "VALIDATE method failed" in done.stderr, done.stderr
    lines = mail_rs_lines(cluster, node, where)
    assert errors_of(lines) == [
        f"[ID 656082 daemon.error] Retry_interval {interval} is shorter than "
        f"Thorough_probe_interval {probe_interval} x Retry_count 2."], "\n".join(lines)
    assert stored(cluster, node, "Thorough_probe_interval") != probe_interval


def test_validate_where_the_storage_is_online_elsewhere_says_it_skips_the_file_checks(
        cluster: Cluster, node: str) -> None:
    """The RGM runs Validate on every potential primary; on the one that does not hold the
    shared configuration, the files cannot be checked, and Validate says so (info)."""
    site = cluster.site
    other = cluster.other(node)
    interval = stored(cluster, node, "Retry_interval")
    where = faults.mark(site, other)
    cluster.set_props("-y", f"Retry_interval={interval}")  # a change that changes nothing
    lines = [line for line in mail_rs_lines(cluster, other, where)
             if "daemon.debug]" not in line]
    assert lines == ["[ID 823817 daemon.info] The storage this resource depends on is online "
                     "on another node; skipping the checks of the Messaging Server "
                     "installation on this node."], "\n".join(lines)
