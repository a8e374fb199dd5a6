"""imsreport on crafted logs: each incident's shape, the lines it refuses to believe, the
secrets it masks, the clocks it corrects and the windows and files it refuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scims.log import messages
from scims.log.msgid import msgid
from scims.report import engine, render
from scims.report.incidents import Truth, Window, incidents, match, parse_lines
from scims.report.lines import Reading, redact, stamp_to_epoch

REPO = Path(__file__).resolve().parents[2]
T0 = time.mktime((2026, 12, 8, 3, 12, 0, 0, 0, -1))
WINDOW = Window(T0 - 3600, T0 + 3600)
AGENT = "SC[SUNW.ims,MAIL-RG,mail-rs,ims_probe]"
START = "SC[SUNW.ims,MAIL-RG,mail-rs,ims_svc_start]"
STOP = "SC[SUNW.ims,MAIL-RG,mail-rs,ims_svc_stop]"
RGMD = "Cluster.RGM.rgmd"
_ENGINE = {m.kind: m for m in engine.RGMD_MESSAGES}


def stamp(at: float) -> str:
    return time.strftime("%b %e %H:%M:%S", time.localtime(at))


def line(at: float, node: str, tag: str, fmt: str, *args: object, level: str = "notice",
         facility: str = "daemon", ident: int | None = None) -> str:
    """A line as the node's syslogd writes it: the ID is the format's."""
    text = fmt % args if args else fmt
    return (f"{stamp(at)} {node} {tag}: [ID {msgid(fmt) if ident is None else ident} "
            f"{facility}.{level}] {text}")


def agent(at: float, node: str, message: messages.Message, *args: object,
          tag: str = AGENT) -> str:
    return line(at, node, tag, message.fmt, *args, level=message.priority.label)


def rgmd(at: float, node: str, kind: str, *args: object) -> str:
    m = _ENGINE[kind]
    return line(at, node, RGMD, m.fmt, *args, level=m.level)


def online(at: float, node: str) -> list[str]:
    """The group and its SUNW.ims resource coming online on `node`, as rgmd logs it."""
    return [rgmd(at, node, "method-launch", "ims_svc_start", "mail-rs", "MAIL-RG", node, 300),
            rgmd(at, node, "method-ok", "ims_svc_start", "mail-rs", "MAIL-RG", node, 0, 300),
            rgmd(at, node, "r-state", "mail-rs", node, "R_ONLINE"),
            rgmd(at, node, "rg-state", "MAIL-RG", node, "RG_ONLINE")]


def offline(at: float, node: str) -> list[str]:
    return [rgmd(at, node, "rg-state", "MAIL-RG", node, "RG_PENDING_OFFLINE"),
            rgmd(at, node, "method-ok", "ims_svc_stop", "mail-rs", "MAIL-RG", node, 0, 300),
            rgmd(at, node, "r-state", "mail-rs", node, "R_OFFLINE"),
            rgmd(at, node, "rg-state", "MAIL-RG", node, "RG_OFFLINE")]


def restart_in_place(at: float, node: str) -> list[str]:
    return [rgmd(at, node, "r-state", "mail-rs", node, "R_STOPPING"),
            rgmd(at, node, "method-ok", "ims_svc_stop", "mail-rs", "MAIL-RG", node, 0, 300),
            rgmd(at + 1, node, "method-ok", "ims_svc_start", "mail-rs", "MAIL-RG", node, 0, 300),
            rgmd(at + 1, node, "fm-status", "mail-rs", node, "R_FM_ONLINE")]


BEFORE = online(T0 - 600, "venus")
"""The state before every crafted fault: mail online on venus."""


def report(lines: list[str], **kw: object) -> list:
    return incidents(BEFORE + lines, WINDOW, **kw)


def only(lines: list[str], **kw: object):
    found = report(lines, **kw)
    assert len(found) == 1, [(i.cls, i.node) for i in found]
    return found[0]


# --- each incident's shape ---------------------------------------------------------------


def test_killed_watcher_restarted_in_place() -> None:
    found = only([
        agent(T0, "venus", messages.WATCHER_DIED, 282, 8),
        agent(T0, "venus", messages.RESTARTING, "restart 1 of 2 within Retry_interval"),
        *restart_in_place(T0, "venus"),
    ])
    assert (found.cls, found.node, found.service, found.resource) == (
        "kill-watcher", "venus", "MAIL-RG", "mail-rs")
    assert found.detected_at == T0 and found.recovered_at == T0 + 1
    assert found.outage == 1.0 and found.recovered_on == "venus"
    assert [d.what for d in found.decisions] == ["restart in place"]
    assert not found.needs_human


def test_killed_daemon_and_hung_daemon_are_told_apart_by_the_probe_words() -> None:
    killed = only([agent(T0, "venus", messages.SERVICE_FAILED,
                         "smtp 198.18.0.155:25 refused the connection"),
                   agent(T0, "venus", messages.RESTARTING, "restart 1 of 2"),
                   *restart_in_place(T0, "venus")])
    assert killed.cls == "kill-daemon"
    hung = only([agent(T0, "venus", messages.SERVICE_FAILED,
                       "imap 198.18.0.155:143 timed out after 5 s"),
                 agent(T0, "venus", messages.RESTARTING, "restart 1 of 2"),
                 *restart_in_place(T0, "venus")])
    assert hung.cls == "hang-daemon"


def test_failover_after_the_restarts_ran_out() -> None:
    found = only([
        agent(T0, "venus", messages.SERVICE_FAILED, "pop 198.18.0.155:110 timed out after 5 s"),
        agent(T0, "venus", messages.GIVING_OVER, "MAIL-RG", "restarts used up"),
        rgmd(T0 + 1, "venus", "giveover", "MAIL-RG", "venus", "mars"),
        *offline(T0 + 2, "venus"),
        *online(T0 + 5, "mars"),
    ])
    assert (found.cls, found.node, found.recovered_on) == ("hang-daemon", "venus", "mars")
    assert found.recovered_at == T0 + 5
    assert [d.what for d in found.decisions] == ["fail over", "fail over"]


def test_refused_giveover_says_why_and_the_restart_that_followed() -> None:
    found = only([
        agent(T0, "venus", messages.WATCHER_DIED, 282, 8),
        agent(T0, "venus", messages.GIVING_OVER, "MAIL-RG", "asked by Messaging Server"),
        rgmd(T0, "venus", "control-rejected-group", "GIVEOVER", "MAIL-RG",
             "mars: venus gave it up 34 s ago (Pingpong_interval 3600 s)"),
        agent(T0, "venus", messages.CONTROL_REJECTED, "the failover",
              "no other node can master the group"),
        agent(T0, "venus", messages.RESTARTING, "the failover was refused"),
        *restart_in_place(T0, "venus"),
    ])
    assert [d.what for d in found.decisions] == ["fail over", "refused", "refused",
                                                 "restart in place"]
    assert "no other node can master it: mars: venus gave it up 34 s ago" in found.decisions[1].why
    assert found.recovered_at == T0 + 1


def test_power_off_detected_by_the_survivor_with_the_silence_before_it() -> None:
    dead = "CMM: node venus not heard for 4 s: declared dead (quorum held)"
    found = only([
        f"{stamp(T0)} mars Cluster.CMM: [ID {msgid(dead)} daemon.notice] {dead}",
        rgmd(T0, "mars", "node-left", "venus"),
        *online(T0 + 2, "mars"),
        rgmd(T0 + 40, "venus", "node-joined", "venus"),
    ])
    assert (found.cls, found.node, found.recovered_on) == ("power-off", "venus", "mars")
    assert found.fault_at == T0 - 4 and found.detected_at == T0
    assert found.outage == 6.0


def test_node_cut_off_aborts_itself_and_a_frozen_node_is_fenced() -> None:
    lost = "CMM: quorum lost (1 of 2 votes needed; no answer from mars): aborting this node"
    cut = only([f"{stamp(T0)} venus Cluster.CMM: [ID {msgid(lost)} daemon.error] {lost}",
                rgmd(T0 + 1, "mars", "node-left", "venus"), *online(T0 + 3, "mars")])
    assert cut.cls == "net-cut"
    frozen = only([rgmd(T0, "mars", "node-left", "venus"), *online(T0 + 3, "mars"),
                   rgmd(T0 + 20, "mars", "fenced", "venus")])
    assert (frozen.cls, frozen.node, frozen.recovered_at) == ("freeze", "venus", T0 + 3)


def test_a_departure_is_named_by_its_lines_whatever_order_their_stamps_give() -> None:
    """The stand-in fences a node before it logs that it left, and a cut node's own "quorum
    lost" can be stamped after the survivors' line: the campaign saw freezes, partitions
    and cut cables all told as power-offs."""
    lost = "CMM: quorum lost (1 of 2 votes needed; no answer from mars): aborting this node"
    cut = only([rgmd(T0, "mars", "node-left", "venus"),
                f"{stamp(T0 + 1)} venus Cluster.CMM: [ID {msgid(lost)} daemon.error] {lost}",
                *online(T0 + 3, "mars")])
    assert cut.cls == "net-cut"
    frozen = only([rgmd(T0 + 5, "mars", "fenced", "venus"),
                   rgmd(T0 + 5, "mars", "node-left", "venus"), *online(T0 + 7, "mars")])
    assert (frozen.cls, frozen.node) == ("freeze", "venus")
    off = only([rgmd(T0, "mars", "node-left", "venus"), *online(T0 + 2, "mars")])
    assert off.cls == "power-off"


def test_switchover_and_an_administrators_restart() -> None:
    moved = only([*offline(T0, "venus"), *online(T0 + 2, "mars")])
    assert (moved.cls, moved.node, moved.recovered_on, moved.outage) == (
        "switchover", "venus", "mars", 2.0)
    # offline and online again on the same node, or offline and left so: no fault, no incident
    assert report([*offline(T0, "venus"), *online(T0 + 2, "venus")]) == []
    assert report(offline(T0, "venus")) == []


def test_a_switchover_just_after_the_windows_start_is_one() -> None:
    """--from after the group came online: the lines before the window still say where it
    was online, so the first switchover in the window is told (it was not)."""
    lines = [*BEFORE, *offline(T0, "venus"), *online(T0 + 2, "mars")]
    found = incidents(lines, Window(T0 - 1, T0 + 60))
    assert [(i.cls, i.node, i.recovered_on) for i in found] == [("switchover", "venus", "mars")]
    # an incident over before the window began is not in it
    assert incidents(lines, Window(T0 + 10, T0 + 60)) == []


def test_a_fault_is_matched_within_a_second_of_what_a_whole_second_stamp_says() -> None:
    found = only([agent(T0, "venus", messages.WATCHER_DIED, 282, 8),
                  agent(T0, "venus", messages.RESTARTING, "restart 1 of 2"),
                  *restart_in_place(T0 + 1, "venus")])
    # the line stamped T0 came in [T0, T0 + 1): a truth 1.9 s after the stamp is within 1 s
    late = Truth("kill-watcher", "venus", T0 + 1.9, found.recovered_at + 1.9)
    assert match([late], [found], 1.0, resolution=1.0) == ([found], [])
    assert match([late], [found], 1.0) == ([None], [found])
    early = Truth("kill-watcher", "venus", T0 - 1.1, found.recovered_at)
    assert match([early], [found], 1.0, resolution=1.0) == ([None], [found])


def test_hung_stop_during_a_switchover() -> None:
    found = only([
        rgmd(T0, "venus", "rg-state", "MAIL-RG", "venus", "RG_PENDING_OFFLINE"),
        agent(T0 + 60, "venus", messages.STOP_COMMAND_FAILED, "stop-msg ha", "timed out",
              tag=STOP),
        *offline(T0 + 61, "venus"), *online(T0 + 63, "mars"),
    ])
    assert (found.cls, found.recovered_at) == ("hang-stop-msg", T0 + 63)


def test_two_faults_in_one_outage_are_a_double() -> None:
    found = only([
        agent(T0, "venus", messages.WATCHER_DIED, 282, 8),
        agent(T0, "venus", messages.RESTARTING, "restart 1 of 2"),
        rgmd(T0 + 2, "mars", "node-left", "venus"),
        *online(T0 + 4, "mars"),
    ])
    assert found.cls == "double" and found.causes == ["kill-watcher", "power-off"]
    assert found.recovered_on == "mars"


def test_full_disk_and_load() -> None:
    full = only([agent(T0, "venus", messages.SERVICE_FAILED,
                       "imap 198.18.0.155:143 answered: NO No space left on device"),
                 agent(T0, "venus", messages.RESTARTING, "restart 1 of 2"),
                 *restart_in_place(T0, "venus")])
    assert full.cls == "disk-full"
    load = only([agent(T0 + n * 10, "venus", messages.SERVICE_SLOW, "imap took 3.1 s")
                 for n in range(4)])
    assert (load.cls, load.recovered_at, load.needs_human) == ("load", T0 + 30, "")
    # a failure long after the load is a fault of its own, not the load's
    later = report([agent(T0, "venus", messages.SERVICE_SLOW, "imap took 3.1 s"),
                    agent(T0 + 600, "venus", messages.SERVICE_FAILED, "smtp refused the "
                          "connection"), agent(T0 + 600, "venus", messages.RESTARTING, "1 of 2"),
                    *restart_in_place(T0 + 600, "venus")])
    assert [(i.cls, i.detected_at, i.recovered_at) for i in later] == [
        ("load", T0, T0), ("kill-daemon", T0 + 600, T0 + 601)]


def test_what_needs_a_human_comes_first() -> None:
    lines = [
        agent(T0 - 100, "venus", messages.WATCHER_DIED, 282, 8),
        agent(T0 - 100, "venus", messages.RESTARTING, "restart 1 of 2"),
        *restart_in_place(T0 - 100, "venus"),
        agent(T0, "venus", messages.SERVICE_FAILED, "smtp refused the connection"),
        agent(T0, "venus", messages.NO_ACTION_TAKEN, "Failover_mode is LOG_ONLY"),
    ]
    found = report(lines)
    assert found[0].needs_human == ""
    assert "no action is taken" in found[1].needs_human and found[1].recovered_at is None
    text = render.text_report(found, WINDOW, parse_lines([], Reading(T0))[1], ["venus"])
    head = text.split("\n\n")[1]
    assert head.startswith("NEEDS A HUMAN") and "kill-daemon on venus" in head
    blocks = [b for b in text.split("\n\n") if "    detected" in b]
    assert "kill-watcher" in blocks[0] and "kill-daemon" in blocks[1]  # most recent last
    assert f"{messages.NO_ACTION_TAKEN.msgid} NO_ACTION_TAKEN: " in text  # explained


def test_an_outage_still_open_at_the_end_needs_a_human() -> None:
    found = only([agent(T0, "venus", messages.START_FAILED, "smtp did not answer")])
    assert found.recovered_at is None and "has not answered again" in found.needs_human


# --- what is not believed ------------------------------------------------------------------


WATCHER = messages.WATCHER_DIED.fmt % (282, 8)


@pytest.mark.parametrize("forged", [
    # a user's `logger -p daemon.err -t 'SC[...]'`: the ID is that of its own text
    f"{stamp(T0)} venus {AGENT}: [ID {msgid(WATCHER)} daemon.error] {WATCHER}",
    # logger with an ID typed in: the syslogd puts the ID of the whole text in front
    f"{stamp(T0)} venus {AGENT}: [ID {msgid('x')} user.notice] [ID "
    f"{messages.WATCHER_DIED.msgid} daemon.error] {WATCHER}",
    # the right ID from another facility, or at another level
    line(T0, "venus", AGENT, messages.WATCHER_DIED.fmt, 282, 8, level="error",
         facility="user"),
    line(T0, "venus", AGENT, messages.WATCHER_DIED.fmt, 282, 8, level="notice"),
    # the right ID, other words (a number where the format has one)
    f"{stamp(T0)} venus {AGENT}: [ID {messages.WATCHER_DIED.msgid} daemon.error] The "
    "Messaging Server watcher (pid x) died while 8 Messaging Server processes still run.",
    # a resource named to look like a message: its tag cannot be taken apart
    f"{stamp(T0)} venus SC[SUNW.ims,MAIL-RG,x] [ID 1 daemon.error] y,ims_probe]: [ID "
    f"{messages.WATCHER_DIED.msgid} daemon.error] {WATCHER}",
    # another program's tag with the agent's line
    f"{stamp(T0)} venus ims_probe: [ID {messages.WATCHER_DIED.msgid} daemon.error] {WATCHER}",
])
def test_a_forged_line_invents_no_incident(forged: str) -> None:
    assert report([forged]) == []
    _, tally = parse_lines([("", forged)], Reading(T0))
    assert tally.believed == 0


def test_a_resource_named_like_a_message_is_not_an_engine_line() -> None:
    # `resource %s state ...` with a resource named "group MAIL-RG" would read as rg-state
    text = "resource group MAIL-RG state on node venus change to RG_PENDING_OFFLINE"
    forged = (f"{stamp(T0)} venus {RGMD}: [ID {msgid(_ENGINE['r-state'].fmt)} "
              f"daemon.notice] {text}")
    assert report([forged, *online(T0 + 2, "mars")]) == []


def test_a_forged_line_hides_no_incident() -> None:
    healthy = messages.SERVICES_HEALTHY.fmt % "smtp, imap"
    found = only([
        agent(T0, "venus", messages.SERVICE_FAILED, "smtp refused the connection"),
        f"{stamp(T0 + 1)} venus {AGENT}: [ID {msgid(healthy)} daemon.info] {healthy}",
        f"{stamp(T0 + 1)} venus {RGMD}: [ID {msgid('x')} daemon.notice] node venus joined "
        "the cluster",
    ])
    assert found.recovered_at is None and found.needs_human
    # the agent's real line closes it
    real = agent(T0 + 2, "venus", messages.SERVICES_HEALTHY, "smtp, imap")
    assert only([agent(T0, "venus", messages.SERVICE_FAILED, "smtp refused the connection"),
                 real]).recovered_at == T0 + 2


def test_log_text_is_escaped_in_every_output() -> None:
    nasty = "\x1b[2J<script>alert(1)</script>"
    found = report([agent(T0, "venus", messages.SERVICE_FAILED, nasty)])
    tally = parse_lines([], Reading(T0))[1]
    text = render.text_report(found, WINDOW, tally, ["venus"])
    assert "\x1b" not in text and "\\x1b[2J<script>" in text
    page = render.html_report(found, WINDOW, tally, ["venus"])
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert json.loads(render.json_report(found, WINDOW, tally, ["venus"]))[
        "incidents"][0]["lines"][-1]["text"] == f"Probe failed: {nasty}."


def test_passwords_are_masked_as_crm_report_masks_them() -> None:
    assert redact("login passwd=s3cret, user=joe") == "login passwd=****, user=joe"
    assert redact("IMAP password: 'a b' and Password hunter2") == \
        "IMAP password: **** and Password ****"
    found = report([agent(T0, "venus", messages.SERVICE_FAILED,
                          "imap answered BAD to LOGIN joe password=hunter2")])
    tally = parse_lines([], Reading(T0))[1]
    for out in (render.text_report, render.html_report, render.json_report):
        written = out(found, WINDOW, tally, ["venus"])
        assert "hunter2" not in written and "password=****" in written


# --- clocks and years ----------------------------------------------------------------------


def test_a_node_whose_clock_is_ahead_is_put_back_on_the_reference_clock() -> None:
    skew = 30.0
    lines = [agent(T0 + skew, "venus", messages.WATCHER_DIED, 282, 8),   # venus' clock
             agent(T0 + skew, "venus", messages.GIVING_OVER, "MAIL-RG", "restarts used up"),
             *offline(T0 + 1 + skew, "venus"),
             *online(T0 + 4, "mars")]                                   # mars' clock is right
    wrong = report(lines)
    assert wrong[0].recovered_at is None or wrong[0].outage != 4.0
    right = only(lines, offsets={"venus": skew})
    assert (right.detected_at, right.recovered_at, right.recovered_on) == (T0, T0 + 4, "mars")


def test_a_stamp_takes_the_year_that_puts_it_before_the_reference() -> None:
    new_year = time.mktime((2027, 1, 1, 0, 0, 30, 0, 0, -1))
    assert time.localtime(stamp_to_epoch("Dec 31 23:59:50", new_year)).tm_year == 2026
    assert time.localtime(stamp_to_epoch("Jan  1 00:00:10", new_year)).tm_year == 2027


def test_engine_formats_have_the_ids_the_stand_in_logs() -> None:
    assert msgid(_ENGINE["rg-state"].fmt) == 529407  # as in a node's /var/adm/messages
    assert msgid(_ENGINE["r-state"].fmt) == 443746
    assert msgid(_ENGINE["method-ok"].fmt) == 515159


# --- the program ---------------------------------------------------------------------------


def imsreport(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "admin" / "imsreport"), *args],
                          capture_output=True, text=True, timeout=60, check=False, cwd="/")


def test_the_program_reports_a_log_and_writes_the_page(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text("\n".join([*BEFORE, agent(T0, "venus", messages.WATCHER_DIED, 282, 8),
                              agent(T0, "venus", messages.RESTARTING, "restart 1 of 2"),
                              *restart_in_place(T0, "venus")]) + "\n")
    page = tmp_path / "report.html"
    done = imsreport("--log", str(log), "--from", f"@{T0 - 60}", "--to", f"@{T0 + 60}",
                     "--html", str(page))
    assert done.returncode == 0, done.stderr
    assert "kill-watcher on venus, MAIL-RG (mail-rs): down 1.0 s" in done.stdout
    assert "<svg" in page.read_text() and "http" not in page.read_text().split("<svg")[0]
    as_json = imsreport("--log", str(log), "--from", f"@{T0 - 60}", "--to", f"@{T0 + 60}",
                        "--json")
    assert json.loads(as_json.stdout)["incidents"][0]["class"] == "kill-watcher"


@pytest.mark.parametrize(("args", "status", "words"), [
    (["--log", "/nonexistent/messages"], 1, "cannot read /nonexistent/messages: No such file"),
    (["--from", "03:00", "--to", "02:00"], 2, "the window is empty"),
    (["--from", "yesterday-ish"], 2, "cannot read the time 'yesterday-ish'"),
    (["--clock-offset", "venus"], 2, "--clock-offset wants NODE=SECONDS"),
])
def test_the_program_refuses_with_one_line(args: list[str], status: int, words: str,
                                           tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text(BEFORE[0] + "\n")
    done = imsreport(*(["--log", str(log)] if "--log" not in args else []), *args)
    assert done.returncode == status
    assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_the_program_refuses_a_window_the_logs_do_not_reach(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text("\n".join(BEFORE) + "\n")
    done = imsreport("--log", str(log), "--from", f"@{T0 + 86400}", "--to", f"@{T0 + 90000}")
    assert done.returncode == 1 and "nothing of the window is in them" in done.stderr


def test_the_program_refuses_a_log_anyone_could_have_written(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text(BEFORE[0] + "\n")
    os.chmod(log, 0o666)
    done = imsreport("--log", str(log))
    assert done.returncode == 1 and "writable by every user" in done.stderr
    link = tmp_path / "link"
    link.symlink_to(log)
    done = imsreport("--log", str(link))
    assert done.returncode == 1 and done.stderr.startswith(f"imsreport: cannot read {link}")


# --- Pacemaker -----------------------------------------------------------------------------


def pcmk(at: float, node: str, daemon: str, function: str, text: str) -> str:
    """A pacemaker.log line (notice) as Pacemaker 2.1 writes it."""
    stamp_ms = time.strftime("%b %d %H:%M:%S", time.localtime(at)) + ".123"
    return f"{stamp_ms} {node} {daemon:<19}[54] ({function}) \tnotice: {text}"


def test_pacemaker_monitor_failure_recovered_where_it_ran() -> None:
    controld = "pacemaker-controld"
    lines = [
        ("n2", f"{stamp(T0)} ims(ms)[573]: [ID {messages.WATCHER_DIED.msgid} daemon.error] "
               f"{WATCHER}"),
        ("", pcmk(T0 + 1, "n1", controld, "log_executor_event",
                  "Result of monitor operation for ms on n2: error (watcher 282 died) | CIB "
                  "update 40, graph action unconfirmed; call=30 key=ms_monitor_3000 rc=1")),
        ("", pcmk(T0 + 2, "n2", controld, "log_executor_event",
                  "Result of monitor operation for ms on n2: Cancelled | graph action "
                  "confirmed; call=24 key=ms_monitor_3000")),
        ("", pcmk(T0 + 1, "n1", "pacemaker-schedulerd", "log_list_item",
                  "Actions: Recover    ms     (             n2 )")),
        ("", pcmk(T0 + 2, "n1", controld, "execute_rsc_action",
                  "Initiating stop operation ms_stop_0 on n2 | action 3")),
        ("", pcmk(T0 + 5, "n1", controld, "log_executor_event",
                  "Result of start operation for ms on n2: ok | CIB update 44, graph action "
                  "confirmed; call=33 key=ms_start_0 rc=0")),
        ("", pcmk(T0 + 5, "n1", "pacemaker-attrd", "attrd_peer_update",
                  "Setting fail-count-ms#monitor_3000[n2]: (unset) -> 1")),
    ]
    found = incidents(lines, WINDOW)
    assert [(i.cls, i.node, i.resource, i.recovered_at, i.recovered_on) for i in found] == [
        ("kill-watcher", "n2", "ms", T0 + 5.123, "n2")]  # pacemaker.log has milliseconds
    assert [d.what for d in found[0].decisions] == ["restart in place"]
    _, tally = parse_lines(lines, Reading(T0))
    assert (tally.believed, tally.disbelieved) == (6, 0)  # attrd's line is not used
    # a monitor cancelled before a stop is no failure: no incident of its own
    assert incidents([lines[2]], WINDOW) == []


def test_the_log_hosts_copy_and_the_nodes_own_file_tell_each_line_once(tmp_path: Path) -> None:
    """A node's lines that reached the log host are in both files, word for word; the node's
    own file adds what never reached it (the line before its network went away)."""
    lost = agent(T0 - 1, "venus", messages.SERVICE_FAILED, "smtp refused the connection")
    story = [*BEFORE, agent(T0, "venus", messages.WATCHER_DIED, 282, 8),
             agent(T0, "venus", messages.RESTARTING, "restart 1 of 2"),
             *restart_in_place(T0, "venus")]
    loghost, own = tmp_path / "loghost", tmp_path / "venus"
    loghost.write_text("\n".join(story) + "\n")
    own.write_text("\n".join([lost, *story]) + "\n")
    done = imsreport("--log", str(loghost), "--log", f"venus={own}", "--from",
                     f"@{T0 - 60}", "--to", f"@{T0 + 60}", "--json")
    found = json.loads(done.stdout)
    assert found["lines"]["read"] == len(story) + 1
    (incident,) = found["incidents"]
    assert incident["detected_at"] == T0 - 1 and len(incident["lines"]) == len(
        {e["text"] for e in incident["lines"]})


def test_the_campaigns_cross_check_matches_each_fault_to_one_incident() -> None:
    from scims.report.incidents import Truth, match

    found = report([
        agent(T0, "venus", messages.WATCHER_DIED, 282, 8),
        agent(T0, "venus", messages.RESTARTING, "restart 1 of 2"),
        *restart_in_place(T0, "venus"),
        *offline(T0 + 100, "venus"), *online(T0 + 102, "mars"),
    ])
    truth = [Truth("kill-watcher", "venus", T0 + 0.4, T0 + 1.6),
             Truth("switchover", None, T0 + 100.2, T0 + 102.9),
             Truth("kill-watcher", "venus", T0 + 0.4, T0 + 1.6)]  # one incident, one fault
    matched, unexplained = match(truth, found)
    assert [i.cls if i else None for i in matched] == ["kill-watcher", "switchover", None]
    assert unexplained == []
    # off by more than the tolerance, or another node: no match, and the incident unexplained
    matched, unexplained = match([Truth("kill-watcher", "mars", T0, T0 + 1)], found)
    assert matched == [None] and len(unexplained) == 2
    late = match([Truth("kill-watcher", "venus", T0 + 1.5, T0 + 1)], found)[0]
    assert late == [None]
    assert match([Truth("partition", "venus", None, None)], [])[0] == [None]


def test_the_pages_pictures_span_the_incidents_not_the_whole_window() -> None:
    import re

    found = only([agent(T0, "venus", messages.WATCHER_DIED, 282, 8),
                  agent(T0, "venus", messages.RESTARTING, "restart 1 of 2"),
                  *restart_in_place(T0, "venus")])
    page = render.html_report([found], WINDOW, parse_lines([], Reading(T0))[1], ["venus"])
    (width,) = re.findall(r'<rect x="[\d.]+" y="32" width="([\d.]+)"', page)
    assert float(width) > 50  # one second of eleven shown, not of the window's two hours


def test_the_agent_on_another_facility_and_the_engine_on_daemon() -> None:
    """SYSLOG_FACILITY local0: the agent's lines are on local0, rgmd's still on daemon."""
    lines = [line(T0, "venus", AGENT, messages.WATCHER_DIED.fmt, 282, 8, level="error",
                  facility="local0"),
             line(T0, "venus", AGENT, messages.RESTARTING.fmt, "1 of 2", level="error",
                  facility="local0"),
             *restart_in_place(T0, "venus")]
    found = only(lines, facilities=frozenset({"local0"}))
    assert (found.cls, found.recovered_at) == ("kill-watcher", T0 + 1)
    assert report(lines) == []  # on daemon (the default), local0 lines are not the agent's


def test_pacemaker_move_is_a_switchover_and_a_restart_in_place_is_not() -> None:
    controld = "pacemaker-controld"

    def result(at: float, op: str, node: str) -> tuple[str, str]:
        return ("", pcmk(at, node, controld, "log_executor_event",
                         f"Result of {op} operation for ms on {node}: ok | CIB update 9, "
                         f"graph action confirmed; call=9 key=ms_{op}_0 rc=0"))

    agent_line = ("n1", f"{stamp(T0 - 60)} ims(ms)[9]: [ID {messages.STARTED.msgid} "
                        f"daemon.info] {messages.STARTED.fmt % 'smtp 198.18.77.100:25'}")
    up = [agent_line, result(T0 - 60, "start", "n1")]
    moved = incidents([*up, result(T0, "stop", "n1"), result(T0 + 2, "start", "n2")], WINDOW)
    assert [(i.cls, i.node, i.recovered_on) for i in moved] == [("switchover", "n1", "n2")]
    again = incidents([*up, result(T0, "stop", "n1"), result(T0 + 2, "start", "n1")], WINDOW)
    assert again == []
