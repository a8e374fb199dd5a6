"""The trust boundary: what root may run, read, believe and kill on the word of others.

Every method runs as root. Trusted are root, the cluster framework (the scha_* commands,
pmfadm, hatimerun, the RGM's arguments) and the kernel's own account of processes. Untrusted
are the Messaging Server runtime user (it owns the configuration directory, the store, the
logs), every other local user, every file any of them can write, and the argv of any process.
docs/security.md states the model; this module holds its rules, and every method goes
through them:

* `check_executable` -- root runs a program only if every component of its path from `/`,
  symbolic links resolved, is owned by root (or an account the administrator names in
  `TRUSTED_OWNERS_FILE`) and writable by nobody else (a sticky bit excuses directories
  only). Called each time a program is about to run. A user ID below 100 is no reason to
  trust an owner: www-data, mail, postgres, webservd are such accounts, and run services.
* `read_untrusted` -- a file others can write is read without blocking (a FIFO or device is
  refused at once), only if it is a regular file of bounded size, and never through a
  symbolic link that leaves the installation (`confined_to`).
* `runs_program` / `may_signal` -- which processes are an instance's comes from the kernel
  (the executable, the real uid, the start time), never from argv alone.
* `check_runtime_user` and `RuntimeRecord` -- the runtime user named in msg.conf (which the
  runtime user can write) must own the configuration directory and be no system account;
  Start records it for Stop.
* `Budget` -- every call a method makes is bounded by what is left of its own timeout.
* `escape_text` -- every outside string is escaped before it reaches a log line or
  Status_msg (`cformat.printable`, which both log transports use).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Optional

from scims.errors import AgentError, CheckFailed
from scims.log import messages
from scims.log.cformat import printable

escape_text = printable
"""Every line break a reader may honour and every byte that is not UTF-8, made visible."""

SYSTEM_UID_LIMIT = 100
"""Solaris reserves user IDs below 100 for system accounts (root, daemon, bin, sys, adm...):
none of them may be the runtime user (`check_runtime_user`). This is no reason to trust what
such an account owns: many run services (webservd 80, postgres 90; www-data, mail on Linux)."""
SYSTEM_HIGH_UIDS = frozenset({60001, 60002, 65534})
"""nobody, noaccess, nobody4."""
MAX_SYMLINKS = 40
"""The kernel's own limit on symbolic links in one lookup (ELOOP beyond)."""

CONFIG_READ_LIMIT = 4 * 1024 * 1024
"""msg.conf, the .cnf files and imta.cnf are some kilobytes; 4 MiB is far beyond any real one
and small enough that /dev/zero or a huge file cannot exhaust the method's memory."""
SMALL_READ_LIMIT = 4096
"""Pid files, the loglevel file, the records of this module."""

TRUSTED_OWNERS_FILE = "/etc/opt/SUNWscims/trusted_owners"
"""The accounts besides root that may own what root runs, named by the administrator: one
user name or user ID a line, `#` starting a comment. Absent (the default, on Solaris and on
Linux alike: their operating system files are root's, with group bin or sys, and a
group-writable component is refused anyway) only root is trusted. The file is believed only
when it and every directory above it are root's alone (the rule it extends, with root as
the only owner), so only root can name an account. /etc/opt/<package> is where filesystem(5)
puts a package's host-specific configuration."""


class Untrusted(CheckFailed):
    """Root was asked to run, read or believe something others could have changed."""


def is_system_account(uid: int) -> bool:
    """Whether `uid` is a system account, which cannot be Messaging Server's runtime user."""
    return uid < SYSTEM_UID_LIMIT or uid in SYSTEM_HIGH_UIDS


ROOT_ONLY = frozenset({0})


