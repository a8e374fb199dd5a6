"""The generic procedure with the older storage type the guide documents beside HAStoragePlus.

Step 4 registers SUNW.HAStorage ("to do the same with HAStorage as the resource type"), step 7
creates disk-rs of that type with `-x ServicePaths=... -x AffinityOn=True`, and the unconfigure
procedure unregisters SUNW.HAStorage. Every other step is the generic one. Corrected where the
seed is wrong: its HAStorage command lacks the continuation backslash after `-t
SUNW.HAStorage` (a shell would run it without ServicePaths), and has a blank after the comma
of its list. The guide strongly recommends HAStoragePlus (better I/O), which is why the demo
runs the generic procedure unless told otherwise.
"""

from __future__ import annotations

from pathlib import Path

from imsguide import generic
from imsguide.session import Session

STORAGE_TYPE = "SUNW.HAStorage"


def register_types(s: Session) -> None:
    s.cluster(s.site.nodes[0], "scrgadm", "-a", "-t", "SUNW.ims")
    s.cluster(s.site.nodes[0], "scrgadm", "-a", "-t", STORAGE_TYPE)


def add_storage(s: Session) -> None:
    site = s.site
    first = site.nodes[0]
    s.cluster(first, "scrgadm", "-a", "-j", site.storage_resource, "-g", site.group,
              "-t", STORAGE_TYPE, "-x", f"ServicePaths={site.config_dir}",
              "-x", "AffinityOn=True")
    s.cluster(first, "scswitch", "-e", "-j", site.storage_resource)


def remove_types(s: Session) -> None:
    s.cluster(s.site.nodes[0], "scrgadm", "-r", "-t", "SUNW.ims")
    s.cluster(s.site.nodes[0], "scrgadm", "-r", "-t", STORAGE_TYPE)


_VARIANT = {
    "4": generic.Step("4", "register the resource types (HAStorage for the storage)",
                      register_types),
    "7": generic.Step("7", "add the HAStorage resource for the shared file system "
                      "(ServicePaths)", add_storage),
    "U5": generic.Step("U5", "unregister the resource types", remove_types),
}


def steps(package_dir: Path) -> list[generic.Step]:
    """Steps 1-17 of the generic procedure, steps 4 and 7 in their HAStorage form."""
    return [_VARIANT.get(step.number, step) for step in generic.steps(package_dir)]


UNCONFIGURE_STEPS = [_VARIANT.get(step.number, step) for step in generic.UNCONFIGURE_STEPS]


def run(s: Session, package_dir: Path) -> None:
    generic.run_steps(s, steps(package_dir))


def unconfigure(s: Session) -> None:
    generic.run_steps(s, UNCONFIGURE_STEPS)
