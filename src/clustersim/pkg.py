"""pkgadd/pkgrm of SVR4 directory-format packages into a node root, as pkgadd(1M) with an
alternate root (-R) does: pkgmap-driven copy of reloc/ (relative paths, under BASEDIR) and
root/ (absolute paths), install scripts run with /bin/sh and the documented environment
(PKG_INSTALL_ROOT, BASEDIR including the root, CLIENT_BASEDIR without it, PKGINST, every
pkginfo parameter), and a per-node installed-software database (var/sadm/install/contents,
var/sadm/pkg/<PKG>/) so pkgrm can undo it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout


@dataclass
class MapEntry:
    ftype: str
    klass: str
    path: str
    mode: str = ""
    owner: str = ""
    group: str = ""
    target: str = ""
    rest: str = ""


def read_pkginfo(path: Path) -> dict[str, str]:
    params: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        params[key.strip()] = value
    return params


def read_pkgmap(path: Path) -> list[MapEntry]:
    entries: list[MapEntry] = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if not fields or fields[0] == ":" or line.startswith("#"):
            continue
        if fields[1] == "i":
            entries.append(MapEntry("i", "", fields[2]))
            continue
        ftype, klass, path_field = fields[1], fields[2], fields[3]
        entry = MapEntry(ftype, klass, path_field)
        if ftype in ("s", "l"):
            entry.path, _, entry.target = path_field.partition("=")
        elif ftype in ("f", "e", "v", "d", "x"):
            entry.mode, entry.owner, entry.group = fields[4:7]
            entry.rest = " ".join(fields[7:])
        entries.append(entry)
    return entries


def _script_env(root: Path, pkg: str, params: dict[str, str], pkgdir: Path) -> dict[str, str]:
    basedir = params.get("BASEDIR", "/") or "/"
    env = {k: v for k, v in params.items() if k.isidentifier()}
    env.update({
        # The node's own python3 (with psutil) is the stand-in's interpreter, first on PATH
        # as /usr/bin/python3 would be on a Solaris node: postinstall picks it for the methods.
        "PATH": f"{Path(sys.executable).parent}:/usr/sbin:/usr/bin:/bin",
        "PKG_INSTALL_ROOT": str(root),
        "CLIENT_BASEDIR": basedir,
        "BASEDIR": str(root) + (basedir if basedir != "/" else ""),
        "PKGINST": pkg,
        "PKG": params.get("PKG", pkg),
        "PKGSAV": str(root / "var/sadm/pkg" / pkg / "save"),
        "INST_DATADIR": str(pkgdir),
        "SC_NODE_ROOT": str(root),
        "LANG": "C",
        "TZ": os.environ.get("TZ") or "UTC",
    })
    return env


def _run_script(script: Path, env: dict[str, str], log: list[str]) -> int:
    if not script.is_file():
        return 0
    proc = subprocess.run(["/bin/sh", str(script.resolve())], env=env, cwd="/", capture_output=True,
                          text=True, check=False)
    log.append(proc.stdout + proc.stderr)
    return proc.returncode


def _dest(root: Path, basedir: str, path: str) -> tuple[Path, str]:
    """(path on disk, path as the node sees it)."""
    seen = path if path.startswith("/") else os.path.normpath(f"{basedir}/{path}")
    return root / seen.lstrip("/"), seen


def pkgadd(layout: ClusterLayout, node: str, pkgdir: Path, pkg: str) -> str:
    root = layout.node_root(node)
    if not root.is_dir():
        raise ClusterError(f"node {node} has no root at {root}", "NODE")
    src = pkgdir / pkg
    if not (src / "pkgmap").is_file() or not (src / "pkginfo").is_file():
        raise ClusterError(f"{src} is not a directory-format package (pkgmap and pkginfo "
                           "expected)", "INVAL")
    db = layout.node_pkgdb(node)
    if (db / "pkg" / pkg / "pkginfo").exists():
        raise ClusterError(f"package {pkg} is already installed on node {node}; remove it "
                           "with pkgrm first", "INVAL")
    params = read_pkginfo(src / "pkginfo")
    basedir = params.get("BASEDIR", "/") or "/"
    env = _script_env(root, pkg, params, pkgdir)
    log: list[str] = []
    entries = read_pkgmap(src / "pkgmap")
    if _run_script(src / "install" / "checkinstall", env, log) not in (0,):
        raise ClusterError(f"checkinstall of {pkg} failed:\n{''.join(log)}", "INVAL")
    if _run_script(src / "install" / "preinstall", env, log) != 0:
        raise ClusterError(f"preinstall of {pkg} failed:\n{''.join(log)}", "INVAL")
    contents: list[str] = []
    for entry in entries:
        if entry.ftype == "i":
            continue
        dest, seen = _dest(root, basedir, entry.path)
        if entry.ftype in ("d", "x"):
            dest.mkdir(parents=True, exist_ok=True)
            os.chmod(dest, int(entry.mode, 8))
            contents.append(f"{seen} d {entry.klass} {entry.mode} {entry.owner} {entry.group} "
                            f"{pkg}")
        elif entry.ftype in ("f", "e", "v"):
            origin = (src / "root" / entry.path.lstrip("/")) if entry.path.startswith("/") \
                else src / "reloc" / entry.path
            if not origin.is_file():
                raise ClusterError(f"package {pkg}: {origin} listed in pkgmap is missing",
                                   "INVAL")
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists() or dest.is_symlink():
                dest.unlink()
            shutil.copyfile(origin, dest)
            os.chmod(dest, int(entry.mode, 8))
            contents.append(f"{seen} {entry.ftype} {entry.klass} {entry.mode} {entry.owner} "
                            f"{entry.group} {entry.rest} {pkg}")
        elif entry.ftype == "s":
            dest.parent.mkdir(parents=True, exist_ok=True)
            target = entry.target
            link_to = str(root / target.lstrip("/")) if target.startswith("/") else target
            if dest.exists() or dest.is_symlink():
                dest.unlink()
            dest.symlink_to(link_to)
            contents.append(f"{seen}={target} s {entry.klass} {pkg}")
        elif entry.ftype == "l":
            target_path, _ = _dest(root, basedir, entry.target)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                dest.unlink()
            os.link(target_path, dest)
            contents.append(f"{seen}={entry.target} l {entry.klass} {pkg}")
    saved = db / "pkg" / pkg
    (saved / "install").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / "pkginfo", saved / "pkginfo")
    if (src / "install").is_dir():
        for script in (src / "install").iterdir():
            if script.is_file():
                shutil.copyfile(script, saved / "install" / script.name)
    (db / "install").mkdir(parents=True, exist_ok=True)
    with open(db / "install" / "contents", "a") as fh:
        fh.writelines(line + "\n" for line in contents)
    if _run_script(src / "install" / "postinstall", env, log) != 0:
        raise ClusterError(f"postinstall of {pkg} failed:\n{''.join(log)}", "INVAL")
    return "".join(log) + f"\nInstallation of <{pkg}> on node {node} was successful.\n"


def pkgrm(layout: ClusterLayout, node: str, pkg: str) -> str:
    root = layout.node_root(node)
    db = layout.node_pkgdb(node)
    saved = db / "pkg" / pkg
    if not (saved / "pkginfo").is_file():
        raise ClusterError(f"package {pkg} is not installed on node {node}", "INVAL")
    params = read_pkginfo(saved / "pkginfo")
    env = _script_env(root, pkg, params, saved)
    log: list[str] = []
    if _run_script(saved / "install" / "preremove", env, log) != 0:
        raise ClusterError(f"preremove of {pkg} failed:\n{''.join(log)}", "INVAL")
    contents_file = db / "install" / "contents"
    lines = contents_file.read_text().splitlines() if contents_file.exists() else []
    mine = [ln for ln in lines if ln.split()[-1] == pkg]
    others = [ln for ln in lines if ln.split()[-1] != pkg]
    shared = {ln.split()[0].split("=")[0] for ln in others}
    for line in sorted(mine, key=lambda ln: ln.split()[0], reverse=True):
        seen = line.split()[0].split("=")[0]
        if seen in shared:
            continue
        path = root / seen.lstrip("/")
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            try:
                path.rmdir()
            except OSError:
                pass  # not empty: files another package or the admin put there stay
    contents_file.write_text("".join(ln + "\n" for ln in others))
    if _run_script(saved / "install" / "postremove", env, log) != 0:
        raise ClusterError(f"postremove of {pkg} failed:\n{''.join(log)}", "INVAL")
    shutil.rmtree(saved)
    return "".join(log) + f"\nRemoval of <{pkg}> from node {node} was successful.\n"
