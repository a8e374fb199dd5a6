"""Time and liveness, round two (issue 23): no local user holds mail down by making a method
wait -- a process monitor that does not answer, a FIFO where a pid file should be, a
grandchild that detaches from a method's command.

Each test is one attack as it was run; each failed on main 4740d3f (Monitor_stop returned 1
after its whole timeout, Stop spent 80 % of Stop_timeout and SIGKILLed Messaging Server, the
grandchild lived on) and passes since."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers_scims import METHOD_ARGS, method_context, server_root
from security_support import (
    GID,
    OTHER_UID,
    RUNTIME_UID,
    SYSTEM_PYTHON,
    alive,
    as_user,
    fake_pmfadm,
)

from scims import monitor_control, service_control, trust
from scims.errors import AgentError
from scims.log import messages

SLEEPER = "import time\nwhile True:\n    time.sleep(0.2)\n"
REPO = Path(__file__).resolve().parents[2]


def _ids(recorder) -> list[str]:
    return [r.message.name for r in recorder.records]


def _texts(recorder) -> list[str]:
    return [r.text for r in recorder.records]


def _program(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


# --- a process monitor that does not answer ------------------------------------------------


def test_monitor_stop_with_a_hung_pmfd_ends_the_monitor_and_succeeds(
        node: Path, monkeypatch: pytest.MonkeyPatch, started: list[subprocess.Popen]) -> None:
    """pmfd not answering: `pmfadm -s <mon tag> KILL` hung, Monitor_stop waited for it the
    whole Monitor_stop_timeout and failed -- to the RGM a failed Stop (STOP_FAILED). Now the
    fault monitor is ended by the kernel's account and Monitor_stop succeeds; processes that
    merely name ims_probe (another user's, another resource's) are left alone."""
    probe = _program(node / "usr" / "cluster" / "lib" / "rgm" / "rt" / "ims" / "ims_probe",
                     f"#!{SYSTEM_PYTHON}\n{SLEEPER}")
    monkeypatch.setattr(monitor_control, "probe_path", lambda: str(probe))
    ours = subprocess.Popen([str(probe), *METHOD_ARGS])
    others = subprocess.Popen([str(probe), *METHOD_ARGS], preexec_fn=as_user(OTHER_UID))  # noqa: PLW1509
    neighbour = subprocess.Popen([str(probe), "-R", "other-rs", "-T", "SUNW.ims:6.3",
                                  "-G", "MAIL-RG"])
    started += [ours, others, neighbour]
    calls = fake_pmfadm(node, hang="-s -m")
    time.sleep(0.3)
    ctx, recorder = method_context("ims_monitor_stop", {
        "monitor_stop_timeout": 60, "retry_count": 2, "retry_interval": 600})
    with trust.Budget.until(time.monotonic() + 57):  # run_method's deadline for 60 s
        status = monitor_control.monitor_stop(ctx)
    assert status == 0, _texts(recorder)
    assert ours.wait(timeout=10) == -9, "the fault monitor was left running"
    assert others.poll() is None and neighbour.poll() is None, \
        "a process that only names ims_probe was killed"
    assert messages.MONITOR_ENDED_DIRECTLY.name in _ids(recorder)
    assert messages.PMF_RESTARTS_UNCHANGED.name in _ids(recorder)
    assert [line.split()[0] for line in calls.read_text().splitlines()] == ["-s"], \
        "Monitor_stop waited for pmfadm again"


def test_monitor_stop_fails_when_the_monitor_survives_the_kernel_kill(
        node: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other side of the rule: with pmfd hung, Monitor_stop succeeds only once no fault
    monitor is left (here it cannot tell one is gone: it must not claim so)."""
    probe = _program(node / "methods" / "ims_probe", f"#!{SYSTEM_PYTHON}\n{SLEEPER}")
    monkeypatch.setattr(monitor_control, "probe_path", lambda: str(probe))
    fake_pmfadm(node, hang="-s")
    monkeypatch.setattr(monitor_control, "_end_probe_directly", lambda ctx, deadline: False)
    ctx, recorder = method_context("ims_monitor_stop", {"monitor_stop_timeout": 60})
    with trust.Budget.until(time.monotonic() + 57):
        assert monitor_control.monitor_stop(ctx) == 1
    assert messages.MONITOR_STOP_FAILED.name in _ids(recorder)


