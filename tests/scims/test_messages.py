"""The catalogue: what the messages guide is generated from."""

from __future__ import annotations

import pytest

from scims.log import messages
from scims.log.cformat import conversions
from scims.log.messages import Message, Priority, all_messages
from scims.log.msgid import msgid

USED_PRIORITIES = {Priority.ERROR, Priority.WARNING, Priority.NOTICE, Priority.INFO,
                   Priority.DEBUG}


def test_ids_are_unique() -> None:
    ids = [m.msgid for m in all_messages()]
    assert len(ids) == len(set(ids))


def test_every_message_explains_itself() -> None:
    for m in all_messages():
        assert m.cause.strip().endswith("."), m.name
        assert m.action.strip().endswith("."), m.name
        assert m.priority in USED_PRIORITIES, m.name
        conversions(m.fmt)  # every format is one the logger can hand to libc


def test_names_match_the_constants() -> None:
    for m in all_messages():
        assert getattr(messages, m.name) is m


def test_debug_messages_and_only_they_have_a_level() -> None:
    for m in all_messages():
        if m.priority == Priority.DEBUG:
            assert m.debug_level is not None and 1 <= m.debug_level <= 9
        else:
            assert m.debug_level is None


@pytest.mark.parametrize(
    ("message", "expected_id", "priority"),
    [
        (messages.GROUP_EXISTS, 831728, Priority.DEBUG),
        (messages.USER_EXISTS, 383726, Priority.DEBUG),
        (messages.SERVERROOT_VALUE, 244341, Priority.DEBUG),
        (messages.CONFIG_INFO_UNAVAILABLE, 855581, Priority.ERROR),
        (messages.STARTING_UNDER_PMF, 833212, Priority.INFO),
        (messages.MONITOR_START_FAILED, 198284, Priority.ERROR),
        (messages.MONITOR_STOP_FAILED, 908591, Priority.ERROR),
        (messages.MONITOR_STARTED, 440530, Priority.INFO),
        (messages.VALIDATE_FAILED, 251552, Priority.ERROR),
        (messages.PROBE_CONNECT_FAILED, 467121, Priority.ERROR),
        (messages.PROBING_PORT, 687198, Priority.INFO),
        (messages.RESOURCE_TYPE_PROPERTY_UNAVAILABLE, 900102, Priority.ERROR),
    ],
)
def test_seed_and_dsdl_messages_keep_their_ids(
    message: Message, expected_id: int, priority: Priority
) -> None:
    assert message.msgid == expected_id == msgid(message.fmt)
    assert message.priority == priority


def test_priority_labels_are_the_solaris_words() -> None:
    assert Priority.ERROR.label == "error"
    assert Priority.DEBUG.label == "debug"


def test_bad_definitions_are_refused() -> None:
    with pytest.raises(ValueError):  # the format, when the message is first logged
        Message("X", "%x", Priority.INFO, "c.", "a.").conversions  # noqa: B018
    with pytest.raises(ValueError):
        Message("X", "x", Priority.DEBUG, "c.", "a.")
    with pytest.raises(ValueError):
        Message("X", "x", Priority.INFO, "c.", "a.", debug_level=3)
