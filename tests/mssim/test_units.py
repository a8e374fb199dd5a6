"""Pure logic: configuration formats and the watcher's restart decision."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil

from mssim import conf, mailstore, procs, product
from mssim.commands.imsimta import check_imta_cnf
from mssim.install import imta_cnf
from mssim.restart_policy import Decision, FailureHistory, decide


def test_msg_conf_round_trip_quotes_values_with_blanks() -> None:
    text = conf.set_msg_conf_text("! comment\nlocal.a = 1\n", {
        "service.imap.banner": "%h %p service (%P %V)", "local.a": "2", "local.b": "x"})
    assert text.splitlines() == [
        "! comment", "local.a = 2", 'service.imap.banner = "%h %p service (%P %V)"',
        "local.b = x"]
    assert conf.parse_msg_conf(text)["service.imap.banner"] == "%h %p service (%P %V)"
    assert "local.a" not in conf.parse_msg_conf(conf.set_msg_conf_text(text, {"local.a": None}))


def test_booleans_accept_all_documented_spellings() -> None:
    assert all(conf.is_true(v) for v in ("yes", "YES", "1", "on", "True"))
    assert not any(conf.is_true(v) for v in ("no", "0", "off", "false"))
    assert conf.is_true(None, True)


CNF = """MAX_PROCS=5
!
[SERVICE=SMTP]
PORT=25
!INTERFACE_ADDRESS=
!
[SERVICE=SMTP_SUBMIT]
PORT=587
"""


def test_set_cnf_option_replaces_hint_and_appends_in_section() -> None:
    text = conf.set_cnf_option(CNF, "SERVICE=SMTP", "INTERFACE_ADDRESS", "10.0.0.1")
    text = conf.set_cnf_option(text, "SERVICE=SMTP_SUBMIT", "INTERFACE_ADDRESS", "10.0.0.1")
    text = conf.set_cnf_option(text, "", "INTERFACE_ADDRESS", "10.0.0.2")
    parsed = conf.parse_cnf(text)
    assert parsed["SERVICE=SMTP"]["INTERFACE_ADDRESS"] == "10.0.0.1"
    assert parsed["SERVICE=SMTP_SUBMIT"]["INTERFACE_ADDRESS"] == "10.0.0.1"
    assert parsed[""]["INTERFACE_ADDRESS"] == "10.0.0.2"
    assert "!INTERFACE_ADDRESS=" not in text
    # idempotent: a second run changes the value in place
    again = conf.set_cnf_option(text, "SERVICE=SMTP", "interface_address", "10.0.0.9")
    assert again.count("10.0.0.1") == 1 and "interface_address=10.0.0.9" in again


def test_restart_policy_gives_up_on_second_failure_within_timeout() -> None:
    h = FailureHistory()
    assert decide(h, 1000.0, autorestart=True, window=600, ha=True) is Decision.RESTART
    assert decide(h, 1100.0, autorestart=True, window=600, ha=True) is Decision.SHUTDOWN
    h = FailureHistory()
    assert decide(h, 0.0, autorestart=True, window=600, ha=False) is Decision.RESTART
    assert decide(h, 601.0, autorestart=True, window=600, ha=False) is Decision.RESTART
    assert decide(h, 602.0, autorestart=True, window=600, ha=False) is Decision.GIVE_UP
    assert decide(FailureHistory(), 0.0, autorestart=False, window=600, ha=True) \
        is Decision.IGNORE


JC = """!MTA Job Controller configuration file
!
!Global defaults
tcp_port=27442
max_life_age=3600
!
!Pool definitions
!
[POOL=DEFAULT]
job_limit=10
"""


def test_global_option_goes_after_the_last_global_option_not_before_the_section() -> None:
    lines = conf.set_cnf_option(JC, "", "INTERFACE_ADDRESS", "10.0.0.2").splitlines()
    assert lines[lines.index("max_life_age=3600") + 1] == "INTERFACE_ADDRESS=10.0.0.2"
    assert lines[-4:-1] == ["!Pool definitions", "!", "[POOL=DEFAULT]"]
    # no global option at all: just before the first section
    text = conf.set_cnf_option("! header\n[POOL=DEFAULT]\njob_limit=1\n", "", "TCP_PORT", "1")
    assert text.splitlines() == ["! header", "TCP_PORT=1", "[POOL=DEFAULT]", "job_limit=1"]


def test_banner_substitutions_and_default() -> None:
    version = "Sun Java(tm) System Messaging Server 6.3-8.04 (built Jul 29 2009; 32bit)"
    assert product.pop_greeting("h.example.com") == f"+OK h.example.com POP3 service ({version})"
    assert product.pop_greeting("h", "") == product.pop_greeting("h")
    assert product.pop_greeting("h", "%h %p %P %v 100%% %q") == \
        "+OK h POP3 Sun Java(tm) System Messaging Server 6.3-8.04 100% %q"
    assert product.imap_greeting("h", "%h ready").endswith("] h ready")


def test_uid_is_never_reused_after_expunging_the_newest(tmp_path: Path) -> None:
    box = mailstore.Mailbox(tmp_path, "joe")
    assert [box.deliver(b"a"), box.deliver(b"b")] == [1, 2]
    box.delete(2)
    box.delete(1)
    assert box.uids() == [] and box.uidnext() == 3
    assert box.deliver(b"c") == 3
    assert box.read(3) == b"c"


def test_cnbuild_check_accepts_the_installed_file_and_names_what_is_wrong() -> None:
    good = imta_cnf("mail.example.com", "example.com")
    assert check_imta_cnf(good) == []
    no_host = good.replace("LOCAL_POOL\nmail.example.com\n", "LOCAL_POOL\n")
    assert any("channel l has no official host name" in e for e in check_imta_cnf(no_host))
    assert check_imta_cnf(good.replace("\n\n", "\n")) == [
        "no blank line between the rewrite rules and the channel definitions"]
    assert check_imta_cnf(good.replace("\nl subdirs", "\nlocal subdirs")) == [
        "no local channel (l) in the channel definitions"]


def test_command_lines_are_read_as_psutil_reads_them(tmp_path: Path) -> None:
    """procs reads /proc itself (no psutil import in every command); it must agree with psutil,
    also for a title set the way the daemons set theirs."""
    assert procs.cmdline(os.getpid()) == psutil.Process().cmdline()
    code = ("import sys, time; from mssim.procs import set_identity; "
            "set_identity(['/opt/SUNWmsgsr/lib/imapd', '-d', '5'], 'imapd'); "
            "print('titled', flush=True); time.sleep(60)")
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                          cwd=tmp_path) as child:
        try:
            assert child.stdout is not None and child.stdout.readline() == "titled\n"
            assert procs.cmdline(child.pid) == psutil.Process(child.pid).cmdline() == \
                ["/opt/SUNWmsgsr/lib/imapd", "-d", "5"]
            assert procs.alive(child.pid)
        finally:
            child.kill()
            child.wait()
    assert not procs.alive(child.pid)
    assert procs.cmdline(child.pid) == []


def test_start_up_recovery_takes_away_what_a_killed_writer_left(tmp_path: Path) -> None:
    """A writer killed between the temporary file and its rename leaves `.tmp-*` files in
    the queue or the store; they are never messages, and start-msg sweeps them away (the
    chaos campaign found them after a killed watcher's restart)."""

    queue, store = tmp_path / "queue" / "ims-ms" / "000", tmp_path / "store" / "joe" / "INBOX"
    queue.mkdir(parents=True)
    store.mkdir(parents=True)
    (queue / ".tmp-1").write_bytes(b"half a submission")
    (store / ".tmp-2").write_bytes(b"half a delivery")
    kept = store / "1.msg"
    kept.write_bytes(b"a message")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / ".tmp-3").write_bytes(b"not the installation's")
    (store / "link").symlink_to(outside)
    assert mailstore.sweep_temporaries(tmp_path / "queue", tmp_path / "store") == 2
    assert not list(queue.iterdir())
    assert [p.name for p in store.iterdir() if p.name != "link"] == ["1.msg"]
    assert (outside / ".tmp-3").exists(), "followed a link out of the store"
