"""Can the runtime user reach a directory? The search-permission walk start-msg does first.

Messaging Server's servers run as the runtime user (mailsrv). When a parent directory of the
server root or of the configuration directory is closed to that user (mode 0700, owner root,
as a careless `chmod` or a mount point made by root leaves it), each server dies right after
it switches user, and an administrator would read "exited with status 1" and a traceback.
start-msg checks the path first, so the one line it prints names the directory and the user.

Pure logic over `os.stat` results: the kernel's rule for search (x) permission on each
directory from / down, without ACLs: the owner's bits if the user owns it, else the group's if
one of its groups owns it, else the others'. Root passes everywhere.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Closed:
    """A directory on the way that the user cannot search."""

    directory: Path
    mode: int
    owner: int

    def describe(self) -> str:
        return f"{self.directory} (mode {stat.S_IMODE(self.mode):04o}, owner uid {self.owner})"


def may_search(st: os.stat_result, uid: int, gids: Collection[int]) -> bool:
    """The kernel's rule for search permission on one directory (no ACLs)."""
    if uid == 0:
        return True
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid in gids:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def first_closed(path: Path, uid: int, gids: Collection[int]) -> Closed | None:
    """The first directory from / down to `path` (itself included, symlinks resolved) that
    `uid` with groups `gids` may not search, or None when the whole way is open."""
    real = Path(os.path.realpath(path))
    for directory in (*reversed(real.parents), real):
        try:
            st = os.stat(directory)
        except OSError:
            return None  # a missing path is not a permission problem; others report it
        if not may_search(st, uid, gids):
            return Closed(directory, st.st_mode, st.st_uid)
    return None
