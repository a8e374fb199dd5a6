"""A method that outlives its timeout gets SIGABRT, as from Sun Cluster 3.2 on (3.0 and 3.1
sent SIGTERM): the choice SUNW.ims(5) documents under NOTES."""

from __future__ import annotations

import pytest

from support.sleeper import Cluster

pytestmark = pytest.mark.e2e


def test_a_timed_out_method_gets_sigabrt_as_in_sun_cluster_3_2(sleeper: Cluster) -> None:
    c = sleeper
    c.ok("mars", "scrgadm", "-a", "-g", "rg", "-h", "mars,venus")
    c.ok("mars", "scrgadm", "-a", "-j", "app", "-g", "rg", "-t", "TEST.sleeper")
    c.ok("mars", "scrgadm", "-c", "-j", "app", "-y", "Start_timeout=2", "-y",
         "Failover_mode=NONE")
    c.fault("mars", "app", "start", "trap")
    c.ok("mars", "scswitch", "-Z", "-g", "rg")
    signals = [f for f in c._journal_events() if f[0] == "signal"]
    assert [(f[3], f[4], f[5], f[6]) for f in signals] == [
        ("mars", "sleeper_start", "app", "ABRT")]
    assert c.rs_state("app", "mars") == "START_FAILED"
    c.ok("mars", "scswitch", "-F", "-g", "rg")
