"""Generate the SUNWscims messages guide from the message catalogue (scims.log.messages).

Laid out as Sun's *Sun Cluster Error Messages Guide* lays out its entries: ordered by message
ID, each entry the ID and the message text, then a Description (the cause) and a Solution
(the administrator's action). The priority (`daemon.<level>`, as syslog prints it) and, for
debug messages, the debug level that shows them are added to each entry.
Written twice: Markdown (to read anywhere) and troff (`man -l`).
"""

from __future__ import annotations

import time
from pathlib import Path

from manpage import escape

from scims.log.messages import all_messages

TITLE = "SUNWscims Messages Guide"
INTRO = (
    "Every message the Sun Cluster HA for Sun Java System Messaging Server agent "
    "(resource type SUNW.ims, package SUNWscims) can log, ordered by message ID. "
    "A logged line reads `SC[SUNW.ims,<group>,<resource>,<method>]: [ID <n> daemon.<level>] "
    "<text>`; look the ID up here. In the texts, %s stands for a word or phrase, %d for a "
    "number, that the logged line fills in."
)


def _messages() -> list:
    return sorted(all_messages(), key=lambda m: (m.msgid, m.fmt))


def _level(message: object) -> str:
    label = f"daemon.{message.priority.label}"
    if message.debug_level is not None:
        label += f" (shown at debug level {message.debug_level} and above)"
    return label


def markdown() -> str:
    out = [f"# {TITLE}", "", INTRO, ""]
    for m in _messages():
        out += [
            f"## Message ID {m.msgid}",
            "",
            f"`{m.fmt}`",
            "",
            f"- **Priority:** {_level(m)}",
            f"- **Description:** {m.cause}",
            f"- **Solution:** {m.action}",
            "",
        ]
    return "\n".join(out)


def troff(when: int | None = None) -> str:
    date = time.strftime("%d %b %Y", time.gmtime(when if when is not None else time.time()))
    out = [
        f'.TH SUNWscims-messages 5 "{date}" "SUNWscims" "{TITLE}"',
        ".SH NAME",
        "SUNWscims-messages \\- messages of the SUNW.ims data-service agent",
        ".SH DESCRIPTION",
        escape(INTRO.replace("`", "")),
        ".SH MESSAGES",
        # A reader searches for a message's words as syslog shows them: never hyphenated.
        ".nh",
    ]
    for m in _messages():
        out += [
            f'.SS "Message ID {m.msgid}"',
            ".B",
            escape(m.fmt),
            ".TP 13",
            "Priority:",
            escape(_level(m)),
            ".TP 13",
            "Description:",
            escape(m.cause),
            ".TP 13",
            "Solution:",
            escape(m.action),
        ]
    out += [".SH FILES", ".TP", ".B /opt/SUNWscims/man/man5/SUNWscims-messages.5", "This guide.",
            ".SH SEE ALSO", ".BR SUNW.ims (5),", ".BR syslog.conf (4)"]
    return "\n".join(out) + "\n"


def write(out_dir: Path, when: int | None = None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "SUNWscims-messages.md"
    md.write_text(markdown())
    man = out_dir / "SUNWscims-messages.5"
    man.write_text(troff(when))
    return [md, man]
