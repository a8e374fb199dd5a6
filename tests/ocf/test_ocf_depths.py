"""OCF_CHECK_LEVEL depths: the meta-data advertises a quick and a thorough monitor, as Sun's
Cheap_probe_interval and Thorough_probe_interval, and the monitor reads the depth."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from scims import ocf, ocf_metadata
from scims.cluster import rtr

RTR = Path(__file__).resolve().parents[2] / "rtr" / "SUNW.ims"


def test_a_quick_and_a_thorough_monitor_are_advertised() -> None:
    rt = rtr.parse_file(RTR)
    doc = ET.fromstring(ocf_metadata.metadata_xml(rt))
    monitors = sorted((a.get("depth"), a.get("interval"), a.get("timeout"))
                       for a in doc.iter("action") if a.get("name") == "monitor")
    probe = rt.default("Probe_timeout")
    assert isinstance(probe, int)
    assert monitors == [("0", "2s", "20s"),
                        ("10", f"{rt.default('Thorough_probe_interval')}s",
                         f"{ocf_metadata.monitor_timeout(probe)}s")]


def test_the_depth_chooses_the_thorough_probe() -> None:
    def thorough(level: str | None) -> bool:
        env = {} if level is None else {"OCF_CHECK_LEVEL": level}
        return ocf.Operation("monitor", env).thorough

    assert [thorough(x) for x in (None, "0", "10", "20", "bogus")] == [
        False, False, True, True, False]
