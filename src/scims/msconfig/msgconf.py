"""The configutil store: ``msg.conf`` over ``msg.conf.defaults``.

Messaging Server 6.3 keeps every configutil parameter in these two files: ``msg.conf.defaults``
written by ``configure`` and never edited, ``msg.conf`` holding what was set since. The agent
reads them directly instead of running ``configutil`` because shipped code never runs a program
it does not have to, and because a parse error must name the file and line.

Accepted syntax, one entry per line (the format ``configutil`` lists in):

* ``name = value`` — blanks around ``=`` optional; an unquoted value is the rest of the line
  with surrounding blanks removed (``#`` or ``!`` inside it are part of the value);
* ``name = "value"`` — inside double quotes ``\\"`` is a quote and ``\\\\`` a backslash; any
  other backslash is kept as written (paths and patterns contain them); nothing but blanks may
  follow the closing quote;
* ``name;lang-xx = value`` — a language variant, kept apart from the plain ``name``;
* lines whose first non-blank character is ``!`` or ``#`` are comments; blank lines are ignored.

Names are compared case-insensitively (stored lower-case). A name given twice in one file: the
later line wins, as a later ``configutil -o`` would. An empty value (``name =`` or
``name = ""``) is kept as the empty string; :mod:`scims.msconfig.config` treats it as "unset".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from scims.msconfig.source import (
    Location,
    MsConfigError,
    excerpt,
    read_config_lines,
    undisclosed,
)

__all__ = ["MsgConf", "Setting", "parse_msg_conf"]

# A parameter name: no blanks, quotes, '=' or ';'; then an optional ';language' tag.
_NAME = re.compile(r"(?P<name>[^\s=;\"]+)(?:;(?P<lang>[A-Za-z0-9_-]+))?")


@dataclass(frozen=True)
class Setting:
    """One ``name[;language] = value`` entry and the file line that set it."""

    name: str
    language: Optional[str]
    value: str
    origin: Location


def parse_msg_conf(lines: list[str], path: Path) -> dict[tuple[str, Optional[str]], Setting]:
    """Parse configutil lines into settings keyed by (lower-case name, language or None).

    Raises :class:`MsConfigError` at the first malformed line, because a half-read configuration
    would let the agent check the wrong values.
    """
    settings: dict[tuple[str, Optional[str]], Setting] = {}
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "!#":
            continue
        where = Location(path, number)
        name_part, equals, value_part = stripped.partition("=")
        if not equals:
            raise MsConfigError.at(where, f"expected 'name = value', found {undisclosed(stripped)}")
        match = _NAME.fullmatch(name_part.strip())
        if match is None:
            raise MsConfigError.at(where,
                                   f"invalid parameter name: {undisclosed(name_part.strip())}")
        name = match.group("name").lower()
        language = match.group("lang")
        if language is not None:
            language = language.lower()
        value = _parse_value(value_part.strip(), where)
        settings[(name, language)] = Setting(name, language, value, where)
    return settings


def _parse_value(text: str, where: Location) -> str:
    """Unquote a value; an unquoted value is taken as written."""
    if not text.startswith('"'):
        return text
    out: list[str] = []
    i = 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            out.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            rest = text[i + 1:].strip()
            if rest:
                raise MsConfigError.at(
                    where, f"unexpected text {excerpt(rest)} after the closing quote")
            return "".join(out)
        out.append(char)
        i += 1
    raise MsConfigError.at(where, "quoted value has no closing quote")


class MsgConf:
    """The effective configutil settings: ``msg.conf`` entries override ``msg.conf.defaults``.

    Each setting keeps the file and line it came from, so a check can say "service.listenaddr
    in msg.conf line 12 is …" rather than only the value.
    """

    def __init__(self, settings: dict[tuple[str, Optional[str]], Setting]) -> None:
        self._settings = dict(settings)

    @classmethod
    def load(cls, msg_conf: Path, defaults: Path) -> MsgConf:
        """Read both files; ``msg.conf`` must exist, ``msg.conf.defaults`` may be absent.

        An installation without ``msg.conf`` was never configured (or its configuration
        directory is not mounted here); one without defaults is merely unusual.
        """
        merged: dict[tuple[str, Optional[str]], Setting] = {}
        default_lines = read_config_lines(defaults, required=False)
        if default_lines is not None:
            merged.update(parse_msg_conf(default_lines, defaults))
        lines = read_config_lines(msg_conf, required=True)
        assert lines is not None
        merged.update(parse_msg_conf(lines, msg_conf))
        return cls(merged)

    def get(self, name: str, language: Optional[str] = None) -> Optional[Setting]:
        """The effective setting for ``name`` (and language variant), or None when absent."""
        key = (name.lower(), language.lower() if language is not None else None)
        return self._settings.get(key)

    def value(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The effective plain (untagged) value of ``name``, or ``default`` when absent."""
        setting = self.get(name)
        return default if setting is None else setting.value

    def names(self) -> list[str]:
        """Every parameter name present (without language tags), sorted, for listings."""
        return sorted({name for name, _ in self._settings})

    def languages(self, name: str) -> list[str]:
        """The language tags for which ``name`` has a variant, sorted."""
        wanted = name.lower()
        return sorted(lang for key, lang in self._settings if key == wanted and lang is not None)

    def __len__(self) -> int:
        return len(self._settings)
