"""A package ships the library modules its programs import: no unused module, none missing."""

from __future__ import annotations

from pathlib import Path

import shipped
from pkg_support import REPO

from support.imports import library_files


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_closure_follows_late_imports_and_packages_and_leaves_out_the_unused(
        tmp_path: Path) -> None:
    lib = tmp_path / "src" / "scims"
    write(lib / "__init__.py", "")
    write(lib / "runtime.py", "import os\nfrom scims.log import messages\n")
    write(lib / "log" / "__init__.py", "")
    write(lib / "log" / "messages.py", "X = 1\n")
    write(lib / "late.py", "def f():\n    from scims.cluster.rtr import parse\n    return parse\n")
    write(lib / "cluster" / "__init__.py", "")
    write(lib / "cluster" / "rtr.py", "def parse():\n    return 1\n")
    write(lib / "unused.py", "import scims.runtime\n")
    program = write(tmp_path / "methods" / "ims_x",
                    "#!/usr/bin/python3\nimport sys\nfrom scims.runtime import messages\n"
                    "from scims import late\n")
    found = {p.relative_to(lib.parent).as_posix() for p in shipped.closure([program], lib)}
    assert found == {"scims/__init__.py", "scims/runtime.py", "scims/log/__init__.py",
                     "scims/log/messages.py", "scims/late.py", "scims/cluster/__init__.py",
                     "scims/cluster/rtr.py"}
    assert found == library_files([program], lib.parent)


METHODS = sorted(p for p in (REPO / "methods").iterdir() if p.is_file())
"""The method programs (not the __pycache__ a run of them may leave beside them)."""


def test_the_methods_do_not_load_what_only_the_ocf_agent_needs() -> None:
    """SUNWscims's methods never read an RTR file or speak OCF: the parser, its property
    table and the OCF door ship only in the OCF agent's package."""
    lib = REPO / "src" / "scims"
    methods = {p.relative_to(lib).as_posix()
               for p in shipped.closure(METHODS, lib)}
    ocf = {p.relative_to(lib).as_posix() for p in shipped.closure([REPO / "ocf" / "ims"], lib)}
    assert {"cluster/rtr.py", "cluster/sysprops.py", "ocf.py", "ocf_metadata.py"} <= ocf - methods
    assert "method_runtime.py" in methods
    admin = {p.relative_to(lib).as_posix()
             for p in shipped.closure(shipped.admin_programs(REPO), lib)}
    assert "report/cli.py" in admin - methods - ocf
    everything = {p.relative_to(lib).as_posix() for p in lib.rglob("*.py")
                  if "__pycache__" not in p.parts}
    assert methods | ocf | admin == everything, "a module no shipped program imports"


def test_both_packages_ship_imsreport_with_what_it_imports() -> None:
    """imsreport is in SUNWscims's bin/ and in scims-ocf; each package's library holds
    every module it imports."""
    lib = REPO / "src" / "scims"
    report = shipped.closure(shipped.admin_programs(REPO), lib)
    assert REPO / "admin" / "imsreport" in shipped.svr4_programs(REPO)
    assert REPO / "admin" / "imsreport" in shipped.ocf_programs(REPO)
    assert report <= shipped.closure(shipped.svr4_programs(REPO), lib)
    assert report <= shipped.closure(shipped.ocf_programs(REPO), lib)
