"""sbin/configutil: read and set configuration parameters (msg.conf over msg.conf.defaults).

    configutil [-h] [-f configfile] [-o option [-v value]]
    configutil [-f configfile] [-p pattern] [-H] [-m]
    configutil -i inputfile

Listing format is the documented `name = value` (quoted when needed); `-m` adds
`[REFRESHABLE]`/`[NOT REFRESHABLE]`; `-H` shows defaults (msg.conf.defaults).

`-v` needs `-o`; an unknown option or argument is a usage error (exit 1). A reader that
closes the pipe early (`configutil | head`) ends configutil silently, as SIGPIPE ends the real
one. Unknown parameters: docs/msgserver.md §6.1 (inferred there) has `-o` exit
non-zero for them. The stand-in has no schema of every parameter: a name is known when it is
set (msg.conf, msg.conf.defaults) or belongs to a documented family (KNOWN_FAMILIES); an
unknown one is refused, read or set, with exit 1. A known but unset one prints nothing.
"""

from __future__ import annotations

import getopt
import signal
import sys
from pathlib import Path

from mssim import conf
from mssim.commands.common import installation

USAGE = """Usage: configutil [-h] [-f configfile] [-o option[;language] [-v value]]
       configutil [-f configfile] [-p pattern] [-H] [-m]
       configutil -i inputfile
"""

_NOT_REFRESHABLE = (".enable", ".port", ".maxsessions", ".maxthreads", ".listenaddr",
                    ".enablesslport", ".sslport", "local.serveruid", "local.servergid")


# Parameter families of the 6.3 documentation (docs/msgserver.md §6.1).
KNOWN_FAMILIES = ("local.", "service.", "store.", "metermaid.", "alarm.")


def known(name: str, values: dict[str, str]) -> bool:
    return name in values or name.split(";", 1)[0].startswith(KNOWN_FAMILIES)


def usage_error(text: str) -> int:
    print(f"configutil: {text}\n{USAGE}", end="", file=sys.stderr)
    return 1


def refreshable(name: str) -> str:
    return "[NOT REFRESHABLE]" if name.endswith(_NOT_REFRESHABLE) else "[REFRESHABLE]"


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `configutil | head`: end quietly
    try:
        opts, rest = getopt.getopt(argv[1:], "hf:o:v:p:Hmi:V")
    except getopt.GetoptError as exc:
        return usage_error(str(exc))
    if rest:
        return usage_error(f"unexpected argument {rest[0]!r}")
    o = dict(opts)
    if "-h" in o:
        print(USAGE, end="")
        return 0
    if "-v" in o and "-o" not in o:
        return usage_error("-v needs -o option (the parameter to set)")
    inst = installation()
    conf_file = Path(o["-f"]) if "-f" in o else inst.config / "msg.conf"
    defaults_file = conf_file.with_name("msg.conf.defaults")
    if not conf_file.exists():
        print(f"configutil: cannot open {conf_file}", file=sys.stderr)
        return 1

    def read(path: Path) -> dict[str, str]:
        try:
            return conf.parse_msg_conf(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def write(changes: dict[str, str | None]) -> int:
        try:
            conf.atomic_write(conf_file, conf.set_msg_conf_text(
                conf_file.read_text(encoding="utf-8"), changes))
        except OSError as exc:
            print(f"configutil: cannot write {conf_file}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 1
        return 0

    defaults = read(defaults_file)
    every = {**defaults, **read(conf_file)}
    values = defaults if "-H" in o else every

    if "-i" in o:
        try:
            changes: dict[str, str | None] = dict(
                conf.parse_msg_conf(Path(o["-i"]).read_text(encoding="utf-8")))
        except OSError as exc:
            print(f"configutil: {exc}", file=sys.stderr)
            return 1
        return write(changes)
    if "-o" in o:
        name = o["-o"]
        if not known(name, every):
            print(f"configutil: unknown parameter {name!r}", file=sys.stderr)
            return 1
        if "-v" in o:
            if "-H" in o:
                print("configutil: -H cannot be combined with -v", file=sys.stderr)
                return 1
            return write({name: o["-v"]})
        value = values.get(name)
        if value is not None:
            print(value + (f" {refreshable(name)}" if "-m" in o else ""))
        return 0
    prefix = o.get("-p", "")
    for name in sorted(values):
        if name.startswith(prefix.rstrip("*")):
            line = conf.format_line(name, values[name])
            print(line + (f" {refreshable(name)}" if "-m" in o else ""))
    return 0
