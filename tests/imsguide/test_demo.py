"""The README's first command, `make demo`, run as a script runs it (`--quiet`): the whole
generic procedure and its proofs, with what a newcomer must see, and nothing left running.

One run (it is slow); the other procedures' steps are checked in test_procedures.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from imsguide.session import tool

pytestmark = pytest.mark.e2e
TOP = Path(__file__).resolve().parents[2]
DEMO_TIMEOUT = 900
HEADING = re.compile(r"^\[\s*\d+\.\d+s\] (.*)$", re.M)
GUIDE_LINES = (
    r"\[ID 831728 daemon\.debug\] Groupname mail exists\.",
    r"\[ID 383726 daemon\.debug\] Username mailsrv exists\.",
    r"\[ID 244341 daemon\.debug\] IMS_serverroot = /opt/SUNWmsgsr",
    r"\[ID 833212 daemon\.info\] Attempting to start the data service under process monitor "
    r"facility\.",
)


def in_order(found: list[str], expected: list[str]) -> None:
    """Each expected heading starts one of `found`, in this order."""
    at = 0
    for prefix in expected:
        while at < len(found) and not found[at].startswith(prefix):
            at += 1
        assert at < len(found), f"heading {prefix!r} missing or out of order:\n" + \
            "\n".join(found)
        at += 1


def test_make_demo_quiet_runs_the_guide_and_proves_the_service(
        public_tmp_path: Path, show_node_logs: Callable[[Path], None]) -> None:
    where = public_tmp_path / "demo"  # not tmp_path: see testbed.public_directory
    show_node_logs(where / "cluster")  # a failed demo keeps them there
    try:
        done = subprocess.run([sys.executable, "-m", "imsguide.demo", "--quiet", "--dir",
                               str(where)], capture_output=True, text=True,
                              timeout=DEMO_TIMEOUT, cwd=TOP, check=False)
    finally:
        if (where / "cluster").exists():  # the demo was killed: stop what it left
            subprocess.run([tool("clustersim"), "destroy", "--keep", str(where / "cluster")],
                           capture_output=True, timeout=300, check=False)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "Traceback" not in out + done.stderr and "FAILED" not in out, out + done.stderr
    assert not re.search(r"^\S+# ", out, re.M), "--quiet shows commands:\n" + out

    headings = HEADING.findall(out)
    in_order(headings, [
        "Building the SUNWscims package", "Creating the stand-in cluster",
        *[f"Step {n}:" for n in ("1-2", "3", "4", "5", "6", "7", "8-9", "10", "11", "12",
                                 "13", "14", "15", "16", "17")],
        "Mail to joe@meadow.red.siroe.com, read back by IMAP and POP",
        "Switchover of MAIL-RG to", "Switchover of MAIL-RG to",
        "Debug logging on every node", "Node ", "Node ",
        "What happened to mail, as imsreport tells it on the log host",
        *[f"Step U{n}:" for n in range(1, 6)],
        "Destroying the stand-in cluster", "Done in",
    ])
    assert re.search(r"^\[\s*\d+\.\d+s\] Done in \d+ s; nothing is left running$", out, re.M)

    # mail sent to the logical host, read back by IMAP and POP, each message by its ID
    assert re.search(r"=> sent 2 messages by SMTP to meadow; IMAP and POP both read back each "
                     r"of them by Message-ID", out), out
    ids = re.findall(r"^ +(<[0-9a-f]{32}@red\.siroe\.com>)$", out, re.M)
    assert len(set(ids)) == 2, out

    # a switchover to the other node and back, the same mail readable on each
    moves = re.findall(r"^\[.*\] Switchover of MAIL-RG to (\w+)\n(?: +\.\.\. .*\n)* +=> "
                       r"online on \1 in "
                       r"\d+\.\d s; all 2 messages read back there by IMAP and POP$", out, re.M)
    assert len(moves) == 2 and set(moves) == {"mars", "venus"}, out
    home = moves[-1]

    # debug on: the fault monitor's lines and the guide's lines of ims_svc_start, with IDs
    tag = rf"\w{{3}} [ \d]\d \d\d:\d\d:\d\d {home} SC\[SUNW\.ims,MAIL-RG,mail-rs,"
    assert re.search(rf"^ +{tag}ims_probe\]: \[ID \d+ daemon\.error\] The Messaging Server "
                     r"watcher \(pid \d+\) died", out, re.M), out
    for line in GUIDE_LINES:
        assert re.search(rf"^ +{tag}ims_svc_start\]: {line}$", out, re.M), line + "\n" + out

    # the guide's "watch /dev/console": the fault monitor's error reached the node's console
    console = out.split(f"=> what reached {home}'s console", 1)
    assert len(console) == 2, out
    assert re.search(rf"^ +{tag}ims_probe\]: \[ID \d+ daemon\.error\] The Messaging Server "
                     r"watcher \(pid \d+\) died", console[1].split("\n[", 1)[0], re.M), out
    assert "daemon.debug" not in console[1].split("\n[", 1)[0], "debug lines on the console"

    # the watcher killed: noticed, Messaging Server restarted in place, with the time
    assert re.search(rf"=> watcher death noticed in \d+\.\d s; Messaging Server restarted in "
                     rf"place on {home} \(new watcher pid \d+\), SMTP, IMAP and POP answering "
                     r"\d+\.\d s after the kill", out), out

    # the node panics: the group fails over with its mail, with the time
    other = next(n for n in ("mars", "venus") if n != home)
    assert f"] Node {home} panics" in out
    assert re.search(rf"=> MAIL-RG failed over: it answers on {other} \d+\.\d s after the "
                     r"panic; no message lost \(IMAP and POP\)", out), out
    assert f"] Node {home} boots and rejoins the cluster" in out

    # imsreport on the log host tells the story: the killed watcher and the panic
    assert re.search(rf"^ +\d\d:\d\d:\d\d  kill-watcher on {home}, MAIL-RG \(mail-rs\): "
                     rf"down \d+\.\d s, answering again \S+ on {home}$", out, re.M), out
    assert re.search(rf"^ +\d\d:\d\d:\d\d  power-off on {home}, MAIL-RG: down \d+\.\d s, "
                     rf"answering again \S+ on {other}$", out, re.M), out

    # unconfigured, then destroyed: nothing of it runs, and the demo says so
    assert "=> Messaging Server and SUNW.ims processes left: mars 0, venus 0" in out, out
    assert re.search(r"=> processes of the cluster still running \(pgrep -f .*/cluster\): 0$",
                     out, re.M), out
    left = subprocess.run(["pgrep", "-a", "-f", str(where)], capture_output=True, text=True,
                          check=False).stdout.strip()
    assert left == "", f"processes left behind: {left}"
    assert not (where / "cluster").exists(), "the demo's cluster was not destroyed"
