"""Generate the man page ocf_sunw_ims(7) from rtr/SUNW.ims and ocf_sunw_ims.7.in.

The parameters and operations come from `scims.ocf_metadata`, the module that makes the
agent's meta-data, so the page, the meta-data and the RTR file say the same thing.
"""

from __future__ import annotations

import time
from pathlib import Path

from manpage import escape

from scims import ocf_metadata
from scims.cluster.rtr import parse_file

TEMPLATE = Path(__file__).with_name("ocf_sunw_ims.7.in")
PAGE = "ocf_sunw_ims.7"


def parameters_section(rt: object) -> str:
    entries = []
    for param in ocf_metadata.parameters(rt):  # type: ignore[arg-type]
        default = param.default_text
        facts = f"{param.content_type}; " + (f"default {default}" if default is not None
                                             else "required")
        if param.name in ocf_metadata.UNIQUE:
            facts += "; unique"
        entries.append(f".TP\n\\fB{param.name}\\fR ({escape(facts)})\n"
                       f"{escape(param.longdesc)}")
    return "\n".join(entries)


def not_parameters_section() -> str:
    return "\n".join(f".TP\n.B {name}\n{escape(why)}."
                     for name, why in ocf_metadata.NOT_PARAMETERS.items())


def actions_section(rt: object) -> str:
    rows = [".TS", "l l l.", "Operation\tTimeout\tInterval", "_"]
    for action in ocf_metadata.actions(rt):  # type: ignore[arg-type]
        interval = f"{action.interval} s" if action.interval is not None else "\\-"
        rows.append(f"{action.name}\t{action.timeout} s\t{interval}")
    rows.append(".TE")
    return "\n".join(rows)


def render(rtr: Path, template: Path = TEMPLATE, version: str = "1.0",
           when: int | None = None) -> str:
    rt = parse_file(rtr)
    date = time.strftime("%Y-%m-%d", time.gmtime(when if when is not None else time.time()))
    text = template.read_text()
    for marker, value in (("@PARAMETERS@", parameters_section(rt)),
                          ("@NOT_PARAMETERS@", not_parameters_section()),
                          ("@ACTIONS@", actions_section(rt)),
                          ("@DATE@", date), ("@VERSION@", version)):
        text = text.replace(marker, value)
    return text


def write(rtr: Path, out_dir: Path, version: str = "1.0", when: int | None = None) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / PAGE
    out.write_text(render(rtr, version=version, when=when))
    return out
