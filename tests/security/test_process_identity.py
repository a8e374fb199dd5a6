"""Which processes are the instance's: the kernel's word (executable, uid, start time), not
argv; the runtime user cross-checked; Stop kills nothing else.

Attacks 4, 5 and 6 of issue #11, and by reading: an instance at /a counting the processes of
an instance at /a/b as its own."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from helpers_scims import method_context, server_root
from security_support import (
    GID,
    OTHER_UID,
    RUNTIME_UID,
    SYSTEM_PYTHON,
    as_user,
    stop_on_node,
)

from scims.log import messages
from scims.messaging.processes import MessagingInstance

SLEEPER = "import time\nwhile True:\n    time.sleep(0.2)\n"




def spawn(procs: list[subprocess.Popen], argv: list[str], **kwargs: object) -> subprocess.Popen:
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    procs.append(proc)
    return proc


def settle() -> None:
    """Give a child the moment it needs to exec (its argv and executable are then final)."""
    time.sleep(0.5)




def test_another_users_fake_watcher_is_not_the_instance(node: Path, started) -> None:
    """Attack 5: any user running a process whose argv[0] is <IMS_serverroot>/lib/watcher
    made Start refuse ("already running outside the control of the cluster")."""
    base = node / "opt" / "SUNWmsgsr"
    fake = spawn(started, [str(base / "lib" / "watcher"), "1000"], executable="/bin/sleep",
                 preexec_fn=as_user(OTHER_UID))
    settle()
    assert fake.poll() is None
    instance = MessagingInstance(str(base), str(base / "config"), RUNTIME_UID)
    assert instance.processes() == [], "a process of another user taken for Messaging Server"
    assert instance.watcher() is None


def test_the_runtime_users_fake_watcher_with_another_executable_is_not_the_instance(
        node: Path, started) -> None:
    """Attack 5 by the runtime user itself: argv names the watcher, the kernel says sleep."""
    base = node / "opt" / "SUNWmsgsr"
    spawn(started, [str(base / "lib" / "watcher"), "1000"], executable="/bin/sleep",
          preexec_fn=as_user(RUNTIME_UID))
    settle()
    instance = MessagingInstance(str(base), str(base / "config"), RUNTIME_UID)
    assert instance.watcher() is None


def test_a_real_program_of_the_installation_is_the_instance(node: Path, started) -> None:
    """The other side of attack 5: the installation's own watcher (a script here, as in the
    stand-in) run by the runtime user is found, by its interpreter and uid."""
    base = node / "opt" / "SUNWmsgsr"
    watcher = base / "lib" / "watcher"
    watcher.write_text(f"#!{SYSTEM_PYTHON}\n{SLEEPER}")
    watcher.chmod(0o755)
    proc = spawn(started, [str(watcher)], preexec_fn=as_user(RUNTIME_UID))
    settle()
    instance = MessagingInstance(str(base), str(base / "config"), RUNTIME_UID)
    found = instance.watcher()
    assert found is not None and found.pid == proc.pid


def test_stop_spares_roots_editor_in_the_configuration_directory(node: Path, started) -> None:
    """Attack 6: root editing config/msg.conf on the node being left: Stop SIGKILLed the
    editor (its argv[1] lies under the server root). The editor here is `tail -f` named vi."""
    base = node / "opt" / "SUNWmsgsr"
    editor = spawn(started, ["vi", str(base / "config" / "msg.conf"), "-f"],
                   executable="/usr/bin/tail", stdout=subprocess.DEVNULL)
    settle()
    assert editor.poll() is None
    assert stop_on_node(node)[0] == 0
    time.sleep(0.3)
    assert editor.poll() is None, "Stop killed root's editor"


def test_msg_conf_naming_another_account_does_not_make_stop_kill_it(node: Path,
                                                                     started) -> None:
    """Attack 4: the runtime user re-points its configuration at a msg.conf of its own that
    names another account as local.serveruid: Stop SIGKILLed a process of that account
    (one that held a file of the configuration directory)."""
    config = node / "var" / "opt" / "SUNWmsgsr" / "config"
    (config / "msg.conf").write_text("local.serveruid = victim\nlocal.servergid = mail\n"
                                     "local.imta.enable = no\nlocal.store.enable = no\n")
    victim = spawn(started, [SYSTEM_PYTHON, "-c", SLEEPER], cwd=str(config),
                   preexec_fn=as_user(OTHER_UID))
    settle()
    status, recorder, _ = stop_on_node(node)
    assert status == 0
    time.sleep(0.3)
    assert victim.poll() is None, "Stop killed a process of another account"
    held = [r for r in recorder.records if r.message is messages.STORAGE_HELD]
    assert held and str(victim.pid) in held[0].text, [r.text for r in recorder.records]


def test_msg_conf_naming_another_account_is_refused_by_start_and_validate(node: Path) -> None:
    """Attack 4, the check itself: local.serveruid must own the configuration directory."""
    from scims.errors import AgentError
    from scims.messaging import installation

    config = node / "var" / "opt" / "SUNWmsgsr" / "config"
    (config / "msg.conf").write_text("local.serveruid = victim\nlocal.servergid = mail\n"
                                     "local.imta.enable = no\nlocal.store.enable = no\n")
    ctx, _ = method_context("ims_svc_stop", {})
    with pytest.raises(AgentError) as caught:
        installation.inspect(server_root(node), ctx.log)
    assert "victim" in str(caught.value) and f"user ID {RUNTIME_UID}" in str(caught.value)


def test_a_system_account_as_runtime_user_is_refused(node: Path) -> None:
    """Beyond the list: local.serveruid = daemon (a system account) was accepted, and with it
    every daemon process holding a file of the configuration directory was Stop's to kill."""
    from scims.errors import AgentError
    from scims.messaging import installation

    config = node / "var" / "opt" / "SUNWmsgsr" / "config"
    os.chown(config, 1, -1)
    (config / "msg.conf").write_text("local.serveruid = daemon\nlocal.servergid = mail\n"
                                     "local.imta.enable = no\nlocal.store.enable = no\n")
    ctx, _ = method_context("ims_svc_stop", {})
    with pytest.raises(AgentError) as caught:
        installation.inspect(server_root(node), ctx.log)
    assert "system account" in str(caught.value)


