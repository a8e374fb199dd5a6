"""hostlab: real Linux hosts on a private network segment, for test beds.

A *lab* is one directory that owns everything made for it: network segments (a bridge in a
network namespace of its own, no route out), hosts (a long-lived init process in new network,
mount, UTS and PID namespaces, with chosen absolute paths bind-mounted from the host's own
directory and a veth cable plugged into a segment) and disks (ext4 images on loop devices).
Every kernel object is recorded in the lab's state file (`<lab>/hostlab.json`) before it is
used, so `Lab.destroy()` -- and `cleanup(directory)` after a crashed run, from the state file
alone -- removes every namespace, mount, loop device, interface and process.

Two users share it: the Sun Cluster stand-in (`clustersim`, where a host is a cluster node)
and the Pacemaker test bed of the OCF agent. Nothing here knows about either.

    with Lab(tmp_path) as lab:
        seg = lab.segment()                                  # 198.18.0.0/24
        mars = lab.host("mars", "198.18.0.11", segment=seg,
                        binds={"/etc/passwd": tmp_path / "mars-passwd"})
        mars.run(["hostname"], capture_output=True)          # b"mars\\n"
        disk = lab.disk("shared", size_mb=16)
        mars.run(["mount", disk.device, "/mnt"])             # only mars sees it
        mars.cut_cable(); mars.mend_cable(); mars.power_off()

The network rule of the project holds by construction: the only addresses are those the
caller gives, inside 198.18.0.0/15, on interfaces that live in namespaces the lab created;
nothing is ever added to the machine's initial network namespace. The real tools do the work
(iproute2 `ip`, util-linux `unshare`, `nsenter`, `mount`, `losetup`, e2fsprogs `mkfs.ext4`).

Names as agreed in the hostlab brief, with these refinements: `Lab.host()` takes the segment
as `segment=` (default: the lab's only segment) and `files=` (text written into the host's
directory and bind-mounted); `Host.power_on()` boots a powered-off host again; `Host.popen()`
returns a `HostProcess` whose signals reach the program, not nsenter; `check_capabilities()`
returns `None` when all is there, else the one line to print; `cleanup_orphans()` removes
labs whose owner process (see `Lab(owner_pid=)`, `HOSTLAB_OWNER`) is gone.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hostlab.capabilities import check_capabilities
    from hostlab.errors import HostlabError
    from hostlab.lab import Disk, Host, HostProcess, Lab, Segment
    from hostlab.state import cleanup, cleanup_orphans, registered_labs

_HOMES = {"check_capabilities": "capabilities", "HostlabError": "errors", "Disk": "lab",
          "Host": "lab", "HostProcess": "lab", "Lab": "lab", "Segment": "lab",
          "cleanup": "state", "cleanup_orphans": "state", "registered_labs": "state"}
"""Where each public name lives: loaded on first use, so that a program that needs one
light module (hostlab.inside) does not load the lab's machinery with the package."""


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"hostlab.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Disk",
    "Host",
    "HostProcess",
    "HostlabError",
    "Lab",
    "Segment",
    "check_capabilities",
    "cleanup",
    "cleanup_orphans",
    "registered_labs",
]
