"""start-msg ha / stop-msg ha and mail through real clients (smtplib, imaplib, poplib, urllib)."""

from __future__ import annotations

import imaplib
import os
import poplib
import smtplib
import socket
import urllib.request

import pytest

from support.mssim import Ms, our_processes
from support.waiting import wait_for

pytestmark = pytest.mark.e2e
VERSION = "Sun Java(tm) System Messaging Server 6.3-8.04 (built Jul 29 2009; 32bit)"
DAEMONS = {"watcher", "enpd", "stored", "imapd", "popd", "mshttpd", "imsched", "dispatcher",
           "job_controller"}


def send(ms: Ms, to: str, subject: str, port: int = 2525) -> None:
    with smtplib.SMTP(ms.ip, port, timeout=10) as s:
        s.sendmail("sender@remote.example.org", [to],
                   f"From: sender@remote.example.org\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n"
                   f"body of {subject}\r\n")


def imap_subjects(ms: Ms, user: str) -> list[bytes]:
    m = imaplib.IMAP4(ms.ip, 2143, timeout=10)
    try:
        assert m.login(user, "secret")[0] == "OK"
        m.select("INBOX")
        _, data = m.search(None, "ALL")
        out = []
        for num in data[0].split():
            _, msg = m.fetch(num, "(RFC822)")
            out.append(next(ln for ln in msg[0][1].splitlines() if ln.startswith(b"Subject:")))
        return out
    finally:
        m.logout()


def test_start_ha_serves_mail_and_stop_ha_leaves_nothing(ms: Ms) -> None:
    res = ms.sbin("start-msg", "ha", check=True)
    lines = res.stdout.splitlines()
    assert lines[0] == "Connecting to watcher ..."
    assert lines[1].startswith("Launching watcher ... ")
    started = [ln.split()[1] for ln in lines if ln.startswith("Starting ")]
    assert started == ["ens", "store", "imap", "pop", "http", "sched", "dispatcher",
                       "job_controller"]
    assert "checking store server status ... ready" in lines
    procs = ms.processes()
    assert set(procs) == DAEMONS
    for name, plist in procs.items():
        assert len(plist) == 1
        assert plist[0].cmdline()[0] == str(ms.base / "lib" / name)
        if os.geteuid() == 0 and name != "watcher":
            assert plist[0].uids().real == 4242 and plist[0].gids().real == 4243
    assert procs["imapd"][0].cmdline() == [str(ms.base / "lib" / "imapd"), "-d", "5", "-D", "6"]
    assert (ms.config / "run" / "imapd.pid").read_text().strip() == str(procs["imapd"][0].pid)

    # greetings, as 6.3 gives them
    with socket.create_connection((ms.ip, 2525), timeout=5) as s:
        assert s.makefile("rb").readline().decode() == \
            f"220 {ms.host} -- Server ESMTP ({VERSION})\r\n"
    with socket.create_connection((ms.ip, 2110), timeout=5) as s:
        assert s.makefile("rb").readline().decode() == f"+OK {ms.host} POP3 service ({VERSION})\r\n"
    with socket.create_connection((ms.ip, 2143), timeout=5) as s:
        greeting = s.makefile("rb").readline().decode()
        assert greeting.startswith("* OK [CAPABILITY IMAP4 IMAP4rev1 ")
        assert greeting.endswith(f"] {ms.host} IMAP4 service ({VERSION})\r\n")
    for port in (7997, 49994, 27442, 2587):
        socket.create_connection((ms.ip, port), timeout=5).close()
    with urllib.request.urlopen(f"http://{ms.ip}:2080/", timeout=10) as resp:
        assert resp.status == 200
    # only the configured address: another loopback address gets nothing
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 2143), timeout=2).close()

    send(ms, "Joe.User@mail.example.com", "first")
    send(ms, "joe.user@example.com", "second", port=2587)
    wait_for(lambda: len(imap_subjects(ms, "joe.user")) == 2, what="delivery")
    assert imap_subjects(ms, "joe.user") == [b"Subject: first", b"Subject: second"]
    p = poplib.POP3(ms.ip, 2110, timeout=10)
    p.user("joe.user")
    p.pass_("whatever")
    assert p.stat()[0] == 2
    assert b"body of second" in p.retr(2)[1]
    p.quit()
    with smtplib.SMTP(ms.ip, 2525, timeout=10) as s, pytest.raises(smtplib.SMTPRecipientsRefused):
        s.sendmail("a@b.org", ["x@elsewhere.org"], "Subject: relay\r\n\r\nno\r\n")

    # plain start-msg asks the running HA watcher; the installation stays under HA control
    assert ms.sbin("start-msg").returncode == 0
    res = ms.sbin("stop-msg")
    assert res.returncode == 1 and "HA configuration detected" in res.stderr
    assert "scswitch -n -j" in res.stderr and "scswitch -F -g" in res.stderr
    assert set(ms.processes()) == DAEMONS

    res = ms.sbin("stop-msg", "ha")
    assert res.returncode == 0, res.stderr
    assert our_processes(ms.base) == []
    # mail survives a restart
    ms.sbin("start-msg", "ha", check=True)
    assert imap_subjects(ms, "joe.user") == [b"Subject: first", b"Subject: second"]
    assert ms.sbin("stop-msg", "ha").returncode == 0
    assert our_processes(ms.base) == []
    assert ms.sbin("stop-msg", "ha").returncode == 0  # stopping a stopped server succeeds


