"""Labs, segments, hosts and disks: the objects a test bed builds its machines from.

`Lab(directory)` makes a new lab there (first tearing down whatever a crashed run left
recorded in that directory); `Lab.open(directory)` attaches to a live one from another
process (a command-line tool that acts on a lab made earlier). Each object's record is saved
before the kernel object exists, so a crash at any point leaves nothing `cleanup()` cannot
find.

Why the pieces are as they are:

* A segment is a bridge in a *named* network namespace (`ip netns add hostlab-<id>-<name>`):
  it needs no process to stay alive, and its name carries the lab id, so parallel labs
  (pytest-xdist workers, other worktrees) never meet. Hosts' addresses may repeat between
  labs: segments share nothing.
* A host's cable is a veth pair made *inside* the segment's namespace with its peer created
  directly in the host's namespace as `eth0`: no interface ever exists in the machine's
  initial network namespace, not even for an instant.
* A host's programs run through `nsenter` into all of its namespaces, as root, with a clean
  environment: what rsh from an admin console gives, and nothing of the caller leaks in.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import ipaddress
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from hostlab import inside, kernel, state
from hostlab.errors import HostlabError

LAB_NET = ipaddress.ip_network("198.18.0.0/15")
"""Addresses reserved for network test labs (RFC 2544): the only ones a lab hands out."""
BOOT_TIMEOUT = 15.0
RELEASE_WAIT = 10.0
"""How long a powered-off host's disks may take to be released by the kernel (seconds)."""
HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HOST_ENV = {"PATH": HOST_PATH, "LANG": "C", "HOME": "/"}
INIT_SCRIPT = Path(__file__).with_name("init.py")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
T = TypeVar("T")


def _mutates(method: Callable[..., T]) -> Callable[..., T]:
    """Run a method that changes the lab inside a transaction of its record."""
    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        lab = self if isinstance(self, Lab) else self.lab
        with lab._state.transaction():
            return method(self, *args, **kwargs)
    return wrapper


def _owner(owner_pid: int | None) -> tuple[int, int] | None:
    if owner_pid is None:
        text = os.environ.get("HOSTLAB_OWNER", "")
        owner_pid = int(text) if text.isdigit() else None
    if owner_pid is None:
        return None
    started = kernel.start_time(owner_pid)
    return (owner_pid, started) if started is not None else None


