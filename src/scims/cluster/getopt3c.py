"""SVR4 getopt(3C): how a method reads the RGM's arguments, and how the stand-in's
commands (pmfadm, hatimerun, scrgadm, scswitch) read theirs.

Why not Python's `getopt`: a command line is refused with getopt(3C)'s own words, `illegal
option -- q` and `option requires an argument -- t`, as Sun's methods and commands refuse
it (and the log shows); Python's texts differ. And `getopt` imports `gettext` (with
`locale`), milliseconds of every method's and every command's start. The parsing is the
same: options (grouped, `-av`; a value attached, `-t5`, or the next word) up to the first
operand, a lone `-`, or `--`.

Shipped code: Python 3.9+, the standard library only.
"""

from __future__ import annotations


class UsageError(Exception):
    """The command line is not valid; the message is getopt(3C)'s."""


def parse(argv: list[str], flags: str, valued: str) -> tuple[list[tuple[str, str]], list[str]]:
    """[(letter, value)] in command-line order (a flag's value is ""), and the operands."""
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--":
            index += 1
            break
        if not word.startswith("-") or word == "-":
            break
        index += 1
        letters = word[1:]
        while letters:
            letter, letters = letters[0], letters[1:]
            if letter in valued:
                if not letters:
                    if index >= len(argv):
                        raise UsageError(f"option requires an argument -- {letter}")
                    letters, index = argv[index], index + 1
                pairs.append((letter, letters))
                letters = ""
            elif letter in flags:
                pairs.append((letter, ""))
            else:
                raise UsageError(f"illegal option -- {letter}")
    return pairs, argv[index:]
