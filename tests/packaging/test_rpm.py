"""The RPM of the OCF agent (`make rpm`): the .deb's files at the standard OCF paths, root's,
with their modes, the dependencies RHEL names, no script the .deb lacks, and installable:
`rpm -i` into an empty root gives an agent whose meta-data is the repository's."""

from __future__ import annotations

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
import rpm  # noqa: E402

from scims import ocf_metadata  # noqa: E402
from scims.cluster import rtr  # noqa: E402

FIELDS = "[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS:fflags} " \
         "%{FILENAMES} %{FILELINKTOS}\n]"


def query(package: Path, *args: str) -> str:
    return subprocess.run(["rpm", "-qp", *args, str(package)], capture_output=True,
                          text=True, timeout=60, check=True).stdout


@pytest.fixture(scope="module")
def built_packages() -> Iterator[tuple[Path, Path]]:
    """The .rpm and the .deb, built from this tree."""
    top = Path(tempfile.mkdtemp(prefix="scims-rpm-test-"))
    top.chmod(0o755)
    try:
        yield rpm.build(top / "rpm"), debian.build(top / "deb")
    finally:
        shutil.rmtree(top, ignore_errors=True)


def rpm_files(package: Path) -> dict[str, tuple[str, str, str, str, str]]:
    """path -> (mode, owner, group, flags, link target) of every entry of the payload."""
    entries = {}
    for line in query(package, "--qf", FIELDS).splitlines():
        mode, owner, group, flags, *rest = line.split(" ")
        name, link = [*rest, ""][:2]
        entries[name] = (mode, owner, group, flags, link)
    return entries


