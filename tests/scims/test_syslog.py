"""The logger: the seed's lines byte for byte, debug levels that follow the loglevel file,
and a transport that degrades without tracebacks."""

from __future__ import annotations

import ctypes
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers_scims import (
    FakeCommand,
    SyslogReceiver,
    after_host,
    make_node_root,
    on_node,
    stand_in_line,
)

from scims.errors import FrameworkError, UsageError
from scims.log import messages
from scims.log.msgid import msgid
from scims.log.syslog import (
    AgentLog,
    DatagramTransport,
    DebugLevel,
    LogRecord,
    SolarisTransport,
    parse_loglevel,
    syslog_tag,
)

SEED_LINES = [
    "Dec 11 18:24:46 mars SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: "
    "[ID 831728 daemon.debug] Groupname mail exists.",
    "Dec 11 18:24:46 mars SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: "
    "[ID 383726 daemon.debug] Username mailsrv exists.",
    "Dec 11 18:24:46 mars SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: "
    "[ID 244341 daemon.debug] IMS_serverroot = /opt/mars/SUNWmsgsr",
    "Dec 11 15:55:52 mars SC[SUNW.ims,MS_RG,MessagingResource,ims_svc_validate]: "
    "[ID 855581 daemon.error] Failed to get the configuration info",
    "Dec 11 18:24:46 mars SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: "
    "[ID 833212 daemon.info] Attempting to start the data service under process monitor "
    "facility.",
]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_node_root(tmp_path / "mars")
    on_node(monkeypatch, root)
    return root


@pytest.fixture
def syslogd(node: Path) -> Iterator[SyslogReceiver]:
    receiver = SyslogReceiver(node / "dev" / "log")
    yield receiver
    receiver.close()


def loglevel(node: Path) -> Path:
    return node / "var" / "cluster" / "rgm" / "rt" / "SUNW.ims" / "loglevel"


def log_for(method: str, rg: str = "MS-RG", r: str = "mail-rs", **kw: object) -> AgentLog:
    kw.setdefault("facility_source", lambda: "daemon")
    return AgentLog("SUNW.ims:1.0", rg, r, method, **kw)  # type: ignore[arg-type]


def lines(receiver: SyslogReceiver, wait: float = 0.2) -> list[str]:
    return [after_host(stand_in_line(d, "mars")) for d in receiver.datagrams(wait)]


# --- the contract: the seed's lines --------------------------------------------------------


def test_seed_lines_come_out_byte_identical(node: Path, syslogd: SyslogReceiver) -> None:
    loglevel(node).write_text("9\n")
    start = log_for("ims_svc_start")
    start.emit(messages.GROUP_EXISTS, "mail")
    start.emit(messages.USER_EXISTS, "mailsrv")
    start.debug(messages.SERVERROOT_VALUE, "/opt/mars/SUNWmsgsr")
    validate = log_for("ims_svc_validate", "MS_RG", "MessagingResource")
    validate.emit(messages.CONFIG_INFO_UNAVAILABLE, "")
    start.emit(messages.STARTING_UNDER_PMF)
    assert lines(syslogd) == [after_host(line) for line in SEED_LINES]


def test_datagram_is_rfc3164_without_timestamp(node: Path, syslogd: SyslogReceiver) -> None:
    log_for("ims_svc_start").emit(messages.STARTING_UNDER_PMF)
    (datagram,) = syslogd.datagrams()
    assert datagram == (
        b"<30>SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: [ID 833212 daemon.info] "
        b"Attempting to start the data service under process monitor facility."
    )


def test_tag_drops_the_type_version() -> None:
    assert syslog_tag("SUNW.ims:1.0", "MS-RG", "mail-rs", "ims_probe") == (
        "SC[SUNW.ims,MS-RG,mail-rs,ims_probe]"
    )


# --- debug levels ----------------------------------------------------------------------------


def test_level_0_or_no_file_shows_no_debug_lines(node: Path, syslogd: SyslogReceiver) -> None:
    log = log_for("ims_svc_start")
    log.emit(messages.GROUP_EXISTS, "mail")
    loglevel(node).write_text("0\n")
    log2 = log_for("ims_svc_start")
    log2.emit(messages.USER_EXISTS, "mailsrv")
    log2.emit(messages.MONITOR_STARTED)
    assert lines(syslogd) == [
        "SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: [ID 440530 daemon.info] "
        "Started the fault monitor."
    ]


def test_raising_the_level_takes_effect_in_a_running_process(
    node: Path, syslogd: SyslogReceiver
) -> None:
    loglevel(node).write_text("0\n")
    log = log_for("ims_probe")
    log.emit(messages.GROUP_EXISTS, "mail")
    assert syslogd.datagrams(0.1) == []
    loglevel(node).write_text("9\n")  # echo 9 > loglevel
    time.sleep(0.6)  # the file is looked at every half second at most
    log.emit(messages.GROUP_EXISTS, "mail")
    assert lines(syslogd) == [after_host(SEED_LINES[0]).replace("ims_svc_start", "ims_probe")]
    loglevel(node).write_text("0\n")
    time.sleep(0.6)
    log.emit(messages.GROUP_EXISTS, "mail")
    assert syslogd.datagrams(0.1) == []


