"""pkgadd the built package on the nodes of a running stand-in cluster (the datastream on one,
the directory package on the other), register SUNW.ims without -f, pkgrm it; a corrupted
package is refused with nothing installed.

`clustersim pkgadd`/`pkgrm` run checkinstall, postinstall and preremove as pkgadd(1M) does
with an alternate root (PKG_INSTALL_ROOT=<node root>, BASEDIR=<node root>/opt,
CLIENT_BASEDIR=/opt, and a PATH whose python3 has psutil and is inside the node root, as a
Solaris node's /usr/bin/python3 would be).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pkg_support import Built

CLUSTERSIM = Path(sys.executable).with_name("clustersim")


def clustersim(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLUSTERSIM), *args], capture_output=True, text=True,
                          timeout=120, check=check)


@pytest.mark.e2e
def test_pkgadd_register_without_f_and_pkgrm(built: Built, tmp_path: Path) -> None:
    cluster = tmp_path / "cluster"
    clustersim("create", str(cluster), "--nodes", "mars,venus")
    try:
        corrupted = tmp_path / "corrupted.pkg"
        data = bytearray(built.stream.read_bytes())
        at = data.index(b"def ", data.index(b"reloc/SUNWscims/lib/scims/"))
        data[at] ^= 0x20  # "def" -> "Def": same size, another sum
        corrupted.write_bytes(bytes(data))
        refused = clustersim("pkgadd", "-n", "mars", "-d", str(corrupted), "SUNWscims",
                             "--cluster", str(cluster), check=False)
        assert refused.returncode != 0
        assert "package SUNWscims is corrupt; nothing was installed on node mars" in \
            refused.stderr
        assert "ERROR: content verification of reloc/SUNWscims/lib/scims/" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert not (cluster / "nodes" / "mars" / "opt" / "SUNWscims").exists()

        for node, device in (("mars", built.stream), ("venus", built.out)):
            result = clustersim("pkgadd", "-n", node, "-d", str(device), "SUNWscims",
                                "--cluster", str(cluster))
            assert "methods will run with" in result.stdout + result.stderr
            assert f"Installation of <SUNWscims> on node {node} was successful" in result.stdout
        node_root = cluster / "nodes" / "mars"
        scrgadm = str(node_root / "usr" / "cluster" / "bin" / "scrgadm")
        subprocess.run([scrgadm, "-a", "-t", "SUNW.ims"], check=True, timeout=60)

        refused = clustersim("pkgrm", "-n", "mars", "SUNWscims", "--cluster", str(cluster),
                             check=False)
        assert refused.returncode != 0
        assert "SUNW.ims is still registered" in refused.stdout + refused.stderr
        assert (node_root / "opt" / "SUNWscims" / "bin" / "ims_svc_start").exists()

        subprocess.run([scrgadm, "-r", "-t", "SUNW.ims"], check=True, timeout=60)
        for node in ("mars", "venus"):
            clustersim("pkgrm", "-n", node, "SUNWscims", "--cluster", str(cluster))
            root = cluster / "nodes" / node
            assert not (root / "opt" / "SUNWscims").exists()
            assert not (root / "opt" / "cluster" / "lib" / "rgm" / "rtreg" / "SUNW.ims").exists()
            assert not (root / "var" / "cluster" / "rgm" / "rt" / "SUNW.ims").exists()
    finally:
        clustersim("destroy", str(cluster), check=False)
        shutil.rmtree(cluster, ignore_errors=True)