class Lab:
    """One directory's worth of segments, hosts and disks; a context manager that destroys
    them on exit.

    `owner_pid` (default: `$HOSTLAB_OWNER`, else none) names the process whose death makes
    the lab an orphan for `cleanup_orphans()`: a test session sets it so that a killed run's
    labs are swept by the next one.
    """

    def __init__(self, directory: str | os.PathLike[str], *, owner_pid: int | None = None,
                 _state: state.LabState | None = None) -> None:
        self.directory = Path(directory).resolve()
        if _state is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            problems = state.cleanup(self.directory)
            if problems:
                raise HostlabError("a previous lab here cannot be removed: " + problems[0])
            _state = state.LabState.new(self.directory, _owner(owner_pid))
            _state.save()
        self._state = _state
        self.segments: dict[str, Segment] = {
            name: Segment(self, name) for name in _state.segments}
        self.disks: dict[str, Disk] = {name: Disk(self, name) for name in _state.disks}
        self.hosts: dict[str, Host] = {name: Host(self, name) for name in _state.hosts}

    @classmethod
    def open(cls, directory: str | os.PathLike[str]) -> Lab:
        """Attach to the live lab recorded in `directory` (made by another process)."""
        path = Path(directory).resolve() / state.STATE_NAME
        try:
            recorded = state.LabState.load(path)
        except (OSError, ValueError) as exc:
            raise HostlabError(f"no lab in {directory}: {exc}") from exc
        return cls(directory, _state=recorded)

    @property
    def id(self) -> str:
        """The short id carried by this lab's kernel object names."""
        return self._state.id

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.destroy()

    def destroy(self) -> None:
        """Remove every host (all processes killed), segment and loop device of the lab."""
        with self._state.transaction():
            problems = state.teardown(self._state)
        self.hosts.clear()
        self.segments.clear()
        self.disks.clear()
        if problems:
            raise HostlabError("lab not fully removed: " + "; ".join(problems))

    # --- building ------------------------------------------------------------------------

    @_mutates
    def segment(self, subnet: str = "198.18.0.0/24", name: str | None = None) -> Segment:
        """A private network segment: a bridge in a namespace of its own, no route out.

        `subnet` must lie inside 198.18.0.0/15; hosts on it get addresses from it.
        """
        network = ipaddress.ip_network(subnet)
        if not network.subnet_of(LAB_NET):  # type: ignore[arg-type]
            raise HostlabError(f"segment {subnet}: a lab uses only 198.18.0.0/15")
        name = name or f"seg{len(self._state.segments)}"
        if name in self._state.segments:
            raise HostlabError(f"segment {name} exists")
        netns = f"hostlab-{self.id}-{name}"
        self._state.segments[name] = {"netns": netns, "subnet": str(network)}
        self._state.save()
        kernel.tool(["ip", "netns", "add", netns])
        kernel.tool(["ip", "-n", netns, "-batch", "-"],
                    input="link add br0 type bridge\nlink set br0 up\nlink set lo up\n")
        self.segments[name] = Segment(self, name)
        return self.segments[name]

    @_mutates
    def host(self, name: str, address: str, *, segment: Segment | None = None,
             files: Mapping[str, str] | None = None,
             binds: Mapping[str, str | os.PathLike[str]] | None = None,
             directory: str | os.PathLike[str] | None = None) -> Host:
        """A running host `name` (its hostname) with `address` on `segment`'s eth0.

        `binds` maps absolute paths inside the host to files or directories outside, bind-
        mounted so the host's programs use the real path; `files` maps absolute paths to
        text written under the host's `directory` (default `<lab>/hosts/<name>`) at the
        same relative path and bind-mounted likewise.
        """
        if name in self._state.hosts:
            raise HostlabError(f"host {name} exists")
        if segment is None:
            if len(self.segments) != 1:
                raise HostlabError(f"host {name}: say which segment")
            segment = next(iter(self.segments.values()))
        addr = ipaddress.ip_address(address)
        if addr not in segment.network:
            raise HostlabError(f"host {name}: {address} is not on {segment.network}")
        home = Path(directory).resolve() if directory else self.directory / "hosts" / name
        home.mkdir(parents=True, exist_ok=True)
        mounts = {target: str(Path(source).resolve()) for target, source in (binds or {}).items()}
        for target, text in (files or {}).items():
            path = home / target.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            mounts[target] = str(path)
        for target in mounts:
            if not target.startswith("/"):
                raise HostlabError(f"host {name}: bind target {target} is not absolute")
        number = len(self._state.hosts)
        self._state.hosts[name] = {
            "directory": str(home), "address": str(addr), "segment": segment.name,
            "cable": f"c{number}-{name}"[:15], "binds": sorted(mounts.items()),
            "init": None, "unshare": None, "powered": False}
        self._state.save()
        host = Host(self, name)
        self.hosts[name] = host
        host.power_on()
        return host

    @_mutates
    def disk(self, name: str, size_mb: int = 16, paths: tuple[str, ...] = ()) -> Disk:
        """A shared disk: an ext4 image under `<lab>/disks/` on a loop device.

        Every host (present and future) gets the device node in its /dev, and also at each
        of `paths` (other names for the same device, e.g. a Solaris /dev/global/dsk/d4s0);
        mounting is up to the hosts (`host.run(["mount", disk.device, path])`), in their own
        mount namespaces.
        """
        for path in paths:
            if not path.startswith("/dev/"):
                raise HostlabError(f"disk {name}: device path {path} is not under /dev")
        if name in self._state.disks:
            raise HostlabError(f"disk {name} exists")
        image = self.directory / "disks" / f"{name}.img"
        image.parent.mkdir(parents=True, exist_ok=True)
        self._state.disks[name] = {"image": str(image), "device": None, "size_mb": size_mb,
                                   "paths": list(paths)}
        self._state.save()
        with open(image, "wb") as handle:
            handle.truncate(size_mb * 1024 * 1024)
        kernel.tool(["mkfs.ext4", "-q", "-F", "-L", name[:16], str(image)])
        device = kernel.tool(["losetup", "--find", "--show", str(image)]).stdout.strip()
        self._state.disks[name]["device"] = device
        self._state.save()
        disk = Disk(self, name)
        self.disks[name] = disk
        major, minor = disk.numbers
        for host in self.hosts.values():
            if host.is_powered:
                for path in (device, *paths):
                    host.run(["sh", "-c", 'mkdir -p "${1%/*}" && mknod -m 660 "$1" b "$2" "$3"',
                              "mknod", path, str(major), str(minor)],
                             check=True, capture_output=True)
        return disk

    def _block_devices(self) -> list[list[Any]]:
        return [[path, *disk.numbers] for disk in self.disks.values()
                for path in (disk.device, *disk.paths)]


