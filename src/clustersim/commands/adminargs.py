"""Command-line parsing shared by scrgadm and scswitch: SVR4 getopt with repeatable options
and refusals that name what is wrong (the seed's own typos get a precise message)."""

from __future__ import annotations

from clustersim.errors import ClusterError


def parse(argv: list[str], flags: str, valued: str) -> tuple[list[tuple[str, str]], list[str]]:
    """[(letter, value)] in order; bundled flags (`-pvv`) allowed; operands are refused."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-") or arg == "-":
            if arg.startswith("=") and out and out[-1][0] in "xy" and "=" not in out[-1][1]:
                letter, name = out[-1]
                raise ClusterError(f"option -{letter} {name} {arg}: blank before \"=\"; write "
                                   f"-{letter} {name}{arg}", "INVAL")
            raise ClusterError(f"unexpected operand \"{arg}\"" + _operand_hint(arg), "INVAL")
        letters = arg[1:]
        j = 0
        while j < len(letters):
            letter = letters[j]
            if letter in valued:
                value = letters[j + 1:]
                if not value:
                    i += 1
                    if i >= len(argv):
                        raise ClusterError(f"option -{letter} requires an argument", "INVAL")
                    value = argv[i]
                out.append((letter, value))
                break
            if letter not in flags:
                raise ClusterError(f"illegal option -- {letter}", "INVAL")
            out.append((letter, ""))
            j += 1
        i += 1
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
