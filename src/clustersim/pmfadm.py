"""pmfadm(1M): the command-line interface to the node's process monitor facility.

Why: the agent drives PMF only through this command (`<root>/usr/cluster/bin/pmfadm`,
a generated wrapper calling `main(argv, layout=..., node=...)`), exactly as it would on
Solaris:

    pmfadm -c nametag [-a action] [[-e ENV_VAR=env.var...] | -E] [-n retries]
           [-t period] [-C level#] command [args-to-command...]
    pmfadm -k nametag [-w timeout] [signal]    signal the tree (default SIGKILL), keep monitoring
    pmfadm -s nametag [-w timeout] [signal]    stop restarting; signal only if one is given
    pmfadm -q nametag                          exit 0 if nametag is registered, 1 otherwise
    pmfadm -l nametag  |  pmfadm -L            status of one tag / all tags
    pmfadm -m nametag [-n retries] [-t period] change the restart policy

`-w timeout` waits up to timeout seconds (-1: without limit) for the processes to exit:
with -k those signalled, with -s every process of the tag (the tag disappears when they
are gone); exit 2 if they did not. Signals are kill(1) names (TERM, SIGTERM, term) or
numbers. `-h host` is accepted for the local node only (no remote PMF in the stand-in).

Exit status (pmfadm(1M) EXIT STATUS, as recalled): 0 success; 1 nametag does not exist
(also `-q` of an unregistered tag), or `-c` of a nametag that already exists; 2 the `-w`
wait timed out; 3 any other error (usage, command not found, permission, pmfd not
running). Errors print one `pmfadm: …` line on stderr; never a traceback.

Listing formats (recalled from Sun Cluster 3.x, not verified against a source):
`-l tag` prints
    STATUS <tag>
    pmfadm -c <tag> [-a <action>] [-e VAR=val ...|-E] -n <retries> -t <period>
        [-C <level>] <command>   (one line)
    <TAB>retries: <restarts counted in the current period>
    <TAB>owner: <user>
    <TAB>monitor children: all | <level>
    <TAB>pids: <pid> ...
and `-L` prints `tags: <tag> <tag> ...` (just `tags:` when none).
"""

from __future__ import annotations

import os
import sys

from clustersim import options
from clustersim.options import UsageError, signal_number
from clustersim.pmf_protocol import PmfdUnavailable, request

TYPE_CHECKING = False  # typing itself costs each call ~3 ms of imports
if TYPE_CHECKING:
    from typing import Any

    from clustersim.paths import CommandLayout

PROG = "pmfadm"
USAGE = """usage:
\tpmfadm -c nametag [-a action] [[-e ENV_VAR=env.var...] | -E] [-n retries] [-t period] \
[-C level#] command [args-to-command...]
\tpmfadm -k nametag [-w timeout] [signal]
\tpmfadm -L [-h host]
\tpmfadm -l nametag [-h host]
\tpmfadm -m nametag [-n retries] [-t period]
\tpmfadm -q nametag [-h host]
\tpmfadm -s nametag [-w timeout] [signal]"""
MODES = ("c", "k", "s", "q", "l", "L", "m")
FLAGS = "LE"
WITH_ARG = "ckqlsmaentCwh"
EXIT_OK = 0
EXIT_NOTAG = 1  # no such nametag, or -c of one that exists
EXIT_TIMEOUT = 2
EXIT_ERR = 3
EXIT_BY_CODE = {"notag": EXIT_NOTAG, "exists": EXIT_NOTAG, "timeout": EXIT_TIMEOUT}


def parse(argv: list[str]) -> tuple[dict[str, Any], list[str]]:
    """getopt(3C)-style parsing: options first, the command (and its args) after."""
    pairs, command = options.parse(argv, FLAGS, WITH_ARG)
    opts: dict[str, Any] = {"e": []}
    for letter, value in pairs:
        if letter == "e":
            opts["e"].append(value)
        elif letter in opts:
            raise UsageError(f"option -{letter} given more than once")
        else:
            opts[letter] = value if letter in WITH_ARG else True
    return opts, command


def _int(opts: dict[str, Any], letter: str, what: str, minimum: int) -> int | None:
    if letter not in opts:
        return None
    try:
        value = int(opts[letter])
    except ValueError:
        raise UsageError(f"-{letter}: {what} must be an integer: {opts[letter]}") from None
    if value < minimum:
        raise UsageError(f"-{letter}: {what} must be at least {minimum}: {value}")
    return value


def format_status(status: dict[str, Any]) -> str:
    """The `pmfadm -l` block of one tag. Pure."""
    import shlex  # noqa: PLC0415 - only -l needs it (it imports re)

    words = ["pmfadm", "-c", status["tag"]]
    if status.get("action"):
        words += ["-a", status["action"]]
    words += list(status.get("env_args") or [])
    words += ["-n", str(status["retries"]), "-t", str(status["period"])]
    if status["level"] >= 0:
        words += ["-C", str(status["level"])]
    words += list(status["argv"])
    children = "all" if status["level"] < 0 else str(status["level"])
    pids = " ".join(str(p) for p in status["pids"])
    return (
        f"STATUS {status['tag']}\n"
        f"{shlex.join(words)}\n"
        f"\tretries: {status['restarts']}\n"
        f"\towner: {status['owner']}\n"
        f"\tmonitor children: {children}\n"
        f"\tpids: {pids}\n"
    )


