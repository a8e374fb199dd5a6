"""SVR4 getopt(3C) for the stand-in's commands, on the standard library's `getopt`.

Why not `getopt` alone: the Solaris commands (pmfadm, hatimerun, scrgadm, scswitch) refuse
a command line with getopt(3C)'s own words, `illegal option -- q` and `option requires an
argument -- t`, and an agent's log shows them; Python's texts differ. The parsing itself is
the same: options (grouped, `-av`; a value attached, `-t5`, or the next word) up to the
first operand or `--`.
"""

from __future__ import annotations

import getopt


class UsageError(Exception):
    """The command line is not valid; the message is what the command prints."""


def parse(argv: list[str], flags: str, valued: str) -> tuple[list[tuple[str, str]], list[str]]:
    """[(letter, value)] in command-line order (a flag's value is ""), and the operands."""
    spec = flags + "".join(f"{letter}:" for letter in valued)
    try:
        pairs, operands = getopt.getopt(argv, spec)
    except getopt.GetoptError as exc:
        if exc.opt in valued:
            raise UsageError(f"option requires an argument -- {exc.opt}") from None
        raise UsageError(f"illegal option -- {exc.opt}") from None
    return [(option[1:], value) for option, value in pairs], operands
