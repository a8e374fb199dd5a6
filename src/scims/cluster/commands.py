"""The one door to Sun Cluster: the scha_* commands, pmfadm and hatimerun.

Every call runs a program from `/usr/cluster/bin` by absolute path, with an argument
list (never a shell), a clean environment (PATH only), cwd `/` and a
timeout. Output is parsed here into Python values, as scha_cmds(1HA) documents it: one value
per line, booleans TRUE/FALSE, string arrays one element per line, extension properties a
type line and then the value(s), Status two lines. A non-zero exit status is a scha_err_t and
becomes a `FrameworkError` naming it.

Commands are not started in a session of their own: the RGM kills a method's process group
when the method times out, and that must take the method's children with it. A descendant
that leaves the group (setsid and a double fork, its pipes closed) escapes that, so the method
makes itself a child subreaper (Linux prctl PR_SET_CHILD_SUBREAPER): such an orphan is
reparented to the method, not to init, and is killed with its descendants when the call that
started it ends (`_end_orphans`).

Within `remembered_answers()` (every method the RGM runs, for its whole life) each query is
asked once: the same command line gets the answer the cluster gave the first time. See there
why nothing needs to make it forget.
"""

from __future__ import annotations

import contextlib
import os
import signal as signals
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Optional, Union

from scims.cluster.scha_errors import SchaError, lookup
from scims.errors import FrameworkError
from scims.log.cformat import printable as escape_text
from scims.trust import Budget

BIN_DIR = "/usr/cluster/bin"

QUERY_TIMEOUT = 30.0
"""Seconds a query may take; they answer in milliseconds on a healthy cluster."""

CONTROL_TIMEOUT = 1800.0
"""scha_control returns only once the group has moved or restarted; the caller may pass less."""

_KILL_GRACE = 5.0

ExtensionValue = Union[str, int, bool, list]
"""An extension property value: str (STRING, ENUM), int, bool, or list of str (STRINGARRAY)."""

RESOURCE_STATUSES = ("OK", "DEGRADED", "FAULTED", "UNKNOWN", "OFFLINE")
CONTROL_TAGS = (
    "GIVEOVER",
    "RESTART",
    "RESOURCE_RESTART",
    "RESOURCE_IS_RESTARTED",
    "CHECK_GIVEOVER",
    "CHECK_RESTART",
)


# --- running a command ----------------------------------------------------------------------


@dataclass(frozen=True)
class Completed:
    """What a command did: exit status, stdout split into lines, stderr text."""

    command: str
    status: int
    lines: tuple[str, ...]
    stderr: str


