from __future__ import annotations

from scims.cluster.scha_errors import SchaError, lookup, strerror, symbol

CONTRACT = ("NOERR NOMEM HANDLE INVAL TAG RECONF ACCESS SEQID DEPEND STATE METHOD NODE RG RT "
            "RSRC PROP CHECKS RSTATUS INTERNAL CLUSTER ZONE_CLUSTER TIMEOUT").split()


def test_numbers_follow_the_internals_contract() -> None:
    assert [e.name for e in sorted(SchaError)] == CONTRACT
    assert [int(e) for e in sorted(SchaError)] == list(range(22))


def test_symbols_and_texts() -> None:
    assert symbol(15) == "SCHA_ERR_PROP"
    assert SchaError.CHECKS.symbol == "SCHA_ERR_CHECKS"
    assert strerror(16) == "sanity checks failed"
    assert all(e.text for e in SchaError)


def test_numbers_outside_the_table_are_still_readable() -> None:
    assert lookup(42) is None
    assert symbol(42) == "exit status 42"
    assert symbol(-9) == "killed by signal 9"
    assert strerror(42) == "unknown error"
