"""The chaos campaign's helpers that read this machine: the host-wide mount sampling, the
log watch, and the recovery figure taken from the probe's history."""

from __future__ import annotations

import os
from pathlib import Path

from chaos import machine
from chaos.history import History
from chaos.nemesis import LogWatch, Nemesis


def test_a_mounted_device_is_found_in_this_namespace_under_its_name() -> None:
    fields = next(line.split() for line in Path("/proc/self/mountinfo").read_text()
                  .splitlines() if line.split()[4] == "/")
    numbers = fields[2]
    here = os.readlink("/proc/self/ns/mnt")
    assert "this test" in machine.mounted_in(numbers, {here: "this test"})
    assert machine.mounted_in("4095:4095", {here: "this test"}) == []


def test_the_log_watch_gives_only_whole_lines_written_after_it_began(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text("old line\n")
    watch = LogWatch({"mars": log})
    with log.open("a") as f:
        f.write("new line\nhalf a li")
    assert watch.poll() == [("mars", "new line")]
    with log.open("a") as f:
        f.write("ne\n")
    assert watch.poll() == [("mars", "half a line")]
    assert watch.poll() == []


def test_recovery_is_the_end_of_the_last_outage_in_the_faults_window() -> None:
    h = History()
    for t, up in [(9.0, True), (10.5, True), (11.0, False), (13.0, False), (14.0, True),
                  (15.0, False), (16.5, True), (17.0, True), (30.0, False)]:
        h.probe(t, up)
    n = Nemesis(engine=None, history=h, clock=None, say=print)  # type: ignore[arg-type]
    assert n.recovery(10.0, 20.0) == 6.5  # the second outage ends at 16.5
    assert n.recovery(16.6, 20.0) == 0.4  # no outage: the first answer after injection
    assert n.recovery(29.0, 31.0) is None  # down until the window ends


def test_a_program_is_found_by_its_command_line_in_its_pid_namespace() -> None:
    mine = machine.programs_of(os.getpid(), "/no/such/program")
    assert mine == []
    first = Path("/proc/self/cmdline").read_bytes().split(b"\0")[0].decode()
    assert os.getpid() in machine.programs_of(os.getpid(), first)


def test_a_rebooted_hosts_old_namespace_keeps_a_name_of_its_own() -> None:
    names: dict[str, str] = {}
    machine.name_namespace(names, "mnt:[1]", "n1")
    machine.name_namespace(names, "mnt:[1]", "n1")
    assert names == {"mnt:[1]": "n1"}
    machine.name_namespace(names, "mnt:[2]", "n1")
    assert names == {"mnt:[1]": "n1 (an earlier boot)", "mnt:[2]": "n1"}
