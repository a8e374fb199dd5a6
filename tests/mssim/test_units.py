"""Pure logic: configuration formats and the watcher's restart decision."""

from __future__ import annotations

from mssim import conf
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
