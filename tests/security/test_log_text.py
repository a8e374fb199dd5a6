"""Text: every outside string that reaches a log line or Status_msg is escaped for every
line break a reader may honour (C0, DEL, U+0085, U+2028, U+2029) and for bytes that are not
UTF-8; no input yields a traceback, on the Solaris syslog path too.

Attacks 13 and 14 of issue #11, and holes of the same kind: the other C1 controls and the
direction overrides (a line that displays as another), and Status_msg."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from helpers_scims import FakeCommand, RecordingTransport
from hypothesis import given
from hypothesis import strategies as st

from scims import validation
from scims.cluster import commands
from scims.errors import AgentError
from scims.log.cformat import printable
from scims.log.syslog import AgentLog, SolarisTransport
from scims.messaging import installation
from scims.method_runtime import run_method

NAMES = ["-R", "mail-rs", "-T", "SUNW.ims:6.3", "-G", "MAIL-RG"]
BREAKS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x7f", "\x85", "\u2028",
          "\u2029")
"""What Python's str.splitlines, and readers like it, take for the end of a line."""


class FakeLibc:
    """syslog(3C) as Solaris' libc takes it: a format and C arguments."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []

    def openlog(self, ident: object, option: object, facility: object) -> None:
        pass

    def syslog(self, priority: ctypes.c_int, fmt: ctypes.c_char_p, *args: object) -> None:
        values = tuple(a.value for a in args)  # type: ignore[attr-defined]
        self.lines.append(fmt.value % values if values else fmt.value)  # type: ignore[operator]


def test_a_byte_that_is_not_utf8_in_the_server_root_on_the_solaris_syslog_path(
        node: Path) -> None:
    """Attack 13: an IMS_serverroot holding a byte that is not UTF-8 (as argv carries it
    into Python) gave a traceback on the Solaris syslog path, instead of one error line."""
    value = os.fsdecode(b"/opt/SUNWmsg\xffsr")
    libc = FakeLibc()
    argv = ["-c", *NAMES, "-x", f"IMS_serverroot={value}", "-r", "Validate_timeout=300",
            "-r", "Retry_interval=600", "-r", "Thorough_probe_interval=60",
            "-r", "Retry_count=2"]
    status = run_method("ims_svc_validate", validation.validate, argv, validate=True,
                        make_log=lambda *names: AgentLog(
                            *names, transport=SolarisTransport(libc), facility="daemon"))
    assert status == 1
    assert len(libc.lines) == 1, libc.lines
    assert b"/opt/SUNWmsg\\xffsr" in libc.lines[0], libc.lines
    assert b"Internal error" not in libc.lines[0]


def test_unicode_line_breaks_in_a_value_do_not_forge_a_log_line() -> None:
    """Attack 14: U+0085 and U+2028 inside a value reached the log raw; a reader that
    splits on them saw a line the agent never wrote."""
    recorder = RecordingTransport()
    log = AgentLog("SUNW.ims", "MAIL-RG", "mail-rs", "ims_svc_validate", transport=recorder,
                   facility="daemon")
    for forged in ("\x85", "\u2028", "\u2029"):
        value = f"/opt/SUNWmsgsr{forged}SC[SUNW.ims,MAIL-RG,mail-rs,ims_svc_stop]: " \
                "[ID 1 daemon.notice] Messaging Server stopped."
        try:
            installation.checked_server_root(value)
        except AgentError as exc:
            log.report(exc)
    assert len(recorder.records) == 3
    for record in recorder.records:
        line = record.line()
        assert len(line.splitlines()) == 1, repr(line)
        assert not any(ch in line for ch in BREAKS), repr(line)


def test_c1_controls_and_direction_overrides_are_escaped() -> None:
    """Beyond the list: the other C1 controls (a terminal's CSI, U+009B) and the direction
    overrides (U+202E makes "gpj.exe" display as "exe.jpg") reached the log raw."""
    text = printable("user \u202egnp.exe\u202c and \x9b31m red")
    assert "\u202e" not in text and "\u202c" not in text and "\x9b" not in text
    assert "\\u202e" in text and "\\x9b" in text


def test_status_msg_is_escaped_like_the_log(node: Path) -> None:
    """Beyond the list: Status_msg (shown by scstat) blanked only C0 controls, so U+2028
    from a probe's detail reached it raw."""
    setstatus = FakeCommand(node, "scha_resource_setstatus").answer(None)
    commands.set_status("mail-rs", "MAIL-RG", "DEGRADED", "IMAP said \u2028FAKE\x85line")
    (argv,) = setstatus.argvs()
    message = argv[argv.index("-m") + 1]
    assert not any(ch in message for ch in BREAKS), repr(message)


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)
       | st.binary(max_size=40).map(os.fsdecode))
