"""Entry points of the launchers that `mssim install` writes into B/sbin and B/lib.

Each launcher is a short script whose shebang is the interpreter that ran the install. Only
the module a program needs is imported (daemon start time matters: `start-msg ha` starts
eight of them).
"""

from __future__ import annotations

import importlib
import sys

SBIN_MODULES = {
    "start-msg": "mssim.commands.start_msg",
    "stop-msg": "mssim.commands.stop_msg",
    "configutil": "mssim.commands.configutil",
    "imsimta": "mssim.commands.imsimta",
    "ha_ip_config": "mssim.commands.ha_ip_config",
    "useconfig": "mssim.commands.useconfig",
}
DAEMON_MODULES = {
    "watcher": "mssim.daemons.watcher",
    "dispatcher": "mssim.daemons.smtp",
    "job_controller": "mssim.daemons.jobctl",
    "imapd": "mssim.daemons.imap",
    "popd": "mssim.daemons.pop",
    "mshttpd": "mssim.daemons.http",
}
SIMPLE_DAEMONS = ("enpd", "stored", "imsched")
SIMPLE_MODULE = "mssim.daemons.simple"


def sbin_main(name: str) -> int:
    if name not in SBIN_MODULES:
        print(f"{name}: not provided by this stand-in", file=sys.stderr)
        return 1
    return int(importlib.import_module(SBIN_MODULES[name]).main(sys.argv))


def daemon_main(name: str) -> int:
    if name in DAEMON_MODULES:
        return int(importlib.import_module(DAEMON_MODULES[name]).main(sys.argv))
    if name in SIMPLE_DAEMONS:
        return int(importlib.import_module(SIMPLE_MODULE).main(name, sys.argv))
    if name == "devinstall":
        return 0  # useconfig does devinstall's work itself
    print(f"{name}: in the real product the dispatcher starts it; mssim's dispatcher serves "
          "SMTP itself", file=sys.stderr)
    return 1
