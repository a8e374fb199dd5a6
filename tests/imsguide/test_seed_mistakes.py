"""The seed's own mistakes, typed verbatim: each gets a clear error naming what is wrong, and
changes nothing in the cluster (docs/procedure.md, "Mistakes in the guide")."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from imsguide.console import Console
from imsguide.session import Session, on_host, tool
from imsguide.site import Site

pytestmark = pytest.mark.e2e


def cluster_state(site: Site, node: str) -> str:
    """What an administrator would look at: scstat -g and every property (scrgadm -pvv)."""
    out = []
    for argv in (["scstat", "-g"], ["scrgadm", "-pvv"]):
        done = subprocess.run(on_host(site, node, [str(site.bin(node, argv[0])), *argv[1:]]),
                              capture_output=True, text=True, timeout=60, check=True)
        out.append(done.stdout)
    return "\n".join(out)


def typed(site: Site, node: str, line: str) -> subprocess.CompletedProcess[str]:
    """A command line as the guide prints it, split as the shell would split it."""
    argv = shlex.split(line)
    return subprocess.run(on_host(site, node, [str(site.bin(node, argv[0])), *argv[1:]]),
                          capture_output=True, text=True, timeout=120, check=False)


def refused_without_change(site: Site, node: str, line: str, *named: str) -> str:
    before = cluster_state(site, node)
    done = typed(site, node, line)
    message = (done.stderr + done.stdout).strip()
    assert done.returncode != 0, f"{line!r} was accepted: {message}"
    assert "Traceback" not in message
    for word in named:
        assert word in message, f"{line!r}: the error does not name {word!r}: {message}"
    assert cluster_state(site, node) == before, f"{line!r} changed the cluster"
    return message


@contextmanager
def example_cluster(site: Site, aliases: str) -> Iterator[Session]:
    """A bare cluster for `site`, its logical host in every node's /etc/hosts (`aliases`: the
    names after its address); destroyed after, and nothing of it left."""
    directory = site.directory
    subprocess.run([tool("clustersim"), "create", str(directory), "--nodes",
                    ",".join(site.nodes)], capture_output=True, timeout=300, check=True)
    try:
        s = Session(site, Console(quiet=True))
        for node in site.nodes:
            s.append(node, "/etc/hosts", f"{site.logical_ip}\t{aliases}")
        yield s
    finally:
        done = subprocess.run([tool("clustersim"), "destroy", str(directory)],
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        left = subprocess.run(["pgrep", "-f", str(directory)], capture_output=True, text=True,
                              check=False)
        assert left.stdout.strip() == "", f"processes left: {left.stdout}"


@pytest.fixture(scope="module")
def symmetric_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """mars and venus with MS_RG_MARS (meadow, ms-rs-mars) as the symmetric example makes it,
    short of Messaging Server itself (the mistakes are all in the cluster commands)."""
    directory = tmp_path_factory.mktemp("sym") / "cluster"
    site = Site(directory, group="MS_RG_MARS", storage_resource="ms-hasp-mars",
                mail_resource="ms-rs-mars")
    with example_cluster(site, f"{site.logical_fqdn}\tmeadow") as s:
        s.cluster("mars", "scrgadm", "-a", "-t", "SUNW.HAStoragePlus")
        s.cluster("mars", "scrgadm", "-a", "-t", "SUNW.HAStorage")
        s.cluster("mars", "scrgadm", "-a", "-g", "MS_RG_MARS", "-h", "mars,venus")
        s.cluster("mars", "scrgadm", "-a", "-L", "-g", "MS_RG_MARS", "-l", "meadow")
        s.cluster("mars", "scswitch", "-Z", "-g", "MS_RG_MARS")
        yield site


@pytest.mark.parametrize(("line", "named"), [
    # Symmetric example, step 10: enables mail-rs-mars after creating ms-rs-mars.
    ("scswitch -e -j mail-rs-mars", ["mail-rs-mars"]),
    # Symmetric example, step 8: switches MS_RG_VENUS during the MARS setup (not created yet).
    ("scswitch -z -g MS_RG_VENUS -h mars", ["MS_RG_VENUS"]),
    # Symmetric example, step 11: verifies with MAIL-RG, which this example never creates.
    ("scswitch -z -g MAIL-RG -h mars", ["MAIL-RG"]),
    # Generic unconfigure, step 3: disables budgie, a resource of the asymmetric example.
    ("scswitch -n -j budgie", ["budgie"]),
    ("scrgadm -r -j budgie", ["budgie"]),
    # Symmetric example, step 3.4: a blank before '=' (the shell makes it a separate word).
    ('scrgadm -a -j ms-hasp-mars -g MS_RG_MARS -t SUNW.HAStoragePlus -x '
     'FileSystemMountPoints ="/opt/mars/SUNWmsgsr, /var/opt/mars/SUNWmsgsr" -x '
     'AffinityOn=TRUE', ["FileSystemMountPoints"]),
    # Symmetric example, step 10: the same blank in IMS_serverroot.
    ("scrgadm -a -j ms-rs-mars -t SUNW.ims -g MS_RG_MARS -x IMS_serverroot "
     "=/opt/mars/SUNWmsgsr -y Resource_dependencies=meadow,ms-hasp-mars", ["IMS_serverroot"]),
    # Generic step 7, HAStorage variant: the first line lacks its continuation backslash, so
    # the shell runs it without ServicePaths.
    ("scrgadm -a -j disk-rs -g MAIL-RG -t SUNW.HAStorage", ["MAIL-RG"]),
    ("scrgadm -a -j disk-rs -g MS_RG_MARS -t SUNW.HAStorage", ["ServicePaths"]),
])
def test_symmetric_and_generic_mistakes_are_refused(symmetric_cluster: Site, line: str,
                                                    named: list[str]) -> None:
    refused_without_change(symmetric_cluster, "mars", line, *named)


@pytest.fixture(scope="module")
def asymmetric_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """daisy and lavender with budgie in /etc/hosts, as the asymmetric example says, and the
    group created as its step 3.2 types it (MS_RG_daisy)."""
    directory = tmp_path_factory.mktemp("asym") / "cluster"
    site = Site(directory, nodes=("daisy", "lavender"), group="MS_RG_daisy",
                logical_host="budgie")
    with example_cluster(site, "budgie.red.siroe.com\tbudgie") as s:
        s.cluster("daisy", "scrgadm", "-a", "-t", "SUNW.HAStoragePlus")
        s.cluster("daisy", "scrgadm", "-a", "-g", "MS_RG_daisy", "-h", "daisy,lavender")
        yield site


def test_group_name_in_the_wrong_case_is_refused_with_a_hint(asymmetric_cluster: Site) -> None:
    message = refused_without_change(asymmetric_cluster, "daisy",
                                     "scrgadm -a -L -g MS_RG_DAISY -l meadow", "MS_RG_DAISY")
    assert "MS_RG_daisy" in message, "the error should point to the group that does exist"


def test_logical_host_missing_from_etc_hosts_is_refused(asymmetric_cluster: Site) -> None:
    refused_without_change(asymmetric_cluster, "daisy",
                           "scrgadm -a -L -g MS_RG_daisy -l meadow", "meadow")


@pytest.mark.parametrize(("line", "named"), [
    # Asymmetric example, step 4: enables mail-rs-daisy after creating ms-rs-daisy.
    ("scswitch -e -j mail-rs-daisy", ["mail-rs-daisy"]),
    # Asymmetric example: switches MS_RG_LAVENDER, never created.
    ("scswitch -z -g MS_RG_LAVENDER -h daisy", ["MS_RG_LAVENDER"]),
    # Asymmetric example, step 10: verifies with MAIL-RG.
    ("scswitch -z -g MAIL-RG -h daisy", ["MAIL-RG"]),
])
def test_asymmetric_mistakes_are_refused(asymmetric_cluster: Site, line: str,
                                         named: list[str]) -> None:
    refused_without_change(asymmetric_cluster, "daisy", line, *named)
