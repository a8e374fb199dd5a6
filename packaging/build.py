"""`make package`: build everything SUNWscims delivers.

    .venv/bin/python packaging/build.py [--out build] [--dist dist] [--no-dist]

build/man/SUNW.ims.5          man page, generated from rtr/SUNW.ims
build/doc/                    messages guide (Markdown, troff), from scims.log.messages; the
                              troff page ships as /opt/SUNWscims/man/man5/SUNWscims-messages.5
                              (packaging/imsreport.1m as /opt/SUNWscims/man/man1m/imsreport.1m)
build/pkg/prototype           prototype(4), generated from the tree
build/pkg/SUNWscims/          directory-format package (pkgadd -d build/pkg SUNWscims)
build/pkg/SUNWscims.pkg       the same as a datastream (pkgadd -d build/pkg/SUNWscims.pkg)
dist/                         wheel and sdist, for use off Solaris; built in temporary
                              directories (nothing lands in the tree), the sdist from a
                              clean copy, the wheel from the sdist. The sdist can rebuild
                              all of the above (MANIFEST.in).

Standard library only (plus the repository's own scims package, for the RTR parser and
the message catalogue).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(REPO / "src"))

import manpage  # noqa: E402
import msgguide  # noqa: E402
import pkgbuild  # noqa: E402

# Left out of the clean copy the sdist is built from: environments, caches and earlier builds
# (a stale build/lib or *.egg-info/SOURCES.txt would put deleted files into the wheel).
_NOT_COPIED_PATHS = {".git", ".venv", ".venv39", "build", "dist", ".pytest_cache",
                     ".ruff_cache", ".hypothesis", ".ci", "bench/out"}
_NOT_COPIED = ("__pycache__", "*.pyc", "*.egg-info")
# What the sdist must hold: the library, and what `make package` rebuilds SUNWscims from.
SDIST_NEEDS = ("pyproject.toml", "MANIFEST.in", "src/scims/__init__.py", "methods/ims_probe",
               "admin/imsreport", "rtr/SUNW.ims", "packaging/build.py", "packaging/postinstall")


def build_dist(repo: Path, dist: Path) -> list[Path]:
    """Wheel and sdist through setuptools' PEP 517 backend, offline (no build isolation).

    Nothing is written inside `repo`: the sdist is built from a clean copy of the tree in a
    temporary directory, and the wheel from that sdist, unpacked in another, as `python -m
    build` does. One process per hook: setuptools keeps command options between calls.
    """
    dist.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scims-dist-") as scratch:
        tmp = Path(scratch)
        tree = tmp / "tree"
        shutil.copytree(repo, tree, symlinks=True, ignore=_ignore(repo))
        sdist = _run_backend(tree, "build_sdist", tmp / "sdist")
        check_sdist(sdist)
        with tarfile.open(sdist) as tar:
            tar.extractall(tmp / "unpacked", filter="data")
        (top,) = (tmp / "unpacked").iterdir()
        wheel = _run_backend(top, "build_wheel", tmp / "wheel")
        return [Path(shutil.copy2(built, dist)) for built in (wheel, sdist)]


def _ignore(repo: Path) -> Callable[[str, list[str]], set[str]]:
    """shutil.copytree's `ignore`: what is never copied, and the leftovers named above."""
    patterns = shutil.ignore_patterns(*_NOT_COPIED)

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = set(patterns(directory, names))
        rel = os.path.relpath(directory, repo)
        for name in names:
            if os.path.normpath(os.path.join(rel, name)) in _NOT_COPIED_PATHS:
                skipped.add(name)
        return skipped

    return ignore


def _run_backend(source: Path, hook: str, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    code = (
        "import sys, setuptools.build_meta as backend; "
        f"print('@@built', backend.{hook}(sys.argv[1]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        cwd=source, capture_output=True, text=True, check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("@@built ")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"{hook} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")
    built = out / lines[-1].split()[1]
    if not built.is_file():
        raise SystemExit(f"{hook} names {built.name}, which is not in {out}")
    return built


def check_sdist(sdist: Path) -> None:
    """The sdist must carry what a wheel build and a rebuild of SUNWscims from it need."""
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    top = names[0].split("/")[0]
    for needed in SDIST_NEEDS:
        if f"{top}/{needed}" not in names:
            raise SystemExit(f"{sdist.name} lacks {needed}")


IMSREPORT_PAGE = HERE / "imsreport.1m"
"""imsreport(1M), written by hand: /opt/SUNWscims/man/man1m/imsreport.1m (and, as
imsreport(8), in scims-ocf)."""


def man_pages(page: Path, guides: list[Path]) -> list[Path]:
    """What goes to /opt/SUNWscims/man: SUNW.ims(5), the messages guide in troff, and
    imsreport(1M)."""
    return [page, *(guide for guide in guides if guide.suffix == ".5"), IMSREPORT_PAGE]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "build",
                        help="output directory (default: build/)")
    parser.add_argument("--dist", type=Path, default=REPO / "dist",
                        help="wheel and sdist directory (default: dist/)")
    parser.add_argument("--no-dist", action="store_true", help="skip the wheel and sdist")
    args = parser.parse_args(argv)

    when = pkgbuild.build_time()
    src = pkgbuild.Sources.of_repo(REPO)
    page = manpage.write(src.rtr, args.out / "man", when)
    guides = msgguide.write(args.out / "doc", when)
    pkgdir, stream = pkgbuild.build_package(src, args.out / "pkg", man_pages(page, guides))
    made = [page, *guides, pkgdir, stream]
    if not args.no_dist:
        made += build_dist(REPO, args.dist)
    for path in made:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
