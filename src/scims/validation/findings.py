"""What a Validate rule concludes: a catalogue message with its arguments, and its weight."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from scims.errors import AgentError
from scims.log.messages import Message


class Severity(enum.Enum):
    ERROR = "error"
    """The change is refused: the RGM cancels it on every node."""
    WARNING = "warning"
    """Messaging Server runs, but not as an HA deployment should: logged, the change goes on."""
    INFO = "info"
    """What Validate did not check, and why."""


@dataclass(frozen=True)
class Finding:
    message: Message
    arguments: tuple[object, ...]
    severity: Severity

    @property
    def refuses(self) -> bool:
        return self.severity is Severity.ERROR

    @classmethod
    def of(cls, error: AgentError) -> Finding:
        """The refusal a check raised (the installation's trust checks raise theirs)."""
        return cls(error.message, tuple(error.arguments), Severity.ERROR)


def refusal(message: Message, *arguments: object) -> Finding:
    return Finding(message, arguments, Severity.ERROR)


def warning(message: Message, *arguments: object) -> Finding:
    return Finding(message, arguments, Severity.WARNING)


def note(message: Message, *arguments: object) -> Finding:
    return Finding(message, arguments, Severity.INFO)
