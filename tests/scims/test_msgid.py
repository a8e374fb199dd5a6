"""STRLOG_MAKE_MSGID must reproduce the IDs Solaris prints, or the messages guide lies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scims.log.msgid import msgid

# The eight IDs printed in the Oracle Solaris Cluster Error Messages Guide
# (docs/suncluster.md §4.1).
PUBLISHED = [
    (900102, "Failed to retrieve the resource type property %s: %s."),
    (900058, "Failed to write to test-file %s : %s"),
    (500054, "Check_switchover - the check for remote MySQL connectivity failed for the "
             "replicated component %s"),
    (200565, "Function: validate_common: The daemon home directory %s is invalid"),
    (201134, "Validate - tftpd daemon has to be activated in %s when -F is being used"),
    (500095, 'The "%s" command returned error %s, unable to start the UCMMD under the PMMD.'),
    (500193, "Validate_replication_rs - MySQL resource %s does not exist"),
    (200928, 'Warning: The resource "%s" is not enabled and the VUCMMD is running. Changes are '
             'not effective until the resource is enabled.'),
]

# The stock DSDL strings (IDs computed with the same algorithm, published nowhere: a regression
# check) and the guide's own sample lines.
DSDL = [
    (198284, "Failed to start fault monitor."),
    (908591, "Failed to stop fault monitor."),
    (440530, "Started the fault monitor."),
    (251552, "Failed to validate configuration."),
    (467121, "Failed to connect to port <%d> of resource <%s>."),
    (687198, "Probing the service on port: %d."),
]
SEED = [
    (831728, "Groupname %s exists."),
    (383726, "Username %s exists."),
    (244341, "IMS_serverroot = %s"),
    (855581, "Failed to get the configuration info%s"),
    (833212, "Attempting to start the data service under process monitor facility."),
]


@pytest.mark.parametrize(("expected", "fmt"), PUBLISHED + DSDL + SEED)
def test_known_ids(expected: int, fmt: str) -> None:
    assert msgid(fmt) == expected


def test_seed_validate_line_id_is_that_of_the_format_with_trailing_argument() -> None:
    # The seed's line reads "... configuration info" but carries 855581: the format had a
    # trailing %s given an empty argument. Without it the ID would differ.
    assert msgid("Failed to get the configuration info") != 855581


def test_control_characters_do_not_count_and_nul_ends_the_string() -> None:
    assert msgid("Started\tthe fault monitor.") == msgid("Startedthe fault monitor.")
    assert msgid("Started the fault monitor.\x00garbage") == 440530


@given(st.text())
def test_ids_are_in_the_documented_range(fmt: str) -> None:
    assert 100000 <= msgid(fmt) <= 999980
