"""The README's commands work from nothing: every target that needs system tools installs
them first (`make sysdeps`), the list of those tools covers every program the code starts,
and CI runs the README's first command as well as its second.

The Makefile is read as make reads it (`make -n`, `make -p`), so a target added later (the
chaos campaign's, say) is held to the same rule without this file knowing its name.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEARCHED = ("src", "methods", "ocf", "bench", "packaging", "tools", "tests")
FULL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SYSDEPS_RECIPE = "for pair in "
"""A line only the sysdeps recipe prints."""

NEEDS_NO_TOOLS = {
    "sysdeps": "is the installation itself",
    "lint": "runs ruff and the Python 3.9 check from the virtual environment",
    "package": "builds the SVR4 package in Python alone",
    "deb": "runs dpkg-deb, which every Debian system has",
    "clean": "removes files",
}
"""Targets that may run without `make sysdeps`, and why."""

NOT_PROGRAMS = {
    "vi": "argv[0] given to tail (executable=) to look like root's editor",
    "top": "a resource group's name",
    "node": "the clustersim sub-command `node`",
    "init": "a key of hostlab's state record",
    "python3": "the interpreter the Makefile itself needs (PYTHON), before anything else",
    "make": "what runs the Makefile",
}
"""Words the scan finds first in a literal list that name no program the code starts, or
name one the Makefile needs before it can run sysdeps."""


def make(*args: str) -> str:
    done = subprocess.run(["make", "--no-print-directory", "-C", str(REPO), *args],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@cache
def database() -> str:
    """make's database of the Makefile (-p), nothing run (-n, -q of a target that is none)."""
    done = subprocess.run(["make", "--no-print-directory", "-C", str(REPO), "-pnq",
                           "-f", "Makefile", ".DEFAULT"], capture_output=True, text=True,
                          timeout=60, check=False)
    return done.stdout


def targets() -> list[str]:
    """The Makefile's own targets (its rules of plain names, not files or special targets)."""
    source = (REPO / "Makefile").read_text()
    return sorted({m.group(1) for m in re.finditer(r"^([a-z][a-z0-9_-]*)\s*:(?!=)", source,
                                                   re.M)})


def sysdeps() -> dict[str, str]:
    """tool -> Debian package, as the Makefile's SYSDEPS says."""
    m = re.search(r"^SYSDEPS :?= (.*)$", database(), re.M)
    assert m, "the Makefile has no SYSDEPS variable"
    return dict(pair.split(":", 1) for pair in m.group(1).split())


def test_the_makefile_targets_are_found() -> None:
    assert {"demo", "test", "unit", "bench", "rpm", "sysdeps"} <= set(targets())


@pytest.mark.parametrize("target", [t for t in targets() if t not in NEEDS_NO_TOOLS])
def test_target_installs_the_system_tools_before_its_own_work(target: str) -> None:
    """`make demo` on a fresh machine stopped at clustersim's "missing: the programs
    arping": only `make test` ran sysdeps. Every target but those of NEEDS_NO_TOOLS must."""
    commands = make("-n", target)
    assert SYSDEPS_RECIPE in commands, f"make {target} does not run make sysdeps"
    own = commands.split(SYSDEPS_RECIPE, 1)[1]
    assert own.strip(), f"make {target} runs nothing after sysdeps"


def test_demo_runs_the_guide_after_sysdeps() -> None:
    commands = make("-n", "demo", "ARGS=--quiet")
    assert commands.index(SYSDEPS_RECIPE) < commands.index("-m imsguide.demo --quiet")


def test_sysdeps_names_what_is_missing_and_installs_nothing_without_root() -> None:
    """Without root (or apt-get) it says which tools and packages, in one line, and fails."""
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(REPO / "Makefile", Path(scratch) / "Makefile")
        os.chmod(scratch, 0o755)
        done = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             "make", "--no-print-directory", "-C", scratch, "sysdeps"],
            capture_output=True, text=True, timeout=60, check=False,
            env={"PATH": "/usr/bin:/bin", "HOME": "/"})  # no sbin: corosync, pcs, ... lack
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.startswith("missing tools:")]
    assert len(lines) == 1, done.stderr
    assert " corosync" in lines[0] and " pcs" in lines[0]
    assert "install the Debian packages" in lines[0] and " pacemaker " in lines[0]
    assert "installing" not in done.stdout


def test_sysdeps_installs_in_one_apt_get() -> None:
    recipe = make("-n", "sysdeps")
    assert recipe.count("apt-get install") == 1


