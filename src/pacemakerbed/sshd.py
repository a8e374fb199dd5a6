"""A real sshd in each host of the bed, so that imsreport reaches every node as crm_report
does: by ssh from one node.

    with NodeSshd(bed) as ssh:       # ssh.config: an ssh_config naming n1 n2 n3
        bed.run("n1", ["imsreport", "--ssh-config", str(ssh.config), "--node", "n2", ...])

Everything lives in <bed>/ssh: a host key and a client key made with ssh-keygen for this bed
only, the sshd_config (port 2222 on the node's own address, root by key only, no PAM), the
authorized_keys and known_hosts files, and the ssh_config that points at them, so nothing
of the machine's own ~/.ssh is read or written. Each sshd runs in its host (`sshd -D -e`,
its privilege separation directory in the node's own /run) and is stopped by its pid.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from hostlab.lab import HostProcess
from pacemakerbed.bed import ADDRESSES, NODES, PacemakerBed

PORT = 2222
START_TIMEOUT = 20.0


def sshd_config(directory: Path, address: str) -> str:
    return (f"Port {PORT}\nListenAddress {address}\nHostKey {directory / 'host_key'}\n"
            f"AuthorizedKeysFile {directory / 'authorized_keys'}\nPermitRootLogin "
            "prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "UsePAM no\nStrictModes no\nPidFile none\nSubsystem sftp internal-sftp\n"
            "LogLevel ERROR\n")


def ssh_config(directory: Path) -> str:
    """One Host entry per node: its address, the port, this bed's key and known hosts."""
    return "".join(
        f"Host {node}\n  HostName {ADDRESSES[node]}\n  Port {PORT}\n  User root\n"
        f"  IdentityFile {directory / 'client_key'}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {directory / 'known_hosts'}\n  StrictHostKeyChecking yes\n"
        "  BatchMode yes\n  ConnectTimeout 5\n" for node in NODES)


class NodeSshd(contextlib.AbstractContextManager):
    def __init__(self, bed: PacemakerBed, nodes: tuple[str, ...] | None = None) -> None:
        self.bed = bed
        self.nodes = nodes if nodes is not None else tuple(
            n for n in NODES if bed.host(n).is_powered)
        """the nodes with an sshd: those powered on (a node off answers no one)"""
        self.directory = bed.directory / "ssh"
        self.config = self.directory / "ssh_config"
        self.daemons: dict[str, HostProcess] = {}

    def __enter__(self) -> NodeSshd:
        d = self.directory
        d.mkdir(mode=0o700, exist_ok=True)
        for key in ("host_key", "client_key"):
            if not (d / key).exists():
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                                f"pacemakerbed {key}", "-f", str(d / key)], check=True,
                               capture_output=True, timeout=60)
        (d / "authorized_keys").write_text((d / "client_key.pub").read_text())
        host_key = (d / "host_key.pub").read_text().split()[:2]
        (d / "known_hosts").write_text("".join(f"[{ADDRESSES[n]}]:{PORT} {' '.join(host_key)}\n"
                                               for n in NODES))
        self.config.write_text(ssh_config(d))
        try:
            for node in self.nodes:
                self._start(node)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, node: str) -> None:
        conf = self.directory / f"sshd_config.{node}"
        conf.write_text(sshd_config(self.directory, ADDRESSES[node]))
        (self.bed.node_dir(node) / "run" / "sshd").mkdir(mode=0o755, exist_ok=True)
        with open(self.directory / f"sshd.{node}.err", "ab") as err:
            self.daemons[node] = self.bed.host(node).popen(
                ["/usr/sbin/sshd", "-D", "-e", "-f", str(conf)], stdin=subprocess.DEVNULL,
                stdout=err, stderr=err)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._listening(node):
            if self.daemons[node].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sshd on {node} did not start: "
                                   f"{(self.directory / f'sshd.{node}.err').read_text()}")
            time.sleep(0.1)

    def _listening(self, node: str) -> bool:
        def probe() -> bool:
            with socket.socket() as sock:
                sock.settimeout(1)
                return sock.connect_ex((ADDRESSES[node], PORT)) == 0
        return bool(self.bed.host(node).call(probe))

    def stop(self) -> None:
        for daemon in self.daemons.values():
            daemon.terminate()
        for daemon in self.daemons.values():
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait(timeout=10)
        self.daemons.clear()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
