"""Build the SVR4 package SUNWscims as pkgmk and pkgtrans would, from the repository tree.

prototype (generated from the tree) -> directory-format package (pkginfo, pkgmap, install/,
reloc/) -> datastream. The pkgmap is computed from the files as copied into reloc/, so what it
declares is what the package holds.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import shipped
import svr4

PKG = "SUNWscims"
OWNER, GROUP = "root", "bin"
DIR_MODE, EXEC_MODE, DATA_MODE = 0o755, 0o555, 0o444

# Installation files delivered in install/ (pkginfo itself goes to the top of the package).
INSTALL_FILES = ("checkinstall", "copyright", "depend", "postinstall", "preremove")


@dataclass(frozen=True)
class Sources:
    """Where the shipped pieces come from; tests point these at a temporary tree."""

    repo: Path
    methods: Path
    library: Path
    rtr: Path
    packaging: Path
    admin: tuple[Path, ...] = ()
    """the administrator's programs (imsreport), installed in bin/ beside the methods"""

    @classmethod
    def of_repo(cls, repo: Path) -> Sources:
        return cls(repo, repo / "methods", repo / "src" / "scims", repo / "rtr" / "SUNW.ims",
                   repo / "packaging", tuple(shipped.admin_programs(repo)))


def build_time() -> int:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    return int(value) if value else int(time.time())


