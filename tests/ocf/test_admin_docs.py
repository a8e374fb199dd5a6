"""docs/ocf.md shows the guide's configuration with pcs and with crmsh: the blocks of the page
are the commands the Pacemaker bed runs (`pacemakerbed.bed.admin_text`), and every command of
the page is one a test runs (test_admin_tools.py, test_pacemaker.py).

A block is marked `<!-- admin: <tool> <name> -->` on the line before its fence. To bring the
page back in line after a change of the bed's configuration, print `admin_text(tool)`.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from pacemakerbed.bed import TOOLS, admin_text, shell_words

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "ocf.md"
BLOCK = re.compile(r"^<!-- admin: ([^>]+?) -->\n```[a-z]*\n(.*?)^```$", re.M | re.S)
DESCRIBE = ["pcs resource describe ocf:sunw:ims", "crm ra info ocf:sunw:ims", "crm_verify -L -V"]
"""The page's checking commands, which test_admin_tools.py runs."""


def blocks() -> dict[str, str]:
    found: dict[str, str] = {}
    for label, text in BLOCK.findall(DOC.read_text()):
        assert label not in found, f"two blocks marked {label}"
        found[label] = text
    return found


def test_every_block_of_the_page_is_the_beds() -> None:
    expected = {f"{tool} {name}" for tool in TOOLS for name in admin_text(tool)}
    assert set(blocks()) == expected | {"describe"}


@pytest.mark.parametrize("tool", TOOLS)
def test_the_page_says_what_the_bed_runs(tool: str) -> None:
    shown = blocks()
    for name, text in admin_text(tool).items():
        assert shown[f"{tool} {name}"] == text, (
            f"docs/ocf.md's block '{tool} {name}' is not what the bed runs; it should be:\n"
            f"{text}")


def test_the_page_quotes_commands_as_a_shell_reads_them() -> None:
    """A pasted command is the argv the bed runs: shell_words quotes like a shell."""
    argv = ["pcs", "stonith", "create", "fence", "fence_hostlab", "pcmk_host_list=n1 n2 n3"]
    assert shlex.split(shell_words(argv)) == argv


def test_the_checking_commands_are_the_tested_ones() -> None:
    assert blocks()["describe"].splitlines() == DESCRIBE
