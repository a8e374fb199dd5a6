"""The OCF meta-data is made from rtr/SUNW.ims: the two cannot drift apart."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scims import ocf_metadata
from scims.cluster import rtr

REPO = Path(__file__).resolve().parents[2]
RTR = REPO / "rtr" / "SUNW.ims"
DTD_DIR = Path("/usr/share/resource-agents")


@pytest.fixture(scope="module")
def rt() -> rtr.ResourceType:
    return rtr.parse_file(RTR)


@pytest.fixture(scope="module")
def document(rt: rtr.ResourceType) -> ET.Element:
    return ET.fromstring(ocf_metadata.metadata_xml(rt))


def test_every_extension_property_is_a_parameter_or_excluded_with_a_reason(
        rt: rtr.ResourceType, document: ET.Element) -> None:
    names = {p.get("name") for p in document.iter("parameter")}
    for prop in rt.resource_properties():
        if not prop.extension:
            continue
        key = prop.name.lower()
        assert (key in names) != (key in ocf_metadata.NOT_PARAMETERS), key
    assert set(ocf_metadata.NOT_PARAMETERS) <= {
        p.name.lower() for p in rt.resource_properties() if p.extension}


def test_parameter_types_defaults_and_descriptions_are_the_rtr_ones(
        rt: rtr.ResourceType, document: ET.Element) -> None:
    for param in document.iter("parameter"):
        prop = rt.resource_property(param.get("name", ""))
        content = param.find("content")
        assert content is not None
        expected = {"STRING": "string", "INT": "integer", "BOOLEAN": "boolean"}[prop.type]
        assert content.get("type") == expected
        default = content.get("default")
        assert default == (None if prop.default is None else str(prop.default))
        assert param.get("required") == ("1" if prop.default is None else "0")
        longdesc = param.findtext("longdesc") or ""
        assert prop.description in longdesc


def test_long_descriptions_say_the_type_and_default(document: ET.Element) -> None:
    """pcs resource describe prints only a parameter's long description: its type and
    default must be in it for an administrator on RHEL to see them."""
    for param in document.iter("parameter"):
        content = param.find("content")
        assert content is not None
        longdesc = param.findtext("longdesc") or ""
        default = content.get("default")
        said = f"default {default}" if default is not None else "no default"
        assert f"Type {content.get('type')}, {said}" in longdesc, param.get("name")
    (root,) = [p for p in document.iter("parameter") if p.get("name") == "ims_serverroot"]
    assert (root.findtext("longdesc") or "").endswith("Type string, no default (required).")


def test_server_root_is_required_and_unique(document: ET.Element) -> None:
    (root,) = [p for p in document.iter("parameter") if p.get("name") == "ims_serverroot"]
    assert root.get("required") == "1" and root.get("unique") == "1"


def test_operation_timeouts_are_the_rtr_method_timeouts(
        rt: rtr.ResourceType, document: ET.Element) -> None:
    ops = {a.get("name"): a for a in document.iter("action")}
    assert ops["start"].get("timeout") == f"{rt.default('Start_timeout')}s"
    assert ops["stop"].get("timeout") == f"{rt.default('Stop_timeout')}s"
    assert ops["validate-all"].get("timeout") == f"{rt.default('Validate_timeout')}s"
    assert ops["monitor"].get("interval") == f"{rt.default('Thorough_probe_interval')}s"
    probe = rt.default("Probe_timeout")
    assert isinstance(probe, int)
    assert ops["monitor"].get("timeout") == f"{ocf_metadata.monitor_timeout(probe)}s"


def test_an_rtr_change_shows_in_the_metadata(rt: rtr.ResourceType) -> None:
    text = RTR.read_text().replace("DEFAULT = 30;\n\tTUNABLE = ANYTIME;\n\tDESCRIPTION = \"Time",
                                   "DEFAULT = 45;\n\tTUNABLE = ANYTIME;\n\tDESCRIPTION = \"Time")
    changed = ET.fromstring(ocf_metadata.metadata_xml(rtr.parse_text(text)))
    (probe,) = [p for p in changed.iter("parameter") if p.get("name") == "probe_timeout"]
    content = probe.find("content")
    assert content is not None and content.get("default") == "45"


def test_probe_budget_fits_the_monitor_operation() -> None:
    assert ocf_metadata.probe_budget(30, ocf_metadata.monitor_timeout(30)) == 30
    assert ocf_metadata.probe_budget(30, 20) == 2  # ocf-tester's 20 s operations
    assert ocf_metadata.probe_budget(30, 3) == 1
    for timeout in (16, 20, 40, 75, 300):
        budget = ocf_metadata.probe_budget(30, timeout)
        assert 2 * budget + ocf_metadata.MONITOR_MARGIN <= max(timeout, 17)


def test_metadata_is_valid_against_the_dtd_ocf_tester_uses(rt: rtr.ResourceType) -> None:
    done = subprocess.run(["xmllint", "--noout", "--valid", "-"], cwd=DTD_DIR,
                          input=ocf_metadata.metadata_xml(rt), text=True,
                          capture_output=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
