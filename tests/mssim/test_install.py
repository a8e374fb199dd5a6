"""`mssim install` layout and configutil (no daemons)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from support.mssim import Ms, clean_env


def test_layout_matches_the_documented_one(ms: Ms) -> None:
    b, c = ms.base, ms.config
    for d in ("sbin", "lib", "install"):
        assert (b / d).is_dir()
    assert (b / os.readlink(b / "config")).resolve() == \
        (c / "config").resolve()
    assert (b / os.readlink(b / "log")).resolve() == \
        (c / "log").resolve()
    assert (b / os.readlink(b / "data")).resolve() == \
        Path(c).resolve()
    for d in ("config", "log", "queue", "store", "setup"):
        assert (c / d).is_dir()
    for f in ("msg.conf", "msg.conf.defaults", "dispatcher.cnf", "job_controller.cnf",
              "imta.cnf"):
        assert (c / "config" / f).is_file()
    assert ms.host in (c / "config" / "imta.cnf").read_text()
    assert f"local.hostname = {ms.host}" in (c / "config" / "msg.conf.defaults").read_text()
    saved = [p.name for p in (c / "setup").iterdir()]
    assert len(saved) == 1 and saved[0].startswith("configure_") and len(saved[0]) == 24
    for cmd in ("start-msg", "stop-msg", "configutil", "imsimta", "ha_ip_config", "useconfig"):
        launcher = b / "sbin" / cmd
        assert os.access(launcher, os.X_OK)
        assert launcher.read_text().startswith(f"#!{sys.executable}\n")
    for d in ("watcher", "dispatcher", "job_controller", "stored", "imapd", "popd", "mshttpd",
              "enpd", "imsched", "tcp_smtp_server"):
        assert os.access(b / "lib" / d, os.X_OK)
    if os.geteuid() == 0:
        assert (c / "queue").stat().st_uid == 4242 and (c / "store").stat().st_gid == 4243


def test_configutil_get_set_list(ms: Ms) -> None:
    assert ms.sbin("configutil", "-o", "local.watcher.port").stdout == "49994\n"
    assert ms.sbin("configutil", "-o", "service.listenaddr").stdout == ""
    ms.configutil("service.imap.banner", "my banner")
    assert ms.sbin("configutil", "-o", "service.imap.banner").stdout == "my banner\n"
    assert 'service.imap.banner = "my banner"' in (ms.config / "config" / "msg.conf").read_text()
    assert ms.sbin("configutil", "-H", "-o", "service.imap.banner").stdout == \
        "%h %p service (%P %V)\n"
    listing = ms.sbin("configutil", "-m", "-p", "service.pop").stdout.splitlines()
    assert "service.pop.enable = yes [NOT REFRESHABLE]" in listing
    assert 'service.pop.banner = "%h %p service (%P %V)" [REFRESHABLE]' in listing
    assert all(line.startswith("service.pop.") for line in listing)
    everything = ms.sbin("configutil").stdout
    assert "local.hostname = mail.example.com" in everything
    inp = ms.top / "in.cfg"
    inp.write_text("local.autorestart = yes\nlocal.autorestart.timeout = 60\n")
    ms.sbin("configutil", "-i", str(inp), check=True)
    assert ms.sbin("configutil", "-o", "local.autorestart.timeout").stdout == "60\n"
    alt = ms.top / "alt.conf"
    alt.write_text("local.x = 1\n")
    assert ms.sbin("configutil", "-f", str(alt), "-o", "local.x").stdout == "1\n"
    assert ms.sbin("configutil", "-h").returncode == 0


def test_configutil_usage_errors_unknown_parameters_and_a_closed_pipe(ms: Ms) -> None:
    for args, why in ((["-v", "1"], "-v needs -o"), (["-x"], "option -x not recognized"),
                      (["-o", "local.a", "extra"], "unexpected argument")):
        res = ms.sbin("configutil", *args)
        assert res.returncode == 1 and why in res.stderr and "Usage: configutil" in res.stderr
    msg_conf = (ms.config / "config" / "msg.conf").read_text()
    for args in (["-o", "no.such.parameter"], ["-o", "bogus", "-v", "1"]):
        res = ms.sbin("configutil", *args)
        assert res.returncode == 1 and "unknown parameter" in res.stderr
    assert (ms.config / "config" / "msg.conf").read_text() == msg_conf
    # documented but unset: nothing printed, success
    assert ms.sbin("configutil", "-o", "service.listenaddr").returncode == 0

    # `configutil | head -1` with more output than a pipe holds: quiet
    inp = ms.top / "many.cfg"
    inp.write_text("".join(f"local.filler{i} = {'x' * 60}\n" for i in range(3000)))
    ms.sbin("configutil", "-i", str(inp), check=True)
    proc = subprocess.Popen([str(ms.base / "sbin" / "configutil")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=clean_env())
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()
    proc.stdout.close()
    assert proc.stderr.read() == b""
    proc.stderr.close()
    assert proc.wait(timeout=60) in (0, -signal.SIGPIPE)


def test_imsimta_version_and_cnbuild(ms: Ms) -> None:
    out = ms.sbin("imsimta", "version", check=True).stdout
    assert "Sun Java(tm) System Messaging Server 6.3-8.04" in out
    assert ms.sbin("imsimta", "cnbuild").returncode == 0
    imta = ms.config / "config" / "imta.cnf"
    text = imta.read_text()
    imta.write_text(text.replace(f"LOCAL_POOL\n{ms.host}\n", "LOCAL_POOL\n"))  # no l host
    res = ms.sbin("imsimta", "cnbuild")
    assert res.returncode == 1
    assert "imta.cnf: line " in res.stderr
    assert "channel l has no official host name (channel tag) line" in res.stderr
    assert "Traceback" not in res.stderr


def test_start_msg_usage(ms: Ms) -> None:
    out = ms.sbin("start-msg", "-h").stdout
    assert "Usage: ./start-msg ha" in out
    assert ms.sbin("stop-msg", "-h").stdout.startswith("Usage: ./stop-msg [OPTIONS]")
    assert ms.sbin("start-msg", "bogus").returncode == 1
