"""The guide's two-node asymmetric example: nodes daisy and lavender, one instance.

The binaries are installed locally on each node (/opt/SUNWmsgsr), the configuration lives on
the shared disk (/var/opt/SUNWmsgsr). The steps are the generic procedure's, with the
example's names and its R_description step. Corrected where the seed is wrong: the group is
MS_RG_DAISY throughout (the seed also writes MS_RG_daisy), the logical host is budgie
throughout (the seed's topology and /etc/hosts say budgie, its commands say meadow), the
resource enabled is the one created (ms-rs-daisy, not mail-rs-daisy), and the final check
switches MS_RG_DAISY, not the generic example's MAIL-RG.
"""

from __future__ import annotations

from pathlib import Path

from imsguide import generic
from imsguide.session import Session
from imsguide.site import Site


def site(directory: Path) -> Site:
    return Site(directory, nodes=("daisy", "lavender"), group="MS_RG_DAISY",
                logical_host="budgie", storage_resource="ms-hasp-daisy",
                mail_resource="ms-rs-daisy", logical_suffix=157, describe_logical_host=True)


def switch_to_first(s: Session) -> None:
    s.cluster(s.site.nodes[1], "scswitch", "-z", "-g", s.site.group, "-h", s.site.nodes[0])


def steps(package_dir: Path) -> list[generic.Step]:
    """The generic procedure's steps with this example's names, then the example's check."""
    return [*generic.steps(package_dir),
            generic.Step("Check", "everything works: switch the group back to the first "
                         "node", switch_to_first)]


def run(s: Session, package_dir: Path) -> None:
    generic.run_steps(s, steps(package_dir))


def unconfigure(s: Session) -> None:
    generic.unconfigure(s)
