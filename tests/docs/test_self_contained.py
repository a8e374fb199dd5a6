"""The repository stands alone: a clone of it is all a maintainer has.

No file may point at material beside the repository (the `../shared` directory the project
was started with), and every page of docs/ a file names must exist. One exception: the RTR
parser tests read real RTR files of other agents that lie beside the repository, because
their licences keep them out of it; there, and only on lines about those files, the path is
allowed.

Pure file reading, no processes: this runs in well under a second.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SELF = Path(__file__).resolve()

SKIPPED_DIRS = {".git", ".venv", ".venv39", "build", "dist", "__pycache__", ".pytest_cache",
                ".ruff_cache", ".hypothesis", ".mypy_cache", "node_modules"}
TOP_LEVEL = ("docs", "src", "tests", "methods", "packaging", "rtr", "bench", "tools",
             "requirements", ".ci")
TOP_FILES = ("README.md", "Makefile", "MANIFEST.in", "pyproject.toml")

RTR_EXAMPLE_READERS = {REPO / "tests" / "scims" / "test_rtr.py",
                       REPO / "tests" / "scims" / "test_rtr_properties.py"}
"""The tests that may read ../shared/reference/rtr-examples (and only that directory)."""

OUTSIDE = [
    re.compile(r"\.\./shared\b"),
    re.compile(r"(?<![\w/.-])shared/(?:reference|seed|hooks)\b"),
    re.compile(r"(?:\.parent|parents\[\d+\])\s*/\s*[\"']shared[\"']"),
    re.compile(r"[\"']\.\.[\"']\s*,\s*[\"']shared[\"']"),
    re.compile(r"\b(?:design|digest|anchors)\.md\b"),
    # The reference notes beside the repository; docs/ has pages of the same names, which a
    # file outside docs/ must name with their directory.
    re.compile(r"(?<![\w/.-])(?:msgserver|suncluster)\.md\b"),
]

MARKDOWN_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
DOCS_MENTION = re.compile(r"(?<![\w/.-])docs/[\w./-]*\w")
PLACEHOLDER = re.compile(r"[<>*{}…|$\s]")


def project_files() -> Iterator[Path]:
    """Every text file of the project: the top-level files and the trees they name."""
    for name in TOP_FILES:
        path = REPO / name
        if path.is_file():
            yield path
    for top in TOP_LEVEL:
        base = REPO / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(REPO).parts
            if any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in rel):
                continue
            if path.is_file() and path.resolve() != SELF:
                yield path


def text_of(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def outside_references(path: Path, text: str) -> list[str]:
    found = []
    in_docs = path.relative_to(REPO).parts[0] == "docs"
    for number, line in enumerate(text.splitlines(), 1):
        for pattern in OUTSIDE:
            if in_docs and pattern is OUTSIDE[-1]:
                continue  # docs/ names its own pages without the directory
            if not pattern.search(line):
                continue
            if path in RTR_EXAMPLE_READERS and "rtr-examples" in line:
                continue
            found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
            break
    return found


def repository_path(candidate: str) -> str | None:
    """`candidate` if it reads as a path inside the repository, else None."""
    candidate = candidate.rstrip(".,;:)")
    if PLACEHOLDER.search(candidate) or candidate.startswith(("/", "http:", "https:")):
        return None
    first = candidate.split("/", 1)[0]
    if candidate in TOP_FILES or (first in TOP_LEVEL and "/" in candidate):
        return candidate
    return None


def missing_targets(path: Path, text: str) -> list[str]:
    missing = []
    where = path.relative_to(REPO)
    for number, line in enumerate(text.splitlines(), 1):
        targets: list[Path] = []
        if path.suffix == ".md":
            for link in MARKDOWN_LINK.findall(line):
                if link.startswith(("http:", "https:", "mailto:", "#")):
                    continue
                targets.append(path.parent / link.split("#", 1)[0])
            for span in CODE_SPAN.findall(line):
                rel = repository_path(span)
                if rel is not None:
                    targets.append(REPO / rel)
        for mention in DOCS_MENTION.findall(line):
            rel = repository_path(mention)
            if rel is not None:
                targets.append(REPO / rel)
        missing += [f"{where}:{number}: {t.relative_to(REPO) if t.is_relative_to(REPO) else t}"
                    for t in targets if not t.exists()]
    return missing


def every_file(check: Callable[[Path, str], list[str]]) -> list[str]:
    """`check(path, text)` over every text file of the project: what it found, together."""
    found: list[str] = []
    for path in project_files():
        text = text_of(path)
        if text is not None:
            found += check(path, text)
    return found


def test_no_file_points_outside_the_repository() -> None:
    found = every_file(outside_references)
    assert not found, "files that point outside the repository:\n" + "\n".join(found)


def test_every_page_and_path_the_docs_name_exists() -> None:
    missing = every_file(missing_targets)
    assert not missing, "links to files that do not exist:\n" + "\n".join(missing)


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """The patterns themselves: a link outside, and a docs page that is not there."""
    page = REPO / "docs" / "example.md"
    assert outside_references(page, "see ../shared/design.md")
    assert outside_references(REPO / "src" / "x.py", "# msgserver.md 2.4 says so")
    assert not outside_references(REPO / "src" / "x.py", "# docs/msgserver.md §6.1 says so")
    reader = next(iter(RTR_EXAMPLE_READERS))
    assert not outside_references(reader, 'X = REPO.parent / "shared" / "reference" / '
                                  '"rtr-examples"')
    assert outside_references(reader, 'X = REPO.parent / "shared" / "seed"')
    assert missing_targets(page, "[gone](gone.md)")
    assert missing_targets(REPO / "src" / "x.py", "# see docs/gone.md §1")
    assert not missing_targets(page, "[index](README.md) and `src/scims/` and `B/config`")


def test_the_docs_index_names_every_page() -> None:
    index = (REPO / "docs" / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (REPO / "docs").glob("*.md") if p.name != "README.md")
    unlisted = [name for name in pages if name not in index]
    assert not unlisted, f"docs/README.md does not list {unlisted}"