def _wait(opts: dict[str, Any]) -> float | None:
    if "w" not in opts:
        return None
    try:
        value = int(opts["w"])
    except ValueError:
        raise UsageError(f"-w: timeout must be an integer: {opts['w']}") from None
    if value < -1:
        raise UsageError(f"-w: timeout must be -1 or more: {value}")
    return float(value)


def build_request(opts: dict[str, Any], rest: list[str], node: str) -> dict[str, Any]:
    """The pmfd request for a parsed command line; UsageError if it is not valid."""
    modes = [m for m in MODES if m in opts]
    if len(modes) != 1:
        raise UsageError("exactly one of -c, -k, -s, -q, -l, -L, -m is required")
    mode = modes[0]
    allowed = {
        "c": set("caeEntC"), "k": set("kw"), "s": set("sw"), "q": set("qh"),
        "l": set("lh"), "L": set("Lh"), "m": set("mnt"),
    }[mode]  # fmt: skip
    extra = sorted(k for k in opts if k not in allowed and not (k == "e" and not opts["e"]))
    if extra:
        raise UsageError(f"option -{extra[0]} cannot be used with -{mode}")
    if "h" in opts and opts["h"] not in ("localhost", node):
        raise UsageError(f"-h {opts['h']}: only the local node can be queried")
    if mode == "c":
        if not rest:
            raise UsageError("no command given")
        if opts["e"] and "E" in opts:
            raise UsageError("-e and -E are mutually exclusive")
        env: dict[str, str] = dict(os.environ) if "E" in opts else {}
        for item in opts["e"]:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise UsageError(f"-e {item}: expected ENV_VAR=value")
            env[name] = value
        env_args = ["-E"] if "E" in opts else [w for item in opts["e"] for w in ("-e", item)]
        retries = _int(opts, "n", "retries", -1)
        period = _int(opts, "t", "period", -1)
        level = _int(opts, "C", "level", 0)
        return {
            "op": "start", "tag": opts["c"], "argv": rest, "action": opts.get("a"),
            "env": env, "env_args": env_args, "cwd": _cwd(),
            "path": os.environ.get("PATH", "/usr/bin:/bin"),
            "retries": 0 if retries is None else retries,
            "period": -1 if period is None else period,
            "level": -1 if level is None else level,
        }  # fmt: skip
    if mode in ("k", "s"):
        if len(rest) > 1:
            raise UsageError("too many arguments")
        sig: int | None = None
        if rest:
            try:
                sig = signal_number(rest[0])
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        elif mode == "k":
            sig = 9  # SIGKILL, pmfadm's default for -k
        return {"op": "signal" if mode == "k" else "stop", "tag": opts[mode], "sig": sig,
                "wait": _wait(opts)}  # fmt: skip
    if rest:
        raise UsageError("too many arguments")
    if mode == "q":
        return {"op": "query", "tag": opts["q"]}
    if mode == "l":
        return {"op": "status", "tag": opts["l"]}
    if mode == "L":
        return {"op": "list"}
    return {"op": "modify", "tag": opts["m"], "retries": _int(opts, "n", "retries", -1),
            "period": _int(opts, "t", "period", -1)}  # fmt: skip


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the directory was removed under us: PMF would run from /
        return "/"


def main(argv: list[str], *, layout: CommandLayout, node: str) -> int:
    """Run pmfadm with `argv` (without the program name) against `node`'s pmfd."""
    try:
        opts, rest = parse(argv)
        message = build_request(opts, rest, node)
    except UsageError as exc:
        print(f"{PROG}: {exc}\n{USAGE}", file=sys.stderr)
        return EXIT_ERR
    wait = message.get("wait")
    timeout = None if wait is not None and wait < 0 else 60.0 + (wait or 0.0)
    try:
        reply = request(layout, node, message, timeout=timeout)
    except PmfdUnavailable as exc:
        print(
            f"{PROG}: the process monitor facility is not running on node {node} ({exc})",
            file=sys.stderr,
        )
        return EXIT_ERR
    op = message["op"]
    if op == "query":
        return EXIT_OK if reply.get("ok") and reply.get("registered") else EXIT_NOTAG
    if not reply.get("ok"):
        print(f"{PROG}: {reply.get('error', 'request failed')}", file=sys.stderr)
        return EXIT_BY_CODE.get(str(reply.get("code")), EXIT_ERR)
    if op == "status":
        sys.stdout.write(format_status(reply["status"]))
    elif op == "list":
        sys.stdout.write(" ".join(["tags:", *reply["tags"]]) + "\n")
    sys.stdout.flush()
    return EXIT_OK


def _cli() -> int:
    """`python -m clustersim.pmfadm --cluster DIR --node NAME [pmfadm args]` (for tests)."""
    args = sys.argv[1:]
    if len(args) < 4 or args[0] != "--cluster" or args[2] != "--node":
        print("usage: python -m clustersim.pmfadm --cluster DIR --node NAME [pmfadm args]",
              file=sys.stderr)  # fmt: skip
        return EXIT_ERR
    from clustersim.layout import ClusterLayout  # noqa: PLC0415

    return main(args[4:], layout=ClusterLayout.at(args[1]), node=args[3])


if __name__ == "__main__":
    sys.exit(_cli())
