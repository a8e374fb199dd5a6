"""pkgadd the built package on a stand-in node, register SUNW.ims without -f, pkgrm it.

`clustersim pkgadd`/`pkgrm` run postinstall and preremove as pkgadd(1M) does with an
alternate root (PKG_INSTALL_ROOT=<node root>, BASEDIR=<node root>/opt, CLIENT_BASEDIR=/opt,
and a PATH whose python3 has psutil, as a Solaris node's /usr/bin/python3 would).
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
        for node in ("mars", "venus"):
            result = clustersim("pkgadd", "-n", node, "-d", str(built.out), "SUNWscims",
                                "--cluster", str(cluster))
            assert "methods will run with" in result.stdout + result.stderr
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
