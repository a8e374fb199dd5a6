"""JSON for the stand-in's short-lived programs (pmfadm, scha_*, methods), without `json`.

Why: `json` imports `re` (and with it `enum`), a few milliseconds of every pmfadm call, the
command an agent's method runs most. The C accelerator `json` itself is built on does the
work here: `_json.make_scanner` parses (with json.loads' defaults), and strings are
escaped by `_json.encode_basestring_ascii`; what the control protocols send is dicts,
lists, strings, numbers, booleans and null. Any other interpreter falls back to `json`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:
    from _json import encode_basestring_ascii as _quote
    from _json import make_scanner as _make_scanner
except ImportError:  # pragma: no cover - an interpreter without the accelerator
    _quote = _make_scanner = None


class _Context:
    """What json.JSONDecoder gives its scanner, with json.loads' defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo: dict[str, str] = {}  # noqa: RUF012 - the scanner's own attribute

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}[name]


def dumps(value: Any) -> str:
    """The compact JSON text of `value` (as json.dumps(value, separators=(",", ":")))."""
    if _quote is None:  # pragma: no cover
        import json  # noqa: PLC0415

        return json.dumps(value, separators=(",", ":"))
    return _encode(value)


def _encode(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):  # noqa: PLR0124
            return {"inf": "Infinity", "-inf": "-Infinity"}.get(repr(value), "NaN")
        return float.__repr__(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(_quote(str(k)) + ":" + _encode(v) for k, v in value.items()) + "}"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def loads(text: str | bytes) -> Any:
    """The value of one JSON text (surrounding white space allowed); ValueError if it is
    not one."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if _make_scanner is None:  # pragma: no cover
        import json  # noqa: PLC0415

        return json.loads(text)
    start = len(text) - len(text.lstrip(" \t\n\r"))
    try:
        value, end = _make_scanner(_Context())(text, start)
    except StopIteration:
        raise ValueError(f"not a JSON text: {text[:60]!r}") from None
    if text[end:].strip(" \t\n\r"):
        raise ValueError(f"extra data after the JSON value: {text[end:end + 60]!r}")
    return value