def trusted_owners() -> frozenset[int]:
    """Root and the accounts `TRUSTED_OWNERS_FILE` names, when root alone could have written
    it (checked each time, as the rule it extends: a file handed to another user since it
    was last read names no one); root alone otherwise."""
    try:
        os.lstat(TRUSTED_OWNERS_FILE)
    except OSError:
        return ROOT_ONLY
    _, problem = path_problem(TRUSTED_OWNERS_FILE, executable=False, owners=ROOT_ONLY)
    if problem is not None:
        return ROOT_ONLY
    try:
        text = read_untrusted(TRUSTED_OWNERS_FILE, SMALL_READ_LIMIT, within=()).decode(
            "utf-8", "surrogateescape")
    except OSError:
        return ROOT_ONLY
    return ROOT_ONLY | parse_trusted_owners(text, _user_id)


def parse_trusted_owners(text: str, user_id: Callable[[str], Optional[int]]
                         ) -> frozenset[int]:
    """The user IDs the file's text names (pure: `user_id` looks a name up); a name that
    names no account adds nothing."""
    found: set[int] = set()
    for line in text.splitlines():
        word = line.split("#", 1)[0].strip()
        if not word:
            continue
        uid = int(word) if word.isdigit() else user_id(word)
        if uid is not None:
            found.add(uid)
    return frozenset(found)


def _user_id(name: str) -> Optional[int]:
    from scims.messaging.accounts import Accounts  # noqa: PLC0415 - only for a named owner

    try:
        user = Accounts.load().user(name)
    except AgentError:  # /etc/passwd unreadable: the name names no one
        return None
    return user.uid if user is not None else None


# --- what root executes ------------------------------------------------------------------


@dataclass(frozen=True)
class PathProblem:
    """Why a path is not safe for root: the component at fault, its owner and mode."""

    component: str
    owner: Optional[int]
    mode: Optional[int]
    why: str

    def describe(self) -> str:
        if self.owner is None or self.mode is None:
            return f"{self.component} {self.why}"
        return (f"{self.component} (owner user ID {self.owner}, mode "
                f"{stat.S_IMODE(self.mode):04o}) {self.why}")


def component_problem(info: os.stat_result, final: bool,
                      owners: frozenset[int] = ROOT_ONLY) -> Optional[str]:
    """The rule for one component (lstat information), pure: None if it is safe.

    Owner root (or one of `owners`, the accounts the administrator trusts); no write
    permission for group or others, except on a directory with the sticky bit (/tmp), where
    others cannot replace what they do not own -- which is why the owner of every entry is
    checked too. A sticky bit on a file means nothing to the kernel and excuses nothing.
    """
    if info.st_uid != 0 and info.st_uid not in owners:
        return ("is owned by a user other than root" if owners == ROOT_ONLY
                else "is owned by a user other than root and the trusted owners")
    if stat.S_ISLNK(info.st_mode):
        return None  # a link's own mode is meaningless; its directory and target count
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        if stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX and not final:
            return None
        if stat.S_ISVTX & info.st_mode and not stat.S_ISDIR(info.st_mode):
            return "is writable by others (a sticky bit excuses directories only)"
        return "is writable by users other than its owner"
    return None


