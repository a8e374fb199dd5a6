"""The framework's error type and the scha_err_t numbers its commands exit with.

Every command of the stand-in exits with a scha_err_t number, as the real scha_* commands
do (scha_calls(3HA)). The table is owned by `scims.cluster.scha_errors` (one table for both sides);
the copy below is only used while that module is absent, so the numbers never diverge.
"""

from __future__ import annotations

_FALLBACK = {
    "NOERR": 0, "NOMEM": 1, "HANDLE": 2, "INVAL": 3, "TAG": 4, "RECONF": 5, "ACCESS": 6,
    "SEQID": 7, "DEPEND": 8, "STATE": 9, "METHOD": 10, "NODE": 11, "RG": 12, "RT": 13,
    "RSRC": 14, "PROP": 15, "CHECKS": 16, "RSTATUS": 17, "INTERNAL": 18, "CLUSTER": 19,
    "ZONE_CLUSTER": 20, "TIMEOUT": 21,
}


def code(name: str) -> int:
    """The scha_err_t number of `name` (e.g. "CHECKS"), from scims when present."""
    try:
        from scims.cluster.scha_errors import SchaError  # noqa: PLC0415 - imported late for speed

        return int(SchaError[name])
    except (ImportError, KeyError):
        pass
    return _FALLBACK[name]


class ClusterError(Exception):
    """A refused request: carries the scha_err_t name so every layer exits the same way."""

    def __init__(self, message: str, err: str = "INVAL") -> None:
        super().__init__(message)
        self.err = err

    @property
    def exit_code(self) -> int:
        return code(self.err)
