"""Running commands on the stand-in nodes the way an administrator types them.

A command shown as `mars# scrgadm -a -t SUNW.ims` runs `<mars root>/usr/cluster/bin/scrgadm`
on the host mars (each node is a real Linux host: the command runs in its namespaces, as
rsh from the admin console would run it); stand-in actions that have no cluster command
(installing a package, adding a user, the Messaging Server installer) are shown as the
command an administrator would type on Solaris and carried out by the stand-in's own tool,
on the node too. Every command has a time limit, and a failure stops the procedure with
what the command said.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import hostlab
from imsguide.console import Console
from imsguide.site import Site

COMMAND_TIMEOUT = 600
LOGLEVEL = "/var/cluster/rgm/rt/SUNW.ims/loglevel"
SYSLOG_CONF = "/etc/syslog.conf"
CLUSTERLOG = "/var/adm/clusterlog"
CLUSTERLOG_RULE = f"daemon.debug\t{CLUSTERLOG}"
"""The line section 3.4.3.1 adds to syslog.conf, with the TAB Solaris' syslogd needs."""


class StepFailed(Exception):
    """A step of a procedure did not do what the guide says it does."""


def tool(name: str) -> str:
    """A console script of this project (clustersim, mssim) beside the running interpreter."""
    return str(Path(sys.executable).with_name(name))


def on_host(site: Site, name: str, argv: Sequence[str]) -> list[str]:
    """The argv that runs `argv` on the cluster's host `name` (a node, or `client`)."""
    try:
        return hostlab.Lab.open(site.directory).hosts[name].command(list(argv))
    except (hostlab.HostlabError, KeyError) as exc:
        raise StepFailed(f"{name}: no such host in the cluster ({exc})") from exc


class Session:
    def __init__(self, site: Site, console: Console) -> None:
        self.site = site
        self.console = console

    def _run(self, what: str, argv: Sequence[str], stdin: str | None, timeout: float,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        try:
            with self.console.ticking(what):
                return subprocess.run(list(argv), input=stdin, capture_output=True, text=True,
                                      timeout=timeout, env=env, check=False)
        except subprocess.TimeoutExpired as exc:
            raise StepFailed(f"{what} did not finish within {timeout:g} s") from exc

    @staticmethod
    def _env() -> dict[str, str]:
        return dict(os.environ)

    def cluster(self, node: str, command: str, *args: str, expect: int | None = 0,
                timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """A Sun Cluster command typed on `node`."""
        return self._typed(node, [command, *args], f"{node}# {command}",
                           [str(self.site.bin(node, command)), *args], None, expect, timeout,
                           f"{node}# {command} {' '.join(args)}")

    def host(self, node: str, shown: Sequence[str], real: Sequence[str], *,
             stdin: str | None = None, expect: int | None = 0,
             timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """A command that is not a cluster command: `shown` is what the administrator types,
        `real` what the stand-in runs for it."""
        return self._typed(node, shown, f"{node}# {Path(shown[0]).name}", real, stdin, expect,
                           timeout, " ".join(shown))

    def _typed(self, node: str, shown: Sequence[str], label: str, real: Sequence[str],  # noqa: PLR0917
               stdin: str | None, expect: int | None, timeout: float,
               what: str) -> subprocess.CompletedProcess[str]:
        """`shown` typed at the console of `node`, `real` run there for it, its output shown;
        StepFailed (naming it as `what`) if its exit status is not `expect`."""
        self.console.command(node, list(shown), stdin)
        done = self._run(label, on_host(self.site, node, list(real)), stdin, timeout,
                         self._env())
        self.console.output(done.stdout + done.stderr)
        if expect is not None and done.returncode != expect:
            raise StepFailed(f"{what} exited {done.returncode}: "
                             f"{(done.stderr or done.stdout).strip()}")
        return done

    def debug_log(self, node: str) -> None:
        """The guide's section 3.4.3.1 on one node, as a Solaris administrator types it: add
        `daemon.debug<TAB>/var/adm/clusterlog` to /etc/syslog.conf (Solaris' syslogd wants a
        TAB there, and opens only files that exist, hence the touch), then `pkill -HUP
        syslogd`. From then on every daemon message, debug included, is in clusterlog."""
        conf = self.site.on(node, SYSLOG_CONF)
        if CLUSTERLOG_RULE in conf.read_text(errors="replace").splitlines():
            return
        self.console.command(node, ["echo", CLUSTERLOG_RULE.replace("\t", "\\t"), ">>",
                                    SYSLOG_CONF])
        with conf.open("a", encoding="utf-8") as f:
            f.write(CLUSTERLOG_RULE + "\n")
        self.console.command(node, ["touch", CLUSTERLOG])
        self.site.on(node, CLUSTERLOG).touch()
        self.host(node, ["pkill", "-HUP", "syslogd"], ["pkill", "-HUP", "syslogd"])

    def append(self, node: str, path: str, line: str) -> None:
        """Add a line to a node's file, as `echo ... >> path`."""
        self.console.command(node, ["echo", line, ">>", path])
        target = self.site.on(node, path)
        with target.open("a", encoding="utf-8") as f:
            f.write(line + "\n")

    def append_client_hosts(self, line: str) -> None:
        """The mail users' side learns the logical host's name (their DNS, here the client
        host's /etc/hosts)."""
        self.console.command("client", ["echo", line, ">>", "/etc/hosts"])
        with (self.site.directory / "client" / "etc" / "hosts").open("a",
                                                                    encoding="utf-8") as f:
            f.write(line + "\n")

    def loglevel(self, node: str, level: int) -> None:
        """The guide's section 3.4.3.1: `mkdir -p` the resource type's directory, then
        `echo LEVEL > .../loglevel` (9: every debug message, 0: none)."""
        target = self.site.on(node, LOGLEVEL)
        if level > 0 or not target.parent.is_dir():
            self.console.command(node, ["mkdir", "-p", str(Path(LOGLEVEL).parent)])
            target.parent.mkdir(parents=True, exist_ok=True)
        self.console.command(node, ["echo", str(level), ">", LOGLEVEL])
        target.write_text(f"{level}\n")