def path_problem(path: str, *, executable: bool = True,
                 owners: Optional[frozenset[int]] = None) -> tuple[str, Optional[PathProblem]]:
    """Walk `path` from `/`, resolving symbolic links, checking every component it meets.

    Returns the resolved path and the first problem (None when the chain is root's alone, or
    that of `owners`: by default the administrator's `trusted_owners`).
    """
    if owners is None:
        owners = trusted_owners()
    if not path.startswith("/"):
        return path, PathProblem(path, None, None, "is not an absolute path")
    pending = [part for part in path.split("/") if part]
    resolved = "/"
    hops = 0
    try:
        info = os.lstat("/")
    except OSError as exc:  # pragma: no cover - / always exists
        return path, PathProblem("/", None, None, exc.strerror or str(exc))
    why = component_problem(info, final=not pending, owners=owners)
    if why:
        return path, PathProblem("/", info.st_uid, info.st_mode, why)
    while pending:
        part = pending.pop(0)
        if part == ".":
            continue
        if part == "..":
            resolved = os.path.dirname(resolved) or "/"
            continue
        current = os.path.join(resolved, part)
        try:
            info = os.lstat(current)
        except OSError as exc:
            return current, PathProblem(current, None, None,
                                        "does not exist" if exc.errno == errno.ENOENT
                                        else f"cannot be examined ({exc.strerror})")
        why = component_problem(info, final=not pending, owners=owners)
        if why:
            return current, PathProblem(current, info.st_uid, info.st_mode, why)
        if stat.S_ISLNK(info.st_mode):
            hops += 1
            if hops > MAX_SYMLINKS:
                return current, PathProblem(current, None, None,
                                            "leads through too many symbolic links")
            target = os.readlink(current)
            if target.startswith("/"):
                resolved = "/"
            pending = [p for p in target.split("/") if p] + pending
            continue
        if pending and not stat.S_ISDIR(info.st_mode):
            return current, PathProblem(current, info.st_uid, info.st_mode,
                                        "is not a directory")
        resolved = current
    if executable:
        if not stat.S_ISREG(info.st_mode):
            return resolved, PathProblem(resolved, info.st_uid, info.st_mode,
                                         "is not a regular file")
        if not info.st_mode & stat.S_IXUSR:
            return resolved, PathProblem(resolved, info.st_uid, info.st_mode,
                                         "is not executable")
    return resolved, None


def check_executable(path: str, shown: Optional[str] = None) -> str:
    """`path` if root may run it now; Untrusted (one log line: path, owner, mode) if not.

    Called right before each run, not only in Validate: a file checked yesterday may have
    been handed to the runtime user since. A chain root alone can change cannot change
    between this check and the exec.
    """
    resolved, problem = path_problem(path)
    if problem is not None:
        raise Untrusted(messages.COMMAND_UNTRUSTED, shown or path, problem.describe())
    return resolved


def check_directory(path: str) -> Optional[PathProblem]:
    """The problem of a directory root writes into (its records), or None."""
    _, problem = path_problem(path, executable=False)
    return problem


# --- what root reads that others can write -------------------------------------------------

_BOUNDS: ContextVar[tuple[str, ...]] = ContextVar("trust_bounds", default=())