def test_disabled_services_do_not_start(ms: Ms) -> None:
    ms.configutil("service.pop.enable", "no")
    ms.configutil("service.http.enable", "0")
    ms.configutil("local.sched.enable", "off")
    out = ms.sbin("start-msg", "ha", check=True).stdout
    assert "pop server" not in out and "http server" not in out and "sched" not in out
    assert set(ms.processes()) == DAEMONS - {"popd", "mshttpd", "imsched"}
    with pytest.raises(OSError):
        socket.create_connection((ms.ip, 2110), timeout=2).close()


def test_mta_only_and_single_services(ms: Ms) -> None:
    ms.configutil("local.store.enable", "0")
    out = ms.sbin("start-msg", check=True).stdout
    assert "store" not in out and "imap" not in out
    assert set(ms.processes()) == {"watcher", "enpd", "imsched", "dispatcher", "job_controller"}
    res = ms.sbin("stop-msg", "dispatcher", check=True)
    assert "Stopping dispatcher server" in res.stdout
    wait_for(lambda: "dispatcher" not in ms.processes(), what="dispatcher gone")
    out = ms.sbin("imsimta", "start", "dispatcher", check=True).stdout
    assert "Starting dispatcher server" in out
    proc_out = ms.sbin("imsimta", "process", check=True).stdout
    assert str(ms.base / "lib" / "dispatcher") in proc_out
    assert str(ms.base / "lib" / "job_controller") in proc_out
    assert ms.sbin("stop-msg").returncode == 0  # not HA: plain stop-msg stops everything
    assert our_processes(ms.base) == []


def test_without_watcher_start_msg_starts_services_itself(ms: Ms) -> None:
    ms.configutil("local.watcher.enable", "no")
    out = ms.sbin("start-msg", check=True).stdout
    assert "watcher" not in out
    assert set(ms.processes()) == DAEMONS - {"watcher"}
    assert ms.sbin("stop-msg").returncode == 0
    assert our_processes(ms.base) == []


def test_message_is_on_the_config_disk_before_the_250_reply(ms: Ms) -> None:
    ms.sbin("start-msg", "ha", check=True)
    ms.mssim("fault", str(ms.base), "job_controller", "hang")  # nothing leaves the queue
    queue = ms.config / "queue" / "ims-ms" / "000"
    send(ms, "joe.user@mail.example.com", "durable")  # returns once the 250 reply came
    files = [p for p in queue.iterdir() if p.name.startswith("ZZ")]
    assert len(files) == 1
    assert b"Subject: durable" in files[0].read_bytes()
    assert b"RCPT TO:<joe.user@mail.example.com>" in files[0].read_bytes()
    ms.mssim("fault", str(ms.base), "job_controller", "clear")
    wait_for(lambda: imap_subjects(ms, "joe.user") == [b"Subject: durable"], what="delivery")
    assert not files[0].exists()


def test_greetings_follow_the_configured_banners(ms: Ms) -> None:
    ms.configutil("service.imap.banner", "%h IMAP ready (%p %v)")
    ms.configutil("service.pop.banner", "%P at %h, 100%%")
    ms.sbin("start-msg", "ha", check=True)
    with socket.create_connection((ms.ip, 2143), timeout=5) as s:
        greeting = s.makefile("rb").readline().decode()
    assert greeting.startswith("* OK [CAPABILITY IMAP4 IMAP4rev1 ")
    assert greeting.endswith(f"] {ms.host} IMAP ready (IMAP4 6.3-8.04)\r\n")
    with socket.create_connection((ms.ip, 2110), timeout=5) as s:
        assert s.makefile("rb").readline().decode() == \
            f"+OK Sun Java(tm) System Messaging Server at {ms.host}, 100%\r\n"
    assert imap_subjects(ms, "nobody") == []  # imaplib still accepts the greeting
    p = poplib.POP3(ms.ip, 2110, timeout=10)
    assert p.getwelcome().startswith(b"+OK Sun Java(tm)")
    p.quit()
