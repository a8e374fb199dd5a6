"""Shared by the packaging tests: one package built into a temporary directory.

The builder lives in packaging/ as plain modules (it must not ship); put it on sys.path.
No __init__.py here: a package named `packaging` would shadow the PyPI one pytest uses,
and this module is not `conftest` so that `from pkg_support import ...` cannot pick up
another directory's conftest.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
sys.path.insert(0, str(PACKAGING))

import pkgbuild  # noqa: E402

BUILD_TIME = 1_700_000_000

# A launcher of the documented form: its library is <directory of this file>/../lib.
LAUNCHER = """#!/usr/bin/python3
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import scims  # noqa: E402

print(os.path.realpath(scims.__file__))
print(sys.executable)
"""


@dataclass(frozen=True)
class Built:
    out: Path
    pkgdir: Path
    stream: Path
    prototype: Path
    sources: pkgbuild.Sources
    man_page: Path


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """SUNWscims built from the repository, with two stand-in launchers in methods/.

    The real methods arrive in methods/ separately; the builder packages whatever is there,
    so the test uses its own tree to know exactly what to expect.
    """
    import os

    tmp = tmp_path_factory.mktemp("pkg")
    methods = tmp / "methods"
    methods.mkdir()
    for name in ("ims_svc_start", "ims_probe"):
        (methods / name).write_text(LAUNCHER)
        (methods / name).chmod(0o755)
    man = tmp / "man"
    man.mkdir()
    page = man / "SUNW.ims.5"
    page.write_text('.TH SUNW.ims 5\n.SH NAME\nSUNW.ims \\- test page\n')
    src = pkgbuild.Sources(REPO, methods, REPO / "src" / "scims", REPO / "rtr" / "SUNW.ims",
                           PACKAGING)
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(BUILD_TIME)
    try:
        pkgdir, stream = pkgbuild.build_package(src, tmp / "out", [page])
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    return Built(tmp / "out", pkgdir, stream, tmp / "out" / "prototype", src, page)


def install_tree(built: Built, root: Path) -> Path:
    """What pkgadd -R root puts under BASEDIR before postinstall runs; returns BASEDIR."""
    basedir = root / "opt"
    basedir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(built.pkgdir / "reloc" / "SUNWscims", basedir / "SUNWscims")
    for path in (basedir / "SUNWscims").rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
    return basedir
