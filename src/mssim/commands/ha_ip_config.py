"""sbin/ha_ip_config: bind an installation to the HA logical IP address (6.3 Admin Guide 3.4.4).

Asks for the logical IP address and the server root (answers on stdin, defaults in [ ], EOF
aborts), confirms, then rewrites INTERFACE_ADDRESS in dispatcher.cnf (SMTP, SMTP_SUBMIT) and
job_controller.cnf, and sets the configutil parameters the seed's sample output lists. The
original files are kept as *.pre-ha (the first original: a second run keeps it).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import sys
from pathlib import Path

from mssim import conf
from mssim.commands.common import installation
from mssim.install import Installation


class Aborted(Exception):
    pass


def ask(prompt: str, default: str = "") -> str:
    shown = f"{prompt} [{default}]: " if default else f"{prompt}: "
    sys.stdout.write(shown)
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        raise Aborted
    return line.strip() or default


def ask_ip(default: str) -> str:
    while True:
        answer = ask("Logical IP address", default)
        try:
            if isinstance(ipaddress.ip_address(answer), ipaddress.IPv4Address) and \
                    answer.count(".") == 3:
                return answer
        except ValueError:
            pass
        print(f"{answer!r} is not an IP address in dotted decimal form, a.b.c.d")


def ask_root(default: str) -> Installation:
    while True:
        answer = ask("iMS server root", default)
        inst = Installation(Path(answer))
        if (inst.config / "msg.conf").is_file():
            return inst
        print(f"{answer} is not a configured Messaging Server installation "
              f"({inst.config}/msg.conf not found)")


def keep_original(path: Path) -> None:
    saved = path.with_name(path.name + ".pre-ha")
    if path.exists() and not saved.exists():
        shutil.copy2(path, saved)


def apply(inst: Installation, ip: str) -> None:
    cfg = inst.config
    dispatcher = cfg / "dispatcher.cnf"
    print(f"Updating the file {dispatcher}")
    keep_original(dispatcher)
    text = dispatcher.read_text(encoding="utf-8") if dispatcher.exists() else ""
    sections = conf.parse_cnf(text)
    for svc in ("SMTP", "SMTP_SUBMIT"):
        if f"SERVICE={svc}" in sections:
            text = conf.set_cnf_option(text, f"SERVICE={svc}", "INTERFACE_ADDRESS", ip)
    conf.atomic_write(dispatcher, text)
    jc = cfg / "job_controller.cnf"
    print(f"Updating the file {jc}")
    keep_original(jc)
    text = jc.read_text(encoding="utf-8") if jc.exists() else ""
    conf.atomic_write(jc, conf.set_cnf_option(text, "", "INTERFACE_ADDRESS", ip))
    msg_conf = cfg / "msg.conf"
    keep_original(msg_conf)
    ens_port = inst.get("local.ens.port") or "7997"
    ens_port = ens_port.rpartition(":")[2]
    settings = [
        ("service.listenaddr", ip, "configutil parameter"),
        ("local.snmp.listenaddr", ip, "configutil parameter"),
        ("service.http.smtphost", ip, "configutil parameter"),
        ("local.watcher.enable", "1", "configutil parameter"),
        ("local.autorestart", "1", "configutil parameter"),
        ("metermaid.config.bindaddr", ip, "configutil parameters"),
        ("metermaid.config.serveraddr", ip, "configutil parameters"),
        ("local.ens.port", f"{ip}:{ens_port}", "parameter"),
    ]
    for name, value, noun in settings:
        print(f"Setting the {name} {noun}")
        conf.atomic_write(msg_conf, conf.set_msg_conf_text(
            msg_conf.read_text(encoding="utf-8"), {name: value}))
    print("Configuration successfully updated")


def main(argv: list[str]) -> int:
    here = installation()
    if os.geteuid() != 0:
        print("Warning: ha_ip_config is normally run as root.", file=sys.stderr)
    try:
        while True:
            print()
            print("Please specify the IP address assigned to the HA logical host name.")
            print("Use dotted decimal form, a.b.c.d")
            print()
            ip = ask_ip(here.get("service.listenaddr") or "")
            print("Please specify the path to the top level directory in which iMS is")
            print("installed.")
            print()
            inst = ask_root(str(here.base))
            print()
            print("The configuration will be changed as follows:")
            print(f"  Logical IP address: {ip}")
            print(f"  iMS server root:    {inst.base}")
            print()
            if ask("Do you wish to change any of the above choices (yes/no)", "no").lower() \
                    in ("no", "n"):
                break
        print()
        apply(inst, ip)
    except Aborted:
        print("\nha_ip_config aborted; no changes made.")
        return 1
    return 0
