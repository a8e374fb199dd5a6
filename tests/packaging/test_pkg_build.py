"""The built package, read back from disk and checked entry by entry.

The checks recompute what they verify (sizes, sum(1) checksums, times, modes) from the files
in reloc/ and install/ with code of their own, so a bug in the builder's writer cannot hide
behind the same bug in a shared reader.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from pkg_support import BUILD_TIME, REPO, Built

from scims.cluster.rtr import parse_file
from support.imports import library_files


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
    assert set(infos) == {"pkginfo", "checkinstall", "copyright", "depend", "postinstall",
                          "preremove"}
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
    rt = parse_file(str(REPO / "rtr" / "SUNW.ims"))
    assert f"{rt.rt_basedir}" == "/opt/SUNWscims/bin"
    reloc = built.pkgdir / "reloc" / "SUNWscims"
    # bin/: exactly the RTR's methods and the fault monitor, as in methods/, and imsreport
    # from admin/; volatile, because postinstall rewrites their #! line.
    launchers = {p.removeprefix("SUNWscims/bin/"): kind for p, kind in kinds.items()
                 if p.startswith("SUNWscims/bin/")}
    assert set(launchers) == {*rt.methods.values(), "ims_probe", "imsreport"}
    assert set(launchers) - {"imsreport"} == {p.name for p in (REPO / "methods").iterdir()
                                              if p.is_file()}
    assert all(kind == ("v", "0555") for kind in launchers.values())
    for name in launchers:
        source = REPO / ("admin" if name == "imsreport" else "methods") / name
        assert (reloc / "bin" / name).read_bytes() == source.read_bytes()
    assert kinds["SUNWscims/etc/SUNW.ims"] == ("f", "0444")
    assert (reloc / "etc" / "SUNW.ims").read_bytes() == (REPO / "rtr" / "SUNW.ims").read_bytes()
    # man/: SUNW.ims(5) and the messages guide, as the generators wrote them.
    pages = {p.removeprefix("SUNWscims/man/"): kind for p, kind in kinds.items()
             if p.startswith("SUNWscims/man/")}
    assert pages == {"man5": ("d", "0755"), "man5/SUNW.ims.5": ("f", "0444"),
                     "man5/SUNWscims-messages.5": ("f", "0444"), "man1m": ("d", "0755"),
                     "man1m/imsreport.1m": ("f", "0444")}
    for page in built.man_pages:
        section = page.suffix.lstrip(".")
        assert (reloc / "man" / f"man{section}" / page.name).read_bytes() == page.read_bytes()
    shipped = {p.removeprefix("SUNWscims/lib/") for p, (t, _) in kinds.items()
               if p.startswith("SUNWscims/lib/") and t == "f"}
    # lib/: what the methods and imsreport import, nothing more, nothing less
    methods = sorted(p for p in (REPO / "methods").iterdir() if p.is_file())
    assert shipped == library_files([*methods, REPO / "admin" / "imsreport"], REPO / "src")
    assert not any("clustersim" in p or "mssim" in p or "test" in p for p in kinds)


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


# --- the datastream, read with this file's own code ---------------------------------------

BLOCK = 512
NEWC_FIELDS = ("ino", "mode", "uid", "gid", "nlink", "mtime", "filesize", "devmajor",
               "devminor", "rdevmajor", "rdevminor", "namesize", "check")


@dataclass
class Member:
    name: str
    mode: int
    mtime: int
    data: bytes


def up(n: int, unit: int) -> int:
    return -(-n // unit) * unit


def read_newc(data: bytes, offset: int) -> tuple[list[Member], int]:
    """One `cpio -oc -C 512` archive: ASCII "070701" headers of 110 bytes (magic, then 13
    fields of 8 hexadecimal digits), the NUL-terminated name, header and name padded to 4
    bytes, the data padded to 4 bytes, a TRAILER!!! entry, then NULs to a 512-byte block."""
    assert offset % BLOCK == 0
    members = []
    pos = offset
    while True:
        header = data[pos:pos + 110]
        assert header[:6] == b"070701", f"no ASCII cpio header at byte {pos}"
        digits = header[6:].decode("ascii")
        assert all(c in "0123456789ABCDEF" for c in digits), digits
        fields = dict(zip(NEWC_FIELDS, (int(digits[i:i + 8], 16) for i in range(0, 104, 8)),
                          strict=True))
        raw_name = data[pos + 110:pos + 110 + fields["namesize"]]
        assert raw_name.endswith(b"\0") and b"\0" not in raw_name[:-1], raw_name
        name = raw_name[:-1].decode()
        body_at = up(pos + 110 + fields["namesize"], 4)
        assert not data[pos + 110 + fields["namesize"]:body_at].strip(b"\0")
        body = data[body_at:body_at + fields["filesize"]]
        assert len(body) == fields["filesize"], name
        pos = up(body_at + fields["filesize"], 4)
        assert not data[body_at + fields["filesize"]:pos].strip(b"\0")
        if name == "TRAILER!!!":
            assert fields["filesize"] == 0
            end = offset + up(pos - offset, BLOCK)
            assert not data[pos:end].strip(b"\0"), "the last block is not padded with NULs"
            return members, end
        members.append(Member(name, fields["mode"], fields["mtime"], body))


def read_stream(path: Path) -> tuple[str, list[list[Member]]]:
    data = path.read_bytes()
    assert len(data) % BLOCK == 0
    end = data.index(b"# end of header\n") + len(b"# end of header\n")
    offset = up(end, BLOCK)
    assert not data[end:offset].strip(b"\0"), "the header block is not padded with NULs"
    archives = []
    while offset < len(data):
        members, offset = read_newc(data, offset)
        archives.append(members)
    return data[:end].decode(), archives


def test_datastream_is_pkgtrans_format(built: Built) -> None:
    header, archives = read_stream(built.stream)
    maxsize = (built.pkgdir / "pkgmap").read_text().split()[2]
    assert header == f"# PaCkAgE DaTaStReAm\nSUNWscims 1 {maxsize}\n# end of header\n"
    assert len(archives) == 2  # pkginfo and pkgmap; then the one part
    first = {m.name: m.data for m in archives[0]}
    assert first == {"SUNWscims/pkginfo": (built.pkgdir / "pkginfo").read_bytes(),
                     "SUNWscims/pkgmap": (built.pkgdir / "pkgmap").read_bytes()}


def test_datastream_members_match_pkgmap_and_reloc(built: Built) -> None:
    """Every object and information file pkgmap declares is in the part's archive with the
    declared mode, time, size and checksum, and the bytes of reloc/ and install/."""
    _, archives = read_stream(built.stream)
    part = {m.name: m for m in archives[1]}
    assert len(part) == len(archives[1]), "a name is archived twice"
    _, entries = pkgmap_lines(built)
    expected = {"pkgmap", "install", "reloc"}
    for e in entries:
        if e[1] == "i":
            name = "pkginfo" if e[2] == "pkginfo" else f"install/{e[2]}"
            size, cksum, modtime = (int(x) for x in e[3:6])
            member = part[name]
            assert stat.S_ISREG(member.mode), name
        else:
            ftype, path, mode = e[1], e[3], int(e[4], 8)
            name = f"reloc/{path}"
            member = part[name]
            assert stat.S_IMODE(member.mode) == mode, name
            if ftype == "d":
                assert stat.S_ISDIR(member.mode) and member.data == b"", name
                expected.add(name)
                continue
            assert stat.S_ISREG(member.mode), name
            size, cksum, modtime = (int(x) for x in e[7:10])
        expected.add(name)
        assert member.mtime == modtime, name
        assert len(member.data) == size, name
        assert own_sum(member.data) == cksum, name
        assert member.data == (built.pkgdir / name).read_bytes(), name
    assert set(part) == expected
    assert part["pkgmap"].data == (built.pkgdir / "pkgmap").read_bytes()
