"""imsreport on the Pacemaker bed, run on one node and reaching the others by ssh (a real sshd
in each host), as crm_report does: a hung imapd is one incident, recovered where it ran."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pacemakerbed.bed import NODES, PacemakerBed, Timing, wait_for
from pacemakerbed.sshd import NodeSshd
from support.ocf import BED_LOGS

REPO = Path(__file__).resolve().parents[2]
IMSREPORT = REPO / "admin" / "imsreport"


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory, deb: Path, capable: None
        ) -> Iterator[tuple[PacemakerBed, NodeSshd]]:
    made = PacemakerBed.create(tmp_path_factory.mktemp("pacemaker"), deb, Timing())
    try:
        made.wait_started()
        with NodeSshd(made) as ssh:
            yield made, ssh
    finally:
        made.destroy()
        assert made.leftovers() == [], "processes of the bed outlived it"


def imsreport(bed: PacemakerBed, ssh: NodeSshd, *args: str, on: str = "n1"):
    return bed.run(on, [sys.executable, str(IMSREPORT), "--ssh-config", str(ssh.config),
                        "--remote-log", "/var/log/pacemaker/pacemaker.log", "--remote-log",
                        str(bed.nodes_dir / "%n" / "syslog"), *args], check=False,
                   timeout=180)


def test_a_hung_imapd_is_one_incident_read_over_ssh(
        bed: tuple[PacemakerBed, NodeSshd], request: pytest.FixtureRequest) -> None:
    made, ssh = bed
    request.node.stash[BED_LOGS] = made
    node = made.wait_started()
    since = time.time() - 1
    made.mssim_fault(node, "imapd", "hang")
    try:
        wait_for("the monitor to report the hang", lambda: [
            f for f in made.failures() if f.get("task") == "monitor"])
    finally:
        made.mssim_fault(node, "clear")
    assert made.wait_started() == node
    done = imsreport(made, ssh, *[a for n in NODES for a in ("--node", n)], "--from",
                     f"@{since}", "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert [(i["class"], i["node"], i["resource"]) for i in found["incidents"]] == [
        ("hang-daemon", node, "ms")], done.stdout
    incident = found["incidents"][0]
    assert incident["recovered_on"] == node and incident["outage_s"] is not None
    assert found["needs_human"] == []
    assert set(found["nodes"]) == set(NODES)
    made.cleanup()


def test_a_node_ssh_cannot_reach_is_refused_with_one_line(
        bed: tuple[PacemakerBed, NodeSshd]) -> None:
    made, ssh = bed
    done = imsreport(made, ssh, "--node", "n1", "--node", "nowhere")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("imsreport: cannot reach nowhere by ssh: ")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
