"""Command-line parsing shared by scrgadm and scswitch: SVR4 getopt (`clustersim.options`)
with repeatable options and refusals that name what is wrong (the seed's own typos get a
precise message), and the way every administration command ends: one line on stderr and
the error's exit status."""

from __future__ import annotations

import sys
from collections.abc import Callable

from clustersim import options
from clustersim.errors import ClusterError


def parse(argv: list[str], flags: str, valued: str) -> tuple[list[tuple[str, str]], list[str]]:
    """[(letter, value)] in order; bundled flags (`-pvv`) allowed; operands are refused."""
    try:
        out, operands = options.parse(argv, flags, valued)
    except options.UsageError as exc:
        raise ClusterError(str(exc), "INVAL") from None
    if operands:
        arg = operands[0]
        if arg.startswith("=") and out and out[-1][0] in "xy" and "=" not in out[-1][1]:
            letter, name = out[-1]
            raise ClusterError(f"option -{letter} {name} {arg}: blank before \"=\"; write "
                               f"-{letter} {name}{arg}", "INVAL")
        raise ClusterError(f"unexpected operand \"{arg}\"" + _operand_hint(arg), "INVAL")
    return out, []


def _operand_hint(arg: str) -> str:
    if arg.startswith("="):
        return (" (a blank before \"=\"? write -x name=value with no blank around \"=\")")
    return " (a blank after a comma in a list? quote the list or remove the blank)"


def assignment(letter: str, text: str) -> tuple[str, str]:
    """`name=value` of -x/-y; refused with a hint when the blank-before-= typo split it."""
    name, eq, value = text.partition("=")
    if not eq:
        raise ClusterError(f"option -{letter} {text}: expected name=value (a blank before "
                           "\"=\" splits the argument; write name=value with no blank)", "INVAL")
    if not name.strip() or name != name.strip():
        raise ClusterError(f"option -{letter} \"{text}\": invalid property name", "INVAL")
    return name, value


def csv(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def run(prog: str, body: Callable[[], object]) -> int:
    """Run a command's `body`; a refusal prints one `prog: message` line on stderr and exits
    with its scha_err_t number (1 if it has none), never with a traceback."""
    try:
        body()
    except ClusterError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return exc.exit_code or 1
    return 0
