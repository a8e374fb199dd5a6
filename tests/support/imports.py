"""The library modules a program loads, as the standard library's modulefinder sees them.

The packages take their library files from `packaging/shipped.py`; the tests check the
result with this independent computation (modulefinder reads the compiled code of every
function, so the late imports inside a method count too).
"""

from __future__ import annotations

import modulefinder
from collections.abc import Iterable
from pathlib import Path


def library_files(programs: Iterable[Path], src: Path, package: str = "scims") -> set[str]:
    """The files of `package` (relative to `src`, POSIX form: `scims/cluster/rtr.py`) that
    `programs` import directly or through each other."""
    finder = modulefinder.ModuleFinder(path=[str(src)])
    for program in programs:
        finder.run_script(str(program))
    return {Path(module.__file__).relative_to(src).as_posix()
            for name, module in finder.modules.items()
            if (name == package or name.startswith(package + ".")) and module.__file__}