def checked_word(value: str, what: str) -> str:
    """A name (resource, group, tag, optag) safe to pass as one argument.

    A value starting with '-' would be read as an option by the command's getopt; a newline
    would break its one-value-per-line answer.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    if value.startswith("-") or any(ch < " " or ch == "\x7f" for ch in value):
        raise ValueError(f"{what} {value!r} is not a valid name")
    return value


def _environment() -> dict[str, str]:
    return {"PATH": f"{BIN_DIR}:/usr/bin:/bin"}


def _split_lines(text: str) -> tuple[str, ...]:
    if not text:
        return ()
    if text.endswith("\n"):
        text = text[:-1]
    return tuple(text.split("\n"))


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def run(command: str, args: Sequence[str], timeout: float, subject: str = "") -> Completed:
    """Run `command` from the cluster's bin directory; raise only if it could not run or
    did not finish in time (the caller judges the exit status).

    The time is `timeout` or what is left of the method's own (trust.Budget), whichever is
    less. A command that does not finish in it dies with every process it started, also
    those holding its output pipes after it is gone, and the call returns at once.
    """
    if Budget.left(timeout) <= 0:
        raise FrameworkError(command, SchaError.TIMEOUT, "no time was left for it", subject)
    proc = _spawn(command, args, subject)
    try:
        return _collect(proc, command, timeout, subject)
    finally:
        _end_orphans(proc)


def _spawn(command: str, args: Sequence[str], subject: str) -> subprocess.Popen[bytes]:
    """Start `command` (the first half of `run`); FrameworkError if it cannot run."""
    path = f"{BIN_DIR}/{command}"
    try:
        proc = subprocess.Popen(
            [path, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_environment(),
            cwd="/",
        )
    except OSError as exc:
        raise FrameworkError(
            command, SchaError.INTERNAL, f"cannot run {path}: {exc.strerror}", subject
        ) from exc
    if _SUBREAPER and _SUBREAPER[0]:
        _STARTED[proc.pid] = (proc, _start_time(proc.pid))
    return proc


# --- orphans: what a command leaves behind ----------------------------------------------------

_PR_SET_CHILD_SUBREAPER = 36
_SUBREAPER: list[bool] = []
"""Whether this process is a child subreaper, once asked (empty: not yet)."""
_STARTED: dict[int, tuple[subprocess.Popen[bytes], float]] = {}
"""The commands this process started (and when, as the kernel counts it) while it is a
subreaper, until they are reaped."""
_ORPHAN_ROUNDS = 5
"""How often the orphans are looked for again in one go: killing one may orphan its children."""


def become_subreaper() -> bool:
    """Make this process the reaper of its descendants' orphans (Linux 3.4 and later), once:
    a grandchild that detaches from a command then comes back to the method instead of init,
    and ends with the call. Only a process that starts nothing but commands may be one
    (method_runtime.run_method: the methods and ims_probe), since every child it did not
    start here is killed as an orphan. Elsewhere nothing is done. True when it is one."""
    if not _SUBREAPER:
        done = False
        if sys.platform.startswith("linux"):
            import ctypes  # noqa: PLC0415 - about 1 ms, once, in a method that runs a command

            try:
                libc = ctypes.CDLL(None, use_errno=True)
                done = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
            except (OSError, AttributeError):
                done = False
        _SUBREAPER.append(done)
    return _SUBREAPER[0]


def _own_children() -> list[int]:
    """This process's children, as the kernel lists them (Linux /proc/<pid>/task/*/children)."""
    me = os.getpid()
    try:
        tasks = os.listdir(f"/proc/{me}/task")
    except OSError:
        return []
    found: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{me}/task/{task}/children", "rb") as f:
                found += [int(word) for word in f.read().split()]
        except (OSError, ValueError):
            continue
    return found


def _start_time(pid: int) -> float:
    """When the kernel says `pid` started; 0 when it cannot say (a command gone at once):
    then every orphan the method adopts from that call counts as the call's."""
    from scims import process_table  # noqa: PLC0415 - already loaded by any method

    try:
        return process_table.started(pid)[0]
    except (process_table.Gone, OSError):
        return 0.0


