"""The node-local checks of an installation that Validate, Start and Monitor_check share."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from helpers_scims import make_installation, on_node, server_root
from hypothesis import given
from hypothesis import strategies as st

from scims.errors import CheckFailed
from scims.log import messages
from scims.log.syslog import AgentLog, LogRecord
from scims.messaging.installation import (
    check_command,
    checked_server_root,
    inspect,
    server_root_on_node,
)


class Collect:
    def __init__(self) -> None:
        self.records: list[LogRecord] = []

    def deliver(self, record: LogRecord) -> None:
        self.records.append(record)


def make_log(root: Path) -> tuple[AgentLog, Collect]:
    sink = Collect()
    log = AgentLog("SUNW.ims:6.3", "MAIL-RG", "mail-rs", "ims_svc_start", transport=sink,
                   facility="daemon")
    return log, sink


@pytest.mark.parametrize(("value", "message"), [
    (None, messages.SERVERROOT_NOT_SET),
    ("  ", messages.SERVERROOT_NOT_SET),
    ("opt/SUNWmsgsr", messages.SERVERROOT_NOT_ABSOLUTE),
    ("/opt/SUNWmsgsr;rm -rf /", messages.SERVERROOT_UNSAFE),
    ("/opt/$(reboot)", messages.SERVERROOT_UNSAFE),
    ("/opt/../etc", messages.SERVERROOT_UNSAFE),
    ("/opt//SUNWmsgsr", messages.SERVERROOT_UNSAFE),
    ("/opt/-rf", messages.SERVERROOT_UNSAFE),
    ("/", messages.SERVERROOT_UNSAFE),
    ("/opt/SUNW msgsr", messages.SERVERROOT_UNSAFE),
])
def test_bad_server_roots_are_refused_with_their_own_message(value, message) -> None:
    with pytest.raises(CheckFailed) as caught:
        checked_server_root(value)
    assert caught.value.message is message


def test_plain_server_root_is_accepted_without_trailing_slash() -> None:
    assert checked_server_root("/opt/mars/SUNWmsgsr/") == "/opt/mars/SUNWmsgsr"


@given(st.text(max_size=60))
def test_any_value_is_a_plain_path_or_a_refusal(value: str) -> None:
    try:
        result = checked_server_root(value)
    except CheckFailed as exc:
        assert exc.message.name.startswith("SERVERROOT_")
    else:
        assert result.startswith("/") and ".." not in result.split("/")
        assert all(ch.isalnum() or ch in "._+-/" for ch in result)


def test_missing_server_root_directory_is_named(tmp_path, monkeypatch) -> None:
    on_node(monkeypatch, tmp_path)
    with pytest.raises(CheckFailed) as caught:
        server_root_on_node(server_root(tmp_path))
    assert caught.value.message is messages.SERVERROOT_NOT_DIRECTORY
    assert server_root(tmp_path) in str(caught.value)


def test_commands_writable_by_others_are_refused(tmp_path, monkeypatch) -> None:
    on_node(monkeypatch, tmp_path)
    base = make_installation(tmp_path)
    check_command(str(base), "sbin/start-msg", "/opt/SUNWmsgsr")
    (base / "sbin" / "start-msg").chmod(0o777)
    with pytest.raises(CheckFailed) as caught:
        check_command(str(base), "sbin/start-msg", "/opt/SUNWmsgsr")
    assert "writable by users other than root" in str(caught.value)
    (base / "sbin" / "start-msg").chmod(0o755)
    (base / "sbin").chmod(0o777)
    with pytest.raises(CheckFailed) as caught:
        check_command(str(base), "sbin/start-msg", "/opt/SUNWmsgsr")
    assert "sbin (owner user ID 0, mode 0777) is writable" in str(caught.value)


def test_missing_or_plain_files_are_refused(tmp_path) -> None:
    base = make_installation(tmp_path)
    (base / "sbin" / "stop-msg").unlink()
    with pytest.raises(CheckFailed, match="does not exist"):
        check_command(str(base), "sbin/stop-msg", "/opt/SUNWmsgsr")
    (base / "sbin" / "start-msg").chmod(0o644)
    with pytest.raises(CheckFailed, match="is not executable"):
        check_command(str(base), "sbin/start-msg", "/opt/SUNWmsgsr")


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_commands_owned_by_another_user_are_refused(tmp_path) -> None:
    base = make_installation(tmp_path)
    os.chown(base / "sbin" / "start-msg", 20001, 6000)
    with pytest.raises(CheckFailed, match="owner user ID 20001"):
        check_command(str(base), "sbin/start-msg", "/opt/SUNWmsgsr")


def test_inspect_logs_the_seed_debug_lines_in_order(tmp_path, monkeypatch) -> None:
    on_node(monkeypatch, tmp_path)
    make_installation(tmp_path)
    level = tmp_path / "var" / "cluster" / "rgm" / "rt" / "SUNW.ims"
    level.mkdir(parents=True)
    (level / "loglevel").write_text("9\n")
    log, sink = make_log(tmp_path)
    inst = inspect(server_root(tmp_path), log)
    assert inst.user.name == "mailsrv" and inst.group.name == "mail"
    assert [r.text for r in sink.records] == [
        "Groupname mail exists.", "Username mailsrv exists.",
        f"IMS_serverroot = {server_root(tmp_path)}"]


def test_unreadable_configuration_is_the_seed_message_with_detail(tmp_path, monkeypatch) -> None:
    on_node(monkeypatch, tmp_path)
    base = make_installation(tmp_path)
    (base / "config").unlink()
    log, _ = make_log(tmp_path)
    with pytest.raises(CheckFailed) as caught:
        inspect(server_root(tmp_path), log)
    assert caught.value.message is messages.CONFIG_INFO_UNAVAILABLE
    assert str(caught.value).startswith("Failed to get the configuration info: ")


@pytest.mark.parametrize(("passwd_user", "uid", "message"), [
    ("nobody", 20001, messages.USER_MISSING),
    ("mailsrv", 0, messages.USER_IS_ROOT),
])
def test_runtime_user_must_exist_and_not_be_root(tmp_path, monkeypatch, passwd_user, uid,
                                                 message) -> None:
    on_node(monkeypatch, tmp_path)
    make_installation(tmp_path)
    (tmp_path / "etc" / "passwd").write_text(f"{passwd_user}:x:{uid}:6000::/:\n")
    log, _ = make_log(tmp_path)
    with pytest.raises(CheckFailed) as caught:
        inspect(server_root(tmp_path), log)
    assert caught.value.message is message


def test_missing_group_is_refused(tmp_path, monkeypatch) -> None:
    on_node(monkeypatch, tmp_path)
    make_installation(tmp_path)
    (tmp_path / "etc" / "group").write_text("root::0:\n")
    log, _ = make_log(tmp_path)
    with pytest.raises(CheckFailed, match="Groupname mail does not exist"):
        inspect(server_root(tmp_path), log)


def test_stat_mode_constants_are_what_the_check_uses() -> None:
    assert stat.S_IWGRP | stat.S_IWOTH == 0o022
