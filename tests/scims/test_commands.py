"""Argument building and output parsing of the cluster commands, against fake commands."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from helpers_scims import ProgramCommand, make_node_root, on_node

from scims.cluster import commands
from scims.cluster.commands import Pmf
from scims.cluster.scha_errors import SchaError
from scims.errors import FrameworkError


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_node_root(tmp_path / "mars")
    on_node(monkeypatch, root, programs=True)
    return root


def ext(node: Path, name: str, output: str) -> None:
    ProgramCommand(node, "scha_resource_get").answer(
        ["-O", "Extension", "-R", "mail-rs", "-G", "MS-RG", name], output)


# --- running -----------------------------------------------------------------------------


def test_commands_run_from_the_node_with_a_clean_environment(
    node: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "x")
    cmd = ProgramCommand(node, "scha_cluster_get").answer(["-O", "Nodename_local"], "mars\n")
    assert commands.cluster_get("Nodename_local").as_str() == "mars"
    (call,) = cmd.calls()
    env = {k: v for k, v in call["env"].items() if k not in ("LC_CTYPE", "PWD")}
    assert env == {"PATH": f"{node}/usr/cluster/bin:/usr/bin:/bin"}
    assert call["cwd"] == "/"


def test_exit_status_becomes_the_scha_error(node: Path) -> None:
    ProgramCommand(node, "scha_resource_get").answer(
        None, status=15, stderr="scha_resource_get: Invalid property Nonesuch\n")
    with pytest.raises(FrameworkError) as caught:
        commands.resource_get("Nonesuch", "mail-rs", "MS-RG")
    err = caught.value
    assert (err.name, err.command, err.subject) == ("SCHA_ERR_PROP", "scha_resource_get",
                                                    "Nonesuch")
    assert str(err) == ("Failed to retrieve the resource property Nonesuch: SCHA_ERR_PROP "
                        "(scha_resource_get: Invalid property Nonesuch).")


def test_missing_command_is_a_framework_error(node: Path) -> None:
    with pytest.raises(FrameworkError) as caught:
        commands.resourcegroup_get("Nodelist", "MS-RG")
    assert caught.value.err == SchaError.INTERNAL
    assert "cannot run" in caught.value.detail


def test_timeout_kills_the_command(node: Path) -> None:
    ProgramCommand(node, "scha_cluster_get").answer(None, "late\n", sleep=30)
    with pytest.raises(FrameworkError) as caught:
        commands.cluster_get("Clustername", timeout=0.5)
    assert caught.value.timed_out
    assert caught.value.name == "SCHA_ERR_TIMEOUT"


def test_unsafe_names_never_reach_a_program(node: Path) -> None:
    cmd = ProgramCommand(node, "scha_resource_get").answer(None, "x\n")
    for bad in ("-O", "", "mail\nrs"):
        with pytest.raises(ValueError):
            commands.resource_get("Type", bad, "MS-RG")
    assert cmd.calls() == []


# --- parsing -----------------------------------------------------------------------------


def test_system_properties(node: Path) -> None:
    cmd = ProgramCommand(node, "scha_resource_get")
    cmd.answer(["-O", "Retry_count", "-R", "mail-rs", "-G", "MS-RG"], "2\n")
    cmd.answer(["-O", "Scalable", "-R", "mail-rs", "-G", "MS-RG"], "FALSE\n")
    cmd.answer(["-O", "Resource_dependencies", "-R", "mail-rs", "-G", "MS-RG"],
               "disk-rs\nmeadow\n")
    cmd.answer(["-O", "Network_resources_used", "-R", "mail-rs", "-G", "MS-RG"], "")
    cmd.answer(["-O", "Type", "-R", "mail-rs"], "SUNW.ims:1.0\n")
    assert commands.resource_get("Retry_count", "mail-rs", "MS-RG").as_int() == 2
    assert commands.resource_get("Scalable", "mail-rs", "MS-RG").as_bool() is False
    assert commands.resource_get("Resource_dependencies", "mail-rs", "MS-RG").as_list() == [
        "disk-rs", "meadow"]
    assert commands.resource_get("Network_resources_used", "mail-rs", "MS-RG").as_list() == []
    assert commands.resource_get("Type", "mail-rs").as_str() == "SUNW.ims:1.0"


def test_unexpected_output_is_reported_not_guessed(node: Path) -> None:
    ProgramCommand(node, "scha_resource_get").answer(None, "two\n")
    reply = commands.resource_get("Retry_count", "mail-rs", "MS-RG")
    with pytest.raises(FrameworkError, match="expected an integer"):
        reply.as_int()
    with pytest.raises(FrameworkError, match="TRUE or FALSE"):
        reply.as_bool()


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("STRING\n/opt/mars/SUNWmsgsr\n", ("STRING", "/opt/mars/SUNWmsgsr")),
        ("STRING\n", ("STRING", "")),
        ("INT\n30\n", ("INT", 30)),
        ("BOOLEAN\nTRUE\n", ("BOOLEAN", True)),
        ("ENUM\nLOG_ONLY\n", ("ENUM", "LOG_ONLY")),
        ("STRINGARRAY\n/global/a\n/global/b\n", ("STRINGARRAY", ["/global/a", "/global/b"])),
        ("STRINGARRAY\n", ("STRINGARRAY", [])),
    ],
)
def test_extension_properties_are_typed_by_their_type_line(
    node: Path, output: str, expected: tuple[str, object]
) -> None:
    ext(node, "IMS_serverroot", output)
    assert commands.extension("mail-rs", "MS-RG", "IMS_serverroot") == expected


@pytest.mark.parametrize("output", ["", "FLOAT\n1.5\n", "INT\nmany\n", "BOOLEAN\nyes\n"])
def test_malformed_extension_output(node: Path, output: str) -> None:
    ext(node, "Probe_timeout", output)
    with pytest.raises(FrameworkError) as caught:
        commands.extension("mail-rs", "MS-RG", "Probe_timeout")
    assert caught.value.err == SchaError.INTERNAL
    assert "Probe_timeout" in str(caught.value)


def test_status_is_two_lines(node: Path) -> None:
    cmd = ProgramCommand(node, "scha_resource_get")
    cmd.answer(["-O", "Status", "-R", "mail-rs", "-G", "MS-RG"], "DEGRADED\nService is slow\n")
    assert commands.status("mail-rs", "MS-RG") == ("DEGRADED", "Service is slow")
    cmd2 = ProgramCommand(node, "scha_resource_get")
    cmd2.answer(None, "OK\n\n")
    assert commands.status("mail-rs", "MS-RG") == ("OK", "")


def test_group_type_and_cluster_queries(node: Path) -> None:
    ProgramCommand(node, "scha_resourcegroup_get").answer(
        ["-O", "RG_state_node", "-G", "MS-RG", "venus"], "OFFLINE\n")
    ProgramCommand(node, "scha_resourcetype_get").answer(
        ["-O", "RT_basedir", "-T", "SUNW.ims"], "/opt/SUNWscims/bin\n")
    ProgramCommand(node, "scha_cluster_get").answer(
        ["-O", "All_nodenames"], "mars\nvenus\n")
    assert commands.resourcegroup_get("RG_state_node", "MS-RG", "venus").as_str() == "OFFLINE"
    assert commands.resourcetype_get("RT_basedir", "SUNW.ims").as_str() == "/opt/SUNWscims/bin"
    assert commands.cluster_get("All_nodenames").as_list() == ["mars", "venus"]


# --- actions -----------------------------------------------------------------------------


def test_control_returns_the_verdict(node: Path) -> None:
    cmd = ProgramCommand(node, "scha_control")
    cmd.answer(["-O", "CHECK_GIVEOVER", "-G", "MS-RG", "-R", "mail-rs"], status=16)
    cmd.answer(["-O", "GIVEOVER", "-G", "MS-RG", "-R", "mail-rs"], status=0)
    assert commands.control("check_giveover", "MS-RG", "mail-rs") == SchaError.CHECKS
    assert commands.control("GIVEOVER", "MS-RG", "mail-rs") == SchaError.NOERR
    with pytest.raises(ValueError):
        commands.control("REBOOT", "MS-RG", "mail-rs")


def test_control_timeout_is_a_verdict_too(node: Path) -> None:
    ProgramCommand(node, "scha_control").answer(None, sleep=30)
    assert commands.control("RESTART", "MS-RG", "mail-rs", timeout=0.5) == SchaError.TIMEOUT


def test_set_status(node: Path) -> None:
    cmd = ProgramCommand(node, "scha_resource_setstatus").answer(None)
    commands.set_status("mail-rs", "MS-RG", "DEGRADED", "Service is\nslow")
    commands.set_status("mail-rs", "MS-RG", "OK")
    assert cmd.argvs() == [
        ["-R", "mail-rs", "-G", "MS-RG", "-s", "DEGRADED", "-m", "Service is\\nslow"],
        ["-R", "mail-rs", "-G", "MS-RG", "-s", "OK"],
    ]
    with pytest.raises(ValueError):
        commands.set_status("mail-rs", "MS-RG", "FINE")


def test_set_status_failure_raises(node: Path) -> None:
    ProgramCommand(node, "scha_resource_setstatus").answer(None, status=14)
    with pytest.raises(FrameworkError, match="SCHA_ERR_RSRC"):
        commands.set_status("mail-rs", "MS-RG", "OK")


# --- PMF ---------------------------------------------------------------------------------

SVC = "MS-RG,mail-rs,0.svc"


def test_pmf_start_builds_the_pmfadm_command(node: Path) -> None:
    cmd = ProgramCommand(node, "pmfadm").answer(None)
    Pmf().start(SVC, ["/opt/mars/SUNWmsgsr/sbin/start-msg", "ha"], retries=2,
                period_minutes=6, child_level=1, env={"LANG": "C"})
    assert cmd.argvs() == [[
        "-c", SVC, "-e", "LANG=C", "-n", "2", "-t", "6",
        "-C", "1", "/opt/mars/SUNWmsgsr/sbin/start-msg", "ha",
    ]]


def test_pmf_start_defaults_and_checks(node: Path) -> None:
    cmd = ProgramCommand(node, "pmfadm").answer(None)
    Pmf().start("MS-RG,mail-rs,0.mon", ["/opt/SUNWscims/bin/ims_probe", "-R", "mail-rs"],
                retries=-1, period_minutes=-1, env={"TZ": "Europe/Berlin"})
    assert cmd.argvs() == [[
        "-c", "MS-RG,mail-rs,0.mon", "-e", "TZ=Europe/Berlin", "-n", "-1", "-t", "-1",
        "/opt/SUNWscims/bin/ims_probe", "-R", "mail-rs",
    ]]
    with pytest.raises(ValueError, match="absolute"):
        Pmf().start(SVC, ["start-msg"])
    with pytest.raises(ValueError, match="variable name"):
        Pmf().start(SVC, ["/bin/true"], env={"A B": "x"})


def test_pmf_start_failure(node: Path) -> None:
    ProgramCommand(node, "pmfadm").answer(None, status=1, stderr="pmfadm: tag already exists\n")
    with pytest.raises(FrameworkError, match="tag already exists"):
        Pmf().start(SVC, ["/bin/true"])


def test_pmf_stop_of_a_stopped_tag_succeeds(node: Path) -> None:
    cmd = ProgramCommand(node, "pmfadm").answer(["-q", SVC], status=1)
    Pmf().stop(SVC, "TERM", wait=10)
    assert cmd.argvs() == [["-q", SVC]]


def test_pmf_stop_and_kill_of_a_running_tag(node: Path) -> None:
    cmd = ProgramCommand(node, "pmfadm").answer(["-q", SVC], status=0).answer(None)
    Pmf().stop(SVC, "SIGTERM", wait=10)
    Pmf().kill(SVC, 9)
    assert cmd.argvs() == [["-q", SVC], ["-s", SVC, "-w", "10", "TERM"],
                           ["-q", SVC], ["-k", SVC, "KILL"]]


def test_pmf_stop_without_asking_first_asks_only_when_refused(node: Path) -> None:
    running = ProgramCommand(node, "pmfadm").answer(None)
    assert Pmf().stop(SVC, "KILL", wait=5, ask_first=False) is False
    assert running.argvs() == [["-s", SVC, "-w", "5", "KILL"]]
    gone = ProgramCommand(node, "pmfadm").answer(["-q", SVC], status=1).answer(None, status=1)
    assert Pmf().stop(SVC, "KILL", wait=5, ask_first=False) is True
    assert gone.argvs()[-2:] == [["-s", SVC, "-w", "5", "KILL"], ["-q", SVC]]


def test_pmf_modify_of_a_missing_tag(node: Path) -> None:
    cmd = ProgramCommand(node, "pmfadm").answer(["-q", SVC], status=1).answer(
        None, status=1, stderr="pmfadm: no such tag\n")
    assert Pmf().modify(SVC, retries=0, period_minutes=-1, missing_ok=True) is False
    assert cmd.argvs() == [["-m", SVC, "-n", "0", "-t", "-1"], ["-q", SVC]]
    with pytest.raises(FrameworkError, match="no such tag"):
        Pmf().modify(SVC, retries=0, period_minutes=-1)


def test_pmf_stop_failure_with_tag_still_there_raises(node: Path) -> None:
    ProgramCommand(node, "pmfadm").answer(["-q", SVC]).answer(
        None, status=21, stderr="pmfadm: timed out waiting\n")
    with pytest.raises(FrameworkError, match="SCHA_ERR_TIMEOUT"):
        Pmf().stop(SVC, "TERM", wait=1)


def test_pmf_query_and_listing(node: Path) -> None:
    listing = f"STATUS {SVC}\n\towner: root\n\tretry count: 0\n\tpids: 1201 1202\n"
    ProgramCommand(node, "pmfadm").answer(["-q", SVC]).answer(["-l", SVC], listing).answer(
        None, status=1)
    pmf = Pmf()
    assert pmf.is_running(SVC)
    assert not pmf.is_running("MS-RG,mail-rs,0.mon")
    assert pmf.listing(SVC)[0] == f"STATUS {SVC}"
    assert pmf.pids(SVC) == [1201, 1202]


def test_signal_names() -> None:
    assert [commands.signal_name(s) for s in ("term", "SIGKILL", 15, "HUP")] == [
        "TERM", "KILL", "TERM", "HUP"]
    with pytest.raises(ValueError):
        commands.signal_name("NOPE")


def test_hatimerun(node: Path) -> None:
    cmd = ProgramCommand(node, "hatimerun")
    cmd.answer(["-t", "60", "/opt/SUNWscims/bin/ims_svc_stop", "-R", "mail-rs"], status=0)
    cmd.answer(["-t", "5", "-k", "KILL", "/bin/sleep", "100"], status=99)
    assert commands.hatimerun(60, ["/opt/SUNWscims/bin/ims_svc_stop", "-R", "mail-rs"]) == (
        commands.TimedRun(0, False))
    assert commands.hatimerun(5, ["/bin/sleep", "100"], kill_signal="KILL").timed_out
    with pytest.raises(ValueError):
        commands.hatimerun(0, ["/bin/true"])


# --- remembered answers ------------------------------------------------------------------


def test_a_method_asks_each_question_once(node: Path) -> None:
    get = ProgramCommand(node, "scha_resource_get")
    get.answer(["-O", "Type", "-R", "mail-rs", "-G", "MS-RG"], "SUNW.ims:6.3\n")
    get.answer(["-O", "Extension", "-R", "mail-rs", "-G", "MS-RG", "IMS_serverroot"],
               "STRING\n/opt/SUNWmsgsr\n")
    with commands.remembered_answers():
        for _ in range(3):
            assert commands.resource_get("Type", "mail-rs", "MS-RG").as_str() == "SUNW.ims:6.3"
            assert commands.extension("mail-rs", "MS-RG", "IMS_serverroot") == (
                "STRING", "/opt/SUNWmsgsr")
    assert get.argvs() == [["-O", "Type", "-R", "mail-rs", "-G", "MS-RG"],
                           ["-O", "Extension", "-R", "mail-rs", "-G", "MS-RG",
                            "IMS_serverroot"]]


def test_outside_a_method_every_question_is_asked_afresh(node: Path) -> None:
    get = ProgramCommand(node, "scha_cluster_get").answer(["-O", "Nodename_local"], "mars\n")
    with commands.remembered_answers():
        commands.cluster_get("Nodename_local")
    commands.cluster_get("Nodename_local")
    commands.cluster_get("Nodename_local")
    assert len(get.argvs()) == 3


def test_an_error_answer_is_remembered_a_timeout_is_not(node: Path) -> None:
    ProgramCommand(node, "scha_resourcegroup_get").answer(None, status=14,
                                                       stderr="no such group\n")
    late = ProgramCommand(node, "scha_cluster_get").answer(None, "late\n", sleep=30)
    with commands.remembered_answers():
        for _ in range(2):
            with pytest.raises(FrameworkError, match="SCHA_ERR_RSRC"):
                commands.resourcegroup_get("Nodelist", "NO-RG")
            with pytest.raises(FrameworkError) as caught:
                commands.cluster_get("Clustername", timeout=0.3)
            assert caught.value.timed_out
    assert len(ProgramCommand(node, "scha_resourcegroup_get").argvs()) == 1
    assert len(late.argvs()) == 2


def test_setting_the_status_forgets_the_status_only(node: Path) -> None:
    get = ProgramCommand(node, "scha_resource_get")
    get.answer(["-O", "Status", "-R", "mail-rs", "-G", "MS-RG"], "OK\nService is online.\n")
    get.answer(["-O", "Retry_count", "-R", "mail-rs", "-G", "MS-RG"], "2\n")
    ProgramCommand(node, "scha_resource_setstatus").answer(None)
    with commands.remembered_answers():
        commands.status("mail-rs", "MS-RG")
        commands.resource_get("Retry_count", "mail-rs", "MS-RG")
        commands.set_status("mail-rs", "MS-RG", "DEGRADED", "slow")
        commands.status("mail-rs", "MS-RG")
        commands.resource_get("Retry_count", "mail-rs", "MS-RG")
    assert [argv[1] for argv in get.argvs()] == ["Status", "Retry_count", "Status"]


def test_a_reconfiguring_cluster_is_asked_again(node: Path) -> None:
    """SCHA_ERR_RECONF means "not now": the next time, the cluster may answer."""
    get = ProgramCommand(node, "scha_resourcegroup_get").answer(None, status=5)
    with commands.remembered_answers():
        for _ in range(2):
            with pytest.raises(FrameworkError, match="SCHA_ERR_RECONF"):
                commands.resourcegroup_get("Nodelist", "MS-RG")
    assert len(get.argvs()) == 2


# --- questions asked ahead ---------------------------------------------------------------

def slow_query(node: Path, name: str, seconds: float, until_begun: int = 0) -> Path:
    """A query command (/bin/sh, quick to start) that notes when each call begins and ends in
    `<bin>/<name>.events` and answers its -O argument after `seconds`, or, with
    `until_begun`, as soon as that many calls have begun (at most `seconds`): a call then
    ends before the next begins only if the calls ran one after another, however loaded the
    machine."""
    events = node / "usr" / "cluster" / "bin" / f"{name}.events"
    script = node / "usr" / "cluster" / "bin" / name
    script.parent.mkdir(parents=True, exist_ok=True)
    if until_begun:
        wait = (f"n=0\nwhile [ \"$(grep -c '^begin' {events})\" -lt {until_begun} ] && "
                f"[ $n -lt {int(seconds * 50)} ]; do sleep 0.02; n=$((n+1)); done\n")
    else:
        wait = f"sleep {seconds}\n"
    script.write_text(f"#!/bin/sh\necho \"begin $2\" >> {events}\necho $$ >> {events}.pids\n"
                      f"{wait}echo \"end $2\" >> {events}\necho \"$2\"\n")
    script.chmod(0o755)
    return events


def test_questions_asked_ahead_run_at_once_and_each_is_asked_once(node: Path) -> None:
    events = slow_query(node, "scha_resource_get", 10, until_begun=2)
    with commands.remembered_answers():
        commands.ask_ahead_resource("Retry_count", "mail-rs", "MS-RG")
        commands.ask_ahead_resource("Retry_interval", "mail-rs", "MS-RG")
        commands.ask_ahead_resource("Retry_count", "mail-rs", "MS-RG")  # not twice
        assert commands.resource_get("Retry_interval", "mail-rs", "MS-RG").as_str() == \
            "Retry_interval"
        assert commands.resource_get("Retry_count", "mail-rs", "MS-RG").as_str() == \
            "Retry_count"
        commands.resource_get("Retry_count", "mail-rs", "MS-RG")  # remembered
    lines = events.read_text().splitlines()
    assert sorted(lines) == ["begin Retry_count", "begin Retry_interval",
                             "end Retry_count", "end Retry_interval"]
    # both began before either ended (which began first is the scheduler's business)
    assert sorted(lines[:2]) == ["begin Retry_count", "begin Retry_interval"]


def test_a_question_asked_ahead_and_never_needed_leaves_no_process(node: Path) -> None:
    events = slow_query(node, "scha_resource_get", 0.3)
    with commands.remembered_answers():
        commands.ask_ahead_resource("Retry_count", "mail-rs", "MS-RG")
        deadline = time.monotonic() + 30
        while not Path(f"{events}.pids").exists():  # begun, however loaded the machine
            assert time.monotonic() < deadline, "the question was not started"
            time.sleep(0.02)
    (pid,) = [int(line) for line in Path(f"{events}.pids").read_text().split()]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # ended and reaped when the method's answers were dropped


def test_nothing_is_asked_ahead_outside_a_method(node: Path) -> None:
    events = slow_query(node, "scha_resource_get", 0)
    commands.ask_ahead_resource("Retry_count", "mail-rs", "MS-RG")
    assert not events.exists()


def test_a_question_asked_ahead_that_hangs_is_killed_when_the_method_ends(node: Path) -> None:
    """A hung cluster command the method never collected does not hold the method: after a
    moment it is killed, and nothing of it is left."""
    events = slow_query(node, "scha_resource_get", 1000)
    with commands.remembered_answers():
        commands.ask_ahead_resource("Retry_count", "mail-rs", "MS-RG")
        deadline = time.monotonic() + 30
        while not Path(f"{events}.pids").exists():
            assert time.monotonic() < deadline, "the question was not started"
            time.sleep(0.02)
    (pid,) = [int(line) for line in Path(f"{events}.pids").read_text().split()]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert "end Retry_count" not in events.read_text()
