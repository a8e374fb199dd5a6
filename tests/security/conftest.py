"""Fixtures of the attack tests: an installation as an attacker finds it on a node.

Each test in this directory is one attack on the agent's trust boundary (docs/security.md),
run as the attacker ran it: it failed on the agent before the trust model (main f2ae98a)
and passes since. The helpers of the scims unit tests and of the packaging tests are reused.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for helper_dir in (HERE.parent / "scims", HERE.parent / "packaging"):
    if str(helper_dir) not in sys.path:
        sys.path.insert(0, str(helper_dir))

from pkg_support import bare_python, built  # noqa: E402,F401
from security_support import node, started  # noqa: E402,F401

