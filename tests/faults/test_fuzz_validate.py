"""Validate under arbitrary input, run exactly as the RGM runs it: whatever `-x/-r/-g` values
and argv it is given, it exits 0 or 1, logs at most one line (a SUNW.ims line, never a
traceback), and never runs a program with a value (a value that would create a file if a
shell saw it never creates it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imsguide import faults, proof
from imsguide.site import Site
from imsguide.testbed import Cluster

pytestmark = pytest.mark.e2e

CANARY = "/tmp/ims-validate-canary"
"""Where every shell-ish value below would create a file (on the machine, not in a node)."""
SHELLISH = [
    f"$(touch {CANARY})", f"`touch {CANARY}`", f"; touch {CANARY}", f"| touch {CANARY}",
    f"&& touch {CANARY}", f"\ntouch {CANARY}\n", f"/opt/SUNWmsgsr;touch {CANARY}",
    f"/opt/SUNWmsgsr$(touch {CANARY})", f"x' ; touch {CANARY}; '", f'x" ; touch {CANARY}; "',
    f"${{IFS}}touch${{IFS}}{CANARY}", f"> {CANARY}",
]
PROPERTIES = ["IMS_serverroot", "Resource_dependencies", "Probe_timeout", "Retry_count",
              "Thorough_probe_interval", "Failover_mode", "Pingpong_interval", "Nodelist",
              "Network_resources_used", "Port_list", "Start_timeout"]
# What an argv element can hold: anything but NUL (the kernel refuses it) and lone surrogates.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=40)
VALUES = st.one_of(
    TEXT,
    st.sampled_from(SHELLISH),
    st.builds(lambda a, b: a + b, TEXT, st.sampled_from(SHELLISH)),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.builds(lambda n, c: c * n, st.integers(1, 20000), st.sampled_from("a/;$\u00e9")),
)
ASSIGNMENT = st.builds(lambda k, v: f"{k}={v}", st.one_of(st.sampled_from(PROPERTIES), TEXT),
                       VALUES)
OPTION = st.tuples(st.sampled_from(["-x", "-r", "-g"]), ASSIGNMENT)
ARGV = st.one_of(
    # the RGM's shape with arbitrary property assignments
    st.builds(lambda mode, options: [mode, "-R", "mail-rs", "-T", "SUNW.ims:1.0",
                                     "-G", "MAIL-RG", *[x for o in options for x in o]],
              st.sampled_from(["-c", "-u"]), st.lists(OPTION, max_size=4)),
    # anything at all
    st.lists(st.one_of(st.sampled_from(["-c", "-u", "-R", "-T", "-G", "-x", "-r", "-g", "-Z",
                                        "--", "-"]), VALUES), max_size=8),
)


METHOD = "/opt/SUNWscims/bin/ims_svc_validate"


@pytest.fixture(scope="module")
def validate(cluster: Cluster) -> tuple[Cluster, str, Path]:
    node, _ = faults.wait_healthy(cluster.site, 60)
    method = cluster.site.on(node, METHOD)
    assert method.is_file(), method
    return cluster, node, method


def run_validate(cluster: Cluster, node: str, method: Path,
                 argv: list[str]) -> tuple[int, list[str]]:
    """Validate's exit code, and what it put in the node's messages: every line since it
    started except the ones the live cluster logs meanwhile (the RGM's state changes, the
    running resource's other methods and its fault monitor)."""
    site = cluster.site
    host = site.host(node)
    assert host is not None, f"{node} is down"
    where = faults.mark(site, node)
    # on the node, as the RGM runs it: the real path, a clean environment
    done = subprocess.run(host.command([METHOD, *argv]), capture_output=True, timeout=60,
                          env={"PATH": "/usr/cluster/bin:/usr/bin:/bin", "LANG": "C",
                               "TZ": "UTC"}, check=False)
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    return done.returncode, [line for line in faults.since(site, node, where)
                             if not _from_the_live_cluster(site, line)]


def _from_the_live_cluster(site: Site, line: str) -> bool:
    matched = faults.SYSLOG_LINE.match(line)
    if matched is None:
        return False
    rest = matched["rest"]
    live = f"SC[SUNW.ims,{site.group},{site.mail_resource},"
    return rest.startswith("Cluster.") or (
        rest.startswith(live) and not rest.startswith(live + "ims_svc_validate]"))


# The fault matrix's threads run meanwhile, and imaplib and tempfile there draw from the
# `random` module: Hypothesis sees the global random state move and warns about it.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=ARGV)
def test_validate_never_runs_a_value_and_says_one_thing(
        validate: tuple[Cluster, str, Path], argv: list[str]) -> None:
    cluster, node, method = validate
    code, lines = run_validate(cluster, node, method, argv)
    assert code in (0, 1), f"exit {code} for {argv!r}"
    assert not Path(CANARY).exists(), f"a value was run by a shell: {argv!r}"
    assert not any("Traceback" in line for line in lines), lines
    ours = [line for line in lines if faults.SYSLOG_LINE.match(line) and
            faults.SYSLOG_LINE.match(line)["rest"].startswith("SC[SUNW.ims,")]
    assert len(lines) <= 1, f"{len(lines)} lines for {argv!r}:\n" + "\n".join(lines)
    assert ours == lines, f"not a SUNW.ims line: {lines}"
    if code == 1:
        assert len(ours) == 1, f"refused without a reason: {argv!r}"


def test_validate_still_accepts_the_real_configuration(
        validate: tuple[Cluster, str, Path]) -> None:
    """The fuzzing did not break anything: the live resource validates, and the service
    still answers."""
    cluster, node, method = validate
    code, lines = run_validate(cluster, node, method, [
        "-u", "-R", "mail-rs", "-T", "SUNW.ims:1.0", "-G", "MAIL-RG",
        "-x", "IMS_serverroot=/opt/SUNWmsgsr"])
    assert code == 0, lines
    assert proof.services_answer(cluster.site)
    assert not Path(CANARY).exists()
