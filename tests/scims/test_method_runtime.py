"""What every method does around its own work: one log line and exit 1 for whatever goes
wrong, under the tag of the resource it was called for, never a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers_scims import (
    FakeCommand,
    ProgramCommand,
    RecordingTransport,
    make_node_root,
    on_node,
)

from scims.errors import AgentError
from scims.log import messages
from scims.log.syslog import AgentLog
from scims.method_runtime import MethodContext, names_given, run_method
from scims.msconfig.source import MsConfigError

ARGV = ["-R", "mail-rs", "-T", "SUNW.ims:6.3", "-G", "MAIL-RG"]


class Recorder(RecordingTransport):
    def make_log(self, rt: str, rg: str, r: str, method: str) -> AgentLog:
        return AgentLog(rt, rg, r, method, transport=self, facility="daemon")

    def lines(self) -> list[str]:
        return [f"{record.tag}: {record.line()}" for record in self.records]


@pytest.fixture(autouse=True)
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_node_root(tmp_path / "mars")
    on_node(monkeypatch, root)
    return root


def run(body, argv: list[str], *, validate: bool = False) -> tuple[int, Recorder]:
    recorder = Recorder()
    rc = run_method("ims_svc_start", body, argv, validate=validate,
                    make_log=recorder.make_log)
    return rc, recorder


def never(ctx: MethodContext) -> int:
    raise AssertionError("the body must not run on a malformed command line")


def test_a_successful_body_exits_0_and_sees_the_names() -> None:
    seen: list[tuple[str, str, str, str]] = []

    def body(ctx: MethodContext) -> int:
        seen.append((ctx.resource, ctx.group, ctx.svc_tag, ctx.mon_tag))
        return 0

    rc, recorder = run(body, ARGV)
    assert rc == 0 and recorder.records == []
    assert seen == [("mail-rs", "MAIL-RG", "MAIL-RG,mail-rs,0.svc", "MAIL-RG,mail-rs,0.mon")]


def test_bad_arguments_are_one_line_under_the_resources_tag() -> None:
    rc, recorder = run(never, [*ARGV, "-Q"])
    assert rc == 1
    assert recorder.lines() == [
        "SC[SUNW.ims,MAIL-RG,mail-rs,ims_svc_start]: [ID 268662 daemon.error] Invalid "
        "arguments to the method: illegal option -- Q."]


@pytest.mark.parametrize(("argv", "tag"), [
    ([], "SC[SUNW.ims,,,ims_svc_start]"),
    (["-Rmail-rs", "extra"], "SC[SUNW.ims,,mail-rs,ims_svc_start]"),
    (["-G", "MAIL-RG", "-x", "a=b"], "SC[SUNW.ims,MAIL-RG,,ims_svc_start]"),
    (["-x", "-R", "-G", "MAIL-RG"], "SC[SUNW.ims,MAIL-RG,,ims_svc_start]"),
    (["-R", "bad\nname", "-G"], "SC[SUNW.ims,,,ims_svc_start]"),
])
def test_the_tag_of_a_usage_error_names_what_was_given(argv: list[str], tag: str) -> None:
    rc, recorder = run(never, argv)
    assert rc == 1
    assert [record.tag for record in recorder.records] == [tag]
    assert recorder.records[0].message is messages.INVALID_ARGUMENTS


def test_names_given_skips_option_values_and_stops_where_getopt_does() -> None:
    assert names_given(["-r", "-R=x", "-R", "r1", "-G", "g1"]) == {"-R": "r1", "-G": "g1"}
    assert names_given(["-c", "--", "-R", "r1"]) == {}
    assert names_given(["operand", "-R", "r1"]) == {}


def test_an_agent_error_is_its_own_catalogue_line() -> None:
    def body(ctx: MethodContext) -> int:
        raise AgentError(messages.USER_MISSING, "mailsrv")

    rc, recorder = run(body, ARGV)
    assert rc == 1
    assert recorder.lines() == [
        "SC[SUNW.ims,MAIL-RG,mail-rs,ims_svc_start]: "
        f"[ID {messages.USER_MISSING.msgid} daemon.error] Username mailsrv does not exist."]


def test_a_messaging_configuration_error_is_config_info_unavailable_with_its_place() -> None:
    def body(ctx: MethodContext) -> int:
        raise MsConfigError("/var/opt/SUNWmsgsr/config/msg.conf", 3, "no '=' in the line")

    rc, recorder = run(body, ARGV)
    assert rc == 1
    assert recorder.lines() == [
        "SC[SUNW.ims,MAIL-RG,mail-rs,ims_svc_start]: [ID 855581 daemon.error] Failed to get "
        "the configuration info: /var/opt/SUNWmsgsr/config/msg.conf, line 3: no '=' in the "
        "line"]


def test_an_unexpected_exception_is_one_internal_error_line_and_no_traceback(
        capsys: pytest.CaptureFixture[str]) -> None:
    def body(ctx: MethodContext) -> int:
        return {}["missing"]  # a bug

    rc, recorder = run(body, ARGV)
    assert rc == 1
    assert recorder.lines() == [
        "SC[SUNW.ims,MAIL-RG,mail-rs,ims_svc_start]: "
        f"[ID {messages.INTERNAL_ERROR.msgid} daemon.error] Internal error: KeyError: "
        "'missing'."]
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err


def test_validate_options_are_refused_for_other_methods_and_accepted_for_validate() -> None:
    rc, recorder = run(never, ["-c", *ARGV])
    assert rc == 1
    assert "option -c is only for the Validate method" in recorder.lines()[0]

    seen: list[str] = []

    def body(ctx: MethodContext) -> int:
        seen.append(ctx.props.get_str("Retry_count"))
        return 0

    rc, recorder = run(body, ["-c", *ARGV, "-r", "Retry_count=3"], validate=True)
    assert (rc, recorder.records, seen) == (0, [], ["3"])


def _asks_twice(ctx: MethodContext) -> int:
    from scims.cluster import commands

    for _ in range(2):
        commands.resource_get("Num_resource_restarts", ctx.resource, ctx.group)
    return 0


@pytest.mark.parametrize("method", ["ims_svc_start", "ims_svc_stop", "ims_svc_update",
                                    "ims_monitor_start", "ims_monitor_stop",
                                    "ims_monitor_check"])
def test_a_method_the_rgm_runs_asks_each_question_once(node: Path, method: str) -> None:

    get = FakeCommand(node, "scha_resource_get").answer(None, "300\n")  # timeouts too
    recorder = Recorder()
    assert run_method(method, _asks_twice, ARGV, make_log=recorder.make_log) == 0
    asked = [argv for argv in get.argvs() if argv[1] == "Num_resource_restarts"]
    assert len(asked) == 1


def test_the_fault_monitor_asks_afresh_each_time(node: Path) -> None:
    """It runs for days: the restart count it decides on must be the cluster's of now."""

    get = FakeCommand(node, "scha_resource_get").answer(None, "300\n")  # timeouts too
    recorder = Recorder()
    assert run_method("ims_probe", _asks_twice, ARGV, make_log=recorder.make_log) == 0
    asked = [argv for argv in get.argvs() if argv[1] == "Num_resource_restarts"]
    assert len(asked) == 2