def test_an_instance_does_not_own_the_processes_of_one_nested_in_it(node: Path,
                                                                    started) -> None:
    """By reading: an instance at /a counted the processes of an instance at /a/b."""
    outer = node / "opt" / "SUNWmsgsr"
    inner = outer / "inner"
    (inner / "lib").mkdir(parents=True)
    watcher = inner / "lib" / "watcher"
    watcher.write_text(f"#!{SYSTEM_PYTHON}\n{SLEEPER}")
    watcher.chmod(0o755)
    spawn(started, [str(watcher)], preexec_fn=as_user(RUNTIME_UID))
    settle()
    assert MessagingInstance(str(inner), None, RUNTIME_UID).watcher() is not None
    assert MessagingInstance(str(outer), None, RUNTIME_UID).processes() == []


def test_validate_refuses_an_installation_nested_in_another() -> None:
    """By reading, the configuration side: Validate names the other resource."""
    from scims import validation

    assert validation.nested("/opt/a/b", "/opt/a") == "lies in"
    assert validation.nested("/opt/a", "/opt/a/b") == "contains"
    assert validation.nested("/opt/a", "/opt/ab") is None


def test_a_path_that_leaves_the_server_root_through_dotdot_is_not_the_instance(
        node: Path, started) -> None:
    """Issue #23: argv[0] `<B>/lib/../../../<elsewhere>/evil` passed for a program of B's
    `lib` (the words were compared as text), while the kernel's confirmation compared the
    executable with where the path really leads: a program of the user's own. Any program a
    user may run became "Messaging Server already running" on the standby node, and Start
    refused there."""
    base = node / "opt" / "SUNWmsgsr"
    own = node / "home" / "mailsrv"
    own.mkdir(parents=True)
    evil = own / "evil"
    evil.write_bytes(Path("/bin/sleep").read_bytes())
    evil.chmod(0o755)
    os.chown(own, RUNTIME_UID, -1)
    os.chown(evil, RUNTIME_UID, -1)
    up = "/".join([".."] * (len(base.relative_to(node).parts) + 1))
    claim = f"{base}/lib/{up}/home/mailsrv/evil"
    assert os.path.realpath(claim) == str(evil)
    spawn(started, [claim, "1000"], executable=str(evil), preexec_fn=as_user(RUNTIME_UID))
    settle()
    instance = MessagingInstance(str(base), str(base / "config"), RUNTIME_UID)
    assert instance.processes() == [], "a program outside B taken for Messaging Server"


@pytest.mark.parametrize("spelling", ["{b}/./lib/watcher", "{b}//lib//watcher",
                                      "{b}/lib/../lib/watcher", "{b}/sbin/../lib/./watcher"])
def test_the_real_watcher_is_found_however_its_path_is_spelled(
        node: Path, started, spelling: str) -> None:
    """Issue #23: the watcher run as `<B>/./lib/watcher` was no process of the instance (the
    first word after B was `.`, not `lib`): Stop's sweep would leave it running, the fault
    monitor would not see it. Every spelling the kernel resolves to B/lib/watcher is it."""
    base = node / "opt" / "SUNWmsgsr"
    (base / "sbin").mkdir(exist_ok=True)
    watcher = base / "lib" / "watcher"
    watcher.write_text(f"#!{SYSTEM_PYTHON}\n{SLEEPER}")
    watcher.chmod(0o755)
    proc = spawn(started, [SYSTEM_PYTHON, spelling.format(b=base)],
                 preexec_fn=as_user(RUNTIME_UID))
    settle()
    instance = MessagingInstance(str(base), str(base / "config"), RUNTIME_UID)
    found = instance.watcher()
    assert found is not None and found.pid == proc.pid
    assert found.is_alive()