def test_level_must_reach_the_message_level(node: Path) -> None:
    loglevel(node).write_text("5")
    level = DebugLevel(str(loglevel(node)), warn=lambda *a: None)
    assert level.current() == 5
    log = log_for("ims_svc_start", transport=Recorder())
    assert log.debug_enabled(5) and not log.debug_enabled(6)


def test_file_is_stat_ed_at_most_every_half_second(node: Path) -> None:
    clock = FakeClock()
    loglevel(node).write_text("1")
    level = DebugLevel(str(loglevel(node)), warn=lambda *a: None, clock=clock)
    assert level.current() == 1
    loglevel(node).write_text("7")
    clock.now += 0.4
    assert level.current() == 1
    clock.now += 0.2
    assert level.current() == 7


def test_unchanged_old_file_is_not_read_again(node: Path) -> None:
    clock = FakeClock()
    path = loglevel(node)
    path.write_text("3")
    os.utime(path, (time.time() - 60, time.time() - 60))
    level = DebugLevel(str(path), warn=lambda *a: None, clock=clock)
    assert level.current() == 3
    reads: list[str] = []
    real_open = open

    def counting_open(file: str, *args: object, **kw: object) -> object:
        reads.append(file)
        return real_open(file, *args, **kw)  # type: ignore[call-overload]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("builtins.open", counting_open)
        clock.now += 1
        assert level.current() == 3
    assert reads == []


