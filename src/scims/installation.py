"""A Messaging Server installation as a resource names it, checked before it is trusted.

Validate, Start and Monitor_check all ask the same questions of the node they run on: is
IMS_serverroot a plain absolute directory, are its start-msg and stop-msg safe for root to
run, can the configuration be read, do its runtime user and group exist in the node's own
/etc/passwd and /etc/group (the guide requires the files, with the same IDs on every node),
and is that user not root. One function answers them all and raises the catalogue message
of the first problem.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from typing import Optional

from scims import messages, paths
from scims.accounts import Accounts, Group, User
from scims.errors import AgentError
from scims.msconfig import MessagingConfig
from scims.msconfig_source import MsConfigError
from scims.syslog import AgentLog

SERVERROOT_PROPERTY = "IMS_serverroot"
START_MSG = "sbin/start-msg"
STOP_MSG = "sbin/stop-msg"

_SAFE_PATH = re.compile(r"^[A-Za-z0-9._+/-]+$")


class CheckFailed(AgentError):
    """A configuration check failed; the message says which and why."""


@dataclass(frozen=True)
class Installation:
    """IMS_serverroot as configured (`server_root`), where it is on this node (`path`), and
    its configuration."""

    server_root: str
    path: str
    config: MessagingConfig
    user: User
    group: Group

    def command(self, relative: str) -> str:
        return os.path.join(self.path, relative)

    @property
    def config_dir(self) -> str:
        return str(self.config.config_dir)


def checked_server_root(value: Optional[str]) -> str:
    """IMS_serverroot if it is a plain absolute path; the path is never given to a shell,
    but it becomes part of every command the agent runs as root, so nothing clever passes."""
    if value is None or value.strip() == "":
        raise CheckFailed(messages.SERVERROOT_NOT_SET)
    if not value.startswith("/"):
        raise CheckFailed(messages.SERVERROOT_NOT_ABSOLUTE, value)
    if not _SAFE_PATH.match(value):
        bad = sorted({ch for ch in value if not _SAFE_PATH.match(ch)})
        shown = " ".join(repr(ch) for ch in bad)
        raise CheckFailed(messages.SERVERROOT_UNSAFE, value, f"it contains {shown}")
    components = value.rstrip("/").split("/")[1:]
    if value != "/" and any(part in ("", ".", "..") for part in components):
        raise CheckFailed(messages.SERVERROOT_UNSAFE, value,
                          "it has an empty, '.' or '..' component")
    if any(part.startswith("-") for part in components):
        raise CheckFailed(messages.SERVERROOT_UNSAFE, value, "a component starts with '-'")
    if value.rstrip("/") == "":
        raise CheckFailed(messages.SERVERROOT_UNSAFE, value, "it is the root directory")
    return value.rstrip("/")


def server_root_on_node(server_root: str) -> str:
    """The installation's directory on this node; it must exist and be a directory."""
    path = paths.node_path(server_root)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise CheckFailed(messages.SERVERROOT_NOT_DIRECTORY, server_root,
                          exc.strerror or str(exc)) from None
    if not stat.S_ISDIR(info.st_mode):
        raise CheckFailed(messages.SERVERROOT_NOT_DIRECTORY, server_root, "not a directory")
    return path


def check_command(root_path: str, relative: str, shown: str) -> str:
    """A command root may run: a regular executable file that only root can change, in
    directories that only root can change (else anyone could swap it for their own)."""
    path = os.path.join(root_path, relative)
    name = os.path.join(shown, relative)
    try:
        info = os.stat(path)
    except OSError:
        raise CheckFailed(messages.COMMAND_UNUSABLE, name, "does not exist") from None
    if not stat.S_ISREG(info.st_mode):
        raise CheckFailed(messages.COMMAND_UNUSABLE, name, "is not a regular file")
    if not info.st_mode & stat.S_IXUSR:
        raise CheckFailed(messages.COMMAND_UNUSABLE, name, "is not executable")
    _only_root_writes(info, name, "is")
    directory = os.path.dirname(path)
    while True:
        try:
            dinfo = os.stat(directory)
        except OSError:
            break
        _only_root_writes(dinfo, name, f"is in {directory}, which is")
        if os.path.realpath(directory) == os.path.realpath(root_path):
            break
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return path


def _only_root_writes(info: os.stat_result, name: str, what: str) -> None:
    if info.st_uid != 0:
        raise CheckFailed(messages.COMMAND_UNUSABLE, name,
                          f"{what} owned by user ID {info.st_uid}, not root")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not info.st_mode & stat.S_ISVTX:
        raise CheckFailed(messages.COMMAND_UNUSABLE, name,
                          f"{what} writable by users other than root")


def load_configuration(server_root: str, path: str) -> MessagingConfig:
    try:
        return MessagingConfig.load(path)
    except MsConfigError as exc:
        raise CheckFailed(messages.CONFIG_INFO_UNAVAILABLE, f": {exc}") from None
    except OSError as exc:
        raise CheckFailed(messages.CONFIG_INFO_UNAVAILABLE,
                          f": {server_root}: {exc.strerror or exc}") from None


def runtime_accounts(config: MessagingConfig, log: AgentLog) -> tuple[User, Group]:
    """The runtime user and group from the node's files; logs the seed's debug lines."""
    where = str(config.config_files_dir)
    if not config.server_group:
        raise CheckFailed(messages.RUNTIME_ACCOUNT_NOT_SET, where, "group", "local.servergid")
    if not config.server_user:
        raise CheckFailed(messages.RUNTIME_ACCOUNT_NOT_SET, where, "user", "local.serveruid")
    accounts = Accounts.load()
    accounts.report_malformed(log)
    group = accounts.group(config.server_group)
    if group is None:
        raise CheckFailed(messages.GROUP_MISSING, config.server_group)
    log.debug(messages.GROUP_EXISTS, group.name)
    user = accounts.user(config.server_user)
    if user is None:
        raise CheckFailed(messages.USER_MISSING, config.server_user)
    log.debug(messages.USER_EXISTS, user.name)
    if user.is_root:
        raise CheckFailed(messages.USER_IS_ROOT, user.name)
    return user, group


def inspect(server_root_value: Optional[str], log: AgentLog) -> Installation:
    """Every node-local check, in the order an administrator fixes them."""
    server_root = checked_server_root(server_root_value)
    path = server_root_on_node(server_root)
    check_command(path, START_MSG, server_root)
    check_command(path, STOP_MSG, server_root)
    config = load_configuration(server_root, path)
    user, group = runtime_accounts(config, log)
    log.debug(messages.SERVERROOT_VALUE, server_root)
    return Installation(server_root, path, config, user, group)