def test_an_impostor_keeping_the_configuration_directory_busy_is_named(
        node: Path, started) -> None:
    """Issue #23 (review): a process that merely *claimed* a program of B was left out of
    the holders, as if it were the instance's: another user's fake watcher sitting in the
    configuration directory kept the shared disk busy, and neither Stop's log nor the storage
    resource's named it. Only a process the kernel confirms is the instance's is left out."""
    base = node / "opt" / "SUNWmsgsr"
    config = node / "var" / "opt" / "SUNWmsgsr" / "config"
    fake = spawn(started, [str(base / "lib" / "watcher"), "1000"], executable="/bin/sleep",
                 cwd=config, user=OTHER_UID, group=GID, extra_groups=[])
    settle()
    instance = MessagingInstance(str(base), str(config), RUNTIME_UID)
    held = [h for h in instance.holders() if h.pid == fake.pid]
    assert held and held[0].path == str(config), instance.holders()
    assert instance.processes() == []


def test_a_process_that_took_a_victims_pid_is_not_signalled(started, monkeypatch) -> None:
    """Issue #23 (review): Stop checked a victim's identity (pid and start time), then
    called kill(2) on the pid: should the victim exit and its pid go to another process in
    between (a busy node recycles pids quickly), root killed that process, whoever's it was.
    The race is made certain here: the check answers for the victim that was, the pid is
    another process's by the time the signal goes."""
    from scims.messaging import processes
    from scims.messaging.processes import ProcessIdentity

    successor = spawn(started, ["/bin/sleep", "1000"])
    settle()
    victim = ProcessIdentity(successor.pid, create_time=1.0, program=None)
    real_is_alive, real_open = ProcessIdentity.is_alive, os.pidfd_open
    reused = []

    def checked(self: ProcessIdentity) -> bool:
        """The victim's answer until the pid is reused (just before it is opened)."""
        return real_is_alive(self) if reused else True

    def opened(pid: int, *args: int) -> int:
        reused.append(pid)
        return real_open(pid, *args)

    monkeypatch.setattr(ProcessIdentity, "is_alive", checked)
    monkeypatch.setattr(os, "pidfd_open", opened)
    processes._signal_all([victim], 9)
    time.sleep(0.2)
    assert successor.poll() is None, "root killed the process that took the victim's pid"


def test_a_claim_that_leads_out_of_the_server_root_is_never_looked_up(
        node: Path, monkeypatch) -> None:
    """Resolving the word of argv as the kernel would must not look up what lies outside B:
    `<B>/lib/../../../home/u/fuse/x` would have root walk into a file system the user serves
    (FUSE), whose lookups can be made to hang forever, and with them Start and Stop."""
    base = node / "opt" / "SUNWmsgsr"
    instance = MessagingInstance(str(base), str(base / "config"), RUNTIME_UID)
    looked_up: list[str] = []
    real_realpath, real_lstat = os.path.realpath, os.lstat
    monkeypatch.setattr(os.path, "realpath",
                        lambda p, **k: looked_up.append(str(p)) or real_realpath(p, **k))
    monkeypatch.setattr(os, "lstat",
                        lambda p, **k: looked_up.append(str(p)) or real_lstat(p, **k))
    up = "/".join([".."] * (len(base.relative_to(node).parts) + 1))
    assert instance.program_named(f"{base}/lib/{up}/home/u/fuse/x") is None
    assert not [p for p in looked_up if "fuse" in p], looked_up
    assert instance.program_named(f"{base}/./lib/watcher") == os.path.realpath(
        base / "lib" / "watcher")


def test_the_kernels_executable_is_never_looked_up(node: Path, monkeypatch) -> None:
    """The executable of a claimant is its owner's choice of file, possibly in a FUSE file
    system it serves: resolving it again (realpath) had root look it up, a lookup its owner
    can make hang. The kernel's name is already resolved, and is compared as it is."""
    from scims import trust

    watcher = node / "opt" / "SUNWmsgsr" / "lib" / "watcher"
    looked_up: list[str] = []
    real_realpath = os.path.realpath
    monkeypatch.setattr(os.path, "realpath",
                        lambda p, **k: looked_up.append(str(p)) or real_realpath(p, **k))
    assert not trust.runs_program("/home/u/fuse/sleep", str(watcher))
    assert not [p for p in looked_up if "fuse" in p], looked_up
