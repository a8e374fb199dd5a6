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

from scims import trust
from scims.errors import CheckFailed
from scims.log import messages
from scims.log.syslog import AgentLog
from scims.messaging.accounts import Accounts, Group, User
from scims.msconfig.config import MessagingConfig
from scims.msconfig.source import MsConfigError

SERVERROOT_PROPERTY = "IMS_serverroot"
START_MSG = "sbin/start-msg"
STOP_MSG = "sbin/stop-msg"

_SAFE_PATH = re.compile(r"^[A-Za-z0-9._+/-]+$")


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
    system = system_directory_within(value.rstrip("/"))
    if system is not None:
        raise CheckFailed(messages.SERVERROOT_SYSTEM_DIRECTORY, value.rstrip("/"), system)
    return value.rstrip("/")


SYSTEM_DIRECTORIES = (
    "/", "/bin", "/boot", "/dev", "/devices", "/etc", "/export", "/export/home", "/home",
    "/kernel", "/lib", "/lib64", "/mnt", "/net", "/opt", "/platform", "/proc", "/root", "/run",
    "/sbin", "/srv", "/sys", "/system", "/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/local",
    "/usr/sbin", "/usr/share", "/usr/cluster", "/var", "/var/adm", "/var/cluster", "/var/opt",
    "/var/run", "/var/tmp", "/opt/SUNWscims",
)
"""Directories of the host itself. A server root that is one of them, or contains one, would
make the programs of the system (sshd under /usr, say) count as Messaging Server's."""


def system_directory_within(server_root: str) -> Optional[str]:
    """The system directory `server_root` is or contains, if any (pure)."""
    root = server_root.rstrip("/") or "/"
    for system in SYSTEM_DIRECTORIES:
        if root in (system, "/") or system.startswith(root + "/"):
            return system
    return None


def server_root_on_node(server_root: str) -> str:
    """The installation's directory on this node; it must exist and be a directory, and not
    lead (by a symbolic link) to a system directory."""
    path = server_root
    try:
        info = os.stat(path)
    except OSError as exc:
        raise CheckFailed(messages.SERVERROOT_NOT_DIRECTORY, server_root,
                          exc.strerror or str(exc)) from None
    if not stat.S_ISDIR(info.st_mode):
        raise CheckFailed(messages.SERVERROOT_NOT_DIRECTORY, server_root, "not a directory")
    system = system_directory_within(os.path.realpath(path))
    if system is not None:
        raise CheckFailed(messages.SERVERROOT_SYSTEM_DIRECTORY, server_root, system)
    return path


def check_command(root_path: str, relative: str, shown: str) -> str:
    """A command root may run, checked now (trust.check_executable): an executable regular
    file whose whole path from / only root (or an owner the administrator trusts) can change,
    else anyone able to change a component could swap the command for their own."""
    path = os.path.join(root_path, relative)
    name = os.path.join(shown, relative)
    resolved, problem = trust.path_problem(path)
    if problem is None:
        return path
    if problem.why == "does not exist":
        raise CheckFailed(messages.COMMAND_UNUSABLE, name, "does not exist")
    if problem.owner is None or problem.why in ("is not a regular file", "is not executable"):
        raise CheckFailed(messages.COMMAND_UNUSABLE, name, problem.why
                          if problem.component == resolved else problem.describe())
    why = problem.why
    if problem.owner == 0 and why == "is writable by users other than its owner":
        why = "is writable by users other than root"
    shown_component = problem.component
    if stat.S_ISREG(problem.mode or 0) and problem.component == resolved:
        shown_component = "the file"
    raise trust.Untrusted(messages.COMMAND_UNTRUSTED, name,
                          trust.PathProblem(shown_component, problem.owner, problem.mode,
                                            why).describe())


def config_dir_of(server_root_path: str) -> str:
    """The configuration directory an installation points to, from its `config` link read
    lexically, so it is known even while the storage it lies on is elsewhere."""
    link = os.path.join(server_root_path, "config")
    try:
        target = os.readlink(link)
    except OSError:
        return server_root_path  # no link: the configuration lives in the installation
    return os.path.dirname(os.path.normpath(os.path.join(server_root_path, target)))


def load_configuration(server_root: str, path: str) -> MessagingConfig:
    """The configuration, read only from files that lie in the installation: the server root
    and the configuration directory its `config` link (root's) names."""
    try:
        with trust.confined_to(path, config_dir_of(path)):
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
    trust.check_runtime_user(user.name, user.uid, os.path.realpath(where))
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
