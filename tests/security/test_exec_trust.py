"""What root executes: every component of the path from /, checked each time.

Attacks 2, 3 and 12 of issue #11, and by reading: a server root of /usr."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from security_support import RUNTIME_UID, stop_on_node

from scims.errors import AgentError
from scims.log import messages
from scims.messaging import installation
from scims.messaging.installation import check_command

SVC = "MAIL-RG,mail-rs,0.svc"
SERVER_ROOT = "/opt/SUNWmsgsr"


def test_a_server_root_whose_parent_the_runtime_user_can_write_is_refused(node: Path) -> None:
    """Attack 2: /opt/mailsrv-owned/SUNWmsgsr passed Validate: the runtime user could swap
    the whole tree (sbin/start-msg with it) between the checks and PMF's start."""
    parent = node / "opt"
    os.chown(parent, RUNTIME_UID, -1)
    with pytest.raises(AgentError) as caught:
        check_command(str(node / "opt" / "SUNWmsgsr"), installation.START_MSG, SERVER_ROOT)
    assert caught.value.message is messages.COMMAND_UNTRUSTED
    assert f"owner user ID {RUNTIME_UID}" in str(caught.value)
    assert str(parent) in str(caught.value)


def test_a_server_root_reached_through_a_link_of_the_runtime_user_is_refused(
        node: Path) -> None:
    """Attack 2, the symbolic-link variant: B is a link the runtime user owns in a sticky
    directory, so it can re-point it at a tree of its own whenever it likes."""
    sticky = node / "srv"
    sticky.mkdir()
    sticky.chmod(0o1777)
    link = sticky / "SUNWmsgsr"
    link.symlink_to(node / "opt" / "SUNWmsgsr")
    os.lchown(link, RUNTIME_UID, -1)
    with pytest.raises(AgentError) as caught:
        check_command(str(link), installation.START_MSG, SERVER_ROOT)
    assert f"owner user ID {RUNTIME_UID}" in str(caught.value)


def test_start_msg_with_mode_01777_is_refused(node: Path) -> None:
    """Attack 12: the sticky-bit exemption was applied to files, where it means nothing."""
    start_msg = node / "opt" / "SUNWmsgsr" / "sbin" / "start-msg"
    start_msg.chmod(0o1777)
    with pytest.raises(AgentError) as caught:
        check_command(str(node / "opt" / "SUNWmsgsr"), installation.START_MSG, SERVER_ROOT)
    assert "mode 1777" in str(caught.value)




def test_stop_does_not_run_a_stop_msg_handed_to_the_runtime_user(node: Path) -> None:
    """Attack 3: stop-msg chowned to the runtime user (and edited) after Validate: the next
    Stop ran it as root. Now Stop refuses it in one line, kills instead, and succeeds."""
    stop_msg = node / "opt" / "SUNWmsgsr" / "sbin" / "stop-msg"
    stop_msg.write_text("#!/bin/sh\ntouch /tmp/owned-by-mailsrv\n")
    os.chown(stop_msg, RUNTIME_UID, -1)
    status, recorder, hatimerun = stop_on_node(node)
    assert status == 0
    assert not any(str(stop_msg) in " ".join(argv) for argv in hatimerun.argvs()), \
        "root ran the runtime user's stop-msg"
    refusals = [r.text for r in recorder.records
                if r.message is messages.COMMAND_UNTRUSTED]
    assert len(refusals) == 1, [r.text for r in recorder.records]
    assert f"owner user ID {RUNTIME_UID}" in refusals[0] and "mode 0755" in refusals[0]
    assert recorder.records[-1].message is messages.STOPPED


@pytest.mark.parametrize("server_root", ["/usr", "/opt", "/var", "/usr/local", "/etc"])
def test_a_server_root_that_is_a_system_directory_is_refused(server_root: str) -> None:
    """By reading: a server root of /usr makes /usr/sbin/sshd "a Messaging Server process"
    to Start (already running) and to Stop (killed)."""
    with pytest.raises(AgentError) as caught:
        installation.checked_server_root(server_root)
    assert server_root in str(caught.value)