class _Recorded:
    """A named object of the lab: a view of its record in the lab's state file, which is the
    truth (another process that opens the lab sees the same objects)."""

    _table: str
    """The state file's table of such objects: "hosts", "segments" or "disks"."""

    def __init__(self, lab: Lab, name: str) -> None:
        self.lab = lab
        self.name = name

    @property
    def _record(self) -> dict[str, Any]:
        records: dict[str, dict[str, Any]] = self.lab._state.data[self._table]
        return records[self.name]


class Segment(_Recorded):
    """A bridge (`br0`) in the network namespace `netns`; hosts' cables plug into it."""

    _table = "segments"

    @property
    def netns(self) -> str:
        return str(self._record["netns"])

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self._record["subnet"])

    def ip(self, *args: str) -> str:
        """Run `ip -n <netns> ARGS` (e.g. `ip("link")` to see the cables)."""
        return kernel.tool(["ip", "-n", self.netns, *args]).stdout


class HostProcess(subprocess.Popen):  # type: ignore[type-arg]
    """A program started on a host. `pid` is nsenter's (outside the host); signals sent
    through this object reach the program itself (`program_pid`), which nsenter does not
    forward."""

    @property
    def program_pid(self) -> int | None:
        kids = kernel.children(self.pid)
        return kids[0] if kids else None

    def send_signal(self, sig: int) -> None:
        target = self.program_pid
        if target is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, sig)
        elif self.poll() is None:
            super().send_signal(sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Host(_Recorded):
    """A Linux host: an init process in its own network, mount, UTS and PID namespaces."""

    _table = "hosts"

    @property
    def directory(self) -> Path:
        return Path(self._record["directory"])

    @property
    def address(self) -> str:
        return str(self._record["address"])

    @property
    def segment(self) -> Segment:
        return self.lab.segments[self._record["segment"]]

    @property
    def cable(self) -> str:
        """The segment-side end of the host's veth pair (in the segment's namespace)."""
        return str(self._record["cable"])

    @property
    def mac(self) -> str:
        """eth0's hardware address: fixed per lab and host, so a host that boots again is
        the same station to its neighbours (locally administered, unicast)."""
        digest = hashlib.sha1(f"{self.lab.id}/{self.name}".encode(),
                              usedforsecurity=False).digest()
        return ":".join(f"{b:02x}" for b in (0x02, *digest[:5]))

    @property
    def pid(self) -> int:
        """The host's init in the machine's PID namespace (for nsenter -t)."""
        if not self.is_powered:
            raise HostlabError(f"host {self.name} is powered off")
        return int(self._record["init"][0])

    @property
    def netns(self) -> str | None:
        """The identity of the host's network namespace (`net:[inode]`, as
        /proc/self/ns/net reads inside it): a program can check it runs on this host."""
        return self._record.get("netns") if self.is_powered else None

    def is_current(self) -> bool:
        """Does the calling process run in this host's network namespace? (Works inside
        the host too, where the machine's pids are not visible.)"""
        return inside.in_namespace_of(self._record)

    @property
    def is_powered(self) -> bool:
        record = self._record
        return bool(record["powered"] and record["init"]
                    and kernel.is_same(*record["init"]))

    # --- running programs ------------------------------------------------------------------

    def command(self, argv: list[str], cwd: str | None = None) -> list[str]:
        """The argv that runs `argv` inside the host (for callers that spawn it themselves)."""
        return ["nsenter", f"--target={self.pid}", "--net", "--mount", "--uts", "--pid",
                f"--wdns={cwd or '/'}", "--", *argv]

    def run(self, argv: list[str], *, env: Mapping[str, str] | None = None,
            cwd: str | None = None, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        """`subprocess.run` of `argv` inside the host, as root; `env` defaults to a clean
        one (PATH, LANG=C, HOME=/), `cwd` is a path inside the host."""
        kwargs.setdefault("check", False)
        return subprocess.run(self.command(argv, cwd), env=dict(env or HOST_ENV),  # noqa: PLW1510
                              **kwargs)

    def popen(self, argv: list[str], *, env: Mapping[str, str] | None = None,
              cwd: str | None = None, **kwargs: Any) -> HostProcess:
        """`subprocess.Popen` of `argv` inside the host (see `HostProcess` for signals)."""
        return HostProcess(self.command(argv, cwd), env=dict(env or HOST_ENV), **kwargs)

    def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a Python callable of this process in a thread that lives in the host's
        network namespace: the sockets it makes are the host's (a test's own mail client
        on a client host, say). Its exception, if any, is raised here."""
        outcome: list[Any] = []

        def body() -> None:
            try:
                fd = os.open(f"/proc/{self.pid}/ns/net", os.O_RDONLY)
                try:
                    if _libc.setns(fd, CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), "setns into host network failed")
                finally:
                    os.close(fd)
                outcome.append((True, function(*args, **kwargs)))
            except BaseException as exc:  # handed to the caller's thread
                outcome.append((False, exc))

        thread = threading.Thread(target=body, name=f"on-{self.name}")
        thread.start()
        thread.join()
        ok, value = outcome[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    # --- power and cable -------------------------------------------------------------------

    @_mutates
    def power_on(self) -> None:
        """Boot the host: init in new namespaces, private /dev, bind mounts, cable plugged."""
        if self.is_powered:
            return
        record = self._record
        if record["powered"]:
            # It powered itself off (SIGPWR from inside: a panic), so nobody tidied up after
            # it: its cable's segment end may outlive it for a moment, and would block the new one.
            self.power_off()
        spec_dir = self.directory / ".hostlab"
        spec_dir.mkdir(exist_ok=True)
        spec_path = spec_dir / "init.json"
        spec_path.write_text(json.dumps({
            "hostname": self.name, "directory": str(self.directory),
            "binds": record["binds"], "devices": self.lab._block_devices()}))
        with open(spec_dir / "init.log", "ab") as log:
            proc = subprocess.Popen(
                ["unshare", "--net", "--mount", "--uts", "--pid", "--fork", "--kill-child",
                 "--mount-proc", "--propagation=private",
                 sys.executable, "-I", str(INIT_SCRIPT), str(spec_path)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                env=kernel.TOOL_ENV, start_new_session=True)
        started = kernel.start_time(proc.pid)
        record["unshare"] = [proc.pid, started]
        record["powered"] = True
        self.lab._state.save()
        try:
            self._await_ready(proc)
            kids = kernel.children(proc.pid)
            if not kids:
                raise HostlabError(f"host {self.name}: init vanished")
            record["init"] = [kids[0], kernel.start_time(kids[0])]
            record["netns"] = os.readlink(f"/proc/{kids[0]}/ns/net")
            self.lab._state.save()
            self._plug_cable()
        except HostlabError:
            self.power_off()
            raise
        finally:
            assert proc.stdout is not None
            proc.stdout.close()

    def _await_ready(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        deadline = time.monotonic() + BOOT_TIMEOUT
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([proc.stdout], [], [], max(remaining, 0))
            if not ready:
                raise HostlabError(f"host {self.name}: not up within {BOOT_TIMEOUT:.0f}s")
            chunk = os.read(proc.stdout.fileno(), 512)
            if not chunk:
                log = self.directory / ".hostlab" / "init.log"
                raise HostlabError(f"host {self.name}: init exited; see {log}")
            line += chunk
        text = line.decode(errors="replace").strip()
        if text != "ready":
            raise HostlabError(f"host {self.name}: {text.removeprefix('error: ')}")

    def _plug_cable(self) -> None:
        segment = self.segment
        init_pid = self._record["init"][0]
        kernel.tool(["ip", "-n", segment.netns, "-batch", "-"], input=(
            f"link add {self.cable} type veth peer name eth0 address {self.mac} "
            f"netns {init_pid}\n"
            f"link set {self.cable} master br0 up\n"))
        prefix = segment.network.prefixlen
        kernel.tool(["nsenter", f"--net=/proc/{init_pid}/ns/net", "ip", "-batch", "-"],
                    input=f"addr add {self.address}/{prefix} dev eth0\nlink set eth0 up\n")

    @_mutates
    def power_off(self) -> None:
        """Pull the plug: every process of the host dies at once, its interface with it,
        and so does every process of the machine inside its namespaces (nsenter wrappers,
        whatever setns'ed into it, frozen or not). Returns once the disks it had mounted
        are released by the kernel -- another host may check and mount them -- and raises
        if they are not within `RELEASE_WAIT`."""
        record = self._record
        held = self._mounted_disks()
        try:
            state.stop_host(record)
        finally:
            record.update(init=None, unshare=None, powered=False, netns=None)
            self.lab._state.save()
            # the veth pair dies with the host's network namespace; make sure of it
            with contextlib.suppress(HostlabError):
                if self.cable in self.segment.ip("-o", "link", "show"):
                    kernel.tool(["ip", "-n", self.segment.netns, "link", "delete",
                                 self.cable], check=False)
        for disk in held:
            self._await_release(disk)

    def _mounted_disks(self) -> list[Disk]:
        """The lab's disks mounted in this host's mount namespace."""
        if not self.is_powered:
            return []
        try:
            text = Path(f"/proc/{self.pid}/mountinfo").read_text()
        except OSError:
            return []
        mounted = {line.split()[2] for line in text.splitlines()}
        return [disk for disk in self.lab.disks.values()
                if "{}:{}".format(*disk.numbers) in mounted]

    def _await_release(self, disk: Disk) -> None:
        """Wait until the kernel has let go of a disk this host had mounted: its mount
        namespace is gone and nothing else holds the file system. A disk another live
        mount namespace has mounted (a global file system) is that one's."""
        numbers = "{}:{}".format(*disk.numbers)
        deadline = time.monotonic() + RELEASE_WAIT
        while kernel.device_claimed(disk.device):
            if kernel.mount_namespaces_with(numbers):
                return
            if time.monotonic() >= deadline:
                raise HostlabError(
                    f"host {self.name}: powered off, but disk {disk.name} ({disk.device}) "
                    f"is still mounted {RELEASE_WAIT:.0f}s later (a file of it is held "
                    "open from outside the host)")
            time.sleep(0.02)

    def freeze(self) -> int:
        """Stop every process of the host (SIGSTOP), as a hung kernel or a long pause
        would: those of its PID namespace and every other process of the machine in its
        mount or network namespace. It keeps its disks and its address; `thaw()` resumes
        it. How many processes were stopped."""
        with state.pinned_namespaces(self._record) as namespaces:
            return kernel.stop_members(namespaces)

    def thaw(self) -> int:
        """Resume every process of a frozen host (SIGCONT); how many were resumed."""
        with state.pinned_namespaces(self._record) as namespaces:
            return kernel.resume_members(namespaces)

    def cut_cable(self) -> None:
        """Isolate the host: its cable goes down at the segment end (the host sees no carrier)."""
        if self.is_powered:
            kernel.tool(["ip", "-n", self.segment.netns, "link", "set", self.cable, "down"])

    def mend_cable(self) -> None:
        """Plug the cable back (a host that powered off meanwhile gets a new one at boot)."""
        if self.is_powered:
            kernel.tool(["ip", "-n", self.segment.netns, "link", "set", self.cable, "up"])


class Disk(_Recorded):
    """An ext4 file system image on a loop device, shared by the lab's hosts."""

    _table = "disks"

    @property
    def image(self) -> Path:
        return Path(self._record["image"])

    @property
    def device(self) -> str:
        """The loop device, e.g. /dev/loop7 (the same path inside every host)."""
        return str(self._record["device"])

    @property
    def paths(self) -> list[str]:
        """Other device node paths of the disk inside the hosts."""
        return list(self._record.get("paths", []))

    @property
    def numbers(self) -> tuple[int, int]:
        """(major, minor) of the device."""
        rdev = os.stat(self.device).st_rdev
        return os.major(rdev), os.minor(rdev)
