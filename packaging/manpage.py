"""Generate the man page SUNW.ims(5) from rtr/SUNW.ims and the hand-written SUNW.ims.5.in.

Every property of the resource type (declared in the RTR or defined by the RGM) is listed with
its type, default, range, tunability and description, in the manner of Sun's data-service man
pages (SUNW.gds(5), SUNW.apache(5)): extension properties first, then standard properties,
then the query-only ones.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from scims.cluster.rtr import parse_file

TEMPLATE = Path(__file__).with_name("SUNW.ims.5.in")

_TYPES = {
    "STRING": "String",
    "INT": "Integer",
    "BOOLEAN": "Boolean",
    "ENUM": "Enum",
    "STRINGARRAY": "String array",
}
_TUNABLE = {
    "NONE": "Never (query only)",
    "FALSE": "Never",
    "ANYTIME": "Any time",
    "TRUE": "Any time",
    "AT_CREATION": "At creation",
    "WHEN_DISABLED": "When disabled",
}
_PROGRAMS = {
    "Start": "starts Messaging Server (start-msg ha) under the process monitor facility.",
    "Stop": "stops Messaging Server (stop-msg ha), then every process left in its PMF tag.",
    "Validate": "checks the properties and the Messaging Server installation before a resource "
                "is created or changed: IMS_serverroot, the runtime user and group, the "
                "configuration.",
    "Update": "restarts the fault monitor so that changed properties take effect.",
    "Monitor_start": "starts the fault monitor ims_probe under the process monitor facility.",
    "Monitor_stop": "stops the fault monitor.",
    "Monitor_check": "checks that a node can master the resource before the group fails over "
                     "to it; the RGM runs it only when this resource's own fault monitor "
                     "asked for the failover (scha_control GIVEOVER), not for a failover "
                     "another resource of the group asked for.",
}


def escape(text: str) -> str:
    """Text safe for a troff line: backslashes, options and minus signs, leading dots."""
    text = text.replace("\\", "\\e")
    text = re.sub(r"(^|(?<=[\s(]))-", r"\\-", text)
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def _value(value: object) -> str:
    if value is None:
        return "None (must be set)"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) if value else "None (empty list)"
    if value == "":
        return "None (empty string)"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def _range(prop: object) -> str:
    p = prop
    if p.type == "ENUM":
        return "One of " + ", ".join(p.enum_values)
    if p.type == "INT":
        if p.min is not None and p.max is not None:
            return f"{p.min} to {p.max}"
        if p.min is not None:
            return f"At least {p.min}"
        if p.max is not None:
            return f"At most {p.max}"
        return "Any integer"
    if p.type in ("STRING", "STRINGARRAY"):
        limits = []
        if p.minlength is not None:
            limits.append(f"length at least {p.minlength}")
        if p.maxlength is not None:
            limits.append(f"length at most {p.maxlength}")
        if p.type == "STRINGARRAY":
            if p.array_minsize is not None:
                limits.append(f"at least {p.array_minsize} elements")
            if p.array_maxsize is not None:
                limits.append(f"at most {p.array_maxsize} elements")
        return ", ".join(limits).capitalize() if limits else "None"
    return "None"


def property_entry(prop: object) -> str:
    p = prop
    description = p.description.strip()
    if description and not description.endswith("."):
        description += "."
    lines = [
        ".TP",
        f".B {p.name}",
        escape(description or "No description."),
        ".RS",
        ".PD 0",
    ]
    for label, value in (
        ("Type", _TYPES.get(p.type, p.type.title())),
        ("Default", _value(p.default)),
        ("Range", _range(p)),
        ("Tunable", _TUNABLE.get(p.tunable, p.tunable)),
    ):
        lines += [".TP 10", f"{label}:", escape(value)]
    lines += [".PD", ".RE"]
    return "\n".join(lines)


def properties_section(rt: object) -> str:
    props = list(rt.resource_properties())
    groups = (
        ("Extension properties",
         "Declared by this resource type.",
         [p for p in props if p.extension]),
        ("Standard properties",
         "Defined by the RGM (see r_properties(5)); the RTR file sets the defaults, ranges "
         "and tunability shown.",
         [p for p in props if not p.extension and not p.query_only]),
        ("Query-only properties",
         "Set by the RGM; read them with scha_resource_get(1HA).",
         [p for p in props if not p.extension and p.query_only]),
    )
    out = []
    for title, intro, members in groups:
        if not members:
            continue
        out += [f'.SS "{title}"', escape(intro)]
        out += [property_entry(p) for p in sorted(members, key=lambda p: p.name.lower())]
    return "\n".join(out)


def methods_section(rt: object) -> str:
    out = []
    for callback, program in rt.methods.items():
        what = _PROGRAMS.get(callback, "")
        out += [".TP", f".B {program}", escape(f"{callback} method: {what}".strip())]
    out += [".TP", ".B ims_probe",
            "The fault monitor, started and stopped by the Monitor_start and Monitor_stop "
            "methods (the RGM does not run it itself)."]
    return "\n".join(out)


def render(rtr: Path, template: Path = TEMPLATE, when: int | None = None) -> str:
    rt = parse_file(str(rtr))
    date = time.strftime("%d %b %Y", time.gmtime(when if when is not None else time.time()))
    text = template.read_text()
    text = text.replace("@DATE@", date).replace("@VERSION@", str(rt.rt_version))
    text = text.replace("@FULL_NAME@", rt.full_name)
    text = text.replace("@RT_VERSION@", str(rt.rt_version))
    text = text.replace("@METHODS@", methods_section(rt))
    text = text.replace("@PROPERTIES@", properties_section(rt))
    if "@" in "".join(re.findall(r"@[A-Z_]+@", text)):
        raise ValueError("SUNW.ims.5.in has a marker the generator does not know")
    return text


def write(rtr: Path, out_dir: Path, when: int | None = None) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / "SUNW.ims.5"
    page.write_text(render(rtr, when=when))
    return page
