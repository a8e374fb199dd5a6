"""Helpers of the attack tests (tests/security): an installation as an attacker finds it on a
node, a local user to run processes as, a pmfadm that can hang."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import helpers_scims
import pytest
from helpers_scims import on_node

RUNTIME_UID = 20001
"""mailsrv, as the guide's example creates it."""
OTHER_UID = 20002
"""Another local account: a user the runtime user would like to hurt."""
GID = 6000


def make_installation(root: Path, *, server_user: str = "mailsrv") -> Path:
    """A Messaging Server installation on node directory `root`, as root installs it
    (helpers_scims.make_installation), with a `lib` for programs and a second local account
    (victim) the runtime user would like to hurt; C and msg.conf the runtime user's."""
    base = helpers_scims.make_installation(root, user=server_user, uid=RUNTIME_UID)
    config = root / "var" / "opt" / "SUNWmsgsr" / "config"
    (base / "lib").mkdir()
    (root / "etc" / "passwd").write_text(
        f"root:x:0:0::/:/bin/sh\ndaemon:x:1:1::/:\nmailsrv:x:{RUNTIME_UID}:{GID}::/:\n"
        f"victim:x:{OTHER_UID}:{GID}::/:\n")
    os.chown(config.parent, RUNTIME_UID, GID)
    os.chown(config, RUNTIME_UID, GID)
    os.chown(config / "msg.conf", RUNTIME_UID, GID)
    return base


SYSTEM_PYTHON = "/usr/bin/python3"
"""An interpreter other users can run (the test's own may live under /root)."""


@pytest.fixture
def node(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A node directory with an installation, in a directory other users can reach (the
    runtime user's processes must), the agent's paths pointed at it (helpers_scims.on_node);
    the tests run as root, as the methods do."""
    if os.geteuid() != 0:
        pytest.fail("the attack tests run as root, as the agent's methods do")
    top = Path(tempfile.mkdtemp(prefix="trust-", dir="/tmp"))
    os.chmod(top, 0o755)
    try:
        yield _node_root(top, monkeypatch)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _node_root(top: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = top / "mars"
    for sub in ("usr/cluster/bin", "var/cluster/rgm/rt/SUNW.ims", "dev"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc" / "nodename").write_text("mars\n")
    on_node(monkeypatch, root)
    make_installation(root)
    return root


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def as_user(uid: int):
    """preexec_fn: the child becomes `uid` (a local user other than root)."""
    def become() -> None:
        os.setgroups([])
        os.setgid(GID)
        os.setuid(uid)
    return become


_PMFADM = """#!{python} -IS
import os, sys, time
here = os.path.dirname(os.path.abspath(sys.argv[0]))
state = os.path.join(here, "pmfadm.stopped")
with open(os.path.join(here, "pmfadm.calls"), "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\\n")
hang = os.path.join(here, "pmfadm.hang")
if os.path.exists(hang) and sys.argv[1] in open(hang).read().split():
    time.sleep(3600)
if sys.argv[1] == "-q":
    sys.exit(1 if os.path.exists(state) else 0)
if sys.argv[1] == "-s" and "KILL" in sys.argv:
    open(state, "w").close()
sys.exit(0)
"""


def fake_pmfadm(root: Path, *, hang: str = "") -> Path:
    """pmfadm of a node where the svc tag runs until `pmfadm -s tag KILL`; the options in
    `hang` (say "-q") never answer."""
    bin_dir = root / "usr" / "cluster" / "bin"
    path = bin_dir / "pmfadm"
    path.write_text(_PMFADM.format(python=sys.executable))
    path.chmod(0o755)
    (bin_dir / "pmfadm.hang").write_text(hang)
    return bin_dir / "pmfadm.calls"


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen]]:
    """Programs a test starts (an attacker's, root's editor): killed and reaped at its end."""
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def stop_on_node(node: Path) -> tuple[int, helpers_scims.RecordingTransport,
                                      helpers_scims.FakeCommand]:
    """Run Stop of the node's installation as the RGM would (Stop_timeout 60), with the
    fake pmfadm (its svc tag running) and an in-process hatimerun: (exit status, the
    method's log, the hatimerun fake whose calls say what root ran)."""
    from scims import service_control

    fake_pmfadm(node)
    hatimerun = helpers_scims.FakeCommand(node, "hatimerun").answer(None)
    ctx, recorder = helpers_scims.method_context(
        "ims_svc_stop", {"stop_timeout": 60, "IMS_serverroot": helpers_scims.server_root(node)})
    return service_control.stop(ctx), recorder, hatimerun
