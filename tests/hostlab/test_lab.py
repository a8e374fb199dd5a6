"""hostlab end to end: real namespaces, interfaces, mounts and loop devices, and nothing of
them left on the machine afterwards."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import hostlab
from support.machine import loop_images, machine_interfaces, netns_names

pytestmark = pytest.mark.e2e

PY = sys.executable
SERVE = ("import socket,sys\n"
         "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
         "s.bind((sys.argv[1], 7000)); s.listen(); print('listening', flush=True)\n"
         "while True:\n"
         "    c,_=s.accept(); c.sendall(socket.gethostname().encode()); c.close()\n")
ASK = ("import socket,sys\n"
       "try:\n"
       "    c=socket.create_connection((sys.argv[1], 7000), timeout=float(sys.argv[2]))\n"
       "    print(c.recv(100).decode())\n"
       "except OSError as e:\n"
       "    print('unreachable', type(e).__name__)\n")


def out(host: hostlab.Host, argv: list[str]) -> str:
    done = host.run(argv, capture_output=True, text=True, timeout=30)
    return done.stdout + done.stderr


def serve(host: hostlab.Host) -> hostlab.HostProcess:
    proc = host.popen([PY, "-c", SERVE, host.address], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "listening"
    return proc


def ask(host: hostlab.Host, address: str, timeout: float = 3.0) -> str:
    return out(host, [PY, "-c", ASK, address, str(timeout)]).strip()


def two_hosts(lab: hostlab.Lab) -> tuple[hostlab.Host, hostlab.Host]:
    lab.segment("198.18.7.0/24")
    return lab.host("mars", "198.18.7.11"), lab.host("venus", "198.18.7.12")


def test_a_host_has_its_own_name_processes_and_real_absolute_paths(
        lab: hostlab.Lab, tmp_path: Path) -> None:
    lab.segment()
    passwd = tmp_path / "mars-passwd"
    passwd.write_text("root:x:0:0::/:/bin/sh\nmailsrv:x:70:12::/:/bin/false\n")
    mars = lab.host("mars", "198.18.0.11", binds={"/etc/passwd": passwd},
                    files={"/usr/cluster/bin/README": "cluster commands\n",
                           "/etc/vfstab": "#device to mount\n"})
    assert out(mars, ["hostname"]).strip() == "mars"
    assert "mailsrv:x:70:12" in out(mars, ["getent", "passwd", "mailsrv"])
    assert out(mars, ["cat", "/usr/cluster/bin/README"]) == "cluster commands\n"
    # what the host writes there lands in its directory, not on the machine
    mars.run(["sh", "-c", "echo '/dev/x - /global/x ext4 2 no -' >> /etc/vfstab"])
    assert "/global/x" in (mars.directory / "etc" / "vfstab").read_text()
    assert not Path("/usr/cluster").exists()
    assert not Path("/etc/vfstab").exists()
    # ps on mars shows mars's processes only: its init, and ps itself
    lines = out(mars, ["ps", "-e", "-o", "pid=,comm="]).splitlines()
    assert len(lines) == 2 and lines[0].split()[0] == "1"


def test_hosts_talk_over_their_segment_and_nothing_touches_the_machines_network(
        tmp_path: Path) -> None:
    before = machine_interfaces()
    with hostlab.Lab(tmp_path / "lab") as lab:
        mars, venus = two_hosts(lab)
        assert machine_interfaces() == before
        assert f"hostlab-{lab.id}-seg0" in netns_names()
        server = serve(venus)
        try:
            assert ask(mars, venus.address) == "venus"
            # the host has no route off its segment
            assert "unreachable" in ask(mars, "198.19.0.1", timeout=1)
            assert "default" not in out(mars, ["ip", "route"])
        finally:
            server.kill()
            server.wait(10)
    assert machine_interfaces() == before
    assert not any(name.startswith(f"hostlab-{lab.id}") for name in netns_names())


def test_power_off_kills_every_process_at_once_and_silences_the_host(
        lab: hostlab.Lab) -> None:
    mars, venus = two_hosts(lab)
    server = serve(mars)
    sleeper = mars.popen(["sh", "-c", "sleep 300 & sleep 300 & wait"])
    time.sleep(0.2)
    inside = [int(p) for p in out(mars, ["pgrep", "sleep"]).split()]
    assert len(inside) == 2
    init = mars.pid
    assert ask(venus, mars.address) == "mars"
    mars.power_off()
    assert not mars.is_powered
    assert not Path(f"/proc/{init}").exists()
    assert sleeper.wait(10) != 0 and server.wait(10) != 0
    assert "unreachable" in ask(venus, mars.address, timeout=1)
    assert mars.cable not in lab.segments["seg0"].ip("-o", "link")
    mars.power_on()
    assert out(mars, ["pgrep", "sleep"]) == ""
    server = serve(mars)
    assert ask(venus, mars.address) == "mars"
    server.kill()
    server.wait(10)


def test_a_cut_cable_isolates_the_host_until_it_is_mended(lab: hostlab.Lab) -> None:
    mars, venus = two_hosts(lab)
    server = serve(mars)
    try:
        mars.cut_cable()
        assert "unreachable" in ask(venus, mars.address, timeout=1)
        assert "NO-CARRIER" in out(mars, ["ip", "link", "show", "eth0"])
        assert mars.is_powered  # it runs on, alone
        mars.mend_cable()
        for _ in range(50):
            if ask(venus, mars.address, timeout=1) == "mars":
                break
            time.sleep(0.1)
        assert ask(venus, mars.address) == "mars"
    finally:
        server.kill()
        server.wait(10)


def test_signals_reach_the_program_not_just_nsenter(lab: hostlab.Lab) -> None:
    mars, _ = two_hosts(lab)
    proc = mars.popen(["sleep", "300"])
    for _ in range(100):
        if proc.program_pid:
            break
        time.sleep(0.01)
    program = proc.program_pid
    proc.terminate()
    assert proc.wait(10) == -signal.SIGTERM
    assert program is not None and not Path(f"/proc/{program}").exists()


def test_a_disk_is_mounted_only_where_it_is_mounted_and_is_busy_while_used(
        lab: hostlab.Lab) -> None:
    mars, venus = two_hosts(lab)
    disk = lab.disk("shared", size_mb=16, paths=("/dev/global/dsk/d4s0",))
    assert disk.device.startswith("/dev/loop")
    assert out(venus, ["stat", "-c", "%t:%T", "/dev/global/dsk/d4s0"]) == \
        out(venus, ["stat", "-c", "%t:%T", disk.device])
    for host in (mars, venus):
        host.run(["mkdir", "-p", "/global/mail"])
    assert mars.run(["e2fsck", "-p", disk.device], capture_output=True).returncode == 0
    assert mars.run(["mount", disk.device, "/global/mail"]).returncode == 0
    mars.run(["sh", "-c", "echo stored > /global/mail/msg"])
    assert "/global/mail" in out(mars, ["findmnt", "-n", "-o", "TARGET", disk.device])
    assert out(venus, ["findmnt", "-n", "-o", "TARGET", disk.device]) == ""
    assert disk.device not in Path("/proc/self/mounts").read_text()
    user = mars.popen(["sh", "-c", "cd /global/mail && exec sleep 300"])
    time.sleep(0.3)
    refused = mars.run(["umount", "/global/mail"], capture_output=True, text=True)
    assert refused.returncode != 0 and "busy" in refused.stderr
    user.kill()
    user.wait(10)
    # the owner dies with it still mounted; the other host checks and mounts it
    mars.power_off()
    assert venus.run(["e2fsck", "-p", disk.device], capture_output=True).returncode in (0, 1)
    assert venus.run(["mount", disk.device, "/global/mail"]).returncode == 0
    assert out(venus, ["cat", "/global/mail/msg"]) == "stored\n"
    # a host booted after the disk was made has its device node too
    mars.power_on()
    assert mars.run(["test", "-b", disk.device]).returncode == 0
    assert mars.run(["test", "-b", "/dev/global/dsk/d4s0"]).returncode == 0


def test_destroy_leaves_nothing_and_labs_in_parallel_never_meet(tmp_path: Path) -> None:
    before = machine_interfaces()
    with contextlib.ExitStack() as stack:
        one = hostlab.Lab(tmp_path / "one")
        stack.callback(hostlab.cleanup, one.directory)
        two = hostlab.Lab(tmp_path / "two")
        stack.callback(hostlab.cleanup, two.directory)
        hosts = []
        for lab, name in ((one, "mars"), (two, "daisy")):
            lab.segment()  # the same subnet in both labs
            hosts += [lab.host(name, "198.18.0.11"), lab.host(name + "-peer", "198.18.0.12")]
            lab.disk("shared")
        servers = [serve(hosts[0]), serve(hosts[2])]
        assert ask(hosts[1], "198.18.0.11") == "mars"
        assert ask(hosts[3], "198.18.0.11") == "daisy"
        for server in servers:
            server.kill()
            server.wait(10)
        inits = [h.pid for h in hosts]
        images = {str(d.image) for lab in (one, two) for d in lab.disks.values()}
        one.destroy()
        two.destroy()
    assert machine_interfaces() == before
    assert not [n for n in netns_names() if one.id in n or two.id in n]
    assert not images & loop_images()
    assert not [pid for pid in inits if Path(f"/proc/{pid}").exists()]
    assert not (tmp_path / "one" / "hostlab.json").exists()
    assert not [lab for lab in hostlab.registered_labs()
                if lab["directory"].startswith(str(tmp_path))]


CRASH = """
import os, sys
import hostlab
lab = hostlab.Lab(sys.argv[1], owner_pid=os.getpid() if sys.argv[2] == "owned" else None)
lab.segment()
lab.host("mars", "198.18.0.11").run(["sh", "-c", "sleep 300 &"])
lab.disk("shared")
os._exit(0)   # a crash: nothing torn down
"""


def crashed_lab(directory: Path, owned: bool) -> dict:
    subprocess.run([PY, "-c", CRASH, str(directory), "owned" if owned else "-"], check=True,
                   timeout=60)
    return json.loads((directory / "hostlab.json").read_text())


def assert_gone(record: dict) -> None:
    assert not [n for n in netns_names() if n.startswith(f"hostlab-{record['id']}")]
    pid = record["hosts"]["mars"]["init"][0]
    assert not Path(f"/proc/{pid}").exists()
    assert record["disks"]["shared"]["image"] not in loop_images()


def test_cleanup_removes_what_a_crashed_run_left(tmp_path: Path) -> None:
    record = crashed_lab(tmp_path / "lab", owned=False)
    assert Path(f"/proc/{record['hosts']['mars']['init'][0]}").exists()
    assert hostlab.cleanup(tmp_path / "lab") == []
    assert_gone(record)
    # a lab made again in the same directory starts clean, too
    record = crashed_lab(tmp_path / "lab", owned=False)
    with hostlab.Lab(tmp_path / "lab"):
        assert_gone(record)


def test_orphans_of_a_dead_owner_are_swept_and_others_kept(tmp_path: Path) -> None:
    orphan = crashed_lab(tmp_path / "orphan", owned=True)
    kept = crashed_lab(tmp_path / "kept", owned=False)
    # the orphan's directory may be gone already (a test runner's tmp dir): the registry
    # copy of its record is enough
    (tmp_path / "orphan" / "hostlab.json").unlink()
    assert hostlab.cleanup_orphans() == []
    assert_gone(orphan)
    assert Path(f"/proc/{kept['hosts']['mars']['init'][0]}").exists()
    assert hostlab.cleanup(tmp_path / "kept") == []
    assert_gone(kept)


def test_addresses_outside_the_lab_range_are_refused(lab: hostlab.Lab) -> None:
    with pytest.raises(hostlab.HostlabError, match=r"198\.18\.0\.0/15"):
        lab.segment("192.0.2.0/24")
    lab.segment("198.18.0.0/24")
    with pytest.raises(hostlab.HostlabError, match="not on"):
        lab.host("mars", "198.18.1.5")


def test_a_machine_without_root_is_told_in_one_line() -> None:
    assert hostlab.check_capabilities() is None
    # The unprivileged user needs a copy of hostlab it may read: the checkout may lie in a
    # private directory (a CI clone, pytest's own temporary root).
    public = Path(tempfile.mkdtemp(prefix="hostlab-", dir="/tmp"))
    try:
        public.chmod(0o755)
        shutil.copytree(Path(hostlab.__file__).parent, public / "hostlab",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for path in public.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        done = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PY, "-c",
             "import hostlab; print(hostlab.check_capabilities())"],
            check=False, capture_output=True, text=True,
            env={"PYTHONPATH": str(public), "PATH": os.environ["PATH"]}, cwd=public)
    finally:
        shutil.rmtree(public)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and "missing" in lines[0] and "root" in lines[0]


def test_a_callable_of_the_test_speaks_from_a_host(lab: hostlab.Lab) -> None:
    mars, venus = two_hosts(lab)
    server = serve(venus)
    try:
        def greeting() -> str:
            with socket.create_connection((venus.address, 7000), timeout=3) as conn:
                return conn.recv(100).decode()
        assert mars.call(greeting) == "venus"
    finally:
        server.kill()
        server.wait(10)


def test_a_program_can_tell_which_host_it_runs_on(lab: hostlab.Lab) -> None:
    mars, venus = two_hosts(lab)
    ask = ("import hostlab,sys; lab=hostlab.Lab.open(sys.argv[1]);"
           "print(*[n for n, h in lab.hosts.items() if h.is_current()])")
    src = str(Path(hostlab.__file__).parent.parent)
    where = mars.run([PY, "-c", ask, str(lab.directory)], capture_output=True, text=True,
                     env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"})
    assert where.stdout.strip() == "mars"
    assert not mars.is_current() and not venus.is_current()


def test_a_host_can_panic_itself(lab: hostlab.Lab) -> None:
    """SIGPWR to its own init, from a process of the host: the whole host goes at once."""
    mars, venus = two_hosts(lab)
    mars.popen(["sleep", "300"])
    # A socket of this process made on mars (a client's, say) keeps mars's network
    # namespace, and so its cable, alive after mars is gone.
    held = mars.call(socket.socket, socket.AF_INET, socket.SOCK_DGRAM)
    mars.run(["kill", "-PWR", "1"])
    for _ in range(100):
        if not mars.is_powered:
            break
        time.sleep(0.02)
    assert not mars.is_powered
    assert venus.is_powered
    # It boots again, cable and all, though nobody powered it off.
    try:
        mars.power_on()
        server = serve(mars)
        try:
            assert ask(venus, mars.address) == "mars"
        finally:
            server.kill()
            server.wait(10)
    finally:
        held.close()


def _state_of(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2]


def _outside_pid_namespace(host: hostlab.Host, argv: list[str]) -> subprocess.Popen[bytes]:
    """A process in the host's mount and network namespaces but not its PID namespace (what
    an nsenter wrapper, or anything that setns'ed into the host, is)."""
    return subprocess.Popen(["nsenter", f"--target={host.pid}", "--mount", "--net",
                             "--wdns=/", "--", *argv])


