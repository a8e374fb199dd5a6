"""`make package`: build everything SUNWscims delivers.

    .venv/bin/python packaging/build.py [--out build] [--dist dist] [--no-dist]

build/man/SUNW.ims.5          man page, generated from rtr/SUNW.ims
build/doc/                    messages guide (Markdown, troff), from scims.messages
build/pkg/prototype           prototype(4), generated from the tree
build/pkg/SUNWscims/          directory-format package (pkgadd -d build/pkg SUNWscims)
build/pkg/SUNWscims.pkg       the same as a datastream (pkgadd -d build/pkg/SUNWscims.pkg)
dist/                         wheel and sdist, for use off Solaris

Standard library only (plus the repository's own scims package, for the RTR parser and
the message catalogue).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(REPO / "src"))

import manpage  # noqa: E402
import msgguide  # noqa: E402
import pkgbuild  # noqa: E402


def build_dist(repo: Path, dist: Path) -> list[Path]:
    """Wheel and sdist through setuptools' PEP 517 backend, offline (no build isolation).

    One process per hook: setuptools keeps command options between the two calls in one
    process, and the sdist then lands in a stray directory.
    """
    dist.mkdir(parents=True, exist_ok=True)
    return [_run_backend(repo, hook, dist) for hook in ("build_wheel", "build_sdist")]


def _run_backend(repo: Path, hook: str, dist: Path) -> Path:
    code = (
        "import sys, setuptools.build_meta as backend; "
        f"print('@@built', backend.{hook}(sys.argv[1]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(dist.resolve())],
        cwd=repo, capture_output=True, text=True, check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("@@built ")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"{hook} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")
    built = dist / lines[-1].split()[1]
    if not built.is_file():
        raise SystemExit(f"{hook} names {built.name}, which is not in {dist}")
    return built


def check_sdist(sdist: Path) -> None:
    """The sdist must carry what a wheel build from it needs."""
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    top = names[0].split("/")[0]
    for needed in ("pyproject.toml", "src/scims/__init__.py"):
        if f"{top}/{needed}" not in names:
            raise SystemExit(f"{sdist.name} lacks {needed}")


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
    pkgdir, stream = pkgbuild.build_package(src, args.out / "pkg", [page])
    made = [page, *guides, pkgdir, stream]
    if not args.no_dist:
        wheel, sdist = build_dist(REPO, args.dist)
        check_sdist(sdist)
        made += [wheel, sdist]
    for path in made:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
