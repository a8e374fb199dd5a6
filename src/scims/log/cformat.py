"""The printf subset of catalogue messages: `%s`, `%d`, `%u` and `%%`.

A message has two lives. Off Solaris the agent expands the format itself and sends the text.
On Solaris the *format* goes to libc's syslog(3C) together with C-typed arguments, because
libc computes the message ID from the format it is handed. Both paths read the format through
`conversions()`, so a format either works identically on both or is refused at once; a
conversion libc would read with a different type (`%ld`, `%x`, a width) would make it read
garbage off the stack, which is why everything else is rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    import ctypes

SUPPORTED = ("s", "d", "u")

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_UINT_MAX = 2**32 - 1

CArgument = Union["ctypes.c_char_p", "ctypes.c_int", "ctypes.c_uint"]


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


_LINE_BREAKS = frozenset("\x85\u2028\u2029")
"""NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR: line breaks to Unicode-aware readers."""
_FORMAT_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                             "\u2066\u2067\u2068\u2069\ufeff")
"""Direction overrides and marks: they make a line read as something else on screen."""


def _needs_escape(ch: str) -> bool:
    code = ord(ch)
    return (code < 0x20 or 0x7f <= code <= 0x9f or ch in _LINE_BREAKS
            or ch in _FORMAT_CONTROLS or 0xd800 <= code <= 0xdfff)


def printable(value: object) -> str:
    """A `%s` argument made safe for one log line (and for Status_msg).

    Anything a reader might take for a line break (C0 controls, DEL, the C1 controls with
    NEL, U+2028, U+2029) would split or forge log lines; NUL would end the C string early;
    direction overrides would make a line display as another. A byte that is not UTF-8
    (carried as a lone surrogate, as os.fsdecode and surrogateescape give it) would make the
    UTF-8 encoding for syslog(3C) fail. All are written as visible escapes instead, so the
    result always encodes as UTF-8.
    """
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    text = value if isinstance(value, str) else str(value)
    if not any(_needs_escape(ch) for ch in text):
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif 0xdc80 <= code <= 0xdcff:
            out.append(f"\\x{code - 0xdc00:02x}")  # a byte that is not UTF-8
        elif code <= 0xff and _needs_escape(ch):
            out.append(f"\\x{code:02x}")
        elif _needs_escape(ch):
            out.append(f"\\u{code:04x}")
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
    """`args` as the C types the conversions of `fmt` make libc read (Solaris only: ctypes
    is imported here, not by every method that logs)."""
    import ctypes  # noqa: PLC0415

    result: list[CArgument] = []
    for letter, value in zip(_checked(fmt, args), args):
        if letter == "s":
            result.append(ctypes.c_char_p(printable(value).encode("utf-8")))
        elif letter == "d":
            result.append(ctypes.c_int(_integer(value, letter)))
        else:
            result.append(ctypes.c_uint(_integer(value, letter)))
    return result
