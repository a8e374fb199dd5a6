"""The init process of one host: PID 1 of its PID namespace. Run by `Lab.host()` only.

`unshare --net --mount --uts --pid --fork --mount-proc` starts it in the host's new
namespaces with / already private (no mount made here is seen outside) and /proc showing
only the host's processes. It then makes the host:

* the hostname (UTS namespace);
* a private /dev (tmpfs): the usual character devices, its own devpts and /dev/shm, and the
  lab's disks as block device nodes -- so a host may create /dev/log or write /dev/console
  without touching the machine's /dev;
* every requested bind mount, so each path is the real absolute path. A mount point that
  does not exist on the machine (/usr/cluster, /etc/vfstab) is made inside an overlay of its
  nearest existing directory whose upper layer lives in this host's /dev tmpfs: the machine's
  own file systems are never written;
* loopback up.

It then prints `ready` (or `error: <line>`) on stdout and stays, reaping orphans, until it is
killed -- SIGKILL from outside is a power-off: the kernel kills every process of the host at
once. SIGTERM is an orderly halt: every process gets SIGTERM, then SIGKILL.

Standard library only, and no hostlab import: it runs as a script by path.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CHAR_DEVICES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
                "urandom": (1, 9), "tty": (5, 0)}
OVERLAY_SCRATCH = "/dev/.hostlab"


class SetupError(Exception):
    pass


def run(*argv: str, check: bool = True) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, env={"PATH": PATH, "LANG": "C"},
                          check=False)
    if check and done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise SetupError(f"{' '.join(argv)}: {lines[-1] if lines else 'failed'}")


def under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def private_dev(devices: list[list]) -> None:
    run("mount", "-t", "tmpfs", "-o", "mode=755,size=65536k", "hostdev", "/dev")
    for name, (major, minor) in CHAR_DEVICES.items():
        os.mknod(f"/dev/{name}", 0o666 | stat.S_IFCHR, os.makedev(major, minor))
        os.chmod(f"/dev/{name}", 0o666)  # noqa: S103 -- /dev/null is for everyone
    add_block_devices(devices)
    for name in ("pts", "shm", "mqueue"):
        os.mkdir(f"/dev/{name}")
    run("mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=620", "devpts",
        "/dev/pts")
    run("mount", "-t", "tmpfs", "-o", "mode=1777", "shm", "/dev/shm")
    os.symlink("pts/ptmx", "/dev/ptmx")
    os.symlink("/proc/self/fd", "/dev/fd")
    for number, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{number}", f"/dev/{name}")
    os.mkdir(OVERLAY_SCRATCH, 0o700)


def add_block_devices(devices: list[list]) -> None:
    for path, major, minor in devices:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.lexists(path):
            os.mknod(path, 0o660 | stat.S_IFBLK, os.makedev(major, minor))


def nearest_existing(path: str) -> str:
    while not os.path.lexists(path):
        path = os.path.dirname(path)
    return path


def overlay_roots(binds: list[list[str]]) -> list[str]:
    """The machine's directories that need an overlay so that missing mount points can be
    made: the nearest existing ancestor of each missing target, topmost only."""
    targets = [t for t, _ in binds]
    roots: set[str] = set()
    for target in targets:
        inside_other = any(under(target, t) and t != target for t in targets)
        if inside_other or under(target, "/dev") or os.path.lexists(target):
            continue
        root = nearest_existing(target)
        if root == "/":
            raise SetupError(f"cannot make mount point {target}: its parent would be /")
        roots.add(root)
    return sorted(r for r in roots if not any(under(r, o) and o != r for o in roots))


def mount_overlay(root: str, number: int, directory: str,
                  sources: list[str]) -> None:
    for path in [directory, *sources]:
        if under(path, root):
            raise SetupError(f"{path} lies under {root}, which this host overlays; "
                             "put the lab directory elsewhere (e.g. under /tmp)")
    scratch = f"{OVERLAY_SCRATCH}/{number}"
    os.makedirs(f"{scratch}/upper")
    os.makedirs(f"{scratch}/work")
    run("mount", "-t", "overlay", "-o",
        f"lowerdir={root},upperdir={scratch}/upper,workdir={scratch}/work",
        f"hostlab-{number}", root)


def bind(target: str, source: str) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    elif not os.path.lexists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "a"):
            pass
    run("mount", "--bind", source, target)


def drop_foreign_mounts() -> None:
    """Unmount this namespace's copies of named network namespaces (`/run/netns/*`): held
    here, they would keep another lab's segment alive after that lab deleted it."""
    with open("/proc/self/mountinfo") as mountinfo:
        points = [line.split()[4] for line in mountinfo]
    for point in sorted(p for p in points if under(p, "/run/netns") and p != "/run/netns"):
        # another lab may delete its segment meanwhile (the mount is then already gone here)
        run("umount", "-l", point, check=False)


def setup(spec: dict) -> None:
    socket.sethostname(spec["hostname"])
    drop_foreign_mounts()
    binds = sorted(spec["binds"], key=lambda tb: (tb[0].count("/"), tb[0]))
    roots = overlay_roots(binds)  # decided on the machine's view, before /dev changes
    private_dev(spec.get("devices", []))
    for number, root in enumerate(roots):
        mount_overlay(root, number, spec["directory"], [s for _, s in binds])
    for target, source in binds:
        bind(target, source)
    run("ip", "link", "set", "lo", "up")


def halt(_signum: int, _frame: object) -> None:
    """Orderly halt: everyone gets SIGTERM, stragglers SIGKILL after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(-1, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                if os.waitpid(-1, os.WNOHANG) == (0, 0):
                    time.sleep(0.02)
            except ChildProcessError:
                break
    os._exit(0)


def main() -> None:
    with open(sys.argv[1]) as spec_file:
        spec = json.load(spec_file)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes pause() to reap
    signal.signal(signal.SIGTERM, halt)
    try:
        setup(spec)
    except (SetupError, OSError) as exc:
        print(f"error: {exc}", flush=True)
        sys.exit(1)
    print("ready", flush=True)
    devnull = os.open("/dev/null", os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            signal.pause()
        except InterruptedError:
            pass


if __name__ == "__main__":
    main()
