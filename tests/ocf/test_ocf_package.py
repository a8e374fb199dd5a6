"""The Debian package scims-ocf: the agent where Pacemaker looks, its man page, its library."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packaging"))

import debian  # noqa: E402

from scims import ocf_metadata  # noqa: E402
from scims.cluster import rtr  # noqa: E402
from support.imports import library_files  # noqa: E402


@pytest.fixture(scope="module")
def unpacked() -> Iterator[tuple[Path, Path]]:
    """The .deb, and its contents extracted under a directory every user can search (the
    agent's meta-data must work for `nobody`, as ocf-tester checks)."""
    top = Path(tempfile.mkdtemp(prefix="scims-deb-test-"))
    top.chmod(0o755)
    try:
        deb = debian.build(top / "out")
        root = top / "root"
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True, timeout=60)
        yield deb, root
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_control_names_the_package_and_its_dependencies(unpacked: tuple[Path, Path]) -> None:
    deb, _ = unpacked
    fields = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True,
                            check=True, timeout=60).stdout
    assert "Package: scims-ocf" in fields
    assert "Architecture: all" in fields
    assert "python3-psutil" in fields


def test_agent_is_where_pacemaker_looks_and_runs_from_there(
        unpacked: tuple[Path, Path]) -> None:
    _, root = unpacked
    agent = root / debian.AGENT_LINK
    assert agent.is_symlink()
    assert agent.resolve() == root / "usr/lib/scims/ocf/ims"
    assert os.stat(agent).st_mode & 0o777 == 0o755
    done = subprocess.run([str(agent), "meta-data"], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin"}, check=False)
    assert done.returncode == 0, done.stderr
    expected = ocf_metadata.metadata_xml(rtr.parse_file(REPO / "rtr" / "SUNW.ims"))
    assert done.stdout == expected


def test_meta_data_works_for_an_unprivileged_user(unpacked: tuple[Path, Path]) -> None:
    _, root = unpacked
    agent = root / debian.AGENT_LINK
    done = subprocess.run(["su", "nobody", "-s", "/bin/sh", "-c", f"{agent} meta-data"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "<resource-agent name=\"ims\"" in done.stdout


def test_library_is_the_repository_library(unpacked: tuple[Path, Path]) -> None:
    _, root = unpacked
    lib = root / "usr/lib/scims/lib"
    shipped = {p.relative_to(lib).as_posix() for p in lib.rglob("*.py")}
    # what the agent imports, nothing more, nothing less, each file as in the repository
    assert shipped == library_files([REPO / "ocf" / "ims", REPO / "admin" / "imsreport"],
                                    REPO / "src")
    for name in shipped:
        assert (lib / name).read_bytes() == (REPO / "src" / name).read_bytes()
    assert (root / "usr/lib/scims/rtr/SUNW.ims").read_text() == \
        (REPO / "rtr/SUNW.ims").read_text()


def test_imsreport_is_on_the_path_and_runs_from_the_package(
        unpacked: tuple[Path, Path], tmp_path: Path) -> None:
    """/usr/sbin/imsreport runs the package's own library (not the repository's), reads a
    log and reports what happened in it."""
    _, root = unpacked
    program = root / "usr/sbin/imsreport"
    assert program.is_symlink()
    assert program.resolve() == root / "usr/lib/scims/bin/imsreport"
    page = gzip.decompress((root / "usr/share/man/man8/imsreport.8.gz").read_bytes()).decode()
    assert page.startswith(".\\\" imsreport(1M)") and ".TH imsreport 8 " in page
    log = tmp_path / "syslog"
    log.write_text("Dec  8 01:16:32 ims(ms)[42]: [ID 841731 daemon.error] The Messaging "
                   "Server watcher (pid 282) died while 8 Messaging Server processes still "
                   "run.\n")
    done = subprocess.run([sys.executable, "-S", str(program), "--log", f"n1={log}", "--from",
                           "@0", "--json"], capture_output=True, text=True, timeout=60,
                          check=False, env={"PATH": "/usr/bin:/bin"}, cwd="/")
    assert done.returncode == 0, done.stderr
    (incident,) = json.loads(done.stdout)["incidents"]
    assert (incident["class"], incident["node"]) == ("kill-watcher", "n1")


def test_man_page_renders_and_documents_the_failure_semantics(
        unpacked: tuple[Path, Path]) -> None:
    _, root = unpacked
    page = root / "usr/share/man/man7/ocf_sunw_ims.7.gz"
    text = gzip.decompress(page.read_bytes()).decode()
    assert "@" not in text.replace("scims@example.com", "")  # every marker replaced
    done = subprocess.run(["man", "-l", "-Tutf8", str(page)], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin",
                                                      "MANWIDTH": "80", "MAN_KEEP_FORMATTING": "",
                                                      "GROFF_NO_SGR": "1"}, check=False)
    assert done.returncode == 0
    assert done.stderr == ""
    plain = subprocess.run(["col", "-b"], input=done.stdout, capture_output=True, text=True,
                           timeout=60, check=True).stdout
    assert "FAILURE SEMANTICS" in plain
    assert "migration-threshold" in plain
    assert "ims_serverroot" in plain and "probe_timeout" in plain
