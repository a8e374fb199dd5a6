"""The bed's power switch answers a power cut that did not release the host's disk with the
reason, so fence_hostlab fails the fence and says why (the disk may still be in use)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from hostlab import HostlabError
from pacemakerbed.power import PowerSwitch


class _StuckHost:
    is_powered = True

    def power_off(self) -> None:
        raise HostlabError("host n1: powered off, but disk mailstore (/dev/loop9) is still "
                           "mounted 10s later")


class _Lab:
    def __init__(self) -> None:
        self.hosts: dict[str, Any] = {"n1": _StuckHost()}


def test_a_power_cut_that_left_the_disk_held_is_a_failed_fence_with_its_reason(
        tmp_path: Path) -> None:
    switch = PowerSwitch(_Lab(), ["n1"], tmp_path / "power", threading.Lock())  # type: ignore[arg-type]
    try:
        reply = switch.answer(["off", "n1"])
    finally:
        switch.server.server_close()
    assert reply.startswith("error: ") and "still mounted" in reply
