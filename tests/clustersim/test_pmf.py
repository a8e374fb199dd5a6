"""pmfd + pmfadm end to end: real processes under a real per-node pmfd."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clustersim import pmfadm, procs
from clustersim.layout import ClusterLayout
from support.clusternode import Node, running_node
from support.waiting import wait_for

pytestmark = pytest.mark.e2e

FAILED_TO_STAY_UP = re.compile(
    r"^\w{3} [ \d]\d \d\d:\d\d:\d\d mars Cluster\.PMF\.pmfd: \[ID 887656 daemon\.notice\] "
    r'Process: tag="(?P<tag>[^"]*)", cmd="(?P<cmd>[^"]*)", Failed to stay up\.$',
    re.MULTILINE,
)


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Node]:
    with running_node(tmp_path, monkeypatch) as n:
        yield n


def double_forking_daemon(node: Node, pidfile: Path) -> Path:
    """A start script that launches a daemon the classic way (fork, setsid, fork) and exits."""
    return node.script(
        "daemon_start",
        f"( setsid sh -c 'echo $$ > \"{pidfile}\"; exec sleep 1000' & )\nexit 0\n",
    )


def test_start_query_and_list(node: Node) -> None:
    assert node.pmfadm("-c", "rg,rs,0.svc", "-n", "2", "-t", "5", "sleep", "1000")[0] == 0

    assert node.registered("rg,rs,0.svc")
    assert not node.registered("no-such-tag")
    rc, out, err = node.pmfadm("-l", "rg,rs,0.svc")
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "STATUS rg,rs,0.svc"
    assert lines[1] == "pmfadm -c rg,rs,0.svc -n 2 -t 5 sleep 1000"
    assert lines[2:5] == ["\tretries: 0", f"\towner: {_user()}", "\tmonitor children: all"]
    pids = node.pids("rg,rs,0.svc")
    assert len(pids) == 1 and procs.is_alive(pids[0])

    assert node.pmfadm("-c", "other", "-C", "1", "sleep", "1000")[0] == 0
    assert node.pmfadm("-L") == (0, "tags: other rg,rs,0.svc\n", "")
    assert "\tmonitor children: 1\n" in node.pmfadm("-l", "other")[1]
    node.pids("other")


def test_starting_a_registered_tag_fails(node: Node) -> None:
    assert node.pmfadm("-c", "t", "sleep", "1000")[0] == 0
    first = node.pids("t")

    rc, out, err = node.pmfadm("-c", "t", "sleep", "1000")

    assert rc == 1 and out == "", "exit 1: the nametag exists"
    assert err == 'pmfadm: "t" is already running under the process monitor\n'
    assert node.pids("t") == first


def test_a_double_forking_daemon_stays_in_its_tag(node: Node, tmp_path: Path) -> None:
    pidfile = node.tmp / "daemon.pid"
    assert node.pmfadm("-c", "d", double_forking_daemon(node, pidfile).as_posix())[0] == 0
    daemon = node.read_pid(pidfile)

    wait_for(lambda: node.pids("d") == [daemon], what="the daemon alone in the tag")
    assert node.registered("d"), "the start script exiting is not a failure: the daemon lives"
    assert os.getsid(daemon) == daemon, "the daemon did leave its session"

    assert node.pmfadm("-s", "d", "-w", "20", "KILL") == (0, "", "")
    assert not procs.is_alive(daemon)
    assert not node.registered("d")


def test_restarts_up_to_retries_then_gives_up_and_logs(node: Node) -> None:
    runs = node.tmp / "runs"
    crash = node.script("crash", f'echo $$ >> "{runs}"\nexit 3\n')

    assert node.pmfadm("-c", "crashy", "-n", "2", "-t", "10", crash.as_posix())[0] == 0

    wait_for(lambda: FAILED_TO_STAY_UP.search(node.messages()), what="the give-up message")
    match = FAILED_TO_STAY_UP.search(node.messages())
    assert match is not None
    assert (match["tag"], match["cmd"]) == ("crashy", crash.as_posix())
    wait_for(lambda: not node.registered("crashy"), what="the tag to be removed")
    assert len(runs.read_text().split()) == 3, "first run + 2 restarts"


def test_no_retries_by_default(node: Node) -> None:
    runs = node.tmp / "runs"
    crash = node.script("crash", f'echo $$ >> "{runs}"\nexit 1\n')

    assert node.pmfadm("-c", "once", crash.as_posix())[0] == 0

    wait_for(lambda: not node.registered("once"), what="the tag to be removed")
    assert len(runs.read_text().split()) == 1
    wait_for(lambda: FAILED_TO_STAY_UP.search(node.messages()), what="the give-up message")


def test_action_program_decides_restart_then_removal(node: Node) -> None:
    runs, calls = node.tmp / "runs", node.tmp / "calls"
    crash = node.script("crash", f'echo $$ >> "{runs}"\nexit 1\n')
    # The action approves the first restart, refuses the second; it records its arguments,
    # its cwd and whether it saw an environment variable given with -e (it must not).
    action = node.script(
        "action",
        f'echo "$1 $2 $(pwd) ${{SECRET:-unset}}" >> "{calls}"\n[ "$(wc -l < "{calls}")" -lt 2 ]\n',
    )

    assert (
        node.pmfadm("-c", "act", "-a", action.as_posix(), "-e", "SECRET=x", crash.as_posix())[0]
        == 0
    )

    wait_for(lambda: not node.registered("act"), what="the tag to be removed")
    assert calls.read_text().splitlines() == [f"failed act {node.tmp} unset"] * 2
    assert len(runs.read_text().split()) == 2
    wait_for(lambda: len(FAILED_TO_STAY_UP.findall(node.messages())) == 2, what="2 messages")


def test_action_string_may_carry_arguments(node: Node) -> None:
    calls = node.tmp / "calls"
    action = node.script("action", f'echo "$*" >> "{calls}"\nexit 1\n')

    node.pmfadm("-c", "a2", "-a", f"{action} --reason crash", "sh", "-c", "exit 1")

    wait_for(lambda: not node.registered("a2"), what="the tag to be removed")
    assert calls.read_text() == "--reason crash failed a2\n"


def test_child_monitor_level(node: Node) -> None:
    """-C 0: only the command itself is monitored; its children neither keep the tag
    alive nor get signalled, but they stay contained (stop_pmfd kills them)."""
    release, kids = node.tmp / "release", node.tmp / "kids"
    script = node.script(
        "parent",
        f'sleep 1000 &\necho $! >> "{kids}"\nwhile [ ! -f "{release}" ]; do sleep 0.05; done\n',
    )
    assert node.pmfadm("-c", "lvl0", "-C", "0", "-n", "1", script.as_posix())[0] == 0
    assert node.pmfadm("-c", "all", script.as_posix())[0] == 0
    wait_for(lambda: kids.exists() and len(kids.read_text().split()) == 2, what="2 children")
    lvl0_pids = wait_for(lambda: len(node.pids("lvl0")) == 1 and node.pids("lvl0"))
    assert len(node.pids("all")) >= 2, "without -C the child is part of the tag"

    release.touch()

    # lvl0: the command exits (its child lives on) -> failure -> one restart -> gives up.
    wait_for(lambda: not node.registered("lvl0"), what="lvl0 to give up")
    wait_for(lambda: len(FAILED_TO_STAY_UP.findall(node.messages())) == 1, what="1 message")
    # all: the command's child keeps the tag up.
    assert node.registered("all")
    children = [int(p) for p in kids.read_text().split()]
    node.tracked.update(children)
    assert len(children) == 3, "lvl0 ran twice, all once"
    assert all(procs.is_alive(p) for p in children)
    pmfd_tree = procs.descendants(node.pmfd_pid)
    assert all(p in pmfd_tree for p in children), "unmonitored children stay contained"
    assert lvl0_pids[0] not in pmfd_tree


def test_stop_with_wait_succeeds(node: Node) -> None:
    node.pmfadm("-c", "s", "-n", "-1", "sleep", "1000")
    pid = node.pids("s")[0]

    assert node.pmfadm("-s", "s", "-w", "20", "TERM") == (0, "", "")

    assert not procs.is_alive(pid)
    assert not node.registered("s")


def test_stop_with_wait_fails_on_a_process_ignoring_sigterm(node: Node) -> None:
    ready = node.tmp / "ready"
    stubborn = node.script(
        "stubborn", f"trap '' TERM\ntouch \"{ready}\"\nwhile :; do sleep 0.1; done\n"
    )
    node.pmfadm("-c", "stubborn", "-n", "-1", stubborn.as_posix())
    wait_for(ready.exists, what="the trap to be set")
    pid = node.pids("stubborn")[0]

    rc, _out, err = node.pmfadm("-s", "stubborn", "-w", "1", "TERM")

    assert rc == 2 and "still running" in err, "exit 2: timed out"
    assert procs.is_alive(pid) and node.registered("stubborn")
    assert node.pmfadm("-s", "stubborn", "-w", "20", "KILL")[0] == 0
    assert not node.registered("stubborn")
    assert not procs.is_alive(pid)


def test_stop_without_signal_only_stops_restarting(node: Node) -> None:
    node.pmfadm("-c", "quiet", "-n", "-1", "sleep", "1000")
    pid = node.pids("quiet")[0]

    assert node.pmfadm("-s", "quiet") == (0, "", "")
    assert procs.is_alive(pid) and node.registered("quiet"), "no signal was sent"

    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not node.registered("quiet"), what="the tag to go once its process did")


def test_kill_keeps_monitoring_and_restarts(node: Node) -> None:
    node.pmfadm("-c", "k", "-n", "5", "sleep", "1000")
    first = node.pids("k")[0]

    assert node.pmfadm("-k", "k", "-w", "20", "TERM") == (0, "", "")

    second = wait_for(lambda: node.pids("k"), what="a restarted process")[0]
    assert second != first and not procs.is_alive(first)
    assert node.pmfadm("-k", "k")[0] == 0, "SIGKILL by default"
    wait_for(lambda: node.pids("k") and node.pids("k")[0] not in (first, second))
    assert "\tretries: 2\n" in node.pmfadm("-l", "k")[1]


def test_environment_is_cwd_and_path_plus_e(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKED", "yes")
    dump = node.script("dump", 'env > "$1"\npwd >> "$1"\n')
    plain, with_e, with_big_e = (node.tmp / n for n in ("plain", "e", "E"))

    node.pmfadm("-c", "p", dump.as_posix(), plain.as_posix())
    node.pmfadm("-c", "e", "-e", "A=1", "-e", "B=two words", dump.as_posix(), with_e.as_posix())
    node.pmfadm("-c", "E", "-E", dump.as_posix(), with_big_e.as_posix())
    for tag in ("p", "e", "E"):
        wait_for(lambda tag=tag: not node.registered(tag), what=f"{tag} to finish")

    def env_of(path: Path) -> dict[str, str]:
        lines = path.read_text().splitlines()
        assert lines[-1] == str(node.tmp), "cwd re-instantiated"
        pairs = (ln.split("=", 1) for ln in lines[:-1] if "=" in ln)
        return {k: v for k, v in pairs if k not in ("PWD", "OLDPWD", "SHLVL", "_")}

    assert env_of(plain) == {"PATH": os.environ["PATH"]}
    assert env_of(with_e) == {"PATH": os.environ["PATH"], "A": "1", "B": "two words"}
    assert env_of(with_big_e)["LEAKED"] == "yes"


def test_modify_changes_the_restart_policy(node: Node) -> None:
    node.pmfadm("-c", "m", "sleep", "1000")
    assert node.pmfadm("-m", "m", "-n", "1", "-t", "3")[0] == 0
    assert node.pmfadm("-l", "m")[1].splitlines()[1] == "pmfadm -c m -n 1 -t 3 sleep 1000"

    node.pmfadm("-k", "m")

    wait_for(lambda: node.pids("m"), what="the restart -m allowed")


def test_errors_are_one_line_and_exit_1(node: Node) -> None:
    assert node.pmfadm("-k", "nope") == (1, "", "pmfadm: nope: no such nametag registered\n")
    assert node.pmfadm("-s", "nope")[0] == 1
    assert node.pmfadm("-l", "nope")[0] == 1
    assert node.pmfadm("-q", "nope") == (1, "", "")
    rc, _out, err = node.pmfadm("-c", "x", "/nonexistent/prog")
    assert rc == 3 and err == "pmfadm: /nonexistent/prog: No such file or directory\n"
    assert not node.registered("x")
    bad_lines = (
        ["-c", "x"],
        ["-k"],
        ["-q", "a", "-l", "b"],
        ["-k", "t", "NOSIG"],
        ["-Z"],
        ["-c", "x", "-n", "many", "true"],
        ["-c", "x", "-e", "A=1", "-E", "true"],
    )
    for bad in bad_lines:
        rc, out, err = node.pmfadm(*bad)
        assert rc == 3 and out == "" and err.startswith("pmfadm: ") and "Traceback" not in err


def test_pmfadm_without_pmfd_is_a_clear_error(tmp_path: Path) -> None:
    layout = ClusterLayout.at(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "clustersim.pmfadm", "--cluster", str(tmp_path), "--node", "n1",
         "-q", "t"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 3
    assert result.stderr.startswith(
        "pmfadm: the process monitor facility is not running on node n1"
    )
    assert pmfadm.main(["-L"], layout=layout, node="n1") == 3


def test_stop_pmfd_kills_every_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from clustersim.pmfd import stop_pmfd

    with running_node(tmp_path, monkeypatch) as node:
        pidfile = node.tmp / "daemon.pid"
        node.pmfadm("-c", "d", double_forking_daemon(node, pidfile).as_posix())
        node.pmfadm("-c", "s", "-n", "-1", "sh", "-c", "sleep 1000 & sleep 1000")
        pids = [node.read_pid(pidfile), *wait_for(lambda: len(node.pids("s")) == 3 and
                                                  node.pids("s"))]  # fmt: skip

        stop_pmfd(node.layout, node.name)

        assert procs.wait_gone([node.pmfd_pid, *pids], 10.0)
        assert not node.layout.pmfd_socket(node.name).exists()


def test_sigkill_of_pmfd_leaves_no_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Node panic: pmfd dies without a word; every tree it monitored dies with it."""
    with running_node(tmp_path, monkeypatch) as node:
        pidfile = node.tmp / "daemon.pid"
        node.pmfadm("-c", "d", double_forking_daemon(node, pidfile).as_posix())
        node.pmfadm("-c", "s", "-C", "0", "sh", "-c", "sleep 1000 & exec sleep 1000")
        daemon = node.read_pid(pidfile)
        supervisors = procs.children_of(node.pmfd_pid)
        everything = procs.descendants(node.pmfd_pid)
        assert daemon in everything and len(supervisors) == 2
        node.tracked.update(everything)

        os.kill(node.pmfd_pid, signal.SIGKILL)

        assert procs.wait_gone(everything, 10.0), "a process of a tree outlived pmfd"
        assert node.pmfadm("-q", "d")[0] == 3, "pmfd is gone: a clear error, not a tag"


def test_panic_by_kill_tree_leaves_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_node(tmp_path, monkeypatch) as node:
        node.pmfadm("-c", "forker", "sh", "-c", "while :; do sleep 1000 & sleep 0.01; done")
        wait_for(lambda: len(node.pids("forker")) > 5, what="a busy forking tree")

        killed = procs.kill_tree(node.pmfd_pid)

        assert procs.wait_gone(killed, 10.0)
        assert not procs.descendants(node.pmfd_pid, include_zombies=False)


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name
