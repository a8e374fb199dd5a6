"""Package scripts run as root: no predictable temporary names, no writes through symbolic
links, nothing run from a path others can change.

Attack 1 of issue #11, and two holes of the same kind found beyond the list."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pkg_support import PACKAGING, Built, install_tree
from security_support import RUNTIME_UID

from clustersim.pkg import provide_python, write_install_tools


def environment(root: Path, tools: Path, python_dir: Path, **extra: str) -> dict[str, str]:
    """What pkgadd -R gives the scripts."""
    return {"PATH": f"{tools}:{python_dir}:/usr/bin:/bin", "PKG_INSTALL_ROOT": str(root),
            "BASEDIR": str(root / "opt"), "CLIENT_BASEDIR": "/opt", "PKGINST": "SUNWscims",
            **extra}


def installed_tree(built: Built, tmp_path: Path, bare_python: Path) -> tuple[Path, Path]:
    root = tmp_path / "root"
    install_tree(built, root)
    provide_python(root, str(bare_python / "python3"))
    tools = tmp_path / "tools"
    write_install_tools(tools)
    return root, tools


def test_postinstall_does_not_write_through_a_link_planted_in_tmpdir(
        built: Built, tmp_path: Path, bare_python: Path) -> None:
    """Attack 1: postinstall wrote a temporary file with a predictable name in $TMPDIR
    (SUNWscims.<pid>): a symbolic link planted there by any user made root overwrite the
    link's target. (Solaris has no symlink protection, so the link is followed.) The link
    is planted for the very pid the script runs as, by the process that then becomes it."""
    root, tools = installed_tree(built, tmp_path, bare_python)
    shared_tmp = tmp_path / "tmp"
    shared_tmp.mkdir()
    shared_tmp.chmod(0o1777)
    victim = tmp_path / "etc-shadow"
    victim.write_text("root:precious:::\n")
    env = environment(root, tools, bare_python, TMPDIR=str(shared_tmp), VICTIM=str(victim))
    plant_then_run = 'ln -s "$VICTIM" "$TMPDIR/SUNWscims.$$" && exec /bin/sh "$0"'
    done = subprocess.run(["/bin/sh", "-c", plant_then_run, str(PACKAGING / "postinstall")],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert victim.read_text() == "root:precious:::\n", "root wrote through the planted link"
    assert done.returncode == 0, done.stderr


def test_postinstall_does_not_chmod_through_a_link(built: Built, tmp_path: Path,
                                                   bare_python: Path) -> None:
    """Beyond the list: the debug-level directory $ROOT/var/cluster/rgm/rt/SUNW.ims as a
    symbolic link (planted by a zone's root, pkgadd -R of that zone) made root chmod the
    link's target 755."""
    root, tools = installed_tree(built, tmp_path, bare_python)
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    rt = root / "var" / "cluster" / "rgm" / "rt"
    rt.mkdir(parents=True)
    (rt / "SUNW.ims").symlink_to(private)
    done = subprocess.run(["/bin/sh", str(PACKAGING / "postinstall")],
                          env=environment(root, tools, bare_python), capture_output=True,
                          text=True, timeout=120, check=False)
    assert (private.stat().st_mode & 0o777) == 0o700, "root changed the link's target"
    assert done.returncode == 1 and "symbolic link" in done.stderr, done.stderr


def test_preremove_does_not_run_a_cluster_command_others_can_change(
        built: Built, tmp_path: Path, bare_python: Path) -> None:
    """Beyond the list: preremove ran $ROOT/usr/cluster/bin/scha_cluster_get as root
    whoever could change it (with pkgadd -R, a zone's own users)."""
    root, tools = installed_tree(built, tmp_path, bare_python)
    bin_dir = root / "usr" / "cluster" / "bin"
    bin_dir.mkdir(parents=True)
    marker = tmp_path / "ran-as-root"
    command = bin_dir / "scha_cluster_get"
    command.write_text(f"#!/bin/sh\ntouch {marker}\necho SUNW.LogicalHostname\n")
    command.chmod(0o755)
    os.chown(command, RUNTIME_UID, -1)
    done = subprocess.run(["/bin/sh", str(PACKAGING / "preremove")],
                          env=environment(root, tools, bare_python), capture_output=True,
                          text=True, timeout=120, check=False)
    assert not marker.exists(), "root ran a command another user owns"
    assert "not running" in done.stderr, done.stderr


def test_postinstall_does_not_run_an_interpreter_others_can_change(
        built: Built, tmp_path: Path, bare_python: Path) -> None:
    """Beyond the list: postinstall ran the alternate root's python3 as root (to test it and
    to byte-compile) whoever could change it."""
    root = tmp_path / "root"
    install_tree(built, root)
    tools = tmp_path / "tools"
    write_install_tools(tools)
    marker = tmp_path / "ran-as-root"
    planted = root / "usr" / "bin" / "python3"
    planted.parent.mkdir(parents=True)
    planted.write_text(f"#!/bin/sh\ntouch {marker}\nexec {bare_python / 'python3'} \"$@\"\n")
    planted.chmod(0o755)
    os.chown(planted, RUNTIME_UID, -1)
    done = subprocess.run(["/bin/sh", str(PACKAGING / "postinstall")],
                          env=environment(root, tools, tmp_path / "no-python"),
                          capture_output=True, text=True, timeout=120, check=False)
    assert not marker.exists(), "root ran an interpreter another user owns"
    assert done.returncode == 1 and "users other than root can change it" in done.stderr


def test_postinstall_imports_nothing_from_its_working_directory(
        built: Built, tmp_path: Path, bare_python: Path) -> None:
    """Issue #23: postinstall started `python3 -E -c 'import sys, psutil'` and `python3 -E -m
    compileall` without leaving its current directory; -E keeps that directory on sys.path,
    so pkgadd run from a directory another user writes ran that user's psutil.py (and
    compileall.py) as root. Every module name the scripts' interpreters import first is
    planted there; none may run."""
    root, tools = installed_tree(built, tmp_path, bare_python)
    planted = tmp_path / "users-directory"
    planted.mkdir()
    marker = tmp_path / "ran-as-root"
    for module in ("psutil", "compileall", "sys", "importlib", "py_compile", "concurrent",
                   "os", "filecmp", "struct", "argparse", "re"):
        (planted / f"{module}.py").write_text(
            f"open({str(marker)!r}, 'a').write({module!r} + '\\n')\n"
            "raise SystemExit(0)\n")
    for path in (planted, *planted.iterdir()):
        os.chown(path, RUNTIME_UID, -1)
    done = subprocess.run(["/bin/sh", str(PACKAGING / "postinstall")], cwd=planted,
                          env=environment(root, tools, bare_python), capture_output=True,
                          text=True, timeout=120, check=False)
    assert not marker.exists(), f"root imported {marker.read_text().split()} from the cwd"
    assert done.returncode == 0, done.stderr
    assert list((root / "opt" / "SUNWscims" / "lib").rglob("*.pyc")), "nothing byte-compiled"