def test_no_text_yields_a_traceback_or_a_line_break(text: str) -> None:
    """Whatever a property, a file or a peer sends, the escaped text is one line of UTF-8."""
    shown = printable(text)
    shown.encode("utf-8")  # raises on the old code for a byte that is not UTF-8
    assert not any(ch in shown for ch in BREAKS), repr(shown)
    assert len(shown.splitlines()) <= 1


def test_a_process_name_cannot_forge_a_line_of_stop(node: Path) -> None:
    """Beyond the list: the name of a process holding the configuration directory is set by
    its owner (prctl PR_SET_NAME); Stop's "keeps ... busy" line quoted it raw."""
    import subprocess
    import sys
    import time

    from scims.log import messages
    from scims.messaging.processes import MessagingInstance

    config = node / "var" / "opt" / "SUNWmsgsr" / "config"
    rename = ("import ctypes, time\n"
              "ctypes.CDLL(None).prctl(15, 'a\\u2028FORGED'.encode(), 0, 0, 0)\n"
              "time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", rename], cwd=config)
    try:
        time.sleep(0.5)
        base = node / "opt" / "SUNWmsgsr"
        found = [h for h in MessagingInstance(str(base), str(config.parent)).holders()
                 if h.pid == holder.pid]
        assert found and "\u2028" in found[0].name
        recorder = RecordingTransport()
        log = AgentLog("SUNW.ims", "MAIL-RG", "mail-rs", "ims_svc_stop", transport=recorder,
                       facility="daemon")
        log.emit(messages.STORAGE_HELD, found[0].pid, found[0].name, found[0].user,
                 found[0].path)
        line = recorder.records[0].line()
        assert "\u2028" not in line and "\\u2028FORGED" in line, repr(line)
    finally:
        holder.kill()
        holder.wait()


def test_bytes_of_msg_conf_that_are_not_utf8_reach_the_log_as_escapes(node: Path) -> None:
    """Issue #23: a msg.conf that is not UTF-8 was decoded as ISO-8859-1 as a whole, so its
    bytes FF FE reached the log as the letters "ÿþ" (and a byte 85 as NEL, a line break to
    Unicode readers, had it not been escaped later): not the `\\xNN` escapes this model
    promises for bytes that are not UTF-8. They are now carried as surrogates from the file to
    `cformat.printable`."""
    from helpers_scims import method_context, server_root

    config = node / "var" / "opt" / "SUNWmsgsr" / "config"
    (config / "msg.conf").write_bytes(
        b"local.serveruid = ma\xff\xfeil\x85srv\nlocal.servergid = mail\n"
        b"local.imta.enable = no\nlocal.store.enable = no\n")
    ctx, recorder = method_context("ims_svc_validate", {})
    try:
        installation.inspect(server_root(node), ctx.log)
    except AgentError as exc:
        ctx.log.report(exc)
    lines = [record.line() for record in recorder.records]
    named = [line for line in lines if "ma\\xff\\xfeil\\x85srv" in line]
    assert named, lines
    assert not any("\xff" in line or "\xfe" in line or "\x85" in line for line in lines), lines


def test_bytes_that_are_not_utf8_in_any_setting_give_one_error_or_none(node: Path) -> None:
    """Surrogates carried from msg.conf into every kind of value (address, port, flag, group)
    give the checks' own error, never a traceback (an address with one is refused by
    ipaddress with a ValueError, as any other non-address)."""
    from helpers_scims import method_context, server_root

    from scims.messaging.probes import service_targets

    config = node / "var" / "opt" / "SUNWmsgsr" / "config"
    for key in (b"service.listenaddr", b"service.imap.port", b"local.servergid",
                b"service.http.enable", b"service.pop.enable"):
        (config / "msg.conf").write_bytes(
            b"local.serveruid = mailsrv\nlocal.servergid = mail\nlocal.imta.enable = no\n"
            b"local.store.enable = no\n" + key + b" = 1\xff\xfe\n")
        ctx, recorder = method_context("ims_svc_validate", {})
        try:
            inst = installation.inspect(server_root(node), ctx.log)
            service_targets(inst.config, ["198.18.0.10"])
        except AgentError as exc:
            ctx.log.report(exc)
        for record in recorder.records:
            assert "\xff" not in record.line() and "Internal error" not in record.line()
