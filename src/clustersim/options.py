"""The stand-in's commands read their options with SVR4 getopt(3C), the agent's
(`scims.cluster.getopt3c`), and name signals as kill(1) does."""

from __future__ import annotations

from scims.cluster.getopt3c import UsageError, parse

__all__ = ["UsageError", "parse", "signal_number"]


def signal_number(name: str) -> int:
    """A signal given as kill(1) does: `TERM`, `SIGTERM`, `term` or a number (`15`)."""
    import signal  # noqa: PLC0415 - its enums cost a command that is given a number

    text = name.strip()
    if text.isdigit():
        number = int(text)
        if not 0 < number < signal.NSIG:
            raise ValueError(f"invalid signal number: {name}")
        return number
    upper = text.upper()
    if not upper.startswith("SIG"):
        upper = "SIG" + upper
    try:
        value = signal.Signals[upper]
    except KeyError:
        raise ValueError(f"unknown signal: {name}") from None
    return int(value)
