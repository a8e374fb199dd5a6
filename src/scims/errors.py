"""The agent's exceptions: each carries the catalogue message a method's main logs.

A method's `main` catches `AgentError`, logs `error.message` with `error.arguments` (one
syslog line, no traceback) and exits with `error.exit_status`. Anything else escaping is a bug.
"""

from __future__ import annotations

from scims.cluster.scha_errors import SchaError, strerror, symbol
from scims.log import messages
from scims.log.cformat import expand
from scims.log.messages import Message


class AgentError(Exception):
    """A failure a user can read about in the log."""

    exit_status = 1

    def __init__(self, message: Message, *arguments: object) -> None:
        self.message = message
        self.arguments = arguments
        super().__init__(expand(message.fmt, arguments))


class UsageError(AgentError):
    """The method's command line is malformed."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(messages.INVALID_ARGUMENTS, detail)


class ConfigError(AgentError):
    """The configuration (properties, accounts, Messaging Server files) is not usable."""


class CheckFailed(AgentError):
    """A configuration check failed; the message says which and why."""


# Which catalogue message reports a failed query, by command: the DSDL wording names the
# object whose property could not be read.
_QUERY_MESSAGES = {
    "scha_resource_get": messages.RESOURCE_PROPERTY_UNAVAILABLE,
    "scha_resourcegroup_get": messages.RESOURCE_GROUP_PROPERTY_UNAVAILABLE,
    "scha_resourcetype_get": messages.RESOURCE_TYPE_PROPERTY_UNAVAILABLE,
}


class FrameworkError(AgentError):
    """A cluster command failed; `err` is its scha_err_t exit status (or another number).

    `subject` is what was asked (an optag, a PMF tag), `detail` what the command said on
    stderr, or why it could not run.
    """

    def __init__(self, command: str, err: int, detail: str = "", subject: str = "") -> None:
        self.command = command
        self.err = err
        self.subject = subject
        self.detail = detail
        reason = f"{self.name} ({detail or strerror(err)})"
        query = _QUERY_MESSAGES.get(command)
        if query is not None and subject:
            super().__init__(query, subject, reason)
        else:
            what = f"{command} {subject}" if subject else command
            super().__init__(messages.CLUSTER_COMMAND_FAILED, what, reason)

    @property
    def name(self) -> str:
        """`SCHA_ERR_PROP`, or a readable text for statuses outside the table."""
        return symbol(self.err)

    @property
    def timed_out(self) -> bool:
        return self.err == SchaError.TIMEOUT
