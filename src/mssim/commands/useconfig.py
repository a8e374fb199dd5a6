"""sbin/useconfig <dir>/setup/configure_YYYYMMDDHHMMSS: share a configuration with this node.

On the second node of a cluster (package installed, configure not run) it recreates what is
node-local: the runtime group and user with the first node's ids (in the node's etc files),
the filled-in templates, and the config, log and data links onto the shared configuration
directory. It prints what it does as the 6.3 utility does (the seed's transcript).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from mssim import install, node
from mssim.commands.common import installation
from mssim.install import Installation


def ensure_account(root: Path, user: str, group: str, uid: str, gid: str) -> list[str]:
    """Add the group/user to the node's files when missing; returns what was changed."""
    changes = []
    if root == Path("/"):
        if node.find_group(root, group) is None or node.find_user(root, user) is None:
            changes.append("refusing to edit the machine's own /etc files: create "
                           f"{user}/{group} yourself")
        return changes
    etc = root / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    if node.find_group(root, group) is None:
        with open(etc / "group", "a", encoding="utf-8") as fh:
            fh.write(f"{group}::{gid}:{user}\n")
        changes.append(f"group {group} ({gid}) added")
    if node.find_user(root, user) is None:
        with open(etc / "passwd", "a", encoding="utf-8") as fh:
            fh.write(f"{user}:x:{uid}:{gid}:Messaging Server:/:/bin/false\n")
        changes.append(f"user {user} ({uid}) added")
    return changes


def run(inst: Installation, saved: Path) -> int:
    props = install.read_properties(saved / "Devsetup.properties")
    if not props:
        print(f"useconfig: {saved}/Devsetup.properties not found", file=sys.stderr)
        return 1
    base = inst.base
    user, group = props.get("MS_USER", "mailsrv"), props.get("MS_GROUP", "mail")
    config_dir = saved.parent.parent if saved.parent.name == "setup" else \
        Path(props["MS_DATADIR"])
    templates = base / "lib" / "config-templates"
    templates.mkdir(parents=True, exist_ok=True)
    log: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        log.append(line)

    say(f"cp {saved}/Devsetup.properties {templates}/Devsetup.properties")
    shutil.copy2(saved / "Devsetup.properties", templates / "Devsetup.properties")
    say(f"/usr/sbin/groupadd {group}")
    say(f"/usr/sbin/useradd -g {group} -d / {user}")
    say(f"/usr/sbin/usermod -G {group} {user}")
    root = node.node_root(str(base / "sbin" / "useconfig"))
    for change in ensure_account(root, user, group, props.get("MS_UID", "60001"),
                                 props.get("MS_GID", "60001")):
        log.append(f"  ({change})")
    for name in ("devtypes.txt", "config.ins"):
        say(f'sed -e "s/local.serveruid/{user}/" -e "s/local.servergid/{group}/" -e '
            f'"s:<msg.RootPath>:{base}:" {templates}/{name}.template > {templates}/{name}')
        try:
            text = (templates / f"{name}.template").read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        text = text.replace("local.serveruid", user).replace("local.servergid", group)
        (templates / name).write_text(text.replace("<msg.RootPath>", str(base)),
                                      encoding="utf-8")
    say(f"{base}/lib/devinstall -l sepadmsvr:pkgcfg:config -v -m -i {templates}/config.ins "
        f"{templates} {base}/lib/jars {base}/lib")
    try:
        install.link_config(base, config_dir)
        code = 0
    except (install.InstallError, OSError) as exc:
        log.append(f"  devinstall: {exc}")
        code = 1
    say(f"devinstall returned {code}")
    say(f"crle -c /var/ld/ld.config -s /usr/lib/secure:{base}/lib -s {base}/lib")
    logfile = base / "install" / f"useconfiglog_{time.strftime('%Y%m%d%H%M%S')}"
    logfile.parent.mkdir(parents=True, exist_ok=True)
    logfile.write_text("\n".join(log) + "\n", encoding="utf-8")
    print(f"See {logfile} for more details")
    return code


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print("Usage: useconfig install/configure_YYYYMMDDHHMMSS", file=sys.stderr)
        return 1
    inst = installation()
    saved = Path(argv[1])
    if not saved.is_absolute() and not saved.exists():
        saved = inst.base / saved
    return run(inst, saved)