def test_monitor_start_does_not_wait_twice_for_a_hung_pmfd(
        node: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pmfd not answering during Monitor_start: `pmfadm -c` timed out, and Monitor_start
    then waited for `pmfadm -q` as long again, for the rest of its timeout. Now it fails after
    the one call, with the cluster command's complaint."""
    probe = _program(node / "methods" / "ims_probe", f"#!{SYSTEM_PYTHON}\n{SLEEPER}")
    monkeypatch.setattr(monitor_control, "probe_path", lambda: str(probe))
    calls = fake_pmfadm(node, hang="-c -q")
    ctx, recorder = method_context("ims_monitor_start", {
        "monitor_start_timeout": 60, "Monitor_retry_count": 4, "Monitor_retry_interval": 2})
    with trust.Budget.until(time.monotonic() + 57):
        assert monitor_control.monitor_start(ctx) == 1
    assert [line.split()[0] for line in calls.read_text().splitlines()] == ["-c"], \
        "Monitor_start waited for pmfadm again"
    assert messages.MONITOR_START_FAILED.name in _ids(recorder)


# --- a FIFO where a pid file should be -------------------------------------------------------


def _runtime_users_run_dir(node: Path) -> Path:
    run = node / "var" / "opt" / "SUNWmsgsr" / "run"
    run.mkdir(exist_ok=True)
    os.chown(run, RUNTIME_UID, GID)
    return run


def _real_hatimerun(node: Path) -> None:
    """The stand-in's hatimerun(1M) on the node: stop-msg really runs, under its timeout."""
    _program(node / "usr" / "cluster" / "bin" / "hatimerun", textwrap.dedent(f"""\
        #!{sys.executable}
        import sys
        sys.path.insert(0, {str(REPO / "src")!r})
        from clustersim import hatimerun
        sys.exit(hatimerun.main(sys.argv[1:]))
        """))


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_pid_file_does_not_hold_stop(node: Path, kind: str,
                                            started: list[subprocess.Popen]) -> None:
    """The runtime user replaced C/run/watcher.pid with a FIFO (or a device): root's stop-msg,
    which reads it as the real one does, blocked until hatimerun killed it at 80 % of
    Stop_timeout, and Messaging Server was then SIGKILLed. Now Stop names the file, does not
    run stop-msg, and stops Messaging Server with SIGTERM as stop-msg would, promptly."""
    base = node / "opt" / "SUNWmsgsr"
    watcher = _program(base / "lib" / "watcher", f"#!{SYSTEM_PYTHON}\n{SLEEPER}")
    server = subprocess.Popen([str(watcher)], preexec_fn=as_user(RUNTIME_UID))  # noqa: PLW1509
    started.append(server)
    pid_file = _runtime_users_run_dir(node) / "watcher.pid"
    if kind == "fifo":
        os.mkfifo(pid_file, 0o644)
    else:
        os.mknod(pid_file, 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero's numbers
    os.chown(pid_file, RUNTIME_UID, GID)
    _program(base / "sbin" / "stop-msg",
             f'#!/bin/sh\nread pid < "{pid_file}"\nkill "$pid"\n')
    _real_hatimerun(node)
    fake_pmfadm(node)
    time.sleep(0.3)
    ctx, recorder = method_context(
        "ims_svc_stop", {"stop_timeout": 60, "IMS_serverroot": server_root(node)})
    began = time.monotonic()
    with trust.Budget.until(began + 57):
        status = service_control.stop(ctx)
    took = time.monotonic() - began
    assert status == 0, _texts(recorder)
    assert server.wait(timeout=10) == -15, "Messaging Server was killed, not stopped"
    assert messages.STOP_INPUT_BLOCKS.name in _ids(recorder)
    assert any(str(pid_file) in text for text in _texts(recorder)), _texts(recorder)
    assert messages.STOP_COMMAND_FAILED.name not in _ids(recorder), _texts(recorder)
    assert took < 30, f"Stop waited {took:.0f} s of its 60 s"


def test_a_fifo_pid_file_makes_start_refuse_at_once(
        node: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same FIFO, on the shared disk, on the node the group moved to: start-msg blocked
    on it and Start failed after 85 % of Start_timeout ("the watcher is not running"), then
    the same on the next node. Now Start refuses at once, naming the file, and starts
    nothing."""
    config_dir = node / "var" / "opt" / "SUNWmsgsr"
    pid_file = _runtime_users_run_dir(node) / "watcher.pid"
    os.mkfifo(pid_file, 0o644)
    os.chown(pid_file, RUNTIME_UID, GID)
    monkeypatch.setattr(service_control.installation, "inspect", lambda root, log: SimpleNamespace(
        path=server_root(node), config_dir=str(config_dir), server_root=server_root(node),
        user=SimpleNamespace(uid=RUNTIME_UID)))
    calls = fake_pmfadm(node)
    ctx, _recorder = method_context(
        "ims_svc_start", {"start_timeout": 60, "IMS_serverroot": server_root(node)})
    with pytest.raises(AgentError) as caught:
        service_control.start(ctx)
    assert caught.value.message is messages.START_INPUT_BLOCKS
    assert str(pid_file) in str(caught.value)
    assert not calls.exists() or not calls.read_text(), "start-msg was started"


def test_regular_pid_files_still_get_stop_msg(node: Path) -> None:
    """Pid files as Messaging Server writes them change nothing: stop-msg runs."""
    (_runtime_users_run_dir(node) / "watcher.pid").write_text("123\n")
    assert service_control.blocking_input(str(node / "var" / "opt" / "SUNWmsgsr")) is None


# --- a grandchild that detaches ------------------------------------------------------------

_METHOD = """\
import sys
sys.path[:0] = {paths!r}
sys.argv = ["ims_probe", *{args!r}]
from helpers_scims import RecordingTransport
from scims.cluster import commands
from scims.errors import FrameworkError
from scims.log.syslog import AgentLog
from scims.method_runtime import run_method
commands.BIN_DIR = {bin!r}

def body(ctx):
    try:
        print(commands.cluster_get("SYSLOG_FACILITY", timeout=2).as_str())
    except FrameworkError as exc:
        print(exc.name)
    return 0

sys.exit(run_method("ims_probe", body, make_log=lambda t, g, r, m: AgentLog(
    t, g, r, m, transport=RecordingTransport(), facility="daemon")))
"""


@pytest.mark.parametrize("hangs", [False, True], ids=["answers", "hangs"])
def test_a_detached_grandchild_ends_with_the_call(node: Path, hangs: bool) -> None:
    """A command of a method (here scha_cluster_get) whose child starts a grandchild in a
    session of its own (setsid and a double fork, every descriptor closed): the grandchild
    is neither in the command's tree nor in its process group, nor holds its pipes, so it
    outlived the call and the method (and the RGM's kill of the method's group). Now the
    method is its subreaper and ends it with the call, whether the command answers or
    times out."""
    pid_file = node / "grandchild.pid"
    rest = "sleep 1000\n" if hangs else "echo daemon\n"
    _program(node / "usr" / "cluster" / "bin" / "scha_cluster_get",
             f"#!/bin/sh\n( setsid sleep 1000 </dev/null >/dev/null 2>&1 &\n"
             f"  echo $! > {pid_file} )\n{rest}")
    script = _METHOD.format(paths=[str(REPO / "src"), str(REPO / "tests" / "scims")],
                            args=METHOD_ARGS, bin=str(node / "usr" / "cluster" / "bin"))
    method = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True,
                            text=True, timeout=60)
    grandchild = int(pid_file.read_text())
    try:
        assert method.returncode == 0, method.stderr
        assert method.stdout.split() == (["SCHA_ERR_TIMEOUT"] if hangs else ["daemon"])
        assert not alive(grandchild), "the detached grandchild outlived the method's call"
    finally:
        if alive(grandchild):
            os.kill(grandchild, 9)


# --- the method's own deadline -------------------------------------------------------------


@pytest.mark.parametrize("method", ["ims_svc_stop", "ims_monitor_stop", "ims_svc_start"])
def test_a_methods_calls_leave_it_time_to_end_before_the_rgm_kills_it(
        node: Path, method: str) -> None:
    """Every call was bounded by what was left of the method's whole timeout: a method whose
    calls hang used it all and was killed by the RGM in the middle of saying why (a
    timed-out method, STOP_FAILED for Stop and Monitor_stop). Now its calls keep 5 % of it."""
    from helpers_scims import FakeCommand, RecordingTransport

    from scims.log.syslog import AgentLog
    from scims.method_runtime import run_method

    FakeCommand(node, "scha_resource_get").answer(None, "60\n")
    FakeCommand(node, "scha_cluster_get").answer(None, "daemon\n")
    left: list[float] = []

    def body(ctx) -> int:
        left.append(trust.Budget.left(float("inf")))
        return 0

    assert run_method(method, body, METHOD_ARGS, make_log=lambda t, g, r, m: AgentLog(
        t, g, r, m, transport=RecordingTransport(), facility="daemon")) == 0
    assert left and left[0] <= 0.95 * 60, f"the calls may take {left[0]:.1f} s of 60"