def _end_orphans(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL, with their descendants, the processes this method adopted from the call of
    `proc` (become_subreaper): children it did not start itself, born since that command
    started -- a command's detached grandchildren -- and reap them. Nothing a call started
    outlives it; commands still running (asked ahead) and older children are not touched."""
    entry = _STARTED.pop(proc.pid, None)
    if entry is None:
        return
    since = entry[1]
    for _round in range(_ORPHAN_ROUNDS):
        orphans = [pid for pid in _own_children()
                   if pid not in _STARTED and pid != proc.pid and _start_time(pid) >= since]
        if not orphans:
            return
        import psutil  # noqa: PLC0415 - only when a command left something behind

        for pid in orphans:
            victims: list[psutil.Process] = []
            with contextlib.suppress(psutil.Error):
                parent = psutil.Process(pid)
                victims = [*parent.children(recursive=True), parent]
            for victim in victims:
                with contextlib.suppress(psutil.Error):
                    victim.kill()
        _reap(orphans, time.monotonic() + _KILL_GRACE)


def _reap(pids: list[int], deadline: float) -> None:
    """Collect the exit of killed orphans until `deadline`; one stuck in the kernel is left
    for the next call (or init, once the method exits)."""
    left = list(pids)
    while left:
        for pid in list(left):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                left.remove(pid)
        if not left or time.monotonic() >= deadline:
            return
        time.sleep(0.01)


def _collect(proc: subprocess.Popen[bytes], command: str, timeout: float,
             subject: str) -> Completed:
    """Wait for a started command (the second half of `run`), within `timeout` or what is
    left of the method's time, whichever is less."""
    timeout = Budget.left(timeout)
    if timeout <= 0:
        _kill_tree(proc)
        raise FrameworkError(command, SchaError.TIMEOUT, "no time was left for it", subject)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(proc)
        raise FrameworkError(
            command, SchaError.TIMEOUT, f"no answer within {timeout:g} seconds", subject
        ) from None
    return Completed(
        command,
        proc.returncode,
        _split_lines(out.decode("utf-8", "replace")),
        err.decode("utf-8", "replace"),
    )


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a timed-out command, its descendants, and whatever else holds its pipes (a
    grandchild that was reparented), as the kernel shows them; then stop waiting."""
    pipe_inodes = set()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            try:
                pipe_inodes.add(os.fstat(pipe.fileno()).st_ino)
            except (OSError, ValueError):
                pass
    import psutil  # noqa: PLC0415 - a method whose commands all answer never loads it

    victims: list[psutil.Process] = []
    try:
        parent = psutil.Process(proc.pid)
        victims = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        pass
    for victim in victims:
        with contextlib.suppress(psutil.Error):
            victim.kill()
    for pid in _pipe_holders(pipe_inodes):
        with contextlib.suppress(OSError):
            os.kill(pid, signals.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    try:
        proc.wait(timeout=_KILL_GRACE)
    except subprocess.TimeoutExpired:
        pass  # in the kernel (uninterruptible); nothing more a method can do


def _pipe_holders(inodes: set[int]) -> list[int]:
    """Processes (other than this one) with one of the pipes `inodes` open (Linux /proc)."""
    if not inodes or not os.path.isdir("/proc/self/fd"):
        return []
    wanted = {f"pipe:[{inode}]" for inode in inodes}
    me = os.getpid()
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{entry}/fd/{fd}") in wanted:
                    found.append(int(entry))
                    break
            except OSError:
                continue
    return found


def _require_success(done: Completed, subject: str) -> Completed:
    if done.status != 0:
        raise FrameworkError(done.command, done.status, _first_line(done.stderr), subject)
    return done


# --- remembered answers -----------------------------------------------------------------------

_Answer = Union[Completed, FrameworkError]
_ANSWERS: ContextVar[Optional[dict[tuple[str, ...], _Answer]]] = ContextVar(
    "framework_answers", default=None)

PASSING_ERRORS = frozenset({SchaError.RECONF, SchaError.SEQID})
"""Answers that say "not now" (the cluster reconfigures, the object changed meanwhile): never
remembered, so a question asked again gets a fresh answer."""

VOLATILE_OPTAGS = frozenset({"status", "status_msg"})
"""What a method itself changes (scha_resource_setstatus): forgotten when it sets them."""


_PENDING: ContextVar[Optional[dict[tuple[str, ...], subprocess.Popen[bytes]]]] = ContextVar(
    "framework_pending", default=None)
"""Queries started ahead (ask_ahead) whose answers no one has collected yet."""


@contextlib.contextmanager
def remembered_answers() -> Iterator[None]:
    """Ask each question once in this block: a query (scha_resource_get, _resourcegroup_get,
    _resourcetype_get, scha_cluster_get) with the same arguments gets the first answer
    again, an error exit included (SCHA_ERR_RSRC stays SCHA_ERR_RSRC); a query that could not
    run, timed out or was told "not now" (PASSING_ERRORS) is not remembered and is asked
    again if asked again.

    Nothing invalidates these answers, because a method is short-lived: the RGM runs one
    method of a resource at a time and changes its properties only through Validate and
    Update, between method calls, so what the cluster said at the start of a method holds
    until its end -- and a method acts on one consistent view instead of answers that
    straddle a change. The exceptions are the method's own doing: setting the resource's
    status forgets Status and Status_msg, and scha_control (which moves or restarts the
    group) forgets everything. The fault monitor runs for days; it remembers only while it
    starts up (fault_monitor.run_probe), and asks afresh whenever it decides.
    """
    token = _ANSWERS.set({})
    pending_token = _PENDING.set({})
    try:
        yield
    finally:
        _abandon(_PENDING.get() or {})
        _PENDING.reset(pending_token)
        _ANSWERS.reset(token)


_ABANDON_GRACE = 1.0
"""Seconds, all together, that queries asked ahead and never needed may take to end."""


def _abandon(pending: dict[tuple[str, ...], subprocess.Popen[bytes]]) -> None:
    """Queries asked ahead that the method never needed (it failed before): reaped, or
    killed with what they started if they still run after a moment (a hung cluster must not
    hold a failing method), so that nothing outlives the method."""
    deadline = time.monotonic() + _ABANDON_GRACE
    for proc in pending.values():
        try:
            proc.communicate(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_tree(proc)
        _end_orphans(proc)
    pending.clear()


def _ask_ahead(command: str, args: list[str]) -> None:
    """Start a query now, so that its answer is ready (or nearly) when the method asks it:
    the queries a method is sure to ask run at once instead of one after another. Only
    within remembered_answers, never twice, and never one already answered; a query that
    cannot be started here is simply asked later as usual. The first `_query` with the same
    command line collects it, with its own timeout, and remembers it as if asked then."""
    answers, pending = _ANSWERS.get(), _PENDING.get()
    key = (command, *args)
    if answers is None or pending is None or key in answers or key in pending:
        return
    if Budget.left(QUERY_TIMEOUT) <= 0:
        return
    try:
        pending[key] = _spawn(command, args, "")
    except FrameworkError:
        return


def ask_ahead_resource(optag: str, r: str, g: Optional[str] = None, *extra: str) -> None:
    """`resource_get(optag, r, g, *extra)` started now (`_ask_ahead`)."""
    _ask_ahead("scha_resource_get", _resource_args(optag, r, g, extra))


def ask_ahead_extension(r: str, g: str, name: str) -> None:
    """`extension(r, g, name)` started now (`_ask_ahead`)."""
    ask_ahead_resource("Extension", r, g, checked_word(name, "property name"))


def ask_ahead_group(optag: str, g: str, *extra: str) -> None:
    """`resourcegroup_get(optag, g, *extra)` started now (`_ask_ahead`)."""
    _ask_ahead("scha_resourcegroup_get", _group_args(optag, g, extra))


def ask_ahead_cluster(optag: str, *extra: str) -> None:
    """`cluster_get(optag, *extra)` started now (`_ask_ahead`)."""
    _ask_ahead("scha_cluster_get", _cluster_args(optag, extra))


def _forget(optags: Optional[frozenset[str]] = None) -> None:
    """Forget the answers to queries of `optags` (lower case), or every answer."""
    answers = _ANSWERS.get()
    if answers is None:
        return
    if optags is None:
        answers.clear()
        _abandon(_PENDING.get() or {})  # started before the change: not to be believed
        return
    for key in [k for k in answers if len(k) > 2 and k[2].lower() in optags]:
        del answers[key]


def _query(command: str, args: list[str], timeout: float, optag: str) -> Completed:
    """Run a query, or give the answer it got before in this method; raise on an error
    exit (FrameworkError naming it)."""
    answers, pending = _ANSWERS.get(), _PENDING.get()
    key = (command, *args)
    if answers is not None and key in answers:
        known = answers[key]
        if isinstance(known, FrameworkError):
            raise FrameworkError(known.command, known.err, known.detail, known.subject)
        return known
    started = pending.pop(key, None) if pending is not None else None
    if started is not None:
        try:
            done = _collect(started, command, timeout, optag)
        finally:
            _end_orphans(started)
    else:
        done = run(command, args, timeout, optag)
    answer: _Answer = done
    if done.status != 0:
        answer = FrameworkError(done.command, done.status, _first_line(done.stderr), optag)
    if answers is not None and done.status not in PASSING_ERRORS:
        answers[key] = answer
    if isinstance(answer, FrameworkError):
        raise answer
    return done


# --- queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """The answer to a query, read as the type the caller expects."""

    command: str
    optag: str
    lines: tuple[str, ...]

    def _unexpected(self, why: str) -> FrameworkError:
        return FrameworkError(self.command, SchaError.INTERNAL, why, self.optag)

    def as_str(self) -> str:
        """A single value; an absent value (no line) is the empty string."""
        if len(self.lines) > 1:
            raise self._unexpected(f"expected one value, got {len(self.lines)} lines")
        return self.lines[0] if self.lines else ""

    def as_int(self) -> int:
        return parse_int(self.as_str(), self._unexpected)

    def as_bool(self) -> bool:
        return parse_bool(self.as_str(), self._unexpected)

    def as_list(self) -> list[str]:
        return list(self.lines)


def parse_int(text: str, failure: Callable[[str], Exception] = ValueError) -> int:
    """`%d` output; `failure(why)` builds the exception for anything else."""
    stripped = text.strip()
    body = stripped[1:] if stripped[:1] in ("+", "-") else stripped
    if body.isascii() and body.isdigit():
        return int(stripped)
    raise failure(f"expected an integer, got {text!r}")


def parse_bool(text: str, failure: Callable[[str], Exception] = ValueError) -> bool:
    """TRUE/FALSE as the commands print them (any case)."""
    word = text.strip().upper()
    if word in ("TRUE", "FALSE"):
        return word == "TRUE"
    raise failure(f"expected TRUE or FALSE, got {text!r}")


def _resource_args(optag: str, r: str, g: Optional[str], extra: Sequence[str]) -> list[str]:
    args = ["-O", checked_word(optag, "optag"), "-R", checked_word(r, "resource")]
    if g is not None:
        args += ["-G", checked_word(g, "resource group")]
    return args + [checked_word(e, "argument") for e in extra]


def _group_args(optag: str, g: str, extra: Sequence[str]) -> list[str]:
    args = ["-O", checked_word(optag, "optag"), "-G", checked_word(g, "resource group")]
    return args + [checked_word(e, "argument") for e in extra]


def _cluster_args(optag: str, extra: Sequence[str]) -> list[str]:
    return ["-O", checked_word(optag, "optag"), *(checked_word(e, "argument") for e in extra)]


def resource_get(
    optag: str, r: str, g: Optional[str] = None, *extra: str, timeout: float = QUERY_TIMEOUT
) -> Reply:
    """`scha_resource_get -O optag -R r [-G g] [extra...]`."""
    done = _query("scha_resource_get", _resource_args(optag, r, g, extra), timeout, optag)
    return Reply(done.command, optag, done.lines)


def extension(
    r: str, g: str, name: str, timeout: float = QUERY_TIMEOUT
) -> tuple[str, ExtensionValue]:
    """An extension property as (type, value): the type line decides the Python type."""
    reply = resource_get("Extension", r, g, checked_word(name, "property name"), timeout=timeout)
    reply = Reply(reply.command, name, reply.lines)
    if not reply.lines:
        raise reply._unexpected("no type line")
    kind = reply.lines[0].strip().upper()
    values = Reply(reply.command, name, reply.lines[1:])
    value: ExtensionValue
    if kind in ("STRING", "ENUM"):
        value = values.as_str()
    elif kind in ("INT", "UINT"):
        value = values.as_int()
    elif kind == "BOOLEAN":
        value = values.as_bool()
    elif kind in ("STRINGARRAY", "UINTARRAY"):
        value = values.as_list()
    else:
        raise reply._unexpected(f"unknown property type {reply.lines[0]!r}")
    return kind, value


def status(r: str, g: str, timeout: float = QUERY_TIMEOUT) -> tuple[str, str]:
    """(status, status message) of the resource on this node; the message may be ''."""
    reply = resource_get("Status", r, g, timeout=timeout)
    if not reply.lines or len(reply.lines) > 2:
        raise reply._unexpected(f"expected status and message, got {len(reply.lines)} lines")
    message = reply.lines[1] if len(reply.lines) == 2 else ""
    return reply.lines[0].strip(), message


def resourcegroup_get(optag: str, g: str, *extra: str, timeout: float = QUERY_TIMEOUT) -> Reply:
    """`scha_resourcegroup_get -O optag -G g [extra...]`."""
    done = _query("scha_resourcegroup_get", _group_args(optag, g, extra), timeout, optag)
    return Reply(done.command, optag, done.lines)


def resourcetype_get(optag: str, t: str, timeout: float = QUERY_TIMEOUT) -> Reply:
    """`scha_resourcetype_get -O optag -T t`."""
    args = ["-O", checked_word(optag, "optag"), "-T", checked_word(t, "resource type")]
    done = _query("scha_resourcetype_get", args, timeout, optag)
    return Reply(done.command, optag, done.lines)


def cluster_get(optag: str, *extra: str, timeout: float = QUERY_TIMEOUT) -> Reply:
    """`scha_cluster_get -O optag [extra...]`."""
    done = _query("scha_cluster_get", _cluster_args(optag, extra), timeout, optag)
    return Reply(done.command, optag, done.lines)


# --- actions --------------------------------------------------------------------------------


def control(tag: str, g: str, r: str, timeout: float = CONTROL_TIMEOUT) -> SchaError:
    """`scha_control -O tag -G g -R r`: the cluster's verdict, not an exception.

    A rejection (SCHA_ERR_CHECKS when no node is healthy, ping-pong, Failover_mode) is an
    ordinary outcome the fault monitor decides on, and so is a timeout (SCHA_ERR_TIMEOUT).
    Only a command that cannot run, or exits outside the table, raises.
    """
    if tag.upper() not in CONTROL_TAGS:
        raise ValueError(f"unknown scha_control tag {tag!r}")
    args = ["-O", tag.upper(), "-G", checked_word(g, "resource group"),
            "-R", checked_word(r, "resource")]
    _forget()  # the group moves or restarts: what was true of it may no longer be
    try:
        done = run("scha_control", args, timeout, tag.upper())
    except FrameworkError as exc:
        if exc.timed_out:
            return SchaError.TIMEOUT
        raise
    err = lookup(done.status)
    if err is None:
        raise FrameworkError(done.command, done.status, _first_line(done.stderr), tag.upper())
    return err


def one_line(text: str) -> str:
    """`text` as one line for Status_msg: every line break and byte that is not UTF-8
    escaped, as in the log (trust.escape_text)."""
    return escape_text(text)


def set_status(r: str, g: str, status: str, msg: Optional[str] = None,
               timeout: float = QUERY_TIMEOUT) -> None:
    """`scha_resource_setstatus -R r -G g -s status [-m msg]`; no msg clears Status_msg."""
    if status not in RESOURCE_STATUSES:
        raise ValueError(f"unknown resource status {status!r}")
    args = ["-R", checked_word(r, "resource"), "-G", checked_word(g, "resource group"),
            "-s", status]
    if msg is not None:
        args += ["-m", one_line(msg)]
    _forget(VOLATILE_OPTAGS)
    _require_success(run("scha_resource_setstatus", args, timeout, status), status)


# --- the process monitor facility ------------------------------------------------------------

SignalSpec = Union[int, str]


def signal_name(sig: SignalSpec) -> str:
    """A signal as pmfadm and hatimerun take it: the kill(1) name without SIG (TERM, KILL)."""
    try:
        if isinstance(sig, int):
            return signals.Signals(sig).name[3:]
        name = sig.upper()
        name = name[3:] if name.startswith("SIG") else name
        return signals.Signals[f"SIG{name}"].name[3:]
    except (KeyError, ValueError):
        raise ValueError(f"unknown signal {sig!r}") from None


def _env_assignment(key: str, value: str) -> str:
    if not key or not (key[0].isalpha() or key[0] == "_") or not all(
        ch.isascii() and (ch.isalnum() or ch == "_") for ch in key
    ):
        raise ValueError(f"invalid environment variable name {key!r}")
    if "\x00" in value:
        raise ValueError(f"environment value of {key} contains NUL")
    return f"{key}={value}"


def _program(argv: Sequence[str]) -> list[str]:
    if not argv or not argv[0].startswith("/"):
        raise ValueError("the program must be named by an absolute path (PMF resets cwd)")
    if any("\x00" in a for a in argv):
        raise ValueError("program arguments may not contain NUL")
    return list(argv)


class Pmf:
    """pmfadm(1M): start, signal, stop and query process trees under a tag.

    Tags are `<RG>,<R>,0.svc` and `<RG>,<R>,0.mon`. Stopping a tag that is not running
    succeeds, as scds_pmf_stop does: Stop must recover from everything.
    """

    def __init__(self, timeout: float = QUERY_TIMEOUT) -> None:
        self.timeout = timeout

    def start(
        self,
        tag: str,
        argv: Sequence[str],
        *,
        retries: int = 0,
        period_minutes: int = -1,
        child_level: int = -1,
        env: Optional[Mapping[str, str]] = None,
        action: Optional[str] = None,
    ) -> None:
        """`pmfadm -c tag [-a action] [-e V=v...] -n retries -t period [-C level] argv...`.

        child_level -1 (all descendants) is pmfadm's default and is not passed.
        """
        args = ["-c", checked_word(tag, "PMF tag")]
        if action is not None:
            args += ["-a", _program([action])[0]]
        for key, value in (env or {}).items():
            args += ["-e", _env_assignment(key, value)]
        args += ["-n", str(int(retries)), "-t", str(int(period_minutes))]
        if child_level >= 0:
            args += ["-C", str(int(child_level))]
        args += _program(argv)
        _require_success(run("pmfadm", args, self.timeout, tag), tag)

    def modify(self, tag: str, *, retries: int, period_minutes: int,
               missing_ok: bool = False) -> bool:
        """`pmfadm -m tag -n retries -t period`: how often PMF restarts a running tag.

        With `missing_ok`, a tag that is not registered is no error: pmfadm -m is simply
        tried (it refuses a tag it does not hold), and only when it fails is pmfadm -q asked
        whether the tag is there, instead of asking before every change. True when the
        change was made."""
        args = ["-m", checked_word(tag, "PMF tag"), "-n", str(int(retries)),
                "-t", str(int(period_minutes))]
        done = run("pmfadm", args, self.timeout, tag)
        if done.status != 0 and missing_ok and not self.is_running(tag):
            return False
        _require_success(done, tag)
        return True

    def _signal(self, option: str, tag: str, sig: Optional[SignalSpec],
                wait: Optional[float]) -> Completed:
        args = [option, checked_word(tag, "PMF tag")]
        timeout = self.timeout
        if wait is not None:
            args += ["-w", str(max(0, int(wait)))]
            timeout += max(0, int(wait))
        if sig is not None:
            args.append(signal_name(sig))
        return run("pmfadm", args, timeout, tag)

    def stop(self, tag: str, signal: Optional[SignalSpec] = "TERM",
             wait: Optional[float] = None, *, running: Optional[bool] = None,
             ask_first: bool = True) -> bool:
        """`pmfadm -s tag [-w wait] [signal]`: stop monitoring and signal the tree; with no
        signal only the monitoring stops (scds_pmf_stop_monitoring): PMF restarts nothing and
        reports no failure while the service shuts itself down.

        With `wait`, success means the tree is gone. A tag that is not (or no longer)
        registered is success; pmfadm failing while the tag stays registered raises.
        `running=True` says the caller has just seen the tag registered (`is_running`), so it
        is not asked again first. True when the tag is known not to be registered any more
        (it was not, or pmfadm -s failed because it no longer was): the caller need not ask.
        `ask_first=False`, for a tag that is most likely registered, tries pmfadm -s at once
        (it refuses a tag it does not hold) and asks pmfadm -q only when it fails.
        """
        if running is None and ask_first:
            running = self.is_running(tag)
        if running is False:
            return True
        done = self._signal("-s", tag, signal, wait)
        if done.status != 0:
            if self.is_running(tag):
                raise FrameworkError(done.command, done.status, _first_line(done.stderr), tag)
            return True
        return False

    def kill(self, tag: str, signal: SignalSpec, wait: Optional[float] = None) -> None:
        """`pmfadm -k tag [-w wait] signal`: signal the tree, keep monitoring (PMF may restart)."""
        if not self.is_running(tag):
            return
        done = self._signal("-k", tag, signal, wait)
        if done.status != 0 and self.is_running(tag):
            raise FrameworkError(done.command, done.status, _first_line(done.stderr), tag)

    def is_running(self, tag: str) -> bool:
        """`pmfadm -q tag`: exit 0 when the tag is registered, non-zero when it is not."""
        return run("pmfadm", ["-q", checked_word(tag, "PMF tag")], self.timeout, tag).status == 0

    def listing(self, tag: str) -> list[str]:
        """`pmfadm -l tag` output lines (named `listing` so as not to shadow `list`)."""
        done = _require_success(
            run("pmfadm", ["-l", checked_word(tag, "PMF tag")], self.timeout, tag), tag
        )
        return list(done.lines)

    def pids(self, tag: str) -> list[int]:
        """The process ids `pmfadm -l` reports on its `pids:` line (none if it has none)."""
        for line in self.listing(tag):
            key, _, rest = line.strip().partition(":")
            if key.strip().lower() == "pids":
                return [int(word) for word in rest.split() if word.isascii() and word.isdigit()]
        return []


# --- hatimerun ------------------------------------------------------------------------------

HATIMERUN_TIMED_OUT = 99
HATIMERUN_ERROR = 98


@dataclass(frozen=True)
class TimedRun:
    """The exit status of a program run under hatimerun, and whether its time ran out."""

    status: int
    timed_out: bool


def hatimerun(timeout: int, argv: Sequence[str], kill_signal: Optional[SignalSpec] = None
              ) -> TimedRun:
    """`hatimerun -t timeout [-k sig] argv...`.

    Exit 99 is hatimerun's timeout (its process group killed), 98 its own error (or the
    program's 98: hatimerun cannot tell them apart, neither can we).
    """
    if int(timeout) < 1:
        raise ValueError("hatimerun needs a timeout of at least one second")
    args = ["-t", str(int(timeout))]
    if kill_signal is not None:
        args += ["-k", signal_name(kill_signal)]
    args += _program(argv)
    done = run("hatimerun", args, int(timeout) + QUERY_TIMEOUT, argv[0])
    return TimedRun(done.status, done.status == HATIMERUN_TIMED_OUT)
