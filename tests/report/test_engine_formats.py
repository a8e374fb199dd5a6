"""The engine formats imsreport believes are the stand-in's own words: a format that drifted
would make the report disbelieve (and so miss) every line of it."""

from __future__ import annotations

import ast
from pathlib import Path

from scims.report import engine

CLUSTERSIM = Path(__file__).resolve().parents[2] / "src" / "clustersim"


def strings_of_the_stand_in() -> set[str]:
    """Every string constant of src/clustersim (implicit concatenations joined, as Python
    joins them), and the built-in methods' f-string with each verb it takes."""
    found: set[str] = set()
    for path in CLUSTERSIM.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    source = (CLUSTERSIM / "builtin" / "methods.py").read_text()
    if 'f"Failed to {verb} %s (%s): %s."' in source:
        found |= {f"Failed to {verb} %s (%s): %s." for verb in ("plumb", "unplumb")}
    return found


def test_every_engine_format_is_one_the_stand_in_logs() -> None:
    known = strings_of_the_stand_in()
    formats = [m.fmt for m in (*engine.RGMD_MESSAGES, *engine.PMF_MESSAGES,
                               *engine.BUILTIN_MESSAGES)]
    missing = [f for f in formats if f not in known]
    assert missing == [], f"formats the stand-in no longer logs: {missing}"
    assert "Cluster.RGM.rgmd" in known and "Cluster.PMF.pmfd" in known
