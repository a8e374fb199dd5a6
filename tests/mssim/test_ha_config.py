"""ha_ip_config rewrites the right things; useconfig prepares a second node; failover moves mail."""

from __future__ import annotations

import imaplib
import os
import smtplib
import socket
from pathlib import Path

import pytest

from support.mssim import Ms, free_loopback, make_node, our_processes
from support.waiting import wait_for

SEED_LINES = [
    "Setting the service.listenaddr configutil parameter",
    "Setting the local.snmp.listenaddr configutil parameter",
    "Setting the service.http.smtphost configutil parameter",
    "Setting the local.watcher.enable configutil parameter",
    "Setting the local.autorestart configutil parameter",
    "Setting the metermaid.config.bindaddr configutil parameters",
    "Setting the metermaid.config.serveraddr configutil parameters",
    "Setting the local.ens.port parameter",
    "Configuration successfully updated",
]


def run_ha_ip_config(ms: Ms, ip: str) -> str:
    res = ms.sbin("ha_ip_config", input=f"{ip}\n\nno\n", check=True)
    return res.stdout


def test_ha_ip_config_rewrites_interface_addresses_and_parameters(ms: Ms) -> None:
    cfg = ms.config / "config"
    original = (cfg / "dispatcher.cnf").read_text()
    logical = free_loopback()
    out = run_ha_ip_config(ms, logical)
    assert "Please specify the IP address assigned to the HA logical host name." in out
    assert "Logical IP address: " in out and f"iMS server root [{ms.base}]: " in out
    assert "Do you wish to change any of the above choices (yes/no) [no]: " in out
    assert f"Updating the file {ms.base}/config/dispatcher.cnf" in out
    assert f"Updating the file {ms.base}/config/job_controller.cnf" in out
    lines = out.splitlines()
    assert lines[-len(SEED_LINES):] == SEED_LINES
    disp = (cfg / "dispatcher.cnf").read_text()
    assert disp.count(f"\nINTERFACE_ADDRESS={logical}\n") == 2
    jc = (cfg / "job_controller.cnf").read_text()
    assert f"\nINTERFACE_ADDRESS={logical}\n" in jc
    assert (cfg / "dispatcher.cnf.pre-ha").read_text() == original
    assert (cfg / "job_controller.cnf.pre-ha").exists()

    def get(name: str) -> str:
        return ms.sbin("configutil", "-o", name).stdout.strip()

    for name in ("service.listenaddr", "local.snmp.listenaddr", "service.http.smtphost",
                 "metermaid.config.bindaddr", "metermaid.config.serveraddr"):
        assert get(name) == logical
    assert get("local.watcher.enable") == "1" and get("local.autorestart") == "1"
    assert get("local.ens.port") == f"{logical}:7997"
    # a second run keeps the true originals and changes values in place
    other = free_loopback()
    run_ha_ip_config(ms, other)
    assert (cfg / "dispatcher.cnf.pre-ha").read_text() == original
    assert (cfg / "dispatcher.cnf").read_text().count("INTERFACE_ADDRESS=") == 2
    assert get("service.listenaddr") == other


def test_ha_ip_config_reprompts_and_aborts_on_eof(ms: Ms) -> None:
    res = ms.sbin("ha_ip_config", input="not-an-ip\n")
    assert res.returncode == 1
    assert "dotted decimal form" in res.stdout and "aborted" in res.stdout
    assert not (ms.config / "config" / "dispatcher.cnf.pre-ha").exists()
    res = ms.sbin("ha_ip_config", input="127.0.0.9\n\nyes\n127.0.0.8\n\nno\n", check=True)
    assert ms.sbin("configutil", "-o", "service.listenaddr").stdout.strip() == "127.0.0.8"


@pytest.mark.e2e
def test_after_ha_ip_config_everything_listens_on_the_logical_address(ms: Ms) -> None:
    logical = free_loopback()
    run_ha_ip_config(ms, logical)
    ms.sbin("start-msg", "ha", check=True)
    for port in (2525, 2587, 27442, 2143, 2110, 2080, 7997, 49994):
        socket.create_connection((logical, port), timeout=5).close()
        with pytest.raises(OSError):
            socket.create_connection((ms.ip, port), timeout=2).close()


@pytest.mark.e2e
def test_useconfig_second_node_and_failover_keeps_mail(topdir, ms: Ms) -> None:  # type: ignore[no-untyped-def]
    # the configuration directory lives on a "shared disk" that a symlink points to
    shared = topdir / "disks" / "d1"
    shared.mkdir(parents=True)
    os.rename(ms.config, shared / "SUNWmsgsr")
    ms.config.symlink_to(shared / "SUNWmsgsr")
    logical = free_loopback()
    run_ha_ip_config(ms, logical)
    ms.sbin("start-msg", "ha", check=True)
    with smtplib.SMTP(logical, 2525, timeout=10) as s:
        s.sendmail("a@remote.org", [f"kim@{ms.host}"], "Subject: before failover\r\n\r\nx\r\n")
    wait_for(lambda: list((ms.config / "store" / "kim" / "INBOX").glob("*.msg")), what="delivery")
    assert ms.sbin("stop-msg", "ha").returncode == 0
    assert our_processes(ms.base) == []

    # second node: package only (no user yet), then useconfig
    venus = make_node(topdir / "venus", "venus", {ms.host: logical}, with_user=False)
    base2 = venus / "opt" / "SUNWmsgsr"
    ms.mssim("install", "--base", str(base2))
    config2 = venus / "var" / "opt" / "SUNWmsgsr"
    config2.parent.mkdir(parents=True)
    config2.symlink_to(shared / "SUNWmsgsr")  # the disk is now mounted on venus
    saved = next((config2 / "setup").iterdir())
    node2 = Ms(topdir, base2, config2, logical, ms.host)
    res = node2.sbin("useconfig", str(saved), check=True)
    out = res.stdout.splitlines()
    assert out[0] == f"cp {saved}/Devsetup.properties {base2}/lib/config-templates/" \
                     "Devsetup.properties"
    assert "/usr/sbin/groupadd mail" in out and "/usr/sbin/useradd -g mail -d / mailsrv" in out
    assert "devinstall returned 0" in out
    assert out[-1].startswith(f"See {base2}/install/useconfiglog_")
    assert "mailsrv:x:4242:4243:" in (venus / "etc" / "passwd").read_text()
    assert "mail::4243:" in (venus / "etc" / "group").read_text()
    assert (base2 / os.readlink(base2 / "config")).resolve() == \
        Path(config2 / "config").resolve()
    assert (base2 / os.readlink(base2 / "data")).resolve() == \
        Path(config2).resolve()
    try:
        node2.sbin("start-msg", "ha", check=True)
        m = imaplib.IMAP4(logical, 2143, timeout=10)
        m.login("kim", "x")
        m.select("INBOX")
        _, data = m.fetch("1", "(RFC822)")
        assert b"Subject: before failover" in data[0][1]
        m.logout()
    finally:
        node2.sbin("stop-msg", "ha")
    assert our_processes(base2) == []
