"""pyproject.toml's build requirements: what the metadata needs, and what `make` installs.

`make` installs the project with `--no-build-isolation` from the pinned requirements, so every
build requirement must be pinned in requirements/dev.txt at a version that satisfies it; and
a `license` given as an SPDX string (PEP 639) is refused by setuptools before 77, so the
declared minimum must not let an older one in (a fresh `pip install .` with build isolation
would otherwise pick any setuptools the declaration allows and fail on the metadata).
"""

from __future__ import annotations

from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
PEP639_SETUPTOOLS = Version("77")


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def pinned() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for raw in (REPO / "requirements" / "dev.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = Version(version.strip())
    return pins


def build_requirements() -> list[Requirement]:
    return [Requirement(r) for r in pyproject()["build-system"]["requires"]]


def test_every_build_requirement_is_pinned_at_a_version_that_satisfies_it() -> None:
    pins = pinned()
    for req in build_requirements():
        assert req.name.lower() in pins, f"{req.name} is a build requirement but not pinned"
        version = pins[req.name.lower()]
        assert req.specifier.contains(version), f"pinned {req.name}=={version} fails {req}"


def test_an_spdx_license_string_requires_a_setuptools_that_reads_it() -> None:
    if not isinstance(pyproject()["project"].get("license"), str):
        return
    setuptools = [r for r in build_requirements() if r.name.lower() == "setuptools"]
    assert setuptools, "the build backend is setuptools, but it is not a build requirement"
    for older in ("68", "70.1", "76.1.0"):
        assert not setuptools[0].specifier.contains(older), (
            f"{setuptools[0]} admits setuptools {older}, which rejects license = \"...\"")
    assert setuptools[0].specifier.contains(PEP639_SETUPTOOLS)
