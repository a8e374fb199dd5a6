"""SVR4 getopt(3C) for the stand-in's commands, and kill(1)'s signal names.

Why not Python's `getopt`: the Solaris commands (pmfadm, hatimerun, scrgadm, scswitch)
refuse a command line with getopt(3C)'s own words, `illegal option -- q` and `option
requires an argument -- t`, and an agent's log shows them; Python's texts differ. And
`getopt` imports `gettext` (with `re` and `locale`), a few milliseconds of every pmfadm
call. The parsing is the same: options (grouped, `-av`; a value attached, `-t5`, or the
next word) up to the first operand, a lone `-`, or `--`.
"""

from __future__ import annotations


class UsageError(Exception):
    """The command line is not valid; the message is what the command prints."""


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


def signal_number(name: str) -> int:
    """A signal given as kill(1) does: `TERM`, `SIGTERM`, `term` or a number (`15`)."""
    import signal  # noqa: PLC0415 - its enums cost a command that is given a number

    text = name.strip()
    if text.isdigit():
        number = int(text)
        if not 0 < number < signal.NSIG:
            raise ValueError(f"invalid signal number: {name}")
        return number
    upper = text.upper()
    if not upper.startswith("SIG"):
        upper = "SIG" + upper
    try:
        value = signal.Signals[upper]
    except KeyError:
        raise ValueError(f"unknown signal: {name}") from None
    return int(value)
