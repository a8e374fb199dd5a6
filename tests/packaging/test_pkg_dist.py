"""The wheel and sdist for use off Solaris, built offline from pyproject.toml."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import build as builder
from pkg_support import REPO


def test_wheel_and_sdist(tmp_path: Path) -> None:
    wheel, sdist = builder.build_dist(REPO, tmp_path)
    builder.check_sdist(sdist)
    assert wheel.name.startswith("sunwscims-") and wheel.suffix == ".whl"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    tops = {n.split("/")[0] for n in names}
    assert "scims" in tops
    assert not tops & {"packaging", "svr4", "pkgbuild", "manpage", "msgguide", "build", "tests"}
    library = {p.relative_to(REPO / "src").as_posix()
               for p in (REPO / "src" / "scims").glob("*.py")}
    assert library <= set(names)
    with tarfile.open(sdist) as tar:
        members = tar.getnames()
    assert any(m.endswith("/pyproject.toml") for m in members)
