"""SVR4 package formats, written and read back with the standard library only.

What each function follows, and where it was checked (illumos-gate, the Solaris 10 code base):

* `sysv_sum` -- the pkgmap checksum: libpkg `compute_checksum()` (verify.c) adds every byte
  as an unsigned value into a 32-bit accumulator, then folds it twice into 16 bits
  (lo + hi, then lo + hi of that). This is the System V `sum` algorithm (GNU `sum -s`), not
  "sum modulo 65535".
* `format_pkgmap_entry` -- libpkg `ppkgmap()`: `[part] ftype class path[=target]`, then for
  d/x/f/v/e/p/c/b the mode as `%04o` and owner and group, then for i/f/v/e size, checksum and
  modification time (seconds since the epoch). Information files (`i`) have no class.
  The first line is `: <parts> <max part size in 512-byte blocks>`.
* `prototype(4)` -- `[part] ftype class path[=source] [mode owner group]`; `i name=source`.
* `pkginfo(4)` -- `PARAM=value` lines; PKG, NAME, ARCH, VERSION, CATEGORY mandatory.
* Datastream (`pkgtrans dir file pkg`) -- libpkg pkgtrans.c `genheader()`/`wdsheader()` and
  dstream.c `ds_init()`: a text header `# PaCkAgE DaTaStReAm` / `<pkg> <parts> <maxsize>` /
  `# end of header`, NUL-padded to 512-byte blocks; then one cpio archive holding
  `<pkg>/pkginfo` and `<pkg>/pkgmap`; then per part one cpio archive of
  `find pkginfo pkgmap install reloc -print` run inside the package directory. Archives are
  written as `cpio -ocD -C 512`: ASCII (`-c`) headers, which Solaris' archives.h defines as
  magic "070701" with a 110-byte header (the "newc" layout), in 512-byte blocks.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

BLOCK = 512
DATASTREAM_PREFIX = "# PaCkAgE DaTaStReAm"
DATASTREAM_SUFFIX = "# end of header"
CPIO_MAGIC = b"070701"
CPIO_HEADER_LEN = 110
CPIO_TRAILER = "TRAILER!!!"

# pkgmk's estimate of a part's size assumes a UFS-like file system: 1 KiB fragments.
_FRAGMENT = 1024
_DIRSIZE_BLOCKS = _FRAGMENT // BLOCK
_PKGMAP_ENTRY_ESTIMATE = 128  # splpkgmap.c EFACTOR: bytes reserved per pkgmap entry


class FormatError(ValueError):
    """A package file that does not follow its format."""


# --- sum(1) -------------------------------------------------------------------------

def sysv_sum(data: bytes) -> int:
    """The checksum pkgmk writes into pkgmap and pkgadd/pkgchk verify."""
    total = sum(data) & 0xFFFFFFFF
    folded = (total & 0xFFFF) + (total >> 16)
    return (folded & 0xFFFF) + (folded >> 16)


def sysv_sum_file(path: str | os.PathLike[str]) -> int:
    return sysv_sum(Path(path).read_bytes())


# --- pkginfo(4) -----------------------------------------------------------------------

MANDATORY_PKGINFO = ("PKG", "NAME", "ARCH", "VERSION", "CATEGORY")


def format_pkginfo(params: Iterable[tuple[str, str]]) -> str:
    lines = []
    for name, value in params:
        if "\n" in value:
            raise FormatError(f"pkginfo value of {name} spans lines")
        lines.append(f"{name}={value}\n")
    return "".join(lines)


def parse_pkginfo(text: str) -> dict[str, str]:
    """PARAM=value lines; a value may be double-quoted; `#` starts a comment line."""
    params: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.isidentifier():
            raise FormatError(f"pkginfo line {number}: not PARAM=value: {raw!r}")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        params[name] = value
    missing = [p for p in MANDATORY_PKGINFO if p not in params]
    if missing:
        raise FormatError(f"pkginfo lacks mandatory parameters: {', '.join(missing)}")
    return params


# --- prototype(4) ---------------------------------------------------------------------

@dataclass(frozen=True)
class PrototypeEntry:
    """One line of a prototype file.

    `path` is the installed path (relative = under BASEDIR); `source` the file to package
    (for `s`/`l` entries: the link target).
    """

    ftype: str
    path: str
    source: str = ""
    pkg_class: str = "none"
    mode: int | None = None
    owner: str = ""
    group: str = ""
    part: int = 1


def format_prototype(entries: Iterable[PrototypeEntry]) -> str:
    lines = []
    for e in entries:
        if e.ftype == "i":
            lines.append(f"i {e.path}={e.source}" if e.source else f"i {e.path}")
        elif e.ftype in "sl":
            lines.append(f"{e.ftype} {e.pkg_class} {e.path}={e.source}")
        else:
            name = f"{e.path}={e.source}" if e.source else e.path
            lines.append(f"{e.ftype} {e.pkg_class} {name} {e.mode:04o} {e.owner} {e.group}")
    return "".join(line + "\n" for line in lines)


def parse_prototype(text: str) -> list[PrototypeEntry]:
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("!"):
            raise FormatError(f"prototype line {number}: commands are not supported: {raw!r}")
        fields = line.split()
        part = 1
        if fields[0].isdigit():
            part = int(fields.pop(0))
        ftype = fields.pop(0)
        if ftype == "i":
            path, _, source = fields[0].partition("=")
            entries.append(PrototypeEntry("i", path, source, pkg_class="", part=part))
            continue
        if ftype not in "dxfvesl" or len(ftype) != 1:
            raise FormatError(f"prototype line {number}: unsupported file type {ftype!r}")
        pkg_class, name = fields[0], fields[1]
        path, _, source = name.partition("=")
        if ftype in "sl":
            entries.append(PrototypeEntry(ftype, path, source, pkg_class, part=part))
            continue
        if len(fields) != 5:
            raise FormatError(f"prototype line {number}: expected mode owner group: {raw!r}")
        entries.append(
            PrototypeEntry(ftype, path, source, pkg_class, int(fields[2], 8), fields[3],
                           fields[4], part)
        )
    return entries


# --- pkgmap(4) ------------------------------------------------------------------------

@dataclass(frozen=True)
class PkgmapEntry:
    ftype: str
    path: str
    pkg_class: str = ""
    target: str = ""
    mode: int | None = None
    owner: str = ""
    group: str = ""
    size: int | None = None
    cksum: int | None = None
    modtime: int | None = None
    part: int = 1

    @property
    def has_contents(self) -> bool:
        return self.ftype in "ifve"


def format_pkgmap_entry(e: PkgmapEntry) -> str:
    out = f"{e.part} "
    out += f"i {e.path}" if e.ftype == "i" else f"{e.ftype} {e.pkg_class} {e.path}"
    if e.target:
        out += f"={e.target}"
    if e.ftype in "dxcbpfve":
        out += f" {e.mode:04o} {e.owner} {e.group}"
    if e.has_contents:
        out += f" {e.size} {e.cksum} {e.modtime}"
    return out + "\n"


def format_pkgmap(entries: list[PkgmapEntry], nparts: int, max_part_blocks: int) -> str:
    return f": {nparts} {max_part_blocks}\n" + "".join(format_pkgmap_entry(e) for e in entries)


def parse_pkgmap(text: str) -> tuple[int, int, list[PkgmapEntry]]:
    lines = text.splitlines()
    if not lines or not lines[0].startswith(":"):
        raise FormatError("pkgmap does not start with ': <parts> <maxsize>'")
    head = lines[0][1:].split()
    nparts, maxsize = int(head[0]), int(head[1])
    entries = []
    for number, raw in enumerate(lines[1:], 2):
        fields = raw.split()
        if not fields:
            continue
        part = int(fields.pop(0)) if fields[0].isdigit() else 1
        ftype = fields.pop(0)
        try:
            if ftype == "i":
                path, size, cksum, modtime = fields
                entries.append(PkgmapEntry("i", path, size=int(size), cksum=int(cksum),
                                           modtime=int(modtime), part=part))
                continue
            pkg_class, name = fields[0], fields[1]
            if ftype in "sl":
                path, _, target = name.partition("=")
                entries.append(PkgmapEntry(ftype, path, pkg_class, target, part=part))
                continue
            mode, owner, group = int(fields[2], 8), fields[3], fields[4]
            if ftype in "fve":
                size, cksum, modtime = (int(x) for x in fields[5:8])
                entries.append(PkgmapEntry(ftype, name, pkg_class, "", mode, owner, group,
                                           size, cksum, modtime, part))
            elif ftype in "dx":
                entries.append(PkgmapEntry(ftype, name, pkg_class, "", mode, owner, group,
                                           part=part))
            else:
                raise FormatError(f"pkgmap line {number}: unsupported type {ftype!r}")
        except (ValueError, IndexError) as exc:
            raise FormatError(f"pkgmap line {number}: {raw!r}: {exc}") from exc
    return nparts, maxsize, entries


def part_blocks(entries: Iterable[PkgmapEntry]) -> int:
    """pkgmk's estimate (splpkgmap.c) of one part's size in 512-byte blocks.

    2 blocks to start, room for the pkgmap itself (128 bytes an entry), 2 for install/,
    every file rounded up to whole fragments, and one fragment per directory to create.
    """
    entries = list(entries)
    blocks = 2 + _blocks(len(entries) * _PKGMAP_ENTRY_ESTIMATE) + 2
    directories: set[str] = set()
    for e in entries:
        if e.has_contents:
            blocks += _blocks(e.size or 0)
            parent = os.path.dirname(e.path)
            while parent and parent not in directories:
                directories.add(parent)
                parent = os.path.dirname(parent)
    return blocks + len(directories) * _DIRSIZE_BLOCKS


def _blocks(size: int) -> int:
    return -(-size // _FRAGMENT) * _DIRSIZE_BLOCKS


# --- cpio (-c, "070701") --------------------------------------------------------------

@dataclass(frozen=True)
class CpioMember:
    name: str
    mode: int  # st_mode, file type bits included
    mtime: int
    data: bytes = b""
    uid: int = 0
    gid: int = 0

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)


def _pad4(n: int) -> int:
    return (4 - n % 4) % 4


def write_cpio(members: Iterable[CpioMember]) -> bytes:
    """An archive as `cpio -oc -C 512` writes it: ASCII headers, padded to 512-byte blocks."""
    out = bytearray()
    inode = 0
    for m in [*members, CpioMember(CPIO_TRAILER, 0, 0)]:
        inode += 1
        name = m.name.encode() + b"\0"
        trailer = m.name == CPIO_TRAILER
        nlink = 2 if m.is_dir else 1
        header = CPIO_MAGIC + b"".join(
            b"%08X" % v for v in (
                0 if trailer else inode, m.mode, m.uid, m.gid, 1 if trailer else nlink,
                m.mtime, len(m.data), 0, 0, 0, 0, len(name), 0,
            )
        )
        out += header + name + b"\0" * _pad4(len(header) + len(name))
        out += m.data + b"\0" * _pad4(len(m.data))
    out += b"\0" * ((BLOCK - len(out) % BLOCK) % BLOCK)
    return bytes(out)


def read_cpio(buf: bytes, offset: int = 0) -> tuple[list[CpioMember], int]:
    """Members of the archive starting at `offset`, and the offset after its last block."""
    members = []
    pos = offset
    while True:
        header = buf[pos:pos + CPIO_HEADER_LEN]
        if len(header) < CPIO_HEADER_LEN or header[:6] != CPIO_MAGIC:
            raise FormatError(f"no cpio -c header at offset {pos}")
        values = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, uid, gid, mtime, filesize, namesize = (
            values[1], values[2], values[3], values[5], values[6], values[11])
        name_start = pos + CPIO_HEADER_LEN
        name = buf[name_start:name_start + namesize - 1].decode()
        data_start = name_start + namesize + _pad4(CPIO_HEADER_LEN + namesize)
        data = buf[data_start:data_start + filesize]
        pos = data_start + filesize + _pad4(filesize)
        if name == CPIO_TRAILER:
            end = pos - offset
            return members, offset + end + (BLOCK - end % BLOCK) % BLOCK
        members.append(CpioMember(name, mode, mtime, data, uid, gid))


# --- directory package -> datastream ---------------------------------------------------

def tree_members(pkgdir: Path, names: Iterable[str], prefix: str = "") -> Iterator[CpioMember]:
    """What `find <names> -print | cpio -oc` archives, in a sorted (reproducible) order."""
    for name in names:
        top = pkgdir / name
        if not top.exists():
            continue
        paths = [top]
        if top.is_dir():
            paths += sorted(top.rglob("*"))
        for path in paths:
            st = path.lstat()
            rel = prefix + path.relative_to(pkgdir).as_posix()
            if stat.S_ISDIR(st.st_mode):
                yield CpioMember(rel, st.st_mode, int(st.st_mtime))
            elif stat.S_ISLNK(st.st_mode):
                yield CpioMember(rel, st.st_mode, int(st.st_mtime), os.readlink(path).encode())
            else:
                yield CpioMember(rel, st.st_mode, int(st.st_mtime), path.read_bytes())


def write_datastream(spool: Path, pkg: str, out: Path) -> None:
    """`pkgtrans -s <spool> <out> <pkg>` for a package of one part."""
    pkgdir = spool / pkg
    nparts, maxsize, _ = parse_pkgmap((pkgdir / "pkgmap").read_text())
    if nparts != 1:
        raise FormatError("only single-part packages are supported")
    header = f"{DATASTREAM_PREFIX}\n{pkg} {nparts} {maxsize}\n{DATASTREAM_SUFFIX}\n".encode()
    blocks = len(header) // BLOCK + 1  # pkgtrans always leaves at least one NUL
    stream = header + b"\0" * (blocks * BLOCK - len(header))
    stream += write_cpio(tree_members(spool, [f"{pkg}/pkginfo", f"{pkg}/pkgmap"]))
    stream += write_cpio(tree_members(pkgdir, ["pkginfo", "pkgmap", "install", "reloc", "root"]))
    out.write_bytes(stream)


@dataclass
class Datastream:
    toc: list[tuple[str, int, int]]
    archives: list[list[CpioMember]] = field(default_factory=list)


def read_datastream(path: str | os.PathLike[str]) -> Datastream:
    buf = Path(path).read_bytes()
    if not buf.startswith(DATASTREAM_PREFIX.encode()):
        raise FormatError("not a package datastream (no '# PaCkAgE DaTaStReAm' header)")
    end = buf.find(("\n" + DATASTREAM_SUFFIX + "\n").encode())
    if end < 0:
        raise FormatError("datastream header has no end")
    toc = []
    for line in buf[:end].decode().splitlines()[1:]:
        if line and not line.startswith("#"):
            pkg, nparts, maxsize = line.split()[:3]
            toc.append((pkg, int(nparts), int(maxsize)))
    header_end = end + len(DATASTREAM_SUFFIX) + 2
    offset = -(-header_end // BLOCK) * BLOCK
    if buf[header_end:offset].strip(b"\0"):
        raise FormatError("datastream header padding is not NUL")
    result = Datastream(toc)
    while offset < len(buf):
        members, offset = read_cpio(buf, offset)
        result.archives.append(members)
    return result