def test_a_frozen_host_stops_whole_and_thaws_whole(lab: hostlab.Lab) -> None:
    mars, venus = two_hosts(lab)
    server = serve(mars)
    outside = _outside_pid_namespace(mars, ["sleep", "300"])
    try:
        time.sleep(0.3)
        program = server.program_pid
        assert program is not None
        assert mars.freeze() >= 3  # init, the server, the outside sleeper (and nsenters)
        assert _state_of(mars.pid) == "T" and _state_of(program) == "T"
        assert _state_of(outside.pid) == "T"
        assert "unreachable" in ask(venus, mars.address, timeout=1)  # it does not answer
        assert venus.is_powered and _state_of(venus.pid) != "T"
        mars.thaw()
        assert _state_of(outside.pid) != "T" and _state_of(program) != "T"
        assert ask(venus, mars.address) == "mars"
    finally:
        outside.kill()
        outside.wait(10)
        server.kill()
        server.wait(10)


def test_powering_off_a_frozen_host_releases_its_disk_held_from_outside_its_pid_namespace(
        lab: hostlab.Lab) -> None:
    """A power cut: nothing of the host may hold the disk after it, not even a process that
    only entered the host's mount namespace (stopped with the rest), so another host checks
    and mounts the disk at once."""
    mars, venus = two_hosts(lab)
    disk = lab.disk("shared", size_mb=16)
    for host in (mars, venus):
        host.run(["mkdir", "-p", "/global/mail"])
    assert mars.run(["mount", disk.device, "/global/mail"]).returncode == 0
    mars.run(["sh", "-c", "echo stored > /global/mail/msg && sync"])
    holder = _outside_pid_namespace(mars, ["sh", "-c", "cd /global/mail && exec sleep 300"])
    time.sleep(0.3)
    assert holder.poll() is None
    try:
        mars.freeze()
        mars.power_off()
        assert holder.wait(10) == -signal.SIGKILL
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
    fsck = venus.run(["e2fsck", "-p", disk.device], capture_output=True, text=True)
    assert fsck.returncode in (0, 1), fsck.stdout + fsck.stderr
    assert venus.run(["mount", disk.device, "/global/mail"]).returncode == 0
    assert out(venus, ["cat", "/global/mail/msg"]) == "stored\n"
    assert venus.run(["umount", "/global/mail"]).returncode == 0
