"""Prove that shipped code (src/scims, methods/, the OCF agent ocf/, admin/) runs on Python 3.9.

Always: vermin must find nothing that needs more than 3.9. When a Python 3.9 interpreter is
on this machine (pyenv or the system), also byte-compile the shipped code with it and run the
library's unit tests under it, in a private virtual environment (.venv39).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
SHIPPED = [TOP / "src" / "scims", TOP / "methods", TOP / "ocf", TOP / "admin"]
VENV39 = TOP / ".venv39"
PINS = TOP / "requirements" / "py39.txt"


def shipped_files() -> list[Path]:
    files: list[Path] = []
    for root in SHIPPED:
        for path in sorted(root.rglob("*")):
            if path.is_file() and (path.suffix == ".py" or _has_python_shebang(path)):
                files.append(path)
    return files


def _has_python_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            first = f.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def run_vermin(files: list[Path]) -> int:
    vermin = Path(sys.executable).with_name("vermin")
    cmd = [str(vermin), "--target=3.9-", "--violations", "--no-tips", "--eval-annotations",
           "--backport", "dataclasses", *map(str, files)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(result.stdout + result.stderr)
        print("check_py39: shipped code needs a Python newer than 3.9 (see above)")
    return result.returncode


def find_python39() -> str | None:
    """A working Python 3.9: on PATH, or one pyenv installed (its shim may refuse to run it)."""
    candidates = [shutil.which("python3.9")]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.9*/bin/python3.9"))
    candidates += ["/usr/bin/python3.9", "/usr/local/bin/python3.9"]
    for found in candidates:
        if not found or not Path(found).exists():
            continue
        probe = subprocess.run([found, "-c", "import sys; print(sys.version_info[:2])"],
                               capture_output=True, text=True, check=False)
        if probe.returncode == 0 and probe.stdout.strip() == "(3, 9)":
            return found
    return None


def run_under_39(python39: str, files: list[Path]) -> int:
    # compile in memory: py_compile would leave __pycache__ beside the method programs, and
    # the packages ship what is in methods/
    compiled = subprocess.run(
        [python39, "-c", "import sys\nfor f in sys.argv[1:]:\n"
         "    with open(f, 'rb') as src: compile(src.read(), f, 'exec')",
         *map(str, files)], check=False)
    if compiled.returncode != 0:
        print("check_py39: shipped code does not compile under Python 3.9")
        return compiled.returncode
    venv_python = VENV39 / "bin" / "python"
    stamp = VENV39 / ".installed"
    if not stamp.exists() or stamp.stat().st_mtime < PINS.stat().st_mtime:
        subprocess.run([python39, "-m", "venv", "--clear", str(VENV39)], check=True)
        subprocess.run([str(venv_python), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "-r", str(PINS)], check=True)
        stamp.touch()
    tests = TOP / "tests" / "scims"
    if not any(tests.glob("test_*.py")):
        return 0
    env_cmd = [str(venv_python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-o", "addopts=", str(tests)]
    result = subprocess.run(env_cmd, cwd=TOP, check=False,
                            env={"PYTHONPATH": str(TOP / "src"), "PATH": "/usr/bin:/bin"})
    if result.returncode != 0:
        print("check_py39: the library's unit tests fail under Python 3.9")
    return result.returncode


def main() -> int:
    files = shipped_files()
    if not files:
        print("check_py39: no shipped Python files yet")
        return 0
    rc = run_vermin(files)
    if rc != 0:
        return rc
    python39 = find_python39()
    if python39 is None:
        print(f"check_py39: vermin passed on {len(files)} files; no Python 3.9 here to run them")
        return 0
    rc = run_under_39(python39, files)
    if rc == 0:
        print(f"check_py39: {len(files)} shipped files pass vermin and run under {python39}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
