"""The wheel and sdist for use off Solaris, built offline from pyproject.toml, outside the
tree: the sdist from a clean copy, the wheel from the sdist."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import build as builder
import pytest
from pkg_support import BUILD_TIME, REPO, Built

SKIPPED = {".git", ".venv", ".venv39", ".pytest_cache", ".ruff_cache", ".hypothesis",
           "__pycache__", "node_modules"}


def build_leftovers(tree: Path) -> set[str]:
    """What a setuptools build leaves in a tree: build/ (lib, bdist.*) and *.egg-info."""
    found = set()
    for directory, dirs, _files in os.walk(tree):
        dirs[:] = [d for d in dirs if d not in SKIPPED]
        for name in dirs:
            path = Path(directory, name)
            if name.endswith(".egg-info") or path == tree / "build":
                found.add(path.relative_to(tree).as_posix())
        if Path(directory) == tree / "build":
            found |= {f"build/{d}" for d in dirs}
            dirs[:] = []
    return found


def tree_files(top: Path) -> set[str]:
    return {p.relative_to(top.parent).as_posix() for p in top.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    before = build_leftovers(REPO)
    wheel, sdist = builder.build_dist(REPO, tmp_path_factory.mktemp("dist"))
    assert build_leftovers(REPO) == before, "the build wrote into the repository"
    yield wheel, sdist


def test_wheel_holds_the_library_and_nothing_of_the_packaging(dist: tuple[Path, Path]) -> None:
    wheel, _ = dist
    assert wheel.name.startswith("sunwscims-") and wheel.suffix == ".whl"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    tops = {n.split("/")[0] for n in names}
    assert "scims" in tops
    assert not tops & {"packaging", "svr4", "pkgbuild", "manpage", "msgguide", "build", "tests",
                       "methods", "rtr"}
    library = {p.relative_to(REPO / "src").as_posix()
               for p in (REPO / "src" / "scims").rglob("*.py") if "__pycache__" not in p.parts}
    assert library <= set(names)
    assert {n for n in names if n.startswith("scims/") and n.endswith(".py")} == library


def test_sdist_carries_what_rebuilds_the_svr4_package(dist: tuple[Path, Path]) -> None:
    _, sdist = dist
    builder.check_sdist(sdist)
    with tarfile.open(sdist) as tar:
        members = {m.split("/", 1)[1] for m in tar.getnames() if "/" in m}
    for top in ("methods", "rtr", "packaging"):
        wanted = tree_files(REPO / top)
        assert wanted and wanted <= members, wanted - members
    assert {"pyproject.toml", "MANIFEST.in", "Makefile", "requirements/dev.txt"} <= members
    assert not any("__pycache__" in m or m.endswith(".pyc") for m in members)


def test_sdist_rebuilds_the_same_svr4_package(dist: tuple[Path, Path], built: Built,
                                              tmp_path: Path) -> None:
    """packaging/build.py run inside the unpacked sdist makes the package the repository
    makes: the same objects with the same modes, sizes and checksums."""
    _, sdist = dist
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    (top,) = (tmp_path / "unpacked").iterdir()
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(top / "packaging" / "build.py"), "--no-dist", "--out", str(out)],
        cwd=tmp_path, env={**os.environ, "SOURCE_DATE_EPOCH": str(BUILD_TIME)},
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr

    def objects(pkgmap: Path) -> set[tuple[str, ...]]:
        """pkgmap lines without their modification times (the unpacked files are newer)."""
        lines = [line.split() for line in pkgmap.read_text().splitlines()[1:]]
        return {tuple(f[:-1]) if f[1] in "ifve" else tuple(f) for f in lines}

    assert objects(out / "pkg" / "SUNWscims" / "pkgmap") == objects(built.pkgdir / "pkgmap")


def test_a_deleted_module_leaves_the_next_wheel(tmp_path: Path) -> None:
    """Builds share nothing: a module removed after one build is not in the next wheel."""
    tree = tmp_path / "tree"
    shutil.copytree(REPO, tree, symlinks=True, ignore=builder._ignore(REPO))
    stale = tree / "src" / "scims" / "stale_module.py"
    stale.write_text("GONE = True\n")
    wheels = []
    for run in ("with", "without"):
        if run == "without":
            stale.unlink()
        wheel, _ = builder.build_dist(tree, tmp_path / f"dist-{run}")
        with zipfile.ZipFile(wheel) as z:
            wheels.append("scims/stale_module.py" in z.namelist())
    assert wheels == [True, False]
    assert build_leftovers(tree) == set()
