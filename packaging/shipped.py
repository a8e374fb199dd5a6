"""What a package ships of the library: the modules its programs import, and nothing else.

A module that no shipped program imports is dead weight on every node (and code to review
for the trust model); a module a program imports but the package lacks is an ImportError in
a user's log. So both packages take their library files from one computation: the import
graph of the programs they install (`methods/*` for SUNWscims, `ocf/ims` for scims-ocf,
`admin/imsreport` for both),
followed inside `scims` through every `import` statement, also those inside functions (the
methods import some modules late, where they are used). A package's `__init__.py` comes with
every module of it, as Python loads it first.

Standard library only: the build runs on a bare build host.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "scims"
ADMIN_PROGRAMS = ("imsreport",)
"""The administrator's programs in admin/, shipped by both packages beside their own:
SUNWscims in /opt/SUNWscims/bin, scims-ocf in /usr/lib/scims/bin with /usr/sbin links."""


def admin_programs(repo: Path) -> list[Path]:
    return [repo / "admin" / name for name in ADMIN_PROGRAMS]


def svr4_programs(repo: Path) -> list[Path]:
    """What SUNWscims installs in bin/ and imports the library for: the methods (the fault
    monitor among them) and the administrator's programs."""
    methods = sorted(p for p in (repo / "methods").iterdir()
                     if p.is_file() and not p.name.startswith("."))
    return methods + admin_programs(repo)


def ocf_programs(repo: Path) -> list[Path]:
    """What scims-ocf installs: the OCF agent and the administrator's programs."""
    return [repo / "ocf" / "ims", *admin_programs(repo)]


def imported_names(source: str, filename: str = "<source>") -> set[str]:
    """Every dotted name an import statement of `source` may load (absolute imports only).

    `from a.b import c` yields `a.b` and `a.b.c`: `c` may be a module or a name in `a.b`;
    the caller keeps those that are modules."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def module_file(library: Path, name: str) -> Path | None:
    """The file of module `name` (`scims.cluster.rtr`) under `library` (`src/scims`), if any."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = library.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def closure(programs: Iterable[Path], library: Path) -> set[Path]:
    """The library files (under `library`) that `programs` load, directly or through others."""
    wanted: set[Path] = set()
    pending = [imported_names(p.read_text(), str(p)) for p in programs]
    while pending:
        for name in pending.pop():
            parts = name.split(".")
            # a module loads its packages' __init__ first: scims.a.b needs scims/a/__init__.py
            for depth in range(1, len(parts) + 1):
                path = module_file(library, ".".join(parts[:depth]))
                if path is not None and path not in wanted:
                    wanted.add(path)
                    pending.append(imported_names(path.read_text(), str(path)))
    return wanted
