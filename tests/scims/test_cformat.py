"""The printf subset: one reading of a format for both transports."""

from __future__ import annotations

import ctypes

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scims.log.cformat import c_arguments, conversions, expand, printable


def test_conversions() -> None:
    assert conversions("Failed to connect to port <%d> of resource <%s>.") == ("d", "s")
    assert conversions("100%% sure, %u left") == ("u",)


@pytest.mark.parametrize("fmt", ["%x", "%5s", "%ld", "%m", "50%", "%.2f"])
def test_unsupported_conversions_are_refused(fmt: str) -> None:
    with pytest.raises(ValueError):
        conversions(fmt)


def test_expand() -> None:
    assert expand("Groupname %s exists.", ["mail"]) == "Groupname mail exists."
    assert expand("port <%d> of <%s>, 100%%", [25, "mail-rs"]) == "port <25> of <mail-rs>, 100%"
    assert expand("Failed to get the configuration info%s", [""]) == (
        "Failed to get the configuration info"
    )


def test_argument_count_and_types_are_checked() -> None:
    with pytest.raises(ValueError, match="1 argument"):
        expand("Groupname %s exists.", [])
    with pytest.raises(TypeError):
        expand("port %d", ["25"])
    with pytest.raises(ValueError):
        expand("port %d", [2**31])
    with pytest.raises(ValueError):
        expand("count %u", [-1])


def test_control_characters_cannot_forge_lines() -> None:
    assert printable("a\nb\x00c\t") == "a\\nb\\x00c\\t"
    assert expand("IMS_serverroot = %s", ["/opt\nDec 11 forged"]) == (
        "IMS_serverroot = /opt\\nDec 11 forged"
    )


def test_c_arguments_are_typed_as_libc_reads_them() -> None:
    args = c_arguments("port <%d> of <%s> (%u), 100%%", [25, "mail-rs", 7])
    assert [type(a) for a in args] == [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    assert args[0].value == 25
    assert args[1].value == b"mail-rs"
    assert args[2].value == 7


def test_c_string_arguments_are_utf8_without_nul() -> None:
    (arg,) = c_arguments("%s", ["d\u00e9j\u00e0\x00vu"])
    assert arg.value == "d\u00e9j\u00e0\\x00vu".encode()


@given(st.text(), st.lists(st.text(), max_size=3))
def test_any_format_either_expands_or_is_refused(fmt: str, args: list[str]) -> None:
    try:
        letters = conversions(fmt)
    except ValueError:
        return
    if letters.count("s") == len(letters) == len(args):
        text = expand(fmt, args)
        assert text.count("\n") == fmt.count("\n")  # arguments never add a line
