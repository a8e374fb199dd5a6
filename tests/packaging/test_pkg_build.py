"""The built package, read back from disk and checked entry by entry.

The checks recompute what they verify (sizes, sum(1) checksums, times, modes) from the files
in reloc/ and install/ with code of their own, so a bug in the builder's writer cannot hide
behind the same bug in a shared reader.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from pkg_support import BUILD_TIME, REPO, Built

from scims.rtr import parse_file


def own_sum(data: bytes) -> int:
    """System V sum(1): 32-bit byte sum folded to 16 bits (illumos libpkg verify.c)."""
    s = 0
    for byte in data:
        s = (s + byte) % 2**32
    r = (s % 65536) + (s // 65536)
    return (r % 65536) + (r // 65536)


def pkgmap_lines(built: Built) -> tuple[str, list[list[str]]]:
    lines = (built.pkgdir / "pkgmap").read_text().splitlines()
    return lines[0], [line.split() for line in lines[1:]]


def test_sum_agrees_with_sum_s_and_known_values(built: Built) -> None:
    import svr4

    assert svr4.sysv_sum(b"") == 0
    assert svr4.sysv_sum(b"abc") == 97 + 98 + 99
    assert svr4.sysv_sum(b"\xff" * 70000) == own_sum(b"\xff" * 70000)
    if shutil.which("sum") is None:
        pytest.skip("sum(1) is not installed: the cross-check against `sum -s` cannot run")
    for path in [built.pkgdir / "pkginfo", *sorted((built.pkgdir / "reloc").rglob("*.py"))[:5]]:
        out = subprocess.run(["sum", "-s", str(path)], capture_output=True, text=True,
                             check=True).stdout
        assert int(out.split()[0]) == svr4.sysv_sum(path.read_bytes()), path


def test_pkgmap_header_and_order(built: Built) -> None:
    head, entries = pkgmap_lines(built)
    colon, nparts, maxsize = head.split()
    assert colon == ":" and nparts == "1" and int(maxsize) > 0
    assert all(e[0] == "1" for e in entries)
    objects = [e for e in entries if e[1] != "i"]
    infos = [e for e in entries if e[1] == "i"]
    assert entries == objects + infos
    assert [e[3] for e in objects] == sorted(e[3] for e in objects)
    assert [e[2] for e in infos] == sorted(e[2] for e in infos)


def test_every_object_entry_matches_its_file_in_reloc(built: Built) -> None:
    _, entries = pkgmap_lines(built)
    reloc = built.pkgdir / "reloc"
    declared = {}
    for e in entries:
        if e[1] == "i":
            continue
        ftype, pkg_class, path, mode, owner, group = e[1:7]
        assert pkg_class == "none"
        assert (owner, group) == ("root", "bin"), e
        assert len(mode) == 4 and mode.startswith("0"), e
        target = reloc / path
        st = target.lstat()
        assert stat.S_IMODE(st.st_mode) == int(mode, 8), e
        declared[path] = ftype
        if ftype == "d":
            assert target.is_dir() and len(e) == 7, e
        else:
            assert ftype in ("f", "v") and len(e) == 10, e
            data = target.read_bytes()
            size, cksum, modtime = (int(x) for x in e[7:10])
            assert size == len(data), e
            assert cksum == own_sum(data), e
            assert modtime == int(st.st_mtime) <= BUILD_TIME, e
    on_disk = {p.relative_to(reloc).as_posix() for p in reloc.rglob("*")}
    assert on_disk == set(declared)


def test_every_information_entry_matches_its_file(built: Built) -> None:
    _, entries = pkgmap_lines(built)
    infos = {e[2]: e for e in entries if e[1] == "i"}
    assert set(infos) == {"pkginfo", "copyright", "depend", "postinstall", "preremove"}
    for name, e in infos.items():
        path = built.pkgdir / ("pkginfo" if name == "pkginfo" else f"install/{name}")
        data = path.read_bytes()
        assert [int(x) for x in e[3:6]] == [len(data), own_sum(data), int(path.stat().st_mtime)]
        if name != "pkginfo":
            assert data == (REPO / "packaging" / name).read_bytes()
    assert {p.name for p in (built.pkgdir / "install").iterdir()} == set(infos) - {"pkginfo"}


def test_layout_is_what_the_rtr_and_the_design_promise(built: Built) -> None:
    _, entries = pkgmap_lines(built)
    kinds = {e[3]: (e[1], e[4]) for e in entries if e[1] != "i"}
    assert kinds["SUNWscims/bin/ims_svc_start"] == ("v", "0555")
    assert kinds["SUNWscims/bin/ims_probe"] == ("v", "0555")
    assert kinds["SUNWscims/etc/SUNW.ims"] == ("f", "0444")
    assert kinds["SUNWscims/man/man5/SUNW.ims.5"] == ("f", "0444")
    reloc = built.pkgdir / "reloc" / "SUNWscims"
    assert (reloc / "etc" / "SUNW.ims").read_bytes() == (REPO / "rtr" / "SUNW.ims").read_bytes()
    library = {p.relative_to(REPO / "src").as_posix()
               for p in (REPO / "src" / "scims").rglob("*.py") if "__pycache__" not in p.parts}
    shipped = {p.removeprefix("SUNWscims/lib/") for p, (t, _) in kinds.items()
               if p.startswith("SUNWscims/lib/") and t == "f"}
    assert shipped == library
    assert not any("clustersim" in p or "mssim" in p or "test" in p for p in kinds)
    rt = parse_file(str(REPO / "rtr" / "SUNW.ims"))
    assert f"{rt.rt_basedir}".endswith("/SUNWscims/bin")


def test_prototype_declares_what_pkgmap_lists(built: Built) -> None:
    import svr4

    proto = svr4.parse_prototype(built.prototype.read_text())
    _, entries = pkgmap_lines(built)
    pkgmap_modes = {e[3]: (e[1], int(e[4], 8)) for e in entries if e[1] != "i"}
    assert {p.path: (p.ftype, p.mode) for p in proto if p.ftype != "i"} == pkgmap_modes
    assert {p.path for p in proto if p.ftype == "i"} == {e[2] for e in entries if e[1] == "i"}
    for p in (p for p in proto if p.ftype != "d"):
        assert (REPO / p.source).is_file() or Path(p.source).is_file(), p


def test_pkginfo(built: Built) -> None:
    params = {}
    for line in (built.pkgdir / "pkginfo").read_text().splitlines():
        name, _, value = line.partition("=")
        params[name] = value
    for mandatory in ("PKG", "NAME", "ARCH", "VERSION", "CATEGORY"):
        assert params.get(mandatory), mandatory
    rt = parse_file(str(REPO / "rtr" / "SUNW.ims"))
    assert params["PKG"] == "SUNWscims" and params["PKG"] in rt.pkglist
    assert params["BASEDIR"] == "/opt"
    assert params["VERSION"].startswith(f"{rt.rt_version},REV=")
    assert params["CLASSES"] == "none"
    assert all(arch in ("sparc", "i386") for arch in params["ARCH"].split(","))
    assert params["PSTAMP"]
    assert len(params["PKG"]) <= 9 and len(params["NAME"]) <= 256


def test_datastream_holds_the_directory_package(built: Built) -> None:
    data = built.stream.read_bytes()
    header = data[:512].split(b"\0")[0].decode()
    maxsize = (built.pkgdir / "pkgmap").read_text().split()[2]
    assert header == f"# PaCkAgE DaTaStReAm\nSUNWscims 1 {maxsize}\n# end of header\n"
    assert len(data) % 512 == 0

    import svr4

    stream = svr4.read_datastream(built.stream)
    assert stream.toc == [("SUNWscims", 1, int(maxsize))]
    assert len(stream.archives) == 2
    first = {m.name: m.data for m in stream.archives[0]}
    assert first == {"SUNWscims/pkginfo": (built.pkgdir / "pkginfo").read_bytes(),
                     "SUNWscims/pkgmap": (built.pkgdir / "pkgmap").read_bytes()}
    part = {m.name: m for m in stream.archives[1]}
    on_disk = {p.relative_to(built.pkgdir).as_posix() for p in built.pkgdir.rglob("*")}
    assert set(part) == on_disk
    for name, member in part.items():
        path = built.pkgdir / name
        assert member.mode == path.lstat().st_mode, name
        if path.is_file():
            assert member.data == path.read_bytes(), name
            assert member.mtime == int(path.stat().st_mtime), name


def test_datastream_cpio_headers_are_ascii_070701(built: Built) -> None:
    data = built.stream.read_bytes()
    offset = 512
    magic = data[offset:offset + 6]
    assert magic == b"070701"
    fields = data[offset + 6:offset + 110]
    assert all(chr(c) in "0123456789ABCDEF" for c in fields)
    assert data.count(b"TRAILER!!!") == 2
