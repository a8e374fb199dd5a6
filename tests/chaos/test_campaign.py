"""A short seeded chaos campaign on the stand-in Sun Cluster, end to end: `python -m chaos`
builds the cluster, sends mail while a watcher is killed and the group switched over, reads
the store back, tears everything down, and prints its verdict with its three files: nothing
lost, no double mount, nothing stuck, no human needed, nothing left running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TOP = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(os.geteuid() != 0, reason="the stand-in cluster's hosts need root")
def test_a_short_campaign_loses_nothing_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "campaign"
    done = subprocess.run(
        [sys.executable, "-m", "chaos", "--engine", "sc", "--seed", "5", "--minutes", "0.4",
         "--faults", "kill-watcher,switchover", "--out", str(out)],
        capture_output=True, text=True, timeout=900, check=False, cwd=TOP)
    report = done.stdout[-4000:] + done.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["lost"], summary["double_mounts"], summary["stuck"],
            summary["needed_human"]) == (0, 0, 0, 0), report
    # The stand-in delivers at least once (mssim/mailstore.py): a restart between the
    # store's copy and the queue file's removal may deliver a message twice. That is the
    # one red this campaign may show; it must then be counted, explained and red.
    duplicates = summary["duplicates"]
    assert summary["duplicated"] == sum(d["extra"] for d in duplicates.values())
    assert all("during kill-watcher" in d["why"] or "during switchover" in d["why"]
               for d in duplicates.values()), duplicates
    assert [p for p in summary["problems"] if "extra copies" not in p] == [], report
    green = not duplicates
    assert done.returncode == (0 if green else 1), report
    assert ("verdict: GREEN: lost 0, duplicated 0, double mounts 0, stuck 0" in done.stdout
            if green else "verdict: RED: lost 0, duplicated " in done.stdout), report
    classes = {f["class"] for f in summary["faults"]}
    assert classes == {"kill-watcher", "switchover"}
    assert all(f["recovered_s"] is not None for f in summary["faults"])
    watcher = [f for f in summary["faults"] if f["class"] == "kill-watcher"]
    assert all(f["detected_s"] is not None and f["restarts"] + f["failovers"] >= 1
               for f in watcher), watcher
    assert summary["fsck_ok"] is True and summary["leftovers"] == []
    records = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    accepted = [r for r in records if r["kind"] == "attempt" and r["cls"] == "accepted"]
    assert len(accepted) == summary["accepted"] > 50
    assert any(r["kind"] == "mounts" and r["where"] for r in records)
    assert (out / "timeline.svg").read_text().startswith("<svg")
