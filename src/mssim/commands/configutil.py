"""sbin/configutil: read and set configuration parameters (msg.conf over msg.conf.defaults).

    configutil [-h] [-f configfile] [-o option [-v value]]
    configutil [-f configfile] [-p pattern] [-H] [-m]
    configutil -i inputfile

Listing format is the documented `name = value` (quoted when needed); `-m` adds
`[REFRESHABLE]`/`[NOT REFRESHABLE]`; `-H` shows defaults (msg.conf.defaults).
"""

from __future__ import annotations

import getopt
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


def refreshable(name: str) -> str:
    return "[NOT REFRESHABLE]" if name.endswith(_NOT_REFRESHABLE) else "[REFRESHABLE]"


def main(argv: list[str]) -> int:
    try:
        opts, rest = getopt.getopt(argv[1:], "hf:o:v:p:Hmi:V")
    except getopt.GetoptError as exc:
        print(f"configutil: {exc}\n{USAGE}", end="", file=sys.stderr)
        return 1
    if rest:
        print(USAGE, end="", file=sys.stderr)
        return 1
    o = dict(opts)
    if "-h" in o:
        print(USAGE, end="")
        return 0
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

    defaults = read(defaults_file)
    values = dict(defaults)
    if "-H" not in o:
        values.update(read(conf_file))

    if "-i" in o:
        try:
            changes: dict[str, str | None] = dict(
                conf.parse_msg_conf(Path(o["-i"]).read_text(encoding="utf-8")))
        except OSError as exc:
            print(f"configutil: {exc}", file=sys.stderr)
            return 1
        conf.atomic_write(conf_file, conf.set_msg_conf_text(
            conf_file.read_text(encoding="utf-8"), changes))
        return 0
    if "-o" in o:
        name = o["-o"]
        if "-v" in o:
            if "-H" in o:
                print("configutil: -H cannot be combined with -v", file=sys.stderr)
                return 1
            conf.atomic_write(conf_file, conf.set_msg_conf_text(
                conf_file.read_text(encoding="utf-8"), {name: o["-v"]}))
            return 0
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
