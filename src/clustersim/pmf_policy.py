"""PMF's restart decision: pure logic, tested without processes (signal names: options).

pmfadm(1M): `-n retries` is how many times a tag is restarted (0, the default, never;
-1 without limit) within `-t period` minutes (-1, the default, is an unbounded period).
After the allowed failures within the period, the tag "fails to stay up": the action
program (if any) decides, otherwise the tag is removed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RestartPolicy:
    """`-n retries` and `-t period` (minutes) of one tag."""

    retries: int = 0
    period: int = -1

    def window(self) -> float | None:
        """Seconds over which failures count; None for an unbounded period."""
        return None if self.period < 0 else self.period * 60.0


def failures_in_window(history: list[float], now: float, policy: RestartPolicy) -> list[float]:
    """The failure times (monotonic seconds) that still count at `now`."""
    window = policy.window()
    if window is None:
        return list(history)
    return [t for t in history if now - t < window]


def record_failure(
    history: list[float], now: float, policy: RestartPolicy
) -> tuple[list[float], bool]:
    """Record a failure at `now`; return (new history, restart?).

    Restart while the failures counted in the window do not exceed `retries`: with
    `-n 2` the first two failures are restarted, the third gives up.
    """
    counted = [*failures_in_window(history, now, policy), now]
    if policy.retries < 0:
        return counted, True
    return counted, len(counted) <= policy.retries
