"""Entry of every generated command in a node's /usr/cluster/bin (and built-in methods).

Kept tiny and import-light: scha_*_get runs many times per method, so a wrapper imports
only this module and the one command it runs.
"""

from __future__ import annotations

import sys

COMMANDS: dict[str, str] = {
    "scha_resource_get": "clustersim.commands.scha:resource_get",
    "scha_resourcegroup_get": "clustersim.commands.scha:resourcegroup_get",
    "scha_resourcetype_get": "clustersim.commands.scha:resourcetype_get",
    "scha_cluster_get": "clustersim.commands.scha:cluster_get",
    "scha_resource_setstatus": "clustersim.commands.scha:resource_setstatus",
    "scha_control": "clustersim.commands.scha:control",
    "pmfadm": "clustersim.pmfadm:main",
    "hatimerun": "clustersim.hatimerun:main",
    "scrgadm": "clustersim.commands.scrgadm:main",
    "scswitch": "clustersim.commands.scswitch:main",
    "scstat": "clustersim.commands.scstat:main",
    "cluster": "clustersim.commands.cluster:main",
    "clresourcetype": "clustersim.commands.objcli:clresourcetype",
    "clrt": "clustersim.commands.objcli:clresourcetype",
    "clresourcegroup": "clustersim.commands.objcli:clresourcegroup",
    "clrg": "clustersim.commands.objcli:clresourcegroup",
    "clresource": "clustersim.commands.objcli:clresource",
    "clrs": "clustersim.commands.objcli:clresource",
    "clreslogicalhostname": "clustersim.commands.objcli:clreslogicalhostname",
    "clrslh": "clustersim.commands.objcli:clreslogicalhostname",
}

LIGHT = ("pmfadm", "hatimerun", "scswitch")
"""Commands (besides scha_*) that get a `paths.CommandLayout`: they run several times per
method (scswitch: once per administrator's request) and need only a socket's path."""


COMMAND_JOURNAL = "commands.journal"
"""`<cluster>/commands.journal`: when it exists (a benchmark creates it), every command
appends one JSON line (command, node, pid, parent pid, when it began and how long it ran
after the interpreter's start-up), so that the time a method spends in cluster commands
can be told from its own (bench/bench_switchover.py). Absent, it costs one failed open."""


def run(command: str, argv: list[str], cluster: str, node: str) -> int:
    import time  # noqa: PLC0415 - already loaded by the interpreter

    began = time.time()
    code = 1
    try:
        code = _run(command, argv, cluster, node)
    finally:
        _journal(cluster, command, node, began, time.time() - began, code)
    return code


def _journal(cluster: str, command: str, node: str, began: float,  # noqa: PLR0917
             duration: float, code: int) -> None:
    """One line in the command journal, if there is one: a regular file, not followed
    through a symbolic link, and owned by root or by the user running the command."""
    import os  # noqa: PLC0415

    try:
        fd = os.open(f"{cluster}/{COMMAND_JOURNAL}",
                     os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return
    try:
        info = os.fstat(fd)
        if info.st_uid not in (0, os.geteuid()) or (info.st_mode & 0o170000) != 0o100000:
            return
        from clustersim import jsonline  # noqa: PLC0415

        line = jsonline.dumps({"command": command, "node": node, "pid": os.getpid(),
                               "ppid": os.getppid(), "began": round(began, 4),
                               "duration": round(duration, 4), "code": code})
        os.write(fd, (line + "\n").encode())
    except OSError:
        pass
    finally:
        os.close(fd)


def _is_method(command: str) -> bool:
    """A built-in type's method (hafoip_start, ...): it gets the light layout too."""
    from clustersim.builtin import METHODS  # noqa: PLC0415

    return command in METHODS


def _run(command: str, argv: list[str], cluster: str, node: str) -> int:
    if command.startswith("scha_") or command in LIGHT or _is_method(command):
        from clustersim.paths import CommandLayout  # noqa: PLC0415

        layout = CommandLayout(cluster)
    else:
        from pathlib import Path  # noqa: PLC0415

        from clustersim.layout import ClusterLayout  # noqa: PLC0415

        layout = ClusterLayout(Path(cluster))
    target = COMMANDS.get(command)
    if target is None:
        from clustersim.builtin import METHODS  # noqa: PLC0415

        if command not in METHODS:
            print(f"{command}: unknown clustersim command", file=sys.stderr)
            return 1
        from clustersim.builtin.methods import main as method_main  # noqa: PLC0415

        return method_main(argv, layout=layout, node=node, method=command)
    module, func = target.split(":")
    try:
        __import__(module)
        return int(getattr(sys.modules[module], func)(argv, layout=layout, node=node) or 0)
    except KeyboardInterrupt:
        return 130
