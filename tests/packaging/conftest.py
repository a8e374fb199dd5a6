"""Fixtures of the packaging tests (defined in pkg_support)."""

from pkg_support import built  # noqa: F401
