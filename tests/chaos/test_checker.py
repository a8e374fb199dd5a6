"""The chaos campaign's pure parts: the seeded schedule, the classification of SMTP
exchanges, and the checker on hand-made histories (a lost message, a duplicate, a double
mount, a 5xx for a temporary condition, a refused message delivered: each turns it red)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from chaos import checker, timeline
from chaos.history import (
    ACCEPTED,
    CONNECT,
    DATA,
    END_OF_DATA,
    GREETING,
    NO_CONNECTION,
    NO_REPLY,
    RCPT,
    REFUSED,
    Attempt,
    Fault,
    History,
    classify,
)
from chaos.schedule import CLASSES, parse_classes, take


def attempt(n: int, cls: str = ACCEPTED, code: int | None = 250, t: float | None = None,
            stage: str = END_OF_DATA) -> Attempt:
    return Attempt(f"<m{n}@x>", float(n) if t is None else t, 0.1, stage, code, "", cls)


def clean_readback(history: History) -> checker.Readback:
    """What a perfect campaign reads back: every accepted message once, nothing else."""
    store = Counter(a.message_id for a in history.attempts if a.cls == ACCEPTED)
    return checker.Readback(store=store, store_read=True, fsck_ok=True)


def healthy_history() -> History:
    h = History()
    for n in range(1, 21):
        h.attempt(attempt(n))
    h.attempt(attempt(21, NO_CONNECTION, None, stage=CONNECT))
    h.attempt(attempt(22, REFUSED, 452, stage=RCPT))
    h.fault(Fault("kill-watcher", "mars", "", 5.0, healed_at=5.0, ended_at=12.0,
                  detected_s=0.4, recovered_s=2.0, restarts=1))
    for t in range(30):
        h.mount_sample(float(t), ["mars"])
    return h


# --- classification ---------------------------------------------------------------------------


@pytest.mark.parametrize(("stage", "code", "cls"), [
    (END_OF_DATA, 250, ACCEPTED),
    (END_OF_DATA, 452, REFUSED),
    (END_OF_DATA, 554, REFUSED),
    (END_OF_DATA, None, NO_REPLY),
    (CONNECT, None, NO_CONNECTION),
    (GREETING, 421, REFUSED),
    (RCPT, 550, REFUSED),
    (DATA, None, NO_CONNECTION),
])
def test_an_exchange_is_classed_by_where_it_ended_and_what_was_said(
        stage: str, code: int | None, cls: str) -> None:
    assert classify(stage, code) == cls


# --- schedule ---------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_faults_and_another_seed_others() -> None:
    assert take(7, CLASSES, 40) == take(7, CLASSES, 40)
    assert take(7, CLASSES, 40) != take(8, CLASSES, 40)


def test_every_chosen_class_comes_once_a_round_and_no_other() -> None:
    chosen = ["kill-daemon", "freeze", "switchover"]
    faults = take(3, chosen, 9)
    for start in range(0, 9, 3):
        assert sorted(f.cls for f in faults[start:start + 3]) == sorted(chosen)
    assert all(f.daemon for f in faults if f.cls == "kill-daemon")
    assert all(f.hold_s > 0 for f in faults if f.cls == "freeze")


def test_faults_are_checked_against_the_engines_classes() -> None:
    assert parse_classes(None, ("a-class",)) == ["a-class"]
    assert parse_classes("freeze, load", CLASSES) == ["freeze", "load"]
    with pytest.raises(ValueError, match="unknown fault class kill-everything"):
        parse_classes("kill-everything", CLASSES)
    with pytest.raises(ValueError, match="does not apply"):
        parse_classes("freeze", ("kill-daemon",))


# --- the checker ------------------------------------------------------------------------------


def test_a_clean_history_is_green() -> None:
    h = healthy_history()
    verdict = checker.check(h, clean_readback(h))
    assert verdict.green, verdict.problems
    assert verdict.availability == pytest.approx(20 / 22)
    assert verdict.line().startswith("verdict: GREEN: lost 0, duplicated 0, double mounts 0")


def test_an_accepted_message_missing_from_the_store_is_lost() -> None:
    h = healthy_history()
    back = clean_readback(h)
    del back.store["<m7@x>"]
    verdict = checker.check(h, back)
    assert not verdict.green
    assert verdict.lost == ["<m7@x>"]
    assert "lost 1" in verdict.line()


def test_a_message_twice_in_the_store_is_a_duplicate_explained_by_its_fault() -> None:
    """Delivered again after the job controller died mid-delivery (m6 was sent while the
    watcher was killed): at-least-once delivery, counted and explained, not red."""
    h = healthy_history()
    back = clean_readback(h)
    back.store["<m6@x>"] += 1
    verdict = checker.check(h, back)
    assert verdict.green, verdict.problems
    assert verdict.duplicated == {"<m6@x>": 1}
    assert "during kill-watcher on mars" in verdict.duplicate_reasons["<m6@x>"]
    assert "duplicated 1" in verdict.line()


def test_a_duplicate_no_fault_explains_is_red() -> None:
    h = healthy_history()
    back = clean_readback(h)
    back.store["<m15@x>"] += 1  # sent at 15 s, after the fault's window (5-12 s)
    verdict = checker.check(h, back)
    assert not verdict.green
    assert "no fault under way" in verdict.duplicate_reasons["<m15@x>"]
    assert any("no fault explains" in p for p in verdict.problems)


def test_the_disk_mounted_on_two_hosts_in_one_sample_is_red() -> None:
    h = healthy_history()
    h.mount_sample(31.0, ["mars", "venus"])
    h.mount_sample(31.5, ["venus"])
    verdict = checker.check(h, clean_readback(h))
    assert not verdict.green
    assert verdict.double_mounts == [(31.0, ["mars", "venus"])]


def test_a_5xx_is_red_and_a_refused_message_delivered_is_red() -> None:
    h = healthy_history()
    h.attempt(attempt(23, REFUSED, 500, stage=END_OF_DATA))
    back = clean_readback(h)
    assert not checker.check(h, back).green
    h = healthy_history()
    back = clean_readback(h)
    back.store["<m22@x>"] = 1  # refused with 452, yet delivered
    verdict = checker.check(h, back)
    assert verdict.refused_delivered == ["<m22@x>"]
    assert not verdict.green


def test_a_message_without_reply_after_the_dot_may_be_there_or_not() -> None:
    h = healthy_history()
    h.attempt(attempt(24, NO_REPLY, None))
    h.attempt(attempt(25, NO_REPLY, None))
    back = clean_readback(h)
    back.store["<m24@x>"] = 1
    verdict = checker.check(h, back)
    assert verdict.green, verdict.problems
    assert (verdict.no_reply_delivered, verdict.no_reply_missing) == (1, 1)


@pytest.mark.parametrize("spoil", ["unread", "queue", "temp", "fsck", "stuck", "human", "left",
                                   "load-failover", "never-recovered"])
def test_each_rarer_check_turns_the_verdict_red(spoil: str) -> None:
    h = healthy_history()
    back = clean_readback(h)
    if spoil == "unread":
        back.store_read = False
    elif spoil == "queue":
        back.queue = ["queue/ims-ms/000/ZZ1.00"]
    elif spoil == "temp":
        back.temp_files = ["store/joe/INBOX/.tmp-1"]
    elif spoil == "fsck":
        back.fsck_ok = False
    elif spoil == "stuck":
        back.end_state = ["disk-rs STOP_FAILED on mars"]
    elif spoil == "human":
        h.faults[0].needed_human = "not back 240 s after the heal"
    elif spoil == "left":
        back.leftovers = ["loop device /dev/loop3"]
    elif spoil == "load-failover":
        h.fault(Fault("load", "mars", "", 14.0, ended_at=20.0, recovered_s=0.0, failovers=1))
    elif spoil == "never-recovered":
        h.faults[0].recovered_s = None
    assert not checker.check(h, back).green


def test_summary_has_the_issues_keys_and_one_object_per_fault(tmp_path: Path) -> None:
    h = healthy_history()
    h.read(3.0, "imap", True)
    h.read(4.0, "pop", False, "ConnectionRefusedError")
    verdict = checker.check(h, clean_readback(h))
    summary = json.loads(json.dumps(checker.summary(h, verdict, {"engine": "sc"})))
    assert summary["reads"] == {"imap ok": 1, "pop failed": 1}
    for key in ("lost", "duplicated", "double_mounts", "stuck", "needed_human",
                "availability", "faults"):
        assert key in summary
    (fault,) = summary["faults"]
    assert {"class": "kill-watcher", "node": "mars", "injected_at": 5.0, "detected_s": 0.4,
            "recovered_s": 2.0, "restarts": 1, "failovers": 0}.items() <= fault.items()
    table = checker.table(checker.per_class(h))
    assert "kill-watcher" in table.splitlines()[2]
    svg = timeline.render(h, "test")
    assert svg.startswith("<svg") and "kill-watcher" in svg and svg.rstrip().endswith("</svg>")


def test_the_history_file_keeps_every_attempt_and_fault(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    h = History.to_file(path)
    h.attempt(attempt(1))
    h.fault(Fault("switchover", "venus", "to mars", 3.0, recovered_s=1.0))
    h.probe(1.0, True)
    h.probe(1.25, True)  # no change: not written
    h.close()
    kinds = [json.loads(line)["kind"] for line in path.read_text().splitlines()]
    assert kinds == ["attempt", "fault", "probe"]


def test_a_failed_state_that_lasts_is_counted_once() -> None:
    h = healthy_history()
    ban = "ms banned from n3 (fail-count INFINITY)"
    h.faults[0].end_state = [ban]
    h.fault(Fault("load", "n2", "", 20.0, ended_at=30.0, recovered_s=0.1, end_state=[ban]))
    back = clean_readback(h)
    back.end_state = [ban]
    verdict = checker.check(h, back)
    assert verdict.stuck == [f"{ban} (first seen after kill-watcher at 5 s)"]
    assert not verdict.green
