"""The stand-in pkgadd/pkgrm against node roots of a cluster that is never started: installing
from a datastream and from a directory, refusing corrupted and relocated packages with
nothing installed, and pkgrm removing what pkgadd and installf put there."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from pkg_support import Built

from clustersim import cli
from clustersim import pkg as stand_in
from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout

LINK = "opt/cluster/lib/rgm/rtreg/SUNW.ims"


@pytest.fixture
def layout(tmp_path: Path) -> ClusterLayout:
    """Node roots only: no daemon is started."""
    return cli.create(str(tmp_path / "cluster"), ["mars", "venus"], "pkgtest", start=False)


def installed_tree(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every object under /opt/SUNWscims (byte code left out): its mode and contents."""
    tree = {}
    for path in sorted((root / "opt" / "SUNWscims").rglob("*")):
        if "__pycache__" in path.parts:
            continue
        st = path.lstat()
        data = path.read_bytes() if stat.S_ISREG(st.st_mode) else b""
        tree[path.relative_to(root).as_posix()] = (st.st_mode, data)
    return tree


def nothing_installed(layout: ClusterLayout, node: str) -> None:
    root = layout.node_root(node)
    assert not (root / "opt" / "SUNWscims").exists()
    assert not (root / LINK).exists()
    assert not (root / "var" / "sadm" / "pkg" / "SUNWscims").exists()
    assert "SUNWscims" not in (root / "var" / "sadm" / "install" / "contents").read_text()


def contents_of(layout: ClusterLayout, node: str) -> list[str]:
    text = (layout.node_pkgdb(node) / "install" / "contents").read_text()
    return sorted(line for line in text.splitlines() if line.endswith(" SUNWscims"))


def test_datastream_and_directory_install_the_same(layout: ClusterLayout, built: Built) -> None:
    out_stream = stand_in.pkgadd(layout, "mars", built.stream, "SUNWscims")
    out_dir = stand_in.pkgadd(layout, "venus", built.out, "SUNWscims")
    for out in (out_stream, out_dir):
        assert "Installation of <SUNWscims>" in out and "methods will run with" in out
    mars, venus = layout.node_root("mars"), layout.node_root("venus")
    assert installed_tree(mars) == installed_tree(venus)
    assert installed_tree(mars)["opt/SUNWscims/etc/SUNW.ims"][1] == \
        (built.pkgdir / "reloc" / "SUNWscims" / "etc" / "SUNW.ims").read_bytes()
    assert contents_of(layout, "mars") == contents_of(layout, "venus")
    for root in (mars, venus):
        assert (root / LINK).resolve() == (root / "opt/SUNWscims/etc/SUNW.ims").resolve()

    with pytest.raises(ClusterError, match="already installed on node mars"):
        stand_in.pkgadd(layout, "mars", built.stream, "SUNWscims")

    out = stand_in.pkgrm(layout, "mars", "SUNWscims")
    assert "Removal of <SUNWscims> from node mars was successful" in out
    nothing_installed(layout, "mars")
    # The RTR link went with the package: installf registered it for pkgrm.
    assert (mars / "opt" / "cluster" / "lib" / "rgm" / "rtreg").is_dir()


def corrupt(byte_at: int, path: Path) -> None:
    """Change one byte: same size, different sum."""
    data = bytearray(path.read_bytes())
    data[byte_at] ^= 0x01
    path.chmod(0o644)
    path.write_bytes(bytes(data))


def test_corrupted_directory_package_is_refused(layout: ClusterLayout, built: Built,
                                               tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    shutil.copytree(built.out / "SUNWscims", spool / "SUNWscims")
    pkgdir = spool / "SUNWscims"
    for directory, _dirs, _files in os.walk(pkgdir):
        Path(directory).chmod(0o755)
    corrupt(10, pkgdir / "reloc/SUNWscims/lib/scims/log/messages.py")
    probe = pkgdir / "reloc/SUNWscims/bin/ims_probe"
    probe.chmod(0o644)
    probe.write_bytes(probe.read_bytes() + b"\n")
    corrupt(3, pkgdir / "install/postinstall")
    with pytest.raises(ClusterError) as refused:
        stand_in.pkgadd(layout, "mars", spool, "SUNWscims")
    message = str(refused.value)
    assert "package SUNWscims is corrupt; nothing was installed on node mars" in message
    assert "reloc/SUNWscims/lib/scims/log/messages.py: file cksum <" in message
    assert "reloc/SUNWscims/bin/ims_probe: file size <" in message
    assert "install/postinstall: file cksum <" in message
    assert "ims_svc_start" not in message
    nothing_installed(layout, "mars")


def test_corrupted_datastream_is_refused(layout: ClusterLayout, built: Built,
                                         tmp_path: Path) -> None:
    data = bytearray(built.stream.read_bytes())
    rtr = (built.pkgdir / "reloc/SUNWscims/etc/SUNW.ims").read_bytes()
    # The RTR file's bytes, which the part's archive holds once: change one of them.
    at = data.index(rtr[:200])
    assert data.find(rtr[:200], at + 1) < 0
    data[at + 50] ^= 0x01
    stream = tmp_path / "SUNWscims.pkg"
    stream.write_bytes(bytes(data))
    with pytest.raises(ClusterError, match=r"reloc/SUNWscims/etc/SUNW\.ims: file cksum <"):
        stand_in.pkgadd(layout, "mars", stream, "SUNWscims")
    nothing_installed(layout, "mars")

    stream.write_bytes(built.stream.read_bytes()[:-2048])
    with pytest.raises(ClusterError, match="truncated"):
        stand_in.pkgadd(layout, "mars", stream, "SUNWscims")
    nothing_installed(layout, "mars")

    with pytest.raises(ClusterError, match=r"package SUNWother is not in datastream .* "
                                           r"\(it holds: SUNWscims\)"):
        stand_in.pkgadd(layout, "mars", built.stream, "SUNWother")
    (tmp_path / "not-a-package").write_text("hello\n")
    with pytest.raises(ClusterError, match="neither a package directory nor a package "
                                           "datastream"):
        stand_in.pkgadd(layout, "mars", tmp_path / "not-a-package", "SUNWscims")


def test_relocated_base_directory_is_refused_before_anything_is_copied(
    layout: ClusterLayout, built: Built
) -> None:
    with pytest.raises(ClusterError) as refused:
        stand_in.pkgadd(layout, "mars", built.stream, "SUNWscims", basedir="/usr/local")
    message = str(refused.value)
    assert "checkinstall of SUNWscims refused the installation" in message
    assert "cannot be installed with base directory /usr/local: it must be /opt" in message
    nothing_installed(layout, "mars")
    assert not (layout.node_root("mars") / "usr" / "local").exists()
