"""One host with Messaging Server and the scims-ocf package, but no cluster: where the agent
is run by hand or by ocf-tester, as an administrator would try it before clustering.

    with AgentHost.create(directory, deb) as node:
        node.run(["ocf-tester", "-n", "ms", "-o", "ims_serverroot=/opt/SUNWmsgsr", AGENT])

The host is a hostlab host on a segment of its own; Messaging Server (mssim) is configured
on its local disk with every service on the host's address (ha_ip_config).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

from hostlab import Host, Lab
from pacemakerbed.bed import (
    CONFIG_DIR,
    MAIL_HOST,
    MSSIM,
    RUNTIME_GROUP,
    RUNTIME_USER,
    SERVER_ROOT,
    SyslogCatcher,
    node_binds,
    passwd_with_runtime_user,
    prepare_node,
    unpack,
)

AGENT = "/usr/lib/ocf/resource.d/sunw/ims"
NAME = "mars"
SUBNET = "198.18.78.0/24"
ADDRESS = "198.18.78.11"


class AgentHost(contextlib.AbstractContextManager):
    def __init__(self, directory: Path, lab: Lab) -> None:
        self.directory = directory
        self.lab = lab
        self.syslog: SyslogCatcher | None = None
        self.pid_namespace = 0

    @classmethod
    def create(cls, directory: Path, deb: Path) -> AgentHost:
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o755)
        lab = Lab(directory / "lab", owner_pid=os.getpid())
        made = cls(directory, lab)
        try:
            lab.segment(SUBNET)
            package = unpack(deb, directory / "package")
            users, groups = passwd_with_runtime_user()
            node_dir = directory / "nodes" / NAME
            prepare_node(node_dir, users, groups, cluster=False)
            made.syslog = SyslogCatcher(directory / "nodes", (NAME,))
            made.syslog.start()
            host = lab.host(NAME, ADDRESS, binds=node_binds(node_dir, package, cluster=False))
            made.pid_namespace = os.stat(f"/proc/{host.pid}/ns/pid").st_ino
            made.run([*MSSIM, "install", "--base", SERVER_ROOT, "--config", CONFIG_DIR,
                      "--host", MAIL_HOST, "--ip", ADDRESS, "--user", RUNTIME_USER,
                      "--group", RUNTIME_GROUP])
            made.run([f"{SERVER_ROOT}/sbin/ha_ip_config"], input=f"{ADDRESS}\n\nno\n")
            return made
        except BaseException:
            made.destroy()
            raise

    def __exit__(self, *exc: object) -> None:
        self.destroy()

    @property
    def host(self) -> Host:
        return self.lab.hosts[NAME]

    def run(self, argv: list[str], *, check: bool = True, timeout: float = 300,
            input: str | None = None, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        done = self.host.run(argv, capture_output=True, text=True, timeout=timeout,
                             input=input, env=env)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {done.returncode}:\n"
                                 f"{done.stdout}{done.stderr}")
        return done

    def agent(self, action: str, **params: str) -> subprocess.CompletedProcess[str]:
        """Run the agent as pacemaker-execd would: the action, OCF_RESKEY_* parameters."""
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT": "/usr/lib/ocf",
               "OCF_RESOURCE_INSTANCE": "ms", "OCF_RESKEY_ims_serverroot": SERVER_ROOT}
        for name, value in params.items():
            env[name if name.startswith(("OCF_", "HA_")) else f"OCF_RESKEY_{name}"] = value
        return self.run([AGENT, action], check=False, env=env)

    def syslog_text(self) -> str:
        try:
            return (self.directory / "nodes" / NAME / "syslog").read_text()
        except FileNotFoundError:
            return ""

    def destroy(self) -> None:
        try:
            self.lab.destroy()
        finally:
            if self.syslog is not None:
                self.syslog.stop()