def prototype_entries(src: Sources, man_pages: list[Path]) -> list[svr4.PrototypeEntry]:
    """The package contents, relative to BASEDIR (/opt), as a prototype(4) describes them.

    The launchers in bin/ are volatile (`v`): postinstall rewrites their `#!` line to the
    Python found on the node, and pkgchk must not report that edit as corruption.
    """
    e = svr4.PrototypeEntry
    base = PKG

    def d(path: str) -> svr4.PrototypeEntry:
        return e("d", path, mode=DIR_MODE, owner=OWNER, group=GROUP)

    def f(ftype: str, path: str, source: Path, mode: int) -> svr4.PrototypeEntry:
        return e(ftype, path, _source_name(source, src.repo), mode=mode, owner=OWNER,
                 group=GROUP)

    entries = [e("i", "pkginfo", _source_name(src.packaging / "pkginfo", src.repo))]
    entries += [e("i", name, _source_name(src.packaging / name, src.repo))
                for name in INSTALL_FILES]
    entries += [d(base), d(f"{base}/bin"), d(f"{base}/etc"), d(f"{base}/lib"),
                d(f"{base}/lib/scims"), d(f"{base}/man")]
    if src.methods.is_dir():
        for path in sorted(src.methods.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                entries.append(f("v", f"{base}/bin/{path.name}", path, EXEC_MODE))
    entries += [f("v", f"{base}/bin/{path.name}", path, EXEC_MODE) for path in src.admin]
    entries.append(f("f", f"{base}/etc/SUNW.ims", src.rtr, DATA_MODE))
    for rel in library_paths(src):
        if rel.suffix == ".py":
            entries.append(f("f", f"{base}/lib/scims/{rel.as_posix()}", src.library / rel,
                             DATA_MODE))
        else:
            entries.append(d(f"{base}/lib/scims/{rel.as_posix()}"))
    sections = sorted({page.suffix.lstrip(".") for page in man_pages})
    entries += [d(f"{base}/man/man{section}") for section in sections]
    for page in sorted(man_pages):
        section = page.suffix.lstrip(".")
        entries.append(f("f", f"{base}/man/man{section}/{page.name}", page, DATA_MODE))
    return entries


def library_paths(src: Sources) -> list[Path]:
    """The library as the methods import it (`shipped.closure`): its subpackage directories
    and module files, relative to the library, parents first."""
    programs = sorted(p for p in src.methods.iterdir()
                      if p.is_file() and not p.name.startswith(".")) if src.methods.is_dir() else []
    programs += list(src.admin)
    files = {path.relative_to(src.library) for path in shipped.closure(programs, src.library)}
    dirs = {parent for rel in files for parent in rel.parents if parent != Path(".")}
    return sorted(files | dirs, key=lambda rel: rel.parts)


def _source_name(path: Path, repo: Path) -> str:
    path = path.resolve()
    try:
        return path.relative_to(repo.resolve()).as_posix()
    except ValueError:
        return str(path)


def make_package(prototype: Path, repo: Path, spool: Path, when: int) -> Path:
    """pkgmk: turn a prototype into the directory-format package `spool/SUNWscims`."""
    entries = svr4.parse_prototype(prototype.read_text())
    pkgdir = spool / PKG
    if pkgdir.exists():
        _make_writable(pkgdir)
        shutil.rmtree(pkgdir)
    (pkgdir / "install").mkdir(parents=True)
    pkgmap: list[svr4.PkgmapEntry] = []
    pkginfo_source = None
    for entry in entries:
        if entry.ftype == "i":
            source = repo / entry.source
            if entry.path == "pkginfo":
                pkginfo_source = source
                continue
            dest = pkgdir / "install" / entry.path
            shutil.copyfile(source, dest)
            dest.chmod(0o644)
            _set_mtime(dest, source, when)
            pkgmap.append(_info_entry(entry.path, dest))
            continue
        dest = pkgdir / "reloc" / entry.path
        if entry.ftype in "dx":
            dest.mkdir(parents=True, exist_ok=True)
            pkgmap.append(svr4.PkgmapEntry(entry.ftype, entry.path, entry.pkg_class,
                                           mode=entry.mode, owner=entry.owner,
                                           group=entry.group))
        elif entry.ftype in "sl":
            pkgmap.append(svr4.PkgmapEntry(entry.ftype, entry.path, entry.pkg_class,
                                           entry.source))
        else:
            source = repo / entry.source
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            _set_mtime(dest, source, when)
            data = dest.read_bytes()
            pkgmap.append(svr4.PkgmapEntry(
                entry.ftype, entry.path, entry.pkg_class, mode=entry.mode, owner=entry.owner,
                group=entry.group, size=len(data), cksum=svr4.sysv_sum(data),
                modtime=int(dest.stat().st_mtime)))
    if pkginfo_source is None:
        raise svr4.FormatError("prototype has no 'i pkginfo' entry")
    pkginfo = pkgdir / "pkginfo"
    pkginfo.write_text(_complete_pkginfo(pkginfo_source.read_text(), when))
    os.utime(pkginfo, (when, when))
    pkgmap.append(_info_entry("pkginfo", pkginfo))
    # pkgmk's order: objects by path, then the information files by name.
    pkgmap.sort(key=lambda p: (p.ftype == "i", p.path))
    (pkgdir / "pkgmap").write_text(svr4.format_pkgmap(pkgmap, 1, svr4.part_blocks(pkgmap)))
    os.utime(pkgdir / "pkgmap", (when, when))
    # Modes last: the directories must stay writable while files are copied in.
    for entry in pkgmap:
        if entry.ftype not in "isl":
            (pkgdir / "reloc" / entry.path).chmod(entry.mode or 0)
    return pkgdir


def _info_entry(name: str, path: Path) -> svr4.PkgmapEntry:
    data = path.read_bytes()
    return svr4.PkgmapEntry("i", name, size=len(data), cksum=svr4.sysv_sum(data),
                            modtime=int(path.stat().st_mtime))


def _set_mtime(dest: Path, source: Path, when: int) -> None:
    """Keep the source's time (as pkgmk does), never later than the build time."""
    mtime = min(int(source.stat().st_mtime), when)
    os.utime(dest, (mtime, mtime))


def _complete_pkginfo(template: str, when: int) -> str:
    """pkginfo as pkgmk completes it, plus this builder's revision stamp.

    pkgmk adds PSTAMP (a production stamp) and CLASSES (the classes the prototype uses, when
    pkginfo names none). It does not touch VERSION: the ",REV=YYYY.MM.DD.HH.MM" suffix Sun's
    own packages carry is added here, by this builder, when the template has none.
    """
    params = svr4.parse_pkginfo(template)
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(when))
    if ",REV=" not in params["VERSION"]:
        params["VERSION"] += ",REV=" + time.strftime("%Y.%m.%d.%H.%M", time.gmtime(when))
    params.setdefault("CLASSES", "none")
    params["PSTAMP"] = f"scims{stamp}"
    return svr4.format_pkginfo(params.items())


def _make_writable(tree: Path) -> None:
    for root, dirs, _files in os.walk(tree):
        for name in dirs:
            (Path(root) / name).chmod(DIR_MODE)


def build_package(src: Sources, out: Path, man_pages: list[Path]) -> tuple[Path, Path]:
    """Write `out/prototype`, the directory package `out/SUNWscims` and `out/SUNWscims.pkg`."""
    when = build_time()
    out.mkdir(parents=True, exist_ok=True)
    prototype = out / "prototype"
    prototype.write_text(
        "# prototype(4) of SUNWscims, generated by packaging/build.py; paths relative to\n"
        "# BASEDIR, sources relative to the repository.\n"
        + svr4.format_prototype(prototype_entries(src, man_pages))
    )
    pkgdir = make_package(prototype, src.repo, out, when)
    stream = out / f"{PKG}.pkg"
    svr4.write_datastream(out, PKG, stream)
    return pkgdir, stream
