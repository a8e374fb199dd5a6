"""The watcher's restart-or-give-up decision (pure logic, tested without processes).

Documented rule (6.3 Administration Guide, table 4-5, local.autorestart.timeout): "If a server
fails more than once during this designated period of time, then the system will stop trying
to restart this server. If this happens in an HA system, Messaging Server is shutdown".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Decision(Enum):
    IGNORE = "ignore"  # autorestart is off: leave the server down
    RESTART = "restart"
    GIVE_UP = "give_up"  # stop restarting this server (non-HA)
    SHUTDOWN = "shutdown"  # HA: stop everything, watcher exits to trigger a failover


@dataclass
class FailureHistory:
    """Failure times of one server."""

    times: list[float] = field(default_factory=list)

    def record(self, now: float, window: float) -> int:
        """Record a failure; return how many fall within the window ending now."""
        self.times = [t for t in self.times if now - t < window]
        self.times.append(now)
        return len(self.times)


def decide(history: FailureHistory, now: float, *, autorestart: bool, window: float,
           ha: bool) -> Decision:
    failures = history.record(now, window)
    if not autorestart:
        return Decision.IGNORE
    if failures > 1:
        return Decision.SHUTDOWN if ha else Decision.GIVE_UP
    return Decision.RESTART
