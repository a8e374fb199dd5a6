"""Fixtures of the packaging tests (defined in pkg_support)."""

from pkg_support import bare_python, built  # noqa: F401