class UnsafeFile(OSError):
    """A file root will not read: not regular, too big, or outside the installation."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(errno.EPERM, why, path)


@contextlib.contextmanager
def confined_to(*directories: str) -> Iterator[None]:
    """Within the block, `read_untrusted` reads only files that really lie below one of
    `directories` (the server root and the configuration directory)."""
    real = tuple(os.path.realpath(d) for d in directories if d)
    token = _BOUNDS.set(real)
    try:
        yield
    finally:
        _BOUNDS.reset(token)


def _under(path: str, directory: str) -> bool:
    directory = directory.rstrip("/") or "/"
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _opened_path(fd: int, fallback: str) -> str:
    """Where an open file really is, as the kernel says (Linux /proc/self/fd, Solaris
    /proc/self/path); the resolved name otherwise."""
    for template in ("/proc/self/fd/{}", "/proc/self/path/{}"):
        try:
            return os.readlink(template.format(fd))
        except OSError:
            continue
    return os.path.realpath(fallback)


def read_untrusted(path: str, limit: int = CONFIG_READ_LIMIT,
                   within: Optional[Sequence[str]] = None) -> bytes:
    """The bytes of a file others can write; UnsafeFile (an OSError) when it is unsafe.

    Never blocks: the type is checked before the open, and the open is non-blocking (a FIFO
    or device swapped in between is caught by fstat). FileNotFoundError stays what it is.
    """
    bounds = tuple(os.path.realpath(d) for d in within) if within is not None else _BOUNDS.get()
    before = os.stat(path)
    if stat.S_ISDIR(before.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", path)
    if not stat.S_ISREG(before.st_mode):
        raise UnsafeFile(path, "is not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
        | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(path, "is not a regular file")
        if bounds:
            real = _opened_path(fd, path)
            if not any(_under(real, b) for b in bounds):
                raise UnsafeFile(path, "leads outside the installation")
        if info.st_size > limit:
            raise UnsafeFile(path, f"is larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise UnsafeFile(path, f"is larger than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def list_untrusted(path: str, limit: int, within: Sequence[str],
                   dir_fd: Optional[int] = None) -> tuple[list[str], list[str], bool]:
    """A directory others can write, listed by rule 2: (files, subdirectories, truncated).

    Never blocks and never follows a symbolic link (O_NOFOLLOW, O_DIRECTORY; `path` may be
    a name relative to `dir_fd`); the opened directory must really lie below one of
    `within`; at most `limit` entries are looked at (truncated is then True). Names only:
    nothing in the directory is opened, and a symbolic link or any other type is neither
    file nor directory here. UnsafeFile when it is unsafe; FileNotFoundError stays."""
    bounds = tuple(os.path.realpath(d) for d in within)
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except NotADirectoryError:
        raise UnsafeFile(path, "is not a directory") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFile(path, "is a symbolic link") from None
        raise
    try:
        real = _opened_path(fd, path)
        if not any(_under(real, b) for b in bounds):
            raise UnsafeFile(path, "leads outside the installation")
        files: list[str] = []
        directories: list[str] = []
        seen = 0
        with os.scandir(fd) as entries:
            for entry in entries:
                seen += 1
                if seen > limit:
                    return files, directories, True
                if entry.is_dir(follow_symlinks=False):
                    directories.append(entry.name)
                elif entry.is_file(follow_symlinks=False):
                    files.append(entry.name)
        return files, directories, False
    finally:
        os.close(fd)


# --- which processes are an instance's -----------------------------------------------------

_INTERPRETERS: dict[tuple[str, int, int], Optional[str]] = {}


def interpreter_of(program: str) -> Optional[str]:
    """The real path of the interpreter a script's `#!` line names, None for a binary."""
    try:
        info = os.stat(program)
    except OSError:
        return None
    key = (program, info.st_ino, info.st_mtime_ns)
    if key in _INTERPRETERS:
        return _INTERPRETERS[key]
    found: Optional[str] = None
    head = b""
    if stat.S_ISREG(info.st_mode):
        try:
            fd = os.open(program, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                head = os.read(fd, 256)
            except OSError:
                head = b""
            finally:
                os.close(fd)
    if head.startswith(b"#!"):
        words = head[2:].split(b"\n", 1)[0].split()
        if words:
            found = os.path.realpath(os.fsdecode(words[0]))
    _INTERPRETERS[key] = found
    return found


def runs_program(exe: Optional[str], program: str) -> bool:
    """Whether the kernel's executable of a process (`/proc/<pid>/exe`) is `program`, or the
    interpreter of `program` when that is a script. argv can be anything its owner wants;
    the executable cannot. The kernel names the executable with every link resolved, so it
    is compared as it is, never looked up: it may lie in a file system its owner serves
    (FUSE), where a lookup can be made to hang."""
    if not exe:
        return False
    if exe == os.path.realpath(program):
        return True
    interpreter = interpreter_of(program)
    return interpreter is not None and interpreter == exe


def may_signal(real_uid: int, runtime_uid: Optional[int]) -> bool:
    """Outside its PMF tree, an instance's process runs as root or as its runtime user."""
    return real_uid == 0 or (runtime_uid is not None and real_uid == runtime_uid)


# --- the runtime user -----------------------------------------------------------------------


def check_runtime_user(name: str, uid: int, config_files_dir: str) -> None:
    """The runtime user named in msg.conf (a file the runtime user writes) must be the owner
    of the configuration directory and no system account, or a writer of msg.conf could make
    root treat another account's processes as Messaging Server's."""
    if is_system_account(uid):
        raise Untrusted(messages.RUNTIME_USER_REFUSED, name, uid,
                        "it is a system account")
    try:
        owner = os.stat(config_files_dir).st_uid
    except OSError as exc:
        raise Untrusted(messages.RUNTIME_USER_REFUSED, name, uid,
                        f"{config_files_dir} cannot be examined ({exc.strerror})") from None
    if owner != uid:
        raise Untrusted(messages.RUNTIME_USER_REFUSED, name, uid,
                        f"{config_files_dir} is owned by user ID {owner}")


STATE_DIR = "/var/cluster/rgm/rt/SUNW.ims/state"
"""Where the SUNW.ims methods keep their records on a Sun Cluster node."""


def use_state_directory(directory: str) -> None:
    """Keep this program's records in `directory` instead (another cluster engine's own
    root-only state directory: the OCF agent's is under HA_RSCTMP)."""
    global STATE_DIR
    STATE_DIR = directory


def _new_private_file(directory: str, prefix: str) -> tuple[int, str]:
    """A new file (O_EXCL, mode 0600, never through a symbolic link) under a random name in
    `directory`, open for writing: what tempfile.mkstemp guarantees, without importing
    tempfile (and with it shutil, bz2, lzma and random) into every Start."""
    flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_CLOEXEC", 0))
    for _ in range(100):
        path = os.path.join(directory, f"{prefix}{os.urandom(8).hex()}")
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused name for a new record", directory)


class RuntimeRecord:
    """Small facts one method leaves for the next, in a directory only root can write.

    Start records the runtime user it checked, for Stop (msg.conf may have changed since);
    the fault monitor records the restarts it asked for, for when the RGM cannot say.
    """

    def __init__(self, group: str, resource: str, kind: str) -> None:
        for part in (group, resource, kind):
            if not part or "/" in part or part.startswith(".") or "\x00" in part:
                raise ValueError(f"{part!r} cannot name a record")
        self.directory = STATE_DIR
        self.path = os.path.join(self.directory, f"{group},{resource}.{kind}")

    def write(self, text: str) -> bool:
        """Replace the record atomically; False when the directory is not root's alone."""
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
        except OSError:
            return False
        if check_directory(self.directory) is not None:
            return False
        try:
            fd, temporary = _new_private_file(self.directory, ".record.")
        except OSError:
            return False
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            return False
        return True

    def read(self) -> Optional[str]:
        """The record, or None when there is none or it cannot be trusted."""
        if check_directory(self.directory) is not None:
            return None
        try:
            info = os.lstat(self.path)
            if info.st_uid != 0 or not stat.S_ISREG(info.st_mode):
                return None
            return read_untrusted(self.path, SMALL_READ_LIMIT, within=()).decode(
                "utf-8", "replace")
        except OSError:
            return None

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.path)


# --- time -----------------------------------------------------------------------------------

_BUDGET: ContextVar[Optional[float]] = ContextVar("trust_budget", default=None)


class Budget:
    """What is left of a method's timeout; every call is bounded by it."""

    @staticmethod
    def deadline() -> Optional[float]:
        return _BUDGET.get()

    @staticmethod
    def left(default: float) -> float:
        """`default` seconds, or less when the method's deadline is nearer."""
        deadline = _BUDGET.get()
        if deadline is None or deadline == float("inf"):
            return default
        return max(0.0, min(default, deadline - time.monotonic()))

    @staticmethod
    @contextlib.contextmanager
    def until(deadline: float) -> Iterator[None]:
        """Within the block, nothing may run past `deadline` (time.monotonic), nor past an
        outer deadline: a phase cannot take what its method has not got."""
        outer = _BUDGET.get()
        token = _BUDGET.set(deadline if outer is None else min(outer, deadline))
        try:
            yield
        finally:
            _BUDGET.reset(token)
