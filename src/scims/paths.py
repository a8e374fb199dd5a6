"""The node root: one prefix for every absolute path the agent touches.

Production runs with the root `/`. The cluster stand-in runs several nodes on one machine and
gives each its own root directory, named by `SC_NODE_ROOT` in the environment of every method
it runs. Resolving every path here (and nowhere else) is what keeps two stand-in nodes apart
and keeps tests away from the real `/etc` and `/var`.
"""

from __future__ import annotations

import os

ROOT_VARIABLE = "SC_NODE_ROOT"


def root() -> str:
    """The node root; read on every call so a test or a child process can change it."""
    return os.environ.get(ROOT_VARIABLE, "") or "/"


def node_path(path: str) -> str:
    """`path` (absolute, as on a real node) under the node root.

    A relative path is a programming error: it would silently depend on the working
    directory, which the RGM sets to `/` and PMF re-instantiates.
    """
    if not path.startswith("/"):
        raise ValueError(f"node_path needs an absolute path, got {path!r}")
    base = root()
    if base == "/":
        return path
    return os.path.join(base, path.lstrip("/"))
