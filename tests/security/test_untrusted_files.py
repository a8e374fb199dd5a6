"""What root reads that others can write: never blocks, regular files only, bounded, never
through a link out of the installation, nothing unparsed quoted into syslog.

Attacks 7, 8 and 10 of issue #11, and a further hole of the same kind (a .cnf file linked
out of the installation). Reads that hung on the old code run in a child process with a
deadline, so that the proof on the old code ends too."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from security_support import RUNTIME_UID

CHILD_DEADLINE = 20.0
"""Seconds a child doing one read may take before the test calls it blocked."""

ON_NODE = """
import sys
from pathlib import Path

import pytest
from helpers_scims import on_node

on_node(pytest.MonkeyPatch(), Path(sys.argv[1]))
"""
"""The child's prelude: the agent's paths pointed at the node directory named by argv[1]
(helpers_scims.on_node, as in the parent's own tests)."""

LOGGING = ON_NODE + """
from scims.log.syslog import AgentLog

class Keep:
    def deliver(self, record):
        print("LOG", record.line())

log = AgentLog("SUNW.ims", "MAIL-RG", "mail-rs", sys.argv[2], transport=Keep(),
               facility="daemon")
"""
"""Then a method's log (the method named by argv[2]) whose lines the child prints."""

INSPECT = LOGGING + """
from scims.messaging import installation
from scims.errors import AgentError

try:
    installation.inspect(sys.argv[1] + "/opt/SUNWmsgsr", log)
    print("ACCEPTED")
except AgentError as exc:
    print("REFUSED", str(exc))
"""


def limit_memory() -> None:
    """A child may not take the machine's memory (the old code read /dev/zero to the end)."""
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def child_env() -> dict[str, str]:
    """This environment, with the unit tests' helpers importable."""
    helpers = str(Path(__file__).resolve().parent.parent / "scims")
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": f"{helpers}:{path}" if path else helpers}


def in_child(script: str, node: Path, method: str) -> str:
    """Run `script` in a child for `node` as `method`: its output (stdout, then stderr), or
    "BLOCKED" when it did not finish within the deadline."""
    try:
        done = subprocess.run([sys.executable, "-c", script, str(node), method],
                              env=child_env(), capture_output=True, text=True,
                              timeout=CHILD_DEADLINE, preexec_fn=limit_memory, check=False)
    except subprocess.TimeoutExpired:
        return "BLOCKED"
    return done.stdout + done.stderr


def inspect_in_child(node: Path) -> str:
    """installation.inspect as Validate, Start and the monitor run it; its output, or
    "BLOCKED" when it did not finish within the deadline."""
    return in_child(INSPECT, node, "ims_svc_stop")


def msg_conf(node: Path) -> Path:
    return node / "var" / "opt" / "SUNWmsgsr" / "config" / "msg.conf"


def test_a_fifo_for_msg_conf_is_refused_at_once(node: Path) -> None:
    """Attack 7: msg.conf replaced by a FIFO: Stop blocked until the RGM's timeout."""
    path = msg_conf(node)
    path.unlink()
    os.mkfifo(path)
    os.chown(path, RUNTIME_UID, -1)
    out = inspect_in_child(node)
    assert out != "BLOCKED", "reading msg.conf blocked on a FIFO"
    assert "REFUSED Failed to get the configuration info" in out, out
    assert "not a regular file" in out, out
    assert "Traceback" not in out, out


def test_msg_conf_linked_to_dev_zero_is_refused(node: Path) -> None:
    """Attack 7: msg.conf -> /dev/zero: a MemoryError (and a traceback)."""
    path = msg_conf(node)
    path.unlink()
    path.symlink_to("/dev/zero")
    out = inspect_in_child(node)
    assert out != "BLOCKED"
    assert "REFUSED" in out and "Traceback" not in out and "MemoryError" not in out, out


def test_a_huge_msg_conf_is_refused_without_reading_it_all(node: Path) -> None:
    """The same attack with a regular file: 64 MiB of one line, far beyond any msg.conf."""
    path = msg_conf(node)
    with path.open("wb") as f:
        f.truncate(64 * 1024 * 1024)
    out = inspect_in_child(node)
    assert "REFUSED" in out and "is larger than" in out, out


def test_a_root_only_file_behind_msg_conf_never_reaches_the_log(node: Path) -> None:
    """Attack 8: msg.conf linked to a root-only file: its first line (a password hash)
    appeared in syslog and in Status_msg, over and over."""
    secret = node / "etc" / "shadow"
    secret.write_text("root:$6$Secret.Hash$abcdef:19000:0:99999:7:::\n")
    secret.chmod(0o600)
    path = msg_conf(node)
    path.unlink()
    path.symlink_to(secret)
    out = inspect_in_child(node)
    assert "REFUSED" in out, out
    assert "Secret.Hash" not in out, out


def test_an_unparsed_line_of_msg_conf_is_not_quoted(node: Path) -> None:
    """Attack 8, inside the installation: a line that does not parse is named by its number,
    never quoted (the runtime user could copy any file it reads into msg.conf, and a root
    editor's swap file could hold anything)."""
    path = msg_conf(node)
    path.write_text("local.serveruid = mailsrv\nroot:$6$Secret.Hash$abcdef:19000:0:::\n")
    out = inspect_in_child(node)
    assert "REFUSED" in out and "line 2" in out, out
    assert "Secret.Hash" not in out, out


def test_a_cnf_file_linked_out_of_the_installation_is_not_followed(node: Path) -> None:
    """Beyond the list: dispatcher.cnf (read when the MTA is on) linked by the runtime user
    to a file outside the installation was read and parsed as root."""
    config = msg_conf(node).parent
    msg_conf(node).write_text("local.serveruid = mailsrv\nlocal.servergid = mail\n"
                              "local.imta.enable = yes\nlocal.store.enable = no\n")
    elsewhere = node / "root-only.cnf"
    elsewhere.write_text("[SERVICE=SMTP]\nPORT=25\n")
    elsewhere.chmod(0o600)
    (config / "dispatcher.cnf").symlink_to(elsewhere)
    (config / "job_controller.cnf").write_text("PORT=27442\n")
    (config / "imta.cnf").write_text("! imta\n")
    out = inspect_in_child(node)
    assert "REFUSED" in out and "dispatcher.cnf" in out, out
    assert "outside the installation" in out, out


LOGLEVEL = LOGGING + """
print("LEVEL", log.debug_level())
"""


def test_a_fifo_for_the_loglevel_file_does_not_block_the_method(node: Path) -> None:
    """Attack 10: the loglevel file replaced by a FIFO: ims_probe blocked forever in its
    first debug line (every method's first debug line blocks the same way)."""
    loglevel = node / "var" / "cluster" / "rgm" / "rt" / "SUNW.ims" / "loglevel"
    os.mkfifo(loglevel)
    out = in_child(LOGLEVEL, node, "ims_probe")
    assert out != "BLOCKED", "the first debug line blocked on a FIFO loglevel file"
    assert "LEVEL 0" in out, out
    assert "not a regular file" in out, out
