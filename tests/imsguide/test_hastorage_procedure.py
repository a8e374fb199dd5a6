"""The generic procedure with step 7's HAStorage variant (`-t SUNW.HAStorage -x
ServicePaths=...`), run as a whole: every step's documented outcome, mail through the
cluster, a switchover, and the unconfigure procedure leaving nothing running."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from tests.imsguide.test_procedures import (  # noqa: F401 - the fixtures are used by name
    OUTCOMES,
    UNCONFIGURE_OUTCOMES,
    USER,
    ask,
    checked,
    cluster_dir,
    create,
    mounted,
    package_dir,
    rs_state,
    storage_on_first_only,
)

from imsguide import faults, hastorage, proof
from imsguide.console import Console
from imsguide.session import Session
from imsguide.site import Site

pytestmark = pytest.mark.e2e


def hastorage_registered(site: Site) -> None:
    types = ask(site, "scha_cluster_get", "-O", "All_resourcetypes")
    assert any(t.startswith("SUNW.ims") for t in types), types
    assert any(t.split(":")[0] == "SUNW.HAStorage" for t in types), types
    assert not any(t.startswith("SUNW.HAStoragePlus") for t in types), types


def hastorage_on_first_only(site: Site) -> None:
    assert ask(site, "scha_resource_get", "-O", "Type", "-R", site.storage_resource, "-G",
               site.group)[0].split(":")[0] == "SUNW.HAStorage"
    assert ask(site, "scha_resource_get", "-O", "Extension", "-R", site.storage_resource,
               "-G", site.group, "ServicePaths") == ["STRINGARRAY", site.config_dir]
    storage_on_first_only(site)


def hastorage_gone(site: Site) -> None:
    types = ask(site, "scha_cluster_get", "-O", "All_resourcetypes")
    assert not any(t.startswith(("SUNW.ims", "SUNW.HAStorage")) for t in types), types


def test_generic_procedure_with_hastorage_step_by_step(package_dir: Path,  # noqa: F811
                                                       cluster_dir: Path) -> None:  # noqa: F811
    site = Site(cluster_dir)
    transcript = io.StringIO()
    session = Session(site, Console(out=transcript))
    create(site)
    outcomes = {**OUTCOMES, "4": hastorage_registered, "7": hastorage_on_first_only}
    steps = hastorage.steps(package_dir)
    assert [step.number for step in steps] == list(outcomes)
    for step in steps:
        checked(session, step, outcomes[step.number], transcript)
    assert (f"{site.nodes[0]}# scrgadm -a -j disk-rs -g MAIL-RG -t SUNW.HAStorage "
            f"-x ServicePaths={site.config_dir} -x AffinityOn=True") in transcript.getvalue()
    sent = proof.send_mail(site, USER, "hastorage", "on HAStorage")
    proof.wait_for(lambda: sent in proof.imap_message_ids(site, USER), 30, "mail delivered")
    # the storage follows the group: switch it back to the first node
    first, second = site.nodes
    session.cluster(second, "scswitch", "-z", "-g", site.group, "-h", first)
    node, _ = faults.wait_healthy(site, 60)
    assert node == first and rs_state(site, site.storage_resource, first) == "ONLINE"
    assert mounted(site, first, site.config_dir) and not mounted(site, second, site.config_dir)
    assert sent in proof.pop_message_ids(site, USER)
    unconfigure = {**UNCONFIGURE_OUTCOMES, "U5": hastorage_gone}
    assert [s.number for s in hastorage.UNCONFIGURE_STEPS] == list(unconfigure)
    for step in hastorage.UNCONFIGURE_STEPS:
        checked(session, step, unconfigure[step.number], transcript)
