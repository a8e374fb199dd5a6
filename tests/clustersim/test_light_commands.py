"""What the stand-in's short-lived programs rely on instead of the heavier standard modules:
they must behave exactly as what they replace (json, getopt, ClusterLayout, Popen.wait)."""

from __future__ import annotations

import getopt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clustersim import dispatch, jsonline, options, procs
from clustersim.layout import ClusterLayout
from clustersim.paths import CommandLayout
from hostlab import inside

VALUES = [
    {"op": "start", "tag": "mail-rs,MAIL-RG,0.svc", "argv": ["/opt/SUNWmsgsr/sbin/start-msg",
                                                            "ha"],
     "env": {"LANG": "C", "NOTE": "caf\u00e9 \"quoted\"\n\ttab"}, "retries": -1, "period": 1.5,
     "level": None, "flags": [True, False], "nested": {"a": [1, {"b": []}]}},
    [], {}, "plain", 0, -7, 2.25,
]


@pytest.mark.parametrize("value", VALUES)
def test_jsonline_writes_and_reads_what_json_does(value: object) -> None:
    text = jsonline.dumps(value)
    assert json.loads(text) == value
    assert jsonline.loads(json.dumps(value)) == value
    assert jsonline.loads((text + "\n").encode()) == value


@pytest.mark.parametrize("text", ["", "{", "{'a': 1}", "1 2", "[1,]"])
def test_jsonline_refuses_what_is_not_one_json_value(text: str) -> None:
    with pytest.raises(ValueError):
        jsonline.loads(text)


COMMAND_LINES = [
    (["-av", "-t5", "prog", "-x"], "av", "tek"),
    (["-t", "5", "--", "-x"], "av", "tek"),
    (["-", "a"], "a", ""),
    (["-c", "tag", "-n", "2", "cmd", "-n"], "LE", "ckqlsmaentCwh"),
    (["-at5"], "a", "t"),
    (["-a", "--"], "a", "t"),
    ([], "a", "t"),
]


@pytest.mark.parametrize(("argv", "flags", "valued"), COMMAND_LINES)
def test_options_parse_as_getopt_does(argv: list[str], flags: str, valued: str) -> None:
    pairs, operands = getopt.getopt(argv, flags + "".join(f"{v}:" for v in valued))
    assert options.parse(argv, flags, valued) == ([(o[1:], v) for o, v in pairs], operands)


def test_options_refuse_with_getopt_3c_words() -> None:
    with pytest.raises(options.UsageError, match=r"^illegal option -- q$"):
        options.parse(["-q"], "a", "t")
    with pytest.raises(options.UsageError, match=r"^option requires an argument -- t$"):
        options.parse(["-a", "-t"], "a", "t")


def test_the_light_layout_names_the_same_places(tmp_path: Path) -> None:
    full, light = ClusterLayout.at(tmp_path), CommandLayout(str(tmp_path.resolve()))
    assert light.run_dir == str(full.run_dir)
    assert light.rgmd_socket == str(full.rgmd_socket)
    assert light.state_db == str(full.state_db)
    for node in ("mars", "venus"):
        assert light.pmfd_socket(node) == str(full.pmfd_socket(node))
        assert light.node_log_socket(node) == str(full.node_log_socket(node))
        assert light.node_root(node) == str(full.node_root(node))
    assert light.node_console("mars") == full.node_console("mars")  # the rest: the full one


def test_wait_child_gives_the_exit_status() -> None:
    child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    assert procs.wait_child(child, 30) == 3


def test_wait_child_gives_up_on_a_child_that_runs_on_and_leaves_it_running() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert procs.wait_child(child, 0.05) is None
        assert child.poll() is None
    finally:
        child.kill()
        child.wait()


def test_wait_child_is_woken_by_its_pipe() -> None:
    child = subprocess.Popen(["sleep", "30"])
    wake_r, wake_w = os.pipe()
    try:
        os.write(wake_w, b"x")
        assert procs.wait_child(child, None, wake_fd=wake_r) is None
    finally:
        os.close(wake_r)
        os.close(wake_w)
        child.kill()
        child.wait()


def test_commands_journal_only_into_a_journal_the_cluster_has(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster = str(tmp_path)
    assert dispatch.run("no_such_command", [], cluster, "mars") == 1
    assert not (tmp_path / dispatch.COMMAND_JOURNAL).exists()  # no journal: none is made
    (tmp_path / dispatch.COMMAND_JOURNAL).touch(mode=0o600)
    assert dispatch.run("no_such_command", [], cluster, "mars") == 1
    entry = json.loads((tmp_path / dispatch.COMMAND_JOURNAL).read_text())
    assert (entry["command"], entry["node"], entry["pid"], entry["ppid"], entry["code"]) == (
        "no_such_command", "mars", os.getpid(), os.getppid(), 1)
    assert "no_such_command: unknown clustersim command" in capsys.readouterr().err


def test_the_command_journal_is_never_followed_through_a_link(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("")
    (tmp_path / dispatch.COMMAND_JOURNAL).symlink_to(target)
    dispatch.run("no_such_command", [], str(tmp_path), "mars")
    assert target.read_text() == ""


def test_a_process_runs_in_a_host_only_by_the_lab_record_of_its_namespace(
        tmp_path: Path) -> None:
    mine = os.readlink("/proc/self/ns/net")
    assert not inside.runs_in(str(tmp_path), "mars")  # no lab here
    (tmp_path / inside.STATE_NAME).write_text(json.dumps({"hosts": {
        "mars": {"netns": mine, "powered": True},
        "venus": {"netns": "net:[1]", "powered": True},
        "pluto": {"netns": mine, "powered": False}}}))
    assert inside.runs_in(str(tmp_path), "mars")
    assert not inside.runs_in(str(tmp_path), "venus")
    assert not inside.runs_in(str(tmp_path), "pluto")  # powered off: no namespace of its own
    assert not inside.runs_in(str(tmp_path), "saturn")
