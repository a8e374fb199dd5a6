"""The printf subset of catalogue messages: `%s`, `%d`, `%u` and `%%`.

A message has two lives. Off Solaris the agent expands the format itself and sends the text.
On Solaris the *format* goes to libc's syslog(3C) together with C-typed arguments, because
libc computes the message ID from the format it is handed. Both paths read the format through
`conversions()`, so a format either works identically on both or is refused at once; a
conversion libc would read with a different type (`%ld`, `%x`, a width) would make it read
garbage off the stack, which is why everything else is rejected.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Union

SUPPORTED = ("s", "d", "u")

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_UINT_MAX = 2**32 - 1

CArgument = Union[ctypes.c_char_p, ctypes.c_int, ctypes.c_uint]


def conversions(fmt: str) -> tuple[str, ...]:
    """The conversion letters of `fmt`, in order; ValueError for anything outside the subset."""
    found: list[str] = []
    i = 0
    while i < len(fmt):
        if fmt[i] != "%":
            i += 1
            continue
        if i + 1 >= len(fmt):
            raise ValueError(f"format ends with a lone '%': {fmt!r}")
        letter = fmt[i + 1]
        if letter != "%":
            if letter not in SUPPORTED:
                raise ValueError(f"unsupported conversion %{letter} in {fmt!r}")
            found.append(letter)
        i += 2
    return tuple(found)


def printable(value: object) -> str:
    """A `%s` argument made safe for one log line.

    Control characters (a newline in a property value, say) would split or forge log lines;
    NUL would end the C string early. They are written as visible escapes instead.
    """
    text = value if isinstance(value, str) else str(value)
    if all(" " <= ch != "\x7f" for ch in text):
        return text
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch < " " or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def _integer(value: object, letter: str) -> int:
    if not isinstance(value, int):
        raise TypeError(f"%{letter} needs an int, got {type(value).__name__}")
    low, high = (_INT_MIN, _INT_MAX) if letter == "d" else (0, _UINT_MAX)
    if not low <= value <= high:
        c_type = "int" if letter == "d" else "unsigned int"
        raise ValueError(f"%{letter} argument {value} does not fit a C {c_type}")
    return int(value)


def _checked(fmt: str, args: Sequence[object]) -> tuple[str, ...]:
    letters = conversions(fmt)
    if len(letters) != len(args):
        raise ValueError(f"{fmt!r} takes {len(letters)} argument(s), got {len(args)}")
    return letters


def expand(fmt: str, args: Sequence[object]) -> str:
    """The text libc would produce for `fmt` and `args`."""
    letters = _checked(fmt, args)
    out: list[str] = []
    arg_index = 0
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        letter = fmt[i + 1]
        i += 2
        if letter == "%":
            out.append("%")
            continue
        value = args[arg_index]
        if letter == "s":
            out.append(printable(value))
        else:
            out.append(str(_integer(value, letter)))
        arg_index += 1
    assert arg_index == len(letters)
    return "".join(out)


def c_arguments(fmt: str, args: Sequence[object]) -> list[CArgument]:
    """`args` as the C types the conversions of `fmt` make libc read."""
    result: list[CArgument] = []
    for letter, value in zip(_checked(fmt, args), args):
        if letter == "s":
            result.append(ctypes.c_char_p(printable(value).encode("utf-8")))
        elif letter == "d":
            result.append(ctypes.c_int(_integer(value, letter)))
        else:
            result.append(ctypes.c_uint(_integer(value, letter)))
    return result