def deb_entries(package: Path) -> dict[str, str]:
    """path -> mode of every entry of the .deb (dpkg-deb -c), without the leading '.'."""
    listing = subprocess.run(["dpkg-deb", "-c", str(package)], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    entries = {}
    for line in listing.splitlines():
        fields = line.split()
        name = fields[5].lstrip(".").rstrip("/")
        if name:
            entries[name] = fields[0]
    return entries


def test_the_payload_is_the_debs_files_with_the_directories_it_owns(
        built_packages: tuple[Path, Path]) -> None:
    package, deb = built_packages
    files = rpm_files(package)
    deb_files = {name: mode for name, mode in deb_entries(deb).items()
                 if not mode.startswith("d")}
    rpm_non_dirs = {name for name, entry in files.items() if not entry[0].startswith("d")}
    assert rpm_non_dirs == set(deb_files)
    for name, mode in deb_files.items():
        assert files[name][0] == mode, name
    directories = {name for name, entry in files.items() if entry[0].startswith("d")}
    # its own directories, none of the system's (/usr/lib/ocf/resource.d is resource-agents')
    assert {"/usr/lib/scims", "/usr/lib/scims/lib/scims", "/usr/lib/ocf/resource.d/sunw",
            "/usr/share/doc/scims-ocf"} <= directories
    assert not directories & {"/usr", "/usr/lib", "/usr/lib/ocf", "/usr/lib/ocf/resource.d",
                              "/usr/share/man/man7", "/usr/share/doc"}


def test_the_agent_is_at_the_standard_ocf_path(built_packages: tuple[Path, Path]) -> None:
    files = rpm_files(built_packages[0])
    mode, _, _, _, link = files["/usr/lib/ocf/resource.d/sunw/ims"]
    assert mode.startswith("l") and link == "../../../scims/ocf/ims"
    assert files["/usr/lib/scims/ocf/ims"][:3] == ("-rwxr-xr-x", "root", "root")
    assert "/usr/lib/scims/rtr/SUNW.ims" in files
    assert "/usr/lib/scims/lib/scims/ocf.py" in files


def test_everything_is_roots_and_nothing_is_writable_by_others(
        built_packages: tuple[Path, Path]) -> None:
    for name, (mode, owner, group, _, _) in rpm_files(built_packages[0]).items():
        assert (owner, group) == ("root", "root"), name
        if not mode.startswith("l"):
            assert mode[5] == "-" and mode[8] == "-", f"{name} is {mode}"


def test_man_page_and_copyright_are_documentation(built_packages: tuple[Path, Path]) -> None:
    files = rpm_files(built_packages[0])
    assert "d" in files["/usr/share/man/man7/ocf_sunw_ims.7.gz"][3]
    assert "d" in files["/usr/share/doc/scims-ocf/copyright"][3]
    assert "d" not in files["/usr/lib/scims/ocf/ims"][3]


def test_dependencies_are_python_and_psutil_by_rhels_names(
        built_packages: tuple[Path, Path]) -> None:
    package = built_packages[0]
    requires = [r for r in query(package, "-R").splitlines() if not r.startswith("rpmlib(")]
    assert sorted(requires) == ["python3 >= 3.9", "python3-psutil"]
    assert set(query(package, "--recommends").split()) == {"pacemaker", "resource-agents"}
    assert query(package, "--qf", "%{NAME} %{VERSION} %{ARCH}") == \
        f"scims-ocf {debian.version()} noarch"


def test_scriptlets_are_the_debs_and_parse(built_packages: tuple[Path, Path]) -> None:
    """Each RPM scriptlet stands for a Debian maintainer script (%pre preinst, %post
    postinst, %preun prerm, %postun postrm): the two packages run the same scripts, and
    each parses with sh -n."""
    package, deb = built_packages
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(["dpkg-deb", "-e", str(deb), scratch], check=True, timeout=60)
        maintainer = {p.name for p in Path(scratch).iterdir()} & {
            "preinst", "postinst", "prerm", "postrm"}
    sections = {"preinstall": "preinst", "postinstall": "postinst", "preuninstall": "prerm",
                "postuninstall": "postrm"}
    scripts = query(package, "--scripts")
    found: dict[str, list[str]] = {}
    current = None
    for line in scripts.splitlines():
        head = line.split(" scriptlet", 1)[0]
        if line.endswith(":") and head in sections:
            current = sections[head]
            found[current] = []
        elif current is not None:
            found[current].append(line)
    assert set(found) == maintainer
    for name, body in found.items():
        done = subprocess.run(["sh", "-n"], input="\n".join(body), capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 0, f"{name}: {done.stderr}"


def test_installed_agent_gives_the_repositorys_meta_data(
        built_packages: tuple[Path, Path], tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    done = subprocess.run(["rpm", "--root", str(root), "--dbpath", "/var/lib/rpm", "-i",
                           "--nodeps", "--noscripts", str(built_packages[0])],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    agent = root / "usr/lib/ocf/resource.d/sunw/ims"
    out = subprocess.run([str(agent), "meta-data"], capture_output=True, text=True,
                         timeout=60, env={"PATH": "/usr/bin:/bin"}, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ocf_metadata.metadata_xml(rtr.parse_file(REPO / "rtr/SUNW.ims"))


def test_a_file_added_to_the_payload_description_is_in_the_rpm(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """One description of the payload (debian.stage): a program added there for the .deb
    (/usr/sbin/imsreport, say) is in the RPM too, with its mode."""
    original = debian.stage

    def stage_with_a_program(root: Path) -> None:
        original(root)
        program = root / "usr/sbin/imsreport-test"
        program.parent.mkdir(parents=True, exist_ok=True)
        program.write_text("#!/usr/bin/python3\n")
        program.chmod(0o755)
        program.parent.chmod(0o755)

    monkeypatch.setattr(debian, "stage", stage_with_a_program)
    files = rpm_files(rpm.build(tmp_path))
    assert files["/usr/sbin/imsreport-test"][:3] == ("-rwxr-xr-x", "root", "root")
    assert "/usr/sbin" not in files  # the system's directory, not the package's
