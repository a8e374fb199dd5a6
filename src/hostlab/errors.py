"""The one exception of hostlab: a lab could not be made or changed as asked."""

from __future__ import annotations


class HostlabError(RuntimeError):
    """One line for a user: what failed and, where known, why (a tool's own message)."""
