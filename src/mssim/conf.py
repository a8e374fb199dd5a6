"""Parsers and writers for msg.conf, dispatcher.cnf and job_controller.cnf (pure functions).

msg.conf lines are `name = value`, the value double-quoted when it holds blanks or special
characters; `!` and `#` start comment lines. The .cnf files are `OPTION=value` lines with
`[SECTION=value]` headers and `!` comments; option names are case-insensitive.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_TRUE = {"yes", "1", "on", "true"}
_FALSE = {"no", "0", "off", "false", ""}


def is_true(value: str | None, default: bool = False) -> bool:
    """configutil booleans: yes/no, 1/0, on/off, true/false, any case."""
    if value is None:
        return default
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return default


def parse_msg_conf(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "!#" or "=" not in line:
            continue
        name, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        values[name.strip()] = value
    return values


_PLAIN = re.compile(r"^[A-Za-z0-9_.:/@,+\-*]*$")


def quote_value(value: str) -> str:
    """The value as configutil prints it: quoted when it holds blanks or special characters."""
    if value and _PLAIN.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_line(name: str, value: str) -> str:
    return f"{name} = {quote_value(value)}"


def set_msg_conf_text(text: str, changes: dict[str, str | None]) -> str:
    """Apply changes (None = remove) to msg.conf text, keeping comments and order."""
    pending = dict(changes)
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and line[0] not in "!#" and "=" in line:
            name = line.partition("=")[0].strip()
            if name in pending:
                value = pending.pop(name)
                if value is not None:
                    out.append(format_line(name, value))
                continue
        out.append(raw)
    for name, value in pending.items():
        if value is not None:
            out.append(format_line(name, value))
    return "\n".join(out) + "\n"


def atomic_write(path: Path, text: str) -> None:
    """Replace a file so that readers see the old or the new content, never half of it.

    Ownership and mode of an existing file are kept (configutil may run as root on files
    that belong to the runtime user).
    """
    st = None
    try:
        st = path.stat()
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if st is not None:
            os.chmod(tmp, st.st_mode & 0o7777)
            if os.geteuid() == 0:
                os.chown(tmp, st.st_uid, st.st_gid)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --- .cnf files ---------------------------------------------------------------------------

_SECTION = re.compile(r"^\[\s*([A-Za-z_]+)\s*=\s*([^\]]*)\]\s*$")


def parse_cnf(text: str) -> dict[str, dict[str, str]]:
    """Sections keyed `""` (global) or `"TYPE=VALUE"` (upper-cased type); options upper-cased."""
    sections: dict[str, dict[str, str]] = {"": {}}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("!"):
            continue
        m = _SECTION.match(line)
        if m:
            current = f"{m.group(1).upper()}={m.group(2).strip()}"
            sections.setdefault(current, {})
            continue
        if "=" in line:
            name, _, value = line.partition("=")
            sections[current][name.strip().upper()] = value.strip()
    return sections


def cnf_option(sections: dict[str, dict[str, str]], section: str, option: str) -> str | None:
    """An option of a section, falling back to the global options (as the real files do)."""
    sec = sections.get(section.upper() if section else "", {})
    opt = option.upper()
    if opt in sec:
        return sec[opt]
    return sections.get("", {}).get(opt)


def set_cnf_option(text: str, section: str, option: str, value: str) -> str:
    """Add or change `option=value` in one section ("" = global options before any section).

    A commented-out `!OPTION=` hint line in that section (the installed files carry one for
    INTERFACE_ADDRESS) is replaced in place; otherwise the line goes at the end of the section
    (global options: right after the last global option line, so that it stays with the
    other global defaults, before the comments that introduce the sections).
    """
    lines = text.splitlines()
    target = section.upper() if section else ""
    current = ""
    start: int | None = 0 if target == "" else None
    end = len(lines)
    existing: int | None = None
    hint: int | None = None
    for i, raw in enumerate(lines):
        line = raw.strip()
        m = _SECTION.match(line)
        if m:
            name = f"{m.group(1).upper()}={m.group(2).strip()}"
            if current == target and start is not None and end == len(lines):
                end = i
            current = name
            if name == target:
                start = i + 1
            continue
        if current != target:
            continue
        body = line[1:].strip() if line.startswith("!") else line
        if "=" in body and body.partition("=")[0].strip().upper() == option.upper():
            if line.startswith("!"):
                if hint is None:
                    hint = i
            else:
                existing = i
    new_line = f"{option}={value}"
    if existing is not None:
        lines[existing] = new_line
    elif hint is not None:
        lines[hint] = new_line
    elif start is None:
        lines += ["", f"[{section}]", new_line]
    elif target == "":
        # right after the last global option line; with none, just before the first section
        first_section = next(
            (i for i, raw in enumerate(lines) if _SECTION.match(raw.strip())), len(lines)
        )
        options = [i for i in range(first_section)
                   if lines[i].strip() and not lines[i].lstrip().startswith("!")
                   and "=" in lines[i]]
        if options:
            idx = options[-1] + 1
        else:
            idx = first_section
            while idx > 0 and not lines[idx - 1].strip():
                idx -= 1
        lines.insert(idx, new_line)
    else:
        idx = end
        while idx > start and (not lines[idx - 1].strip() or lines[idx - 1].strip() == "!"):
            idx -= 1
        lines.insert(idx, new_line)
    return "\n".join(lines) + "\n"
