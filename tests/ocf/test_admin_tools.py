"""The cluster as a RHEL administrator builds it, with pcs (docs/ocf.md), and the agent as
pcs and crmsh describe it: every parameter with its description, type and default, and the
operations' advised timeouts. (The crmsh configuration is the bed's default, which
test_pacemaker.py runs.)"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from pacemakerbed.bed import GROUP, NODES, PREFERRED, RESOURCE, PacemakerBed, Timing
from pacemakerbed.bed import bed as built
from scims import ocf_metadata
from scims.cluster import rtr
from support.ocf import BED_LOGS

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
RT = rtr.parse_file(REPO / "rtr" / "SUNW.ims")


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory, deb: Path, capable: None
        ) -> Iterator[PacemakerBed]:
    with built(tmp_path_factory.mktemp("pcs"), deb, Timing(), tool="pcs") as made:
        made.wait_started()
        yield made
    assert made.leftovers() == [], "processes of the bed outlived it"


@pytest.fixture
def healthy(bed: PacemakerBed, request: pytest.FixtureRequest) -> str:
    request.node.stash[BED_LOGS] = bed
    return bed.wait_started()


def constraints(bed: PacemakerBed) -> list[dict[str, str]]:
    text = bed.crm("cibadmin", "--query", "--scope", "constraints").stdout
    return [dict(c.attrib) for c in ET.fromstring(text)]


def test_the_pcs_configuration_is_valid_and_the_documented_one(
        bed: PacemakerBed, healthy: str) -> None:
    done = bed.crm("crm_verify", "-L", "-V", check=False)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
    cib = ET.fromstring(bed.crm("cibadmin", "--query", "--scope", "configuration").stdout)
    (group,) = [g for g in cib.iter("group") if g.get("id") == GROUP]
    assert [p.get("id") for p in group.findall("primitive")] == ["fs", "ip", RESOURCE]
    (fence,) = [p for p in cib.iter("primitive") if p.get("class") == "stonith"]
    assert fence.get("type") == "fence_hostlab"
    options = {n.get("name"): n.get("value") for n in cib.find("crm_config").iter("nvpair")}
    assert options["stonith-action"] == "off" and options["stonith-enabled"] == "true"
    node, score = PREFERRED
    assert [(c.get("rsc"), c.get("node"), c.get("score")) for c in constraints(bed)] == \
        [(GROUP, node, str(score))]


def test_a_pcs_move_and_cleanup_leave_only_the_configured_constraint(
        bed: PacemakerBed, healthy: str) -> None:
    target = next(n for n in NODES if n != healthy)
    assert bed.move(target) == target
    assert bed.cleanup() == target
    assert [c.get("rsc") for c in constraints(bed)] == [GROUP]
    assert "Messaging Server is up" in bed.node_log(target)


def test_pcs_resource_describe_shows_every_parameter_and_the_advised_timeouts(
        bed: PacemakerBed) -> None:
    text = " ".join(bed.crm("pcs", "resource", "describe", "ocf:sunw:ims").stdout.split())
    for param in ocf_metadata.parameters(RT):
        # "name (required): <longdesc>": pcs prints the long description, which says
        # the type and the default
        assert f"{param.name}{' (required)' if param.required else ''}: " \
               f"{param.longdesc} {param.facts}" in text, param.name
    for action in ocf_metadata.actions(RT):
        if action.name in ("start", "stop", "monitor"):
            interval = f"interval={action.interval or 0}s"
            assert f"{action.name}: {interval} timeout={action.timeout}s" in text, action.name


def test_crm_ra_info_shows_every_parameter_and_the_advised_timeouts(
        bed: PacemakerBed) -> None:
    text = bed.crm("crm", "ra", "info", "ocf:sunw:ims").stdout
    flat = " ".join(text.split())
    for param in ocf_metadata.parameters(RT):
        default = f", [{param.default_text}]" if param.default_text is not None else ""
        head = f"{param.name}{'*' if param.required else ''} ({param.content_type}{default}):"
        assert head in text, param.name
        assert param.longdesc in flat
    for action in ocf_metadata.actions(RT):
        if action.name in ("start", "stop", "monitor"):
            # one line per operation: the quick and the thorough monitor each have theirs
            lines = [line.split() for line in text.splitlines()
                     if line.split()[:1] == [action.name]]
            want = [f"timeout={action.timeout}s"]
            if action.interval is not None:
                want.append(f"interval={action.interval}s")
            assert any(all(w in line for w in want) for line in lines), (action, lines)
