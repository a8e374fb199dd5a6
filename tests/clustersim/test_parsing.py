"""Pure parsing: admin command lines (and the seed's typos), property values, vfstab,
pkgmap/pkginfo, /etc/hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from clustersim import hatimerun, options, pmfadm
from clustersim.builtin import network, storage
from clustersim.commands import adminargs
from clustersim.errors import ClusterError
from clustersim.pkg import read_pkginfo, read_pkgmap
from clustersim.props import RG_PROPS, convert, split_array


def test_repeatable_and_bundled_options() -> None:
    opts, _ = adminargs.parse(["-a", "-j", "r", "-x", "A=1", "-x", "B=2", "-pvv"], "acrpv",
                              "jx")
    assert ("x", "A=1") in opts and ("x", "B=2") in opts
    assert [k for k, _ in opts].count("v") == 2


def test_svr4_getopt_stops_at_the_command_and_refuses_in_getopt_words() -> None:
    """pmfadm and hatimerun take the command to run after their options: its own options are
    left to it. A bad option line is refused as Solaris' getopt(3C) words it."""
    assert options.parse(["-av", "-t5", "-e", "3", "prog", "-x"], "av", "tek") == (
        [("a", ""), ("v", ""), ("t", "5"), ("e", "3")], ["prog", "-x"])
    assert options.parse(["-t", "5", "--", "-prog"], "av", "tek") == ([("t", "5")], ["-prog"])
    with pytest.raises(options.UsageError, match=r"^illegal option -- q$"):
        hatimerun.parse(["-q", "-t", "5", "prog"])
    with pytest.raises(options.UsageError, match=r"^option requires an argument -- t$"):
        hatimerun.parse(["-t"])
    opts, command = pmfadm.parse(["-c", "tag", "-e", "A=1", "-e", "B=2", "-n", "2", "/bin/x",
                                  "-n", "9"])
    assert opts["c"] == "tag" and opts["e"] == ["A=1", "B=2"] and opts["n"] == "2"
    assert command == ["/bin/x", "-n", "9"]
    with pytest.raises(options.UsageError, match="given more than once"):
        pmfadm.parse(["-c", "tag", "-n", "1", "-n", "2", "/bin/x"])


def test_admin_commands_refuse_in_getopt_words() -> None:
    with pytest.raises(ClusterError, match=r"^illegal option -- q$"):
        adminargs.parse(["-a", "-q"], "a", "g")
    with pytest.raises(ClusterError, match=r"^option requires an argument -- g$"):
        adminargs.parse(["-a", "-g"], "a", "g")
    with pytest.raises(ClusterError, match="unexpected operand"):
        adminargs.parse(["-a", "-g", "rg", "stray"], "a", "g")


def test_blank_before_equals_is_named() -> None:
    with pytest.raises(ClusterError, match="blank before"):
        adminargs.parse(["-a", "-x", "IMS_serverroot", "=/opt/mars/SUNWmsgsr"], "a", "x")
    with pytest.raises(ClusterError, match="expected name=value"):
        adminargs.assignment("x", "FileSystemMountPoints")


def test_stray_operand_after_comma_blank() -> None:
    with pytest.raises(ClusterError, match="unexpected operand"):
        adminargs.parse(["-a", "-x", "FilesystemMountPoints=/a,", "/b"], "a", "x")


def test_property_conversion_names_the_property() -> None:
    assert convert(RG_PROPS["pingpong_interval"], "60", "resource group G") == 60
    assert convert(RG_PROPS["failback"], "true", "G") is True
    with pytest.raises(ClusterError, match="Pingpong_interval of resource group G"):
        convert(RG_PROPS["pingpong_interval"], "soon", "resource group G")
    with pytest.raises(ClusterError, match="below its minimum"):
        convert(RG_PROPS["maximum_primaries"], "0", "G")
    assert split_array("/opt/mars/SUNWmsgsr, /var/opt/mars/SUNWmsgsr") == [
        "/opt/mars/SUNWmsgsr", "/var/opt/mars/SUNWmsgsr"]


def test_vfstab_global_and_failover(tmp_path: Path) -> None:
    vf = tmp_path / "vfstab"
    vf.write_text("#device ...\n"
                  "/dev/md/penguin/dsk/d500 /dev/md/penguin/rdsk/d500 /opt/mars/SUNWmsgsr ufs 2 "
                  "yes logging,global\n"
                  "/dev/global/dsk/d4s0 /dev/global/rdsk/d4s0 /ffs ufs 2 no logging\n")
    entries = storage.read_vfstab(vf)
    assert entries["/opt/mars/SUNWmsgsr"].is_global
    assert entries["/opt/mars/SUNWmsgsr"].disk_name == "penguin-d500"
    assert not entries["/ffs"].is_global and entries["/ffs"].disk_name == "d4s0"


def test_pkgmap_and_pkginfo(tmp_path: Path) -> None:
    (tmp_path / "pkginfo").write_text('PKG="SUNWscims"\nBASEDIR=/opt\n# c\n')
    assert read_pkginfo(tmp_path / "pkginfo") == {"PKG": "SUNWscims", "BASEDIR": "/opt"}
    (tmp_path / "pkgmap").write_text(": 1 10\n1 d none SUNWscims 0755 root bin\n"
                                     "1 f none SUNWscims/bin/x 0555 root bin 10 20 30\n"
                                     "1 s none /opt/cluster/lib/rgm/rtreg/SUNW.ims=/opt/x\n"
                                     "1 i pkginfo 1 2 3\n")
    entries = read_pkgmap(tmp_path / "pkgmap")
    assert [e.ftype for e in entries] == ["d", "f", "s", "i"]
    assert entries[1].mode == "0555" and entries[2].target == "/opt/x"


def test_hosts_and_loopback(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n192.18.75.155 meadow # seed\n")
    assert network.read_hosts(hosts)["meadow"] == "192.18.75.155"
    assert network.on_segment("198.18.0.155") and not network.on_segment("192.18.75.155")
    assert not network.on_segment("127.0.1.2")
