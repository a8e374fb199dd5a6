"""hatimerun(1M): run a program under a timeout, as its own process group.

Why: agents (and scds_timerun) bound every probe and external command with it; what
matters to them is the exit status contract:

    hatimerun -t timeOutSecs [-av] [-e exitcode] prog args
    hatimerun -t timeOutSecs [-v] [-e exitcode] [-k signalname] prog args

* prog runs as a child in a process group of its own; its exit status is returned (a
  child killed by signal n gives 128+n, as a shell reports it).
* On timeout the whole group is sent SIGKILL (or the -k signal: kill(1) names, with or
  without SIG, any case, or a number) and hatimerun exits 99 (or the -e code).
* `-a`: on timeout exit 99 at once and leave the child running; illegal with -k.
* `-v`: say on stderr what happens (start, timeout, signal).
* hatimerun's own errors (usage, prog not executable) exit 98.
* SIGTERM to hatimerun kills the child's group (-k signal or SIGKILL, even with -a) and
  exits 98.
"""

from __future__ import annotations

import os
import signal
import sys

from clustersim import options, procs
from clustersim.options import UsageError, signal_number

TYPE_CHECKING = False  # typing itself costs each call ~3 ms of imports
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any

    from clustersim.paths import CommandLayout

PROG = "hatimerun"
EXIT_TIMEOUT = 99
EXIT_ERROR = 98
USAGE = (
    "usage:\thatimerun -t timeOutSecs [-av] [-e exitcode] prog args\n"
    "\thatimerun -t timeOutSecs [-v] [-e exitcode] [-k signalname] prog args"
)


def parse(argv: list[str]) -> tuple[dict[str, Any], list[str]]:
    """getopt(3C)-style: options (`-av` may be grouped) up to the program name."""
    pairs, prog = options.parse(argv, "av", "tek")
    opts: dict[str, Any] = {letter: True if letter in "av" else value for letter, value in pairs}
    if "t" not in opts:
        raise UsageError("-t timeOutSecs is required")
    try:
        opts["t"] = int(opts["t"])
    except ValueError:
        raise UsageError(f"-t: not a number of seconds: {opts['t']}") from None
    if opts["t"] < 0:
        raise UsageError(f"-t: timeout must not be negative: {opts['t']}")
    if "e" in opts:
        try:
            opts["e"] = int(opts["e"])
        except ValueError:
            raise UsageError(f"-e: not an exit code: {opts['e']}") from None
        if not 0 <= opts["e"] <= 255:
            raise UsageError(f"-e: exit code out of range: {opts['e']}")
    if "k" in opts:
        if "a" in opts:
            raise UsageError("-a and -k cannot be used together")
        try:
            opts["k"] = signal_number(opts["k"])
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if not prog:
        raise UsageError("no program given")
    return opts, prog


def main(argv: list[str], *, layout: CommandLayout | None = None, node: str | None = None) -> int:
    """Run hatimerun with `argv` (without the program name); returns the exit status.

    `layout` and `node` are accepted for symmetry with the other node commands; hatimerun
    needs no cluster service.
    """
    del layout, node
    try:
        opts, prog = parse(argv)
    except UsageError as exc:
        print(f"{PROG}: {exc}\n{USAGE}", file=sys.stderr)
        return EXIT_ERROR
    verbose = bool(opts.get("v"))
    timeout_code = int(opts.get("e", EXIT_TIMEOUT))
    kill_sig = int(opts.get("k", signal.SIGKILL))

    # SIGTERM wakes the wait through a pipe (the handler writes a byte to it), so that
    # neither an exit nor a SIGTERM waits for a poll step.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    terminated: list[int] = []

    def on_term(signum: int, _frame: FrameType | None) -> None:
        terminated.append(signum)
        try:
            os.write(wake_w, b"x")
        except OSError:
            pass

    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread (called from a test): no handler to install
        pass
    try:
        try:
            pid = _spawn(prog)
        except OSError as exc:
            print(f"{PROG}: {prog[0]}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_ERROR
        if verbose:
            print(f"{PROG}: started {prog[0]} (pid {pid}), timeout {opts['t']}s",
                  file=sys.stderr)  # fmt: skip
        if procs.exited(pid, opts["t"], wake_fd=wake_r) is not False:
            status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            return status if status >= 0 else 128 - status
        if terminated:
            _kill_group(pid, kill_sig, verbose, "terminated")
            return EXIT_ERROR
        if opts.get("a"):
            if verbose:
                print(f"{PROG}: timed out after {opts['t']}s; leaving pid {pid} "
                      "running", file=sys.stderr)  # fmt: skip
            return timeout_code
        _kill_group(pid, kill_sig, verbose, f"timed out after {opts['t']}s")
        return timeout_code
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        os.close(wake_r)
        os.close(wake_w)


def _spawn(prog: list[str]) -> int:
    """Start `prog` (searched in PATH) in a process group of its own, with the signal
    dispositions a program expects (Python ignores SIGPIPE and SIGXFSZ) and only stdin,
    stdout and stderr open. posix_spawn, not subprocess: subprocess (with locale, re and
    threading) is most of hatimerun's start-up otherwise."""
    for name in os.listdir("/proc/self/fd"):
        if int(name) > 2:
            try:
                os.set_inheritable(int(name), False)
            except OSError:  # the directory's own descriptor, closed meanwhile
                pass
    return os.posix_spawnp(prog[0], prog, dict(os.environ), setpgroup=0,
                           setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))


def _kill_group(pid: int, sig: int, verbose: bool, why: str) -> None:
    if verbose:
        name = signal.Signals(sig).name
        print(f"{PROG}: {why}; sending {name} to process group {pid}", file=sys.stderr)
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
    if procs.exited(pid, 1.0):  # reap it if it dies promptly (SIGKILL always does)
        os.waitpid(pid, 0)


def _cli() -> int:
    """`python -m clustersim.hatimerun [hatimerun args]`."""
    return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(_cli())