def test_a_method_asks_what_it_always_needs_at_once_and_each_once(node: Path) -> None:
    """Monitor_stop's timeout, retry settings and syslog facility are started together when
    it begins; what it then asks is their answers, nothing asked twice. (Programs, not
    in-process answers: what is tested is that they run at the same time.)"""
    get = ProgramCommand(node, "scha_resource_get")
    for optag, value in (("Monitor_stop_timeout", "120"), ("Retry_count", "2"),
                         ("Retry_interval", "610")):
        get.answer(["-O", optag, "-R", "mail-rs", "-G", "MAIL-RG"], f"{value}\n")
    facility = ProgramCommand(node, "scha_cluster_get").answer(None, "daemon\n")
    seen: list[int] = []

    def body(ctx: MethodContext) -> int:
        # before the body asks anything, all four run (each notes its call as it starts)
        deadline = time.monotonic() + 30
        while len(get.calls()) < 3 or len(facility.calls()) < 1:
            assert time.monotonic() < deadline, "the questions were not asked ahead"
            time.sleep(0.02)
        seen.append(ctx.props.get_int("Retry_count"))
        return 0

    assert run_method("ims_monitor_stop", body, ARGV, make_log=Recorder().make_log) == 0
    assert seen == [2]
    assert sorted(call["argv"][1] for call in get.calls()) == [
        "Monitor_stop_timeout", "Retry_count", "Retry_interval"]


def test_a_method_without_questions_of_its_own_asks_nothing_ahead(node: Path) -> None:
    facility = ProgramCommand(node, "scha_cluster_get").answer(None, "daemon\n")
    assert run_method("ims_svc_validate", lambda ctx: 0, ["-u", *ARGV], validate=True,
                      make_log=Recorder().make_log) == 0
    assert facility.calls() == []
