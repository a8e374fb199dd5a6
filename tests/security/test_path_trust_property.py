"""The path-trust rule over generated trees: owners, modes, symbolic links, sticky bits.

Hypothesis builds a real tree below a root-owned directory (owners set with chown: the test
runs as root) and compares what the agent decides for the command at its end with the rule
of docs/security.md, computed from the model alone: root runs the program only if every
directory on its path, every link it passes and the file itself are owned by root (or by an
account the administrator names in the trusted owners file) and writable by no one else -- a
sticky bit excuses directories, never the file -- and the file is executable. A low user ID
(daemon is 1) earns no trust by itself (issue #23)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scims import trust
from scims.errors import AgentError
from scims.messaging.installation import check_command

OWNERS = (0, 1, 20001)
"""root, a system account (daemon), the runtime user."""
NAMINGS = (None, "", "daemon\n", "1\n", "# daemon\n20001 # mailsrv\n", "nosuchuser\n")
"""The trusted owners file: absent, empty, naming daemon by name or ID, naming the runtime
user, naming no account."""
NAMED = {None: (0,), "": (0,), "daemon\n": (0, 1), "1\n": (0, 1),
         "# daemon\n20001 # mailsrv\n": (0, 20001), "nosuchuser\n": (0,)}
DIR_MODES = (0o755, 0o775, 0o757, 0o777, 0o1777, 0o1755, 0o1775, 0o700, 0o2755)
FILE_MODES = (0o755, 0o775, 0o757, 0o777, 0o1777, 0o1755, 0o644, 0o4755, 0o700, 0o555)


@dataclass(frozen=True)
class Entry:
    owner: int
    mode: int


@dataclass(frozen=True)
class Tree:
    directories: tuple[Entry, ...]
    """top/d0/d1/...: d0 is the server root, the rest lead to the command."""
    command: Entry
    root_link: Optional[Entry]
    """The server root reached through a link in top (owned by this entry's owner)."""
    command_link: Optional[Entry]
    """The command a link (this owner) to a file elsewhere in top, with `command`'s owner
    and mode."""
    named: Optional[str] = None
    """The text of the trusted owners file, or None when there is none."""


entries = st.builds(Entry, st.sampled_from(OWNERS), st.sampled_from(DIR_MODES))
files = st.builds(Entry, st.sampled_from(OWNERS), st.sampled_from(FILE_MODES))
links = st.none() | st.builds(Entry, st.sampled_from(OWNERS), st.just(0o777))
trees = st.builds(Tree, st.lists(entries, min_size=1, max_size=4).map(tuple), files,
                  links, links, st.sampled_from(NAMINGS))


def expected_trusted(tree: Tree) -> bool:
    """The rule, from the model."""
    def trusted_owner(uid: int) -> bool:
        return uid in NAMED[tree.named]

    for entry in tree.directories:
        if not trusted_owner(entry.owner):
            return False
        if entry.mode & 0o022 and not entry.mode & 0o1000:
            return False
    for link in (tree.root_link, tree.command_link):
        if link is not None and not trusted_owner(link.owner):
            return False
    command = tree.command
    return (trusted_owner(command.owner) and not command.mode & 0o022
            and bool(command.mode & 0o100))


def build(top: Path, tree: Tree) -> tuple[str, str]:
    """The tree on disk; (server root as given to the agent, command relative to it)."""
    chain: list[Path] = []
    path = top
    for i in range(len(tree.directories)):
        path = path / f"d{i}"
        path.mkdir()
        chain.append(path)
    names = [f"d{i}" for i in range(1, len(tree.directories))]
    command = chain[-1] / "start-msg"
    if tree.command_link is not None:
        real = top / "elsewhere-start-msg"
        real.write_text("#!/bin/sh\nexit 0\n")
        os.chown(real, tree.command.owner, -1)
        os.chmod(real, tree.command.mode)
        command.symlink_to(real)
        os.lchown(command, tree.command_link.owner, -1)
    else:
        command.write_text("#!/bin/sh\nexit 0\n")
        os.chown(command, tree.command.owner, -1)
        os.chmod(command, tree.command.mode)
    for directory, entry in reversed(list(zip(chain, tree.directories))):
        os.chown(directory, entry.owner, -1)
        os.chmod(directory, entry.mode)
    server_root = chain[0]
    if tree.root_link is not None:
        link = top / "server-root"
        link.symlink_to(chain[0])
        os.lchown(link, tree.root_link.owner, -1)
        server_root = link
    return str(server_root), "/".join([*names, "start-msg"])


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees)
def test_root_runs_a_command_exactly_when_the_rule_allows(tree: Tree) -> None:
    top = Path(tempfile.mkdtemp(prefix="trust-tree-", dir="/tmp"))
    named = top / "trusted_owners"
    before = getattr(trust, "TRUSTED_OWNERS_FILE", None)
    trust.TRUSTED_OWNERS_FILE = str(named)
    try:
        if tree.named is not None:
            named.write_text(tree.named)
            named.chmod(0o644)
        os.chmod(top, 0o755)
        server_root, relative = build(top, tree)
        try:
            check_command(server_root, relative, "/opt/SUNWmsgsr")
            decided = True
        except AgentError:
            decided = False
        assert decided == expected_trusted(tree), tree
    finally:
        trust.TRUSTED_OWNERS_FILE = before
        shutil.rmtree(top, ignore_errors=True)
