"""The MTA's option files: ``dispatcher.cnf`` and ``job_controller.cnf``.

Both use the same syntax (6.3 Administration Reference, dispatcher.cnf and job_controller.cnf):

* ``OPTION=value`` lines; options before the first section are global and apply to every
  section unless the section sets the option itself;
* ``[TYPE=NAME]`` section lines (``[SERVICE=SMTP]``, ``[POOL=DEFAULT]``, ``[CHANNEL=tcp_*]``);
  blanks inside the brackets are allowed;
* lines whose first non-blank character is ``!`` are comments; blank lines are ignored.

Option names and section types are case-insensitive (the job controller sample writes
``tcp_port``); they are stored upper-case. Section names keep their spelling and are looked up
case-insensitively. The value is everything after the first ``=``, blanks around it removed, so
``PARAMETER=CHANNEL=tcp_lmtpss`` is option PARAMETER with value ``CHANNEL=tcp_lmtpss``; there
are no trailing comments. An option given twice in one section: the later line wins. The same
section given twice is an error, because which PORT or INTERFACE_ADDRESS applies would be a guess.

Integers may be written in the documented ``b%v`` base notation: ``b`` a decimal base from 2 to
36 and ``v`` digits of that base (``16%FF`` is 255, ``8%777`` is 511); plain decimal may carry a
leading ``-`` (``DEBUG=-1``). ``PORT`` may be a comma-separated list (``PORT=25,587``), each
element an integer as above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from scims.msconfig.source import (
    Location,
    MsConfigError,
    excerpt,
    read_config_lines,
    undisclosed,
)

__all__ = ["CnfFile", "CnfOption", "CnfSection", "parse_cnf", "parse_cnf_int", "parse_port_list"]

_OPTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_SECTION = re.compile(r"\[\s*(?P<kind>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<name>[^\]]*?)\s*\]")
_DECIMAL = re.compile(r"-?[0-9]+")
_BASED = re.compile(r"(?P<base>[0-9]{1,2})%(?P<digits>[0-9A-Za-z]+)")


@dataclass(frozen=True)
class CnfOption:
    """One ``OPTION=value`` line: name upper-case, value as written (blanks trimmed)."""

    name: str
    value: str
    origin: Location


@dataclass(frozen=True)
class CnfSection:
    """A ``[TYPE=NAME]`` section and its own options (globals are not copied in)."""

    kind: str
    name: str
    origin: Location
    options: dict[str, CnfOption] = field(default_factory=dict)


class CnfFile:
    """A parsed dispatcher.cnf or job_controller.cnf: global options, then sections in order."""

    def __init__(self, path: Path, global_options: dict[str, CnfOption],
                 sections: list[CnfSection]) -> None:
        self.path = path
        self.global_options = dict(global_options)
        self.sections = tuple(sections)

    @classmethod
    def load(cls, path: Path, *, required: bool) -> Optional[CnfFile]:
        """Read and parse ``path``; None when it is absent and not ``required``."""
        lines = read_config_lines(path, required=required)
        if lines is None:
            return None
        return parse_cnf(lines, path)

    def section(self, kind: str, name: str) -> Optional[CnfSection]:
        """The section ``[kind=name]``, both compared case-insensitively, or None."""
        kind_u, name_u = kind.upper(), name.upper()
        for section in self.sections:
            if section.kind == kind_u and section.name.upper() == name_u:
                return section
        return None

    def sections_of(self, kind: str) -> list[CnfSection]:
        """Every section of one type (``SERVICE``, ``POOL``, ``CHANNEL``), in file order."""
        kind_u = kind.upper()
        return [s for s in self.sections if s.kind == kind_u]

    def option(self, name: str, section: Optional[CnfSection] = None) -> Optional[CnfOption]:
        """The option in effect: the section's own, else the global one, else None.

        This is the documented rule ("initial option specifications … apply globally to all
        sections"); with ``section`` None only the global options are consulted.
        """
        key = name.upper()
        if section is not None and key in section.options:
            return section.options[key]
        return self.global_options.get(key)


def parse_cnf(lines: list[str], path: Path) -> CnfFile:
    """Parse option-file lines; raises :class:`MsConfigError` at the first malformed line."""
    global_options: dict[str, CnfOption] = {}
    sections: list[CnfSection] = []
    seen: dict[tuple[str, str], CnfSection] = {}
    current = global_options
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("!"):
            continue
        where = Location(path, number)
        if stripped.startswith("["):
            section = _parse_section(stripped, where)
            key = (section.kind, section.name.upper())
            earlier = seen.get(key)
            if earlier is not None:
                raise MsConfigError.at(
                    where, f"section [{section.kind}={section.name}] appears twice "
                           f"(first on line {earlier.origin.line})")
            seen[key] = section
            sections.append(section)
            current = section.options
            continue
        name, equals, value = stripped.partition("=")
        name = name.strip()
        if not equals:
            raise MsConfigError.at(where, f"expected 'OPTION=value' or '[TYPE=NAME]', "
                                        f"found {undisclosed(stripped)}")
        if not _OPTION_NAME.fullmatch(name):
            raise MsConfigError.at(where, f"invalid option name: {undisclosed(name)}")
        option = CnfOption(name.upper(), value.strip(), where)
        current[option.name] = option
    return CnfFile(path, global_options, sections)


def _parse_section(text: str, where: Location) -> CnfSection:
    match = _SECTION.fullmatch(text)
    if match is None or not match.group("name"):
        raise MsConfigError.at(where, f"invalid section line ({undisclosed(text)}); "
                                    "expected '[TYPE=NAME]'")
    return CnfSection(match.group("kind").upper(), match.group("name"), where)


def parse_cnf_int(text: str, where: Location, what: str) -> int:
    """An integer in decimal or ``b%v`` base notation; ``what`` names it in the error."""
    value = text.strip()
    if _DECIMAL.fullmatch(value):
        try:
            return int(value, 10)
        except ValueError:  # more digits than Python converts: no sensible option is that long
            pass
    else:
        match = _BASED.fullmatch(value)
        if match is not None:
            base = int(match.group("base"))
            if 2 <= base <= 36:
                try:
                    return int(match.group("digits"), base)
                except ValueError:
                    raise MsConfigError.at(
                        where, f"{what}: {excerpt(value)} has digits not valid in base {base}"
                    ) from None
            raise MsConfigError.at(where, f"{what}: base {base} in {excerpt(value)} "
                                        "is not between 2 and 36")
    raise MsConfigError.at(where, f"{what}: {excerpt(value)} is not an integer "
                                "(decimal or base%digits)")


def parse_port_list(option: CnfOption) -> list[int]:
    """The TCP ports of a PORT option: a comma-separated list, each 1–65535."""
    ports: list[int] = []
    for element in option.value.split(","):
        if not element.strip():
            raise MsConfigError.at(option.origin,
                                 f"{option.name}: empty element in {excerpt(option.value)}")
        port = parse_cnf_int(element, option.origin, option.name)
        if not 1 <= port <= 65535:
            raise MsConfigError.at(option.origin,
                                 f"{option.name}: {port} is not a TCP port (1-65535)")
        ports.append(port)
    return ports
