"""The MTA configuration ``imta.cnf``: enough of it to find the host names it names.

Step 11 of the HA procedure is "replace every physical host name in imta.cnf with the logical
host name"; an imta.cnf that still names the node it was configured on works until the group
fails over. The agent cannot fix the file, but it can warn with the line to edit, so this
reader answers "which host names appear, and where".

Structure (6.3 Administration Reference, imta.cnf):

* Part I, the rewrite rules: every line up to the first blank line, each ``pattern template``
  (separated by blanks). ``!`` in column 1 starts a comment, and comment lines are not blank
  lines. A rule without a template is an error; the usual cause is a missing blank line before
  the channel definitions, and the message says so.
* Part II, the channel table: blocks of lines separated by blank lines. A block's first line is
  the channel name followed by keywords; long keyword lists may wrap onto following lines; the
  block's *last* line is the channel's official host name (its "channel tag"). The ``defaults``
  block has no host line: all its lines are keywords (``defaulthost domain [domain]`` among them).
  A one-line block other than ``defaults`` has no official host name (None).
* Lines starting with ``<`` include another file (``<IMTA_TABLE:internet.rules``): recorded with
  their line number, not followed, and not part of a rule or block.

Host names are reported from: rewrite-rule patterns (leading ``.``/``*.`` and a user part before
``@`` removed, domain literals ``[a.b.c.d]`` unbracketed, patterns using ``$`` skipped),
rewrite templates (the literal host after the last ``@`` up to the first ``$``, and a literal
``%host`` just before that ``@``), every channel's official host name, and the arguments of
``defaulthost`` (the first always, the second when it contains a dot or is a domain literal).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from scims.msconfig.source import (
    Location,
    MsConfigError,
    read_config_lines,
    undisclosed,
)

__all__ = [
    "HostMention",
    "ImtaChannel",
    "ImtaConfig",
    "ImtaInclude",
    "RewriteRule",
    "names_host",
    "parse_imta_cnf",
]

LOCAL_CHANNEL = "l"
DEFAULTS_CHANNEL = "defaults"

# Kinds of HostMention.context
REWRITE_PATTERN = "rewrite-pattern"
REWRITE_TEMPLATE = "rewrite-template"
LOCAL_CHANNEL_HOST = "local-channel-host"
CHANNEL_HOST = "channel-host"
DEFAULT_HOST = "defaulthost"

_TEMPLATE_HOST_END = re.compile(r"[$\s{}]")


@dataclass(frozen=True)
class RewriteRule:
    """One rewrite rule of Part I."""

    pattern: str
    template: str
    line: int


@dataclass(frozen=True)
class ImtaInclude:
    """A ``<file`` line: the file named, as written, and where the line is."""

    target: str
    line: int


@dataclass(frozen=True)
class ImtaChannel:
    """One channel block of Part II.

    ``keywords`` are the words after the channel name, wrapped lines included, each with its
    line number; ``official_host`` is the first word of the block's last line (None for
    ``defaults`` and for one-line blocks).
    """

    name: str
    line: int
    keywords: tuple[tuple[str, int], ...]
    official_host: Optional[str]
    official_host_line: Optional[int]


@dataclass(frozen=True)
class HostMention:
    """A host name written in imta.cnf: the name, its line, which construct, and the line text."""

    host: str
    line: int
    context: str
    text: str


def names_host(mention: str, host: str) -> bool:
    """Whether the name ``mention`` refers to ``host`` (case-insensitive).

    True when they are equal, when ``mention`` is a subdomain of ``host`` (``ims-ms.mars.x.com``
    names ``mars.x.com``), or when one of its labels is ``host``'s first label (``mars`` and
    ``mars.x.com`` name each other). IP addresses only match exactly. This is deliberately
    generous: a false warning costs a look, a missed physical host name costs a failover.
    """
    m = mention.lower().rstrip(".")
    h = host.lower().rstrip(".")
    if not m or not h:
        return False
    if m == h:
        return True
    if _is_ip(h) or _is_ip(m):
        return False
    if m.endswith("." + h):
        return True
    return h.split(".")[0] in m.split(".")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class ImtaConfig:
    """A parsed imta.cnf: rewrite rules, channels, includes, and the host names it names."""

    def __init__(self, path: Path, rules: list[RewriteRule], channels: list[ImtaChannel],
                 includes: list[ImtaInclude], lines: list[str]) -> None:
        self.path = path
        self.rules = tuple(rules)
        self.channels = tuple(channels)
        self.includes = tuple(includes)
        self.host_mentions = tuple(_host_mentions(self, lines))

    @classmethod
    def load(cls, path: Path, *, required: bool) -> Optional[ImtaConfig]:
        """Read and parse ``path``; None when it is absent and not ``required``."""
        lines = read_config_lines(path, required=required)
        if lines is None:
            return None
        return parse_imta_cnf(lines, path)

    def channel(self, name: str) -> Optional[ImtaChannel]:
        """The first channel block with this name (channel names are case-sensitive)."""
        for channel in self.channels:
            if channel.name == name:
                return channel
        return None

    @property
    def local_host(self) -> Optional[str]:
        """The l channel's official host name: the server's own name as the MTA knows it."""
        local = self.channel(LOCAL_CHANNEL)
        return None if local is None else local.official_host

    @property
    def default_hosts(self) -> list[str]:
        """The ``defaulthost`` domains, in file order."""
        return [m.host for m in self.host_mentions if m.context == DEFAULT_HOST]

    def mentions_of(self, host: str) -> list[HostMention]:
        """Every place that names ``host`` (see :func:`names_host`), in line order."""
        return [m for m in self.host_mentions if names_host(m.host, host)]

    def location(self, line: int) -> Location:
        """The location of a line of this file, for messages."""
        return Location(self.path, line)


def parse_imta_cnf(lines: list[str], path: Path) -> ImtaConfig:
    """Parse imta.cnf lines; raises :class:`MsConfigError` for a rewrite rule without template."""
    rules: list[RewriteRule] = []
    includes: list[ImtaInclude] = []
    channels: list[ImtaChannel] = []
    number = 0
    # Part I: rewrite rules, up to the first blank line.
    while number < len(lines):
        raw = lines[number]
        number += 1
        if not raw.strip():
            break
        if raw.startswith("!"):
            continue
        stripped = raw.strip()
        if stripped.startswith("<"):
            includes.append(ImtaInclude(stripped[1:].strip(), number))
            continue
        parts = stripped.split(None, 1)
        if len(parts) < 2:
            raise MsConfigError(
                path, number,
                f"rewrite rule ({undisclosed(stripped)}) has no template "
                "(is the blank line before the channel definitions missing?)")
        rules.append(RewriteRule(parts[0], parts[1].strip(), number))
    # Part II: channel blocks separated by blank lines.
    block: list[tuple[str, int]] = []
    for index in range(number, len(lines) + 1):
        raw = lines[index] if index < len(lines) else ""
        if not raw.strip():
            if block:
                channels.append(_channel(block))
                block = []
            continue
        if raw.startswith("!"):
            continue
        stripped = raw.strip()
        if stripped.startswith("<"):
            includes.append(ImtaInclude(stripped[1:].strip(), index + 1))
            continue
        block.append((stripped, index + 1))
    return ImtaConfig(path, rules, channels, includes, lines)


def _channel(block: list[tuple[str, int]]) -> ImtaChannel:
    first_text, first_line = block[0]
    first_words = first_text.split()
    name = first_words[0]
    keyword_lines = block if name == DEFAULTS_CHANNEL or len(block) == 1 else block[:-1]
    keywords: list[tuple[str, int]] = [(w, first_line) for w in first_words[1:]]
    for text, line in keyword_lines[1:]:
        keywords.extend((w, line) for w in text.split())
    host: Optional[str] = None
    host_line: Optional[int] = None
    if keyword_lines is not block:
        host_text, host_line = block[-1]
        host = host_text.split()[0]
    return ImtaChannel(name, first_line, tuple(keywords), host, host_line)


def _pattern_host(pattern: str) -> Optional[str]:
    """The host a rewrite pattern names, or None for generic patterns (``.``, ``[]``, ``$*``)."""
    if "$" in pattern:
        return None
    host = pattern.rsplit("@", 1)[-1]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.lstrip("*.").rstrip(".")
    return host or None


def _template_hosts(template: str) -> list[str]:
    """Literal hosts in a template: after the last ``@`` (to ``$``) and a ``%host`` before it."""
    at = template.rfind("@")
    if at < 0:
        return []
    hosts: list[str] = []
    percent = template.rfind("%", 0, at)
    if percent >= 0:
        domain = template[percent + 1:at]
        if domain and not _TEMPLATE_HOST_END.search(domain) and "[" not in domain:
            hosts.append(domain)
    after = template[at + 1:]
    end = _TEMPLATE_HOST_END.search(after)
    routing = (after[:end.start()] if end else after).strip("[]")
    if routing:
        hosts.append(routing)
    return hosts


def _defaulthost_args(keywords: tuple[tuple[str, int], ...]) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for i, (word, _) in enumerate(keywords):
        if word.lower() != "defaulthost":
            continue
        args = keywords[i + 1:i + 3]
        if args:
            found.append(args[0])
        if len(args) == 2 and ("." in args[1][0] or args[1][0].startswith("[")):
            found.append(args[1])
    return found


def _host_mentions(config: ImtaConfig, lines: list[str]) -> list[HostMention]:
    def text(line: int) -> str:
        return lines[line - 1].strip()

    mentions: list[HostMention] = []
    for rule in config.rules:
        host = _pattern_host(rule.pattern)
        if host is not None:
            mentions.append(HostMention(host, rule.line, REWRITE_PATTERN, text(rule.line)))
        mentions.extend(HostMention(h, rule.line, REWRITE_TEMPLATE, text(rule.line))
                        for h in _template_hosts(rule.template))
    for channel in config.channels:
        if channel.official_host is not None and channel.official_host_line is not None:
            context = LOCAL_CHANNEL_HOST if channel.name == LOCAL_CHANNEL else CHANNEL_HOST
            mentions.append(HostMention(channel.official_host, channel.official_host_line,
                                        context, text(channel.official_host_line)))
        mentions.extend(HostMention(word.strip('"'), line, DEFAULT_HOST, text(line))
                        for word, line in _defaulthost_args(channel.keywords)
                        if word.strip('"'))
    mentions.sort(key=lambda m: m.line)
    return mentions