def test_sysdeps_has_what_this_round_needs() -> None:
    packages = set(sysdeps().values())
    assert {"stress-ng", "pcs", "crmsh", "rpm", "openssh-server", "openssh-client"} <= packages


# --- every program the code starts is installed by sysdeps --------------------------------


def python_files() -> list[Path]:
    files = []
    for top in SEARCHED:
        for path in sorted((REPO / top).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            if path.suffix == ".py":
                files.append(path)
            elif path.suffix == "":
                with open(path, "rb") as f:
                    first = f.readline()
                if first.startswith(b"#!") and b"python" in first:
                    files.append(path)
    return files


def started_programs() -> dict[str, set[str]]:
    """Program -> files: the first word of every literal argv ([..] or (..) of strings first)
    in the code, where that word is a program on this machine."""
    found: dict[str, set[str]] = {}
    for path in python_files():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.List, ast.Tuple)) or not node.elts:
                continue
            first = node.elts[0]
            if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
                continue
            word = first.value
            if word and " " not in word and word not in NOT_PROGRAMS \
                    and shutil.which(word, path=FULL_PATH):
                found.setdefault(word, set()).add(str(path.relative_to(REPO)))
    return found


def owning_package(program: str) -> str | None:
    """The Debian package that installed `program` (dpkg -S, through /usr-merge's links)."""
    where = shutil.which(program, path=FULL_PATH)
    assert where is not None
    candidates = {where, os.path.realpath(where)}
    for path in list(candidates):
        for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/")):
            if path.startswith(a):
                candidates.add(b + path[len(a):])
            elif path.startswith(b):
                candidates.add(a + path[len(b):])
    for path in sorted(candidates):
        done = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True,
                              timeout=60, check=False)
        if done.returncode == 0:
            return done.stdout.split(":", 1)[0].strip()
    return None


@cache
def required_packages() -> frozenset[str]:
    """Packages every Debian system has: Essential, or of priority required."""
    done = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Essential} ${Priority}\n"],
                          capture_output=True, text=True, timeout=60, check=True)
    return frozenset(line.split()[0] for line in done.stdout.splitlines()
                     if len(line.split()) == 3 and
                     (line.split()[1] == "yes" or line.split()[2] == "required"))


def test_the_scan_finds_the_programs_the_code_starts() -> None:
    """The scan can fail: it sees the programs the bed, hostlab and the packages run."""
    found = started_programs()
    assert {"corosync", "losetup", "nsenter", "arping", "dpkg-deb", "pcs",
            "rpmbuild"} <= set(found)


def test_every_program_the_code_starts_is_installed_by_sysdeps() -> None:
    packages = set(sysdeps().values())
    base = required_packages()
    missing = []
    for program, files in sorted(started_programs().items()):
        package = owning_package(program)
        if package is None or (package not in packages and package not in base):
            missing.append(f"{program} ({package or 'no Debian package'}; "
                           f"run by {', '.join(sorted(files))})")
    assert not missing, "not installed by make sysdeps: " + "; ".join(missing)


# --- CI -------------------------------------------------------------------------------------


def run_ci(tmp_path: Path, failing: str = "") -> tuple[int, list[str]]:
    """.ci/run with a `make` that records its arguments (and fails for `failing`)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "calls"
    fake = bin_dir / "make"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {record}\n'
                    f'[ -n "{failing}" ] && [ "$1" = "{failing}" ] && exit 2\nexit 0\n')
    fake.chmod(0o755)
    done = subprocess.run([str(REPO / ".ci" / "run")], capture_output=True, text=True,
                          timeout=60, check=False,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    return done.returncode, record.read_text().splitlines()


CAMPAIGN = ("chaos ARGS=--engine sc --seed 1 --minutes 2 --faults kill-daemon,kill-watcher,"
            "switchover,power-off,net-cut --out build/chaos-ci")


def test_ci_runs_the_readmes_two_commands_and_a_short_campaign(tmp_path: Path) -> None:
    rc, calls = run_ci(tmp_path)
    assert rc == 0
    assert calls == ["test", "demo ARGS=--quiet", CAMPAIGN]
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


@pytest.mark.parametrize("failing", ["test", "demo", "chaos"])
def test_ci_fails_when_any_command_fails(tmp_path: Path, failing: str) -> None:
    rc, calls = run_ci(tmp_path, failing)
    assert rc != 0
    assert len(calls) == 3, "CI stopped before running every command"