class Recorder:
    def __init__(self) -> None:
        self.records: list[LogRecord] = []

    def deliver(self, record: LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("content", ["garbage\n", "10\n", "-1", "9 9", "\x00\xff"])
def test_malformed_loglevel_means_0_and_one_warning(node: Path, content: str) -> None:
    clock = FakeClock()
    loglevel(node).write_text(content)
    recorder = Recorder()
    log = log_for("ims_probe", transport=recorder, clock=clock)
    for _ in range(3):
        log.emit(messages.GROUP_EXISTS, "mail")
        clock.now += 1
    loglevel(node).write_text("still garbage")
    clock.now += 1
    log.emit(messages.USER_EXISTS, "mailsrv")
    assert [r.message for r in recorder.records] == [messages.LOGLEVEL_MALFORMED]
    assert recorder.records[0].line() == (
        f"[ID {messages.LOGLEVEL_MALFORMED.msgid} daemon.warning] The debug level file "
        f"{loglevel(node)} does not hold a number from 0 to 9; debugging is off."
    )


def test_malformed_then_fixed_file_works(node: Path) -> None:
    clock = FakeClock()
    loglevel(node).write_text("high")
    recorder = Recorder()
    log = log_for("ims_probe", transport=recorder, clock=clock)
    log.emit(messages.GROUP_EXISTS, "mail")
    loglevel(node).write_text("9")
    clock.now += 1
    log.emit(messages.GROUP_EXISTS, "mail")
    assert [r.message for r in recorder.records] == [messages.LOGLEVEL_MALFORMED,
                                                     messages.GROUP_EXISTS]


def test_unreadable_loglevel_means_0_and_one_warning(node: Path) -> None:
    clock = FakeClock()
    loglevel(node).mkdir()  # reading a directory fails, even for root
    recorder = Recorder()
    log = log_for("ims_probe", transport=recorder, clock=clock)
    for _ in range(3):
        log.emit(messages.GROUP_EXISTS, "mail")
        clock.now += 1
    assert [r.message for r in recorder.records] == [messages.LOGLEVEL_UNREADABLE]


def test_missing_type_directory_is_silent(node: Path) -> None:
    (node / "var" / "cluster" / "rgm" / "rt" / "SUNW.ims").rmdir()
    recorder = Recorder()
    log = log_for("ims_probe", transport=recorder)
    log.emit(messages.GROUP_EXISTS, "mail")
    assert recorder.records == []


def test_parse_loglevel() -> None:
    assert [parse_loglevel(b) for b in (b"9\n", b" 0 ", b"", b"07", b"x", b"10")] == [
        9, 0, 0, 7, None, None]


# --- the facility ----------------------------------------------------------------------------


def test_facility_is_asked_once_from_the_cluster(node: Path, syslogd: SyslogReceiver) -> None:
    cluster_get = FakeCommand(node, "scha_cluster_get")
    cluster_get.answer(["-O", "SYSLOG_FACILITY"], "local3\n")
    log = AgentLog("SUNW.ims", "MS-RG", "mail-rs", "ims_svc_start")
    log.emit(messages.MONITOR_STARTED)
    log.emit(messages.MONITOR_STOPPED)
    assert [line.split("] ")[0] for line in lines(syslogd)] == [
        "SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: [ID 440530 local3.info",
        f"SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: [ID {messages.MONITOR_STOPPED.msgid} "
        "local3.info",
    ]
    assert len(cluster_get.calls()) == 1
    assert syslogd.datagrams(0.01) == []


def test_facility_falls_back_to_daemon_with_one_warning(
    node: Path, syslogd: SyslogReceiver
) -> None:
    FakeCommand(node, "scha_cluster_get").answer(
        None, status=18, stderr="scha_cluster_get: cluster is not running\n")
    log = AgentLog("SUNW.ims", "MS-RG", "mail-rs", "ims_svc_start")
    log.emit(messages.MONITOR_STARTED)
    log.emit(messages.MONITOR_STARTED)
    got = lines(syslogd)
    assert got[0] == (
        f"SC[SUNW.ims,MS-RG,mail-rs,ims_svc_start]: "
        f"[ID {messages.SYSLOG_FACILITY_UNAVAILABLE.msgid} daemon.warning] Cannot get the "
        f"syslog facility of the cluster (scha_cluster_get: cluster is not running); "
        f"logging to facility daemon."
    )
    assert [line.split(" ")[3] for line in got[1:]] == ["daemon.info]", "daemon.info]"]


def test_unknown_facility_falls_back_to_daemon() -> None:
    recorder = Recorder()
    log = AgentLog("SUNW.ims", "g", "r", "m", transport=recorder,
                   facility_source=lambda: "bogus")
    log.emit(messages.MONITOR_STARTED)
    assert [(r.message.name, r.facility) for r in recorder.records] == [
        ("SYSLOG_FACILITY_UNAVAILABLE", "daemon"), ("MONITOR_STARTED", "daemon")]


# --- the transport ---------------------------------------------------------------------------


def test_nobody_listening_gives_one_stderr_line(node: Path) -> None:
    err = io.StringIO()
    log = log_for("ims_svc_stop", transport=DatagramTransport(stderr=err))
    log.emit(messages.MONITOR_STOP_FAILED)
    assert err.getvalue() == (
        "SC[SUNW.ims,MS-RG,mail-rs,ims_svc_stop]: [ID 908591 daemon.error] "
        "Failed to stop fault monitor.\n"
    )


def test_long_socket_path_goes_through_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path.joinpath(*(["a-rather-long-directory-name"] * 5))
    root = make_node_root(deep)
    on_node(monkeypatch, root)
    assert len(str(root / "dev" / "log")) > 108
    receiver = SyslogReceiver(root / "dev" / "log")
    try:
        err = io.StringIO()
        log_for("ims_svc_start", transport=DatagramTransport(stderr=err)).emit(
            messages.STARTING_UNDER_PMF)
        assert len(receiver.datagrams()) == 1
        assert err.getvalue() == ""
    finally:
        receiver.close()


class FakeLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def openlog(self, *args: object) -> None:
        self.calls.append(("openlog", args))

    def syslog(self, *args: object) -> None:
        self.calls.append(("syslog", args))


def test_solaris_transport_hands_libc_the_real_format() -> None:
    libc = FakeLibc()
    log = log_for("ims_probe", transport=SolarisTransport(libc), facility="daemon")
    log.emit(messages.PROBE_CONNECT_FAILED, 143, "mail-rs")
    log.emit(messages.MONITOR_STARTED)
    (name, (ident, option, facility)), *syslogs = libc.calls
    assert name == "openlog"
    assert ident.value == b"SC[SUNW.ims,MS-RG,mail-rs,ims_probe]"  # type: ignore[attr-defined]
    assert (option.value, facility.value) == (0, 3 << 3)  # type: ignore[attr-defined]
    (_, (priority, fmt, port, resource)), (_, (priority2, fmt2)) = syslogs
    assert priority.value == (3 << 3) | 3  # type: ignore[attr-defined]
    assert fmt.value == b"Failed to connect to port <%d> of resource <%s>."  # type: ignore[attr-defined]
    assert msgid(fmt.value.decode()) == 467121  # type: ignore[attr-defined]
    assert isinstance(port, ctypes.c_int) and port.value == 143
    assert isinstance(resource, ctypes.c_char_p) and resource.value == b"mail-rs"
    assert (priority2.value, fmt2.value) == ((3 << 3) | 6, b"Started the fault monitor.")  # type: ignore[attr-defined]


def test_debug_refuses_other_messages() -> None:
    with pytest.raises(ValueError):
        log_for("m", transport=Recorder()).debug(messages.MONITOR_STARTED)


def test_wrong_arguments_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        log_for("m", transport=Recorder()).emit(messages.GROUP_EXISTS)


def test_report_turns_an_error_into_one_line_and_an_exit_status() -> None:
    recorder = Recorder()
    log = log_for("ims_svc_start", transport=recorder)
    assert log.report(UsageError("option -q not recognized")) == 1
    assert log.report(FrameworkError("scha_resource_get", 15, "", "Probe_timeout")) == 1
    assert [r.text for r in recorder.records] == [
        "Invalid arguments to the method: option -q not recognized.",
        "Failed to retrieve the resource property Probe_timeout: SCHA_ERR_PROP "
        "(invalid property).",
    ]
