"""Is mail moving (messaging.delivery): the stuck-delivery decision from looks at the queue,
the queue read as untrusted data, and the store's file system said in words."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scims.messaging.delivery import (
    DeliveryWatch,
    QueueLook,
    StoreSpace,
    judge_delivery,
    queue_names,
    store_space,
)


def looks(*queues: set[str], every: float = 1.0) -> list[QueueLook]:
    return [QueueLook(i * every, frozenset(q)) for i, q in enumerate(queues)]


def test_mail_coming_in_and_nothing_leaving_for_the_window_is_stuck() -> None:
    seen = looks({"a"}, {"a", "b"}, {"a", "b", "c"}, {"a", "b", "c", "d"}, every=3.0)
    stuck = judge_delivery(seen, now=9.0, stuck_after=8.0)
    assert stuck is not None and (stuck.queued, stuck.arrived) == (4, 3)
    assert stuck.describe() == ("mail is not being delivered: 4 messages queued for the "
                                "ims-ms channel, 3 of them arrived meanwhile, and none "
                                "delivered for 9 s")


def test_a_burst_that_drains_is_not_stuck() -> None:
    """Messages arrive faster than they leave, but they do leave."""
    seen = looks({"a", "b"}, {"b", "c", "d"}, {"c", "d", "e", "f"}, {"e", "f", "g", "h"},
                 every=3.0)
    assert judge_delivery(seen, now=9.0, stuck_after=8.0) is None


def test_messages_held_back_with_nothing_new_are_not_stuck() -> None:
    """A channel holding mail for a retry (a mailbox over quota), nothing arriving."""
    seen = looks({"a", "b"}, {"a", "b"}, {"a", "b"}, {"a", "b"}, every=5.0)
    assert judge_delivery(seen, now=15.0, stuck_after=8.0) is None


def test_a_window_too_short_or_an_unreadable_look_decides_nothing() -> None:
    assert judge_delivery(looks({"a"}, {"a", "b"}), now=1.0, stuck_after=8.0) is None
    seen = [QueueLook(0.0, frozenset({"a"})), QueueLook(5.0, None),
            QueueLook(10.0, frozenset({"a", "b"}))]
    assert judge_delivery(seen, now=10.0, stuck_after=8.0) is None


def test_the_watch_keeps_what_the_window_needs_and_judges() -> None:
    queue: set[str] = {"000/ZZ1"}
    watch = DeliveryWatch("/unused", stuck_after=4.0, read=lambda c: frozenset(queue))
    for t in range(4):
        queue.add(f"000/ZZ{t + 2}")
        assert watch.look(float(t)) is None
    stuck = watch.look(4.0)
    assert stuck is not None and stuck.seconds == 4.0
    for t in range(5, 20):
        watch.look(float(t))
    assert len(watch._looks) <= 6, "only the window and the look before it are kept"


# --- the queue as untrusted data ----------------------------------------------------------


def make_queue(config: Path, names: list[str]) -> Path:
    sub = config / "queue" / "ims-ms" / "000"
    sub.mkdir(parents=True)
    for name in names:
        (sub / name).write_text("x")
    return sub


def test_queue_names_are_the_channels_queue_files(tmp_path: Path) -> None:
    sub = make_queue(tmp_path / "C", ["ZZ1.00", "ZZ2.00", "notes.txt"])
    (sub / "ZZdir").mkdir()
    assert queue_names(str(tmp_path / "C")) == frozenset({"000/ZZ1.00", "000/ZZ2.00"})
    assert queue_names(str(tmp_path / "nothing")) == frozenset()


def test_a_queue_that_leads_out_of_the_configuration_directory_is_not_read(
        tmp_path: Path) -> None:
    """The runtime user replaces the channel directory by a link to /etc, or links a
    subdirectory somewhere else: not followed, not judged."""
    elsewhere = make_queue(tmp_path / "other", ["ZZ1.00"]).parent
    config = tmp_path / "C"
    (config / "queue").mkdir(parents=True)
    os.symlink(elsewhere, config / "queue" / "ims-ms")
    assert queue_names(str(config)) is None
    config2 = tmp_path / "C2"
    (config2 / "queue" / "ims-ms").mkdir(parents=True)
    os.symlink(elsewhere / "000", config2 / "queue" / "ims-ms" / "000")
    assert queue_names(str(config2)) == frozenset()  # a link is neither file nor directory


def test_a_queue_longer_than_the_limit_is_not_judged(tmp_path: Path) -> None:
    make_queue(tmp_path / "C", [f"ZZ{i}.00" for i in range(30)])
    assert queue_names(str(tmp_path / "C"), limit=10) is None


# --- the store's file system -----------------------------------------------------------------


def test_a_full_store_is_said_with_the_file_system_and_how_full() -> None:
    space = StoreSpace("/var/opt/SUNWmsgsr", 32 << 20, 100 << 10)
    assert space.full
    assert space.describe() == (
        "the message store file system /var/opt/SUNWmsgsr is 100% full (100.0 KB free of "
        "32.0 MB): mail cannot be stored until space is freed; a restart or a failover "
        "cannot help, the file system moves with the group")
    assert not StoreSpace("/var/opt/SUNWmsgsr", 32 << 20, 8 << 20).full


def test_store_space_asks_the_file_system(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    space = store_space(str(tmp_path))
    assert space is not None and space.total > 0 and 0 <= space.free <= space.total
    assert os.path.isdir(space.mount_point)


@pytest.mark.parametrize("free", [0, 1 << 19])
def test_less_than_a_mebibyte_free_is_full_on_a_small_disk(free: int) -> None:
    assert StoreSpace("/d", 32 << 20, free).full
