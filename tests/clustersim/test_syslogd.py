"""The node's syslog daemon: Solaris /var/adm/messages lines from /dev/log datagrams."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clustersim.syslogd import format_line, log_to_node, parse_datagram
from scims.log.msgid import msgid
from support.clusternode import Node, running_node
from support.waiting import wait_for

STAMP = r"[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d"
SEED = [  # the guide's sample lines, after the timestamp (docs/procedure.md)
    "mars SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: [ID 831728 daemon.debug] "
    "Groupname mail exists.",
    "mars SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: [ID 383726 daemon.debug] "
    "Username mailsrv exists.",
    "mars SC[SUNW.ims,MS_RG,MessagingResource,ims_svc_validate]: [ID 855581 daemon.error] "
    "Failed to get the configuration info",
    "mars SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: [ID 833212 daemon.info] Attempting to start "
    "the data service under process monitor facility.",
]  # fmt: skip


# --- pure ----------------------------------------------------------------------------


def test_parse_plain_libc_and_timestamped_forms() -> None:
    assert parse_datagram(b"<31>TAG: hello") == (31, "TAG", "hello")
    assert parse_datagram(b"<27>Dec  1 18:24:46 SC[a,b]: x: y\n") == (27, "SC[a,b]", "x: y")
    assert parse_datagram(b"<13>Nov 25 09:00:00 prog[123]: started") == (13, "prog[123]", "started")
    assert parse_datagram(b"no priority at all") == (13, None, "no priority at all")
    # A resource named by a blank still makes one tag: the agent's text starts with [ID.
    assert parse_datagram(b"<27>SC[SUNW.ims,, ,m]: [ID 1 daemon.error] bad") == (
        27, "SC[SUNW.ims,, ,m]", "[ID 1 daemon.error] bad")


def test_format_inserts_the_solaris_id_unless_present() -> None:
    when = time.mktime((2024, 12, 1, 18, 24, 46, 0, 0, -1))
    assert format_line(27, "tag", "Failed to start fault monitor.", "mars", when) == (
        "Dec  1 18:24:46 mars tag: [ID 198284 daemon.error] Failed to start fault monitor.\n"
    )
    assert format_line(31, "t", "[ID 1 daemon.debug] kept", "n", when).endswith(
        " n t: [ID 1 daemon.debug] kept\n"
    )
    assert format_line(14, None, "untagged", "n", when).endswith(
        f" n [ID {msgid('untagged')} user.info] untagged\n"
    )


# --- the daemon ------------------------------------------------------------------------


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Node]:
    with running_node(tmp_path, monkeypatch, pmfd=False) as n:
        yield n


def send(node: Node, payload: bytes) -> None:
    dev_log = node.layout.node_root(node.name) / "dev" / "log"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(payload, os.readlink(dev_log))


def lines(node: Node, count: int) -> list[str]:
    wait_for(lambda: len(node.messages().splitlines()) >= count, what=f"{count} lines")
    return node.messages().splitlines()


pytestmark_e2e = pytest.mark.e2e


@pytestmark_e2e
def test_dev_log_is_a_symlink_to_the_node_socket(node: Node) -> None:
    dev_log = node.layout.node_root(node.name) / "dev" / "log"
    assert dev_log.is_symlink()
    assert Path(os.readlink(dev_log)) == node.layout.node_log_socket(node.name)


@pytestmark_e2e
def test_seed_lines_are_byte_exact_after_the_timestamp(node: Node) -> None:
    send(node, b"<31>SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: Groupname mail exists.")
    send(node, b"<31>SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: [ID 383726 daemon.debug] "
               b"Username mailsrv exists.")  # fmt: skip
    send(node, b"<27>Dec 11 15:55:52 SC[SUNW.ims,MS_RG,MessagingResource,ims_svc_validate]: "
               b"[ID 855581 daemon.error] Failed to get the configuration info\n")  # fmt: skip
    log_to_node(
        node.layout, node.name, "SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]", "info",
        "Attempting to start the data service under process monitor facility.",
    )  # fmt: skip

    got = lines(node, 4)

    # 831728 is the ID of the format "Groupname %s exists.", not of the expanded text:
    # the agent sends its own [ID]; a bare text gets the ID of the text itself.
    assert re.fullmatch(STAMP + r" mars SC\[SUNW.ims,MS-RG,mail-rs,ims_svc_start\]: "
                        r"\[ID \d{6} daemon\.debug\] Groupname mail exists\.", got[0])  # fmt: skip
    for line, expected in zip(got[1:], SEED[1:], strict=True):
        assert re.fullmatch(STAMP, line[:15]) and line[16:] == expected


@pytestmark_e2e
def test_log_to_node_uses_the_format_for_the_id(node: Node) -> None:
    fmt = "Groupname %s exists."
    log_to_node(node.layout, node.name, "SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]", "debug",
                fmt % "mail", msgid_format=fmt)  # fmt: skip
    assert lines(node, 1)[0][16:] == SEED[0]


@pytestmark_e2e
def test_log_to_node_without_a_daemon_goes_to_stderr(
    node: Node, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not log_to_node(node.layout, "nowhere", "tag", "error", "lost?")
    assert capsys.readouterr().err == "tag: lost?\n"


@pytestmark_e2e
def test_concurrent_writers_do_not_interleave(node: Node) -> None:
    writers, each = 4, 250
    code = (
        "import sys\n"
        "from clustersim.layout import ClusterLayout\n"
        "from clustersim.syslogd import log_to_node\n"
        "layout = ClusterLayout.at(sys.argv[1])\n"
        "for i in range(int(sys.argv[3])):\n"
        "    text = f'message {i} ' + 'x' * 300\n"
        "    log_to_node(layout, 'mars', f'w{sys.argv[2]}', 'notice', text)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(node.layout.base), str(w), str(each)])
        for w in range(writers)
    ]
    for proc in procs:
        assert proc.wait(timeout=60) == 0

    got = lines(node, writers * each)

    assert len(got) == writers * each
    pattern = re.compile(STAMP + r" mars w(\d): \[ID \d{6} daemon\.notice\] message (\d+) x{300}")
    seen = {(m[1], m[2]) for m in map(pattern.fullmatch, got) if m}
    assert len(seen) == writers * each, "every line whole, none lost"


@pytestmark_e2e
def test_stop_is_idempotent_and_start_reuses_a_running_daemon(node: Node) -> None:
    from clustersim.syslogd import start_syslogd, stop_syslogd

    assert start_syslogd(node.layout, node.name) == node.syslogd_pid
    stop_syslogd(node.layout, node.name)
    stop_syslogd(node.layout, node.name)
    assert not node.layout.node_log_socket(node.name).exists()
