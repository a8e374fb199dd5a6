"""A node's /etc/syslog.conf decides where each line goes, as on Solaris: the default file
keeps daemon.info and daemon.debug out of /var/adm/messages and sends errors to the console;
the guide's section 3.4.3.1 (`daemon.debug<TAB>/var/adm/clusterlog`, `pkill -HUP syslogd`)
then puts every daemon message in clusterlog."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from clustersim.syslogd import (
    default_syslog_conf,
    encode_priority,
    log_to_node,
    parse_conf,
    parse_rule,
)
from support.sleeper import CLUSTER_WAIT, Cluster
from support.waiting import wait_for

TAG = "SC[SUNW.ims,MAIL-RG,mail-rs,ims_svc_start]"


def test_the_default_file_keeps_daemon_info_and_debug_out_of_messages() -> None:
    rules, errors = parse_conf(default_syslog_conf())
    assert errors == []
    to = {rule.action: rule for rule in rules}
    messages, console = to["/var/adm/messages"], to["/dev/sysmsg"]
    for level, logged in (("debug", False), ("info", False), ("notice", True),
                          ("warning", True), ("error", True)):
        assert messages.selects(encode_priority(level, "daemon")) is logged, level
    assert console.selects(encode_priority("error", "daemon"))
    assert not console.selects(encode_priority("notice", "daemon"))
    # Selectors apply in order: mail.crit, after *.err, raises mail's threshold to crit.
    assert messages.selects(encode_priority("crit", "mail"))
    assert not messages.selects(encode_priority("error", "mail"))


def test_a_selector_selects_its_level_and_everything_more_severe() -> None:
    rule, error = parse_rule("daemon.debug\t/var/adm/clusterlog", 7)
    assert error is None and rule is not None and rule.action == "/var/adm/clusterlog"
    assert all(rule.selects(encode_priority(level, "daemon"))
               for level in ("debug", "info", "notice", "error", "emerg"))
    assert not rule.selects(encode_priority("error", "auth"))
    rule, _ = parse_rule("*.info;mail.none\t/var/log/all", 1)
    assert rule is not None
    assert rule.selects(encode_priority("info", "user"))
    assert not rule.selects(encode_priority("crit", "mail"))


@pytest.mark.parametrize(("line", "error"), [
    ("daemon.debug /var/adm/clusterlog", 'line 3: unknown priority name '
                                         '"debug /var/adm/clusterlog"'),
    ("daemon.loud\t/var/adm/x", 'line 3: unknown priority name "loud"'),
    ("daemons.debug\t/var/adm/x", 'line 3: unknown facility name "daemons"'),
])
def test_lines_solaris_syslogd_refuses_are_refused_in_its_words(line: str, error: str) -> None:
    assert parse_rule(line, 3) == (None, error)


def _reload(c: Cluster, node: str) -> None:
    """The guide's own command, typed on the node: `pkill -HUP syslogd`."""
    done = c.host(node).run(["pkill", "-HUP", "syslogd"], capture_output=True, text=True,
                            timeout=60)
    assert done.returncode == 0, f"pkill found no syslogd on {node}: {done.stderr}"


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@pytest.mark.e2e
def test_the_guides_debugging_section_on_a_stand_in_node(cluster: Cluster) -> None:
    c, node = cluster, "mars"
    root = c.root(node)
    conf, messages = root / "etc/syslog.conf", root / "var/adm/messages"
    clusterlog, console = root / "var/adm/clusterlog", c.layout.node_console(node)
    assert conf.read_text() == default_syslog_conf()

    def log(level: str, text: str) -> None:
        assert log_to_node(c.layout, node, TAG, level, text)

    log("debug", "quiet debug 1")
    log("info", "quiet info 1")
    log("error", "loud error 1")
    wait_for(lambda: "loud error 1" in _read(messages),
             timeout=CLUSTER_WAIT, what="the error in messages")
    assert "quiet" not in _read(messages)
    wait_for(lambda: "loud error 1" in _read(console),
             timeout=CLUSTER_WAIT, what="the error on the console")
    assert f"{node} {TAG}: [ID " in _read(console)

    # Typed with a blank, as the guide prints it: Solaris' syslogd wants a TAB.
    with conf.open("a") as f:
        f.write("daemon.debug /var/adm/clusterlog\n")
    _reload(c, node)
    refused = (f'{node} syslogd: line {len(default_syslog_conf().splitlines()) + 1}: '
               'unknown priority name "debug /var/adm/clusterlog"')
    wait_for(lambda: refused in _read(messages), timeout=CLUSTER_WAIT, what="syslogd's complaint")
    assert refused in _read(console)

    # With the TAB, but no such file yet: syslogd opens files, it never creates them.
    conf.write_text(default_syslog_conf() + "daemon.debug\t/var/adm/clusterlog\n")
    _reload(c, node)
    missing = f"{node} syslogd: /var/adm/clusterlog: No such file or directory"
    wait_for(lambda: missing in _read(messages), timeout=CLUSTER_WAIT, what="the missing file")

    clusterlog.touch()
    _reload(c, node)
    for attempt in range(100):  # the HUP is asynchronous: the first lines may precede it
        log("debug", f"debug line {attempt}")
        time.sleep(0.2)
        if "debug line" in _read(clusterlog):
            break
    log("info", "info line")
    log("notice", "notice line")
    wait_for(lambda: "notice line" in _read(clusterlog),
             timeout=CLUSTER_WAIT, what="daemon lines in clusterlog")
    text = _read(clusterlog)
    assert f"{TAG}: [ID " in text and "daemon.debug] debug line" in text
    assert "daemon.info] info line" in text
    assert "debug line" not in _read(messages) and "info line" not in _read(messages)
    assert "notice line" in _read(messages)
