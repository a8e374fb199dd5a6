"""pkgadd/pkgrm of SVR4 packages into a node root, as pkgadd(1M) with an alternate root (-R)
does.

* `-d` names a spool directory of directory-format packages or a datastream file (what
  `pkgtrans` writes: a `# PaCkAgE DaTaStReAm` header, then ASCII "070701" cpio archives); a
  datastream is unpacked into a temporary directory first, as pkgadd does.
* Before anything runs or is copied, every f/v/e object and every information file (i) is
  verified against the size and sum(1) checksum pkgmap declares: a corrupted package is
  refused, naming each file, and nothing is installed.
* Install scripts run with /bin/sh and the documented environment: checkinstall sees BASEDIR
  as pkginfo (or the administrator) sets it, without the install root; the others see
  PKG_INSTALL_ROOT, BASEDIR including the root, CLIENT_BASEDIR without it, PKGINST and every
  pkginfo parameter. `installf` is on their PATH (registering links and directories the
  scripts make, so pkgrm removes them).
* Objects are copied pkgmap-driven: reloc/ (relative paths, under BASEDIR) and root/
  (absolute paths); a per-node installed-software database (var/sadm/install/contents,
  var/sadm/pkg/<PKG>/) lets pkgrm undo it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout

BLOCK = 512
DATASTREAM_MAGIC = b"# PaCkAgE DaTaStReAm"
DATASTREAM_END = b"\n# end of header\n"
CPIO_MAGIC = b"070701"
CPIO_HEADER = 110
CPIO_TRAILER = "TRAILER!!!"


@dataclass
class MapEntry:
    ftype: str
    klass: str
    path: str
    mode: str = ""
    owner: str = ""
    group: str = ""
    target: str = ""
    rest: str = ""
    size: int | None = None
    cksum: int | None = None


def read_pkginfo(path: Path) -> dict[str, str]:
    params: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        params[key.strip()] = value
    return params


def read_pkgmap(path: Path) -> list[MapEntry]:
    entries: list[MapEntry] = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        fields = line.split()
        if not fields or fields[0] == ":" or line.startswith("#"):
            continue
        try:
            if fields[1] == "i":
                entries.append(MapEntry("i", "", fields[2], size=int(fields[3]),
                                        cksum=int(fields[4])))
                continue
            ftype, klass, path_field = fields[1], fields[2], fields[3]
            entry = MapEntry(ftype, klass, path_field)
            if ftype in ("s", "l"):
                entry.path, _, entry.target = path_field.partition("=")
            elif ftype in ("f", "e", "v", "d", "x"):
                entry.mode, entry.owner, entry.group = fields[4:7]
                entry.rest = " ".join(fields[7:])
                if ftype in ("f", "e", "v"):
                    entry.size, entry.cksum = int(fields[7]), int(fields[8])
        except (IndexError, ValueError):
            raise ClusterError(f"{path}: line {number} is not a pkgmap(4) entry: {line!r}",
                               "INVAL") from None
        entries.append(entry)
    return entries


def sysv_sum(data: bytes) -> int:
    """sum(1) as pkgmk computes it: the byte sum, folded twice into 16 bits."""
    total = sum(data) & 0xFFFFFFFF
    folded = (total & 0xFFFF) + (total >> 16)
    return (folded & 0xFFFF) + (folded >> 16)


def _origin(src: Path, entry: MapEntry) -> Path:
    """Where an entry's contents are in the package directory."""
    if entry.ftype == "i":
        return src / entry.path if entry.path == "pkginfo" else src / "install" / entry.path
    if entry.path.startswith("/"):
        return src / "root" / entry.path.lstrip("/")
    return src / "reloc" / entry.path


def verify(src: Path, entries: list[MapEntry]) -> list[str]:
    """What does not match pkgmap, one line a file (pkgadd's wording); empty when all do."""
    problems = []
    for entry in entries:
        if entry.ftype not in ("f", "v", "e", "i"):
            continue
        origin = _origin(src, entry)
        name = origin.relative_to(src).as_posix()
        if not origin.is_file():
            problems.append(f"{name}: listed in pkgmap but missing from the package")
            continue
        data = origin.read_bytes()
        if len(data) != entry.size:
            problems.append(f"{name}: file size <{entry.size}> expected <{len(data)}> actual")
        elif sysv_sum(data) != entry.cksum:
            problems.append(f"{name}: file cksum <{entry.cksum}> expected "
                            f"<{sysv_sum(data)}> actual")
    return problems


# --- datastreams (pkgtrans) -------------------------------------------------------------

def _cpio_members(buf: bytes, offset: int, where: Path) -> tuple[list[tuple[str, int, bytes]], int]:
    """(name, mode, data) of the archive at `offset`, and the offset of the next block."""
    members = []
    pos = offset
    while True:
        header = buf[pos:pos + CPIO_HEADER]
        if len(header) < CPIO_HEADER or header[:6] != CPIO_MAGIC:
            raise ClusterError(f"{where}: no cpio header (070701) at byte {pos}: the "
                               "datastream is truncated or corrupt", "INVAL")
        try:
            mode, filesize, namesize = (int(header[6 + 8 * i:14 + 8 * i], 16)
                                        for i in (1, 6, 11))
        except ValueError:
            raise ClusterError(f"{where}: malformed cpio header at byte {pos}",
                               "INVAL") from None
        name_at = pos + CPIO_HEADER
        name = buf[name_at:name_at + namesize - 1].decode(errors="replace")
        data_at = name_at + namesize + (-(CPIO_HEADER + namesize) % 4)
        data = buf[data_at:data_at + filesize]
        if len(data) != filesize:
            raise ClusterError(f"{where}: {name} is cut short: the datastream is truncated",
                               "INVAL")
        pos = data_at + filesize + (-filesize % 4)
        if name == CPIO_TRAILER:
            return members, pos + (-(pos - offset) % BLOCK)
        members.append((name, mode, data))


def unpack_datastream(stream: Path, pkg: str, into: Path) -> Path:
    """Unpack package `pkg` of a datastream into `into/pkg` (a directory-format package)."""
    buf = stream.read_bytes()
    end = buf.find(DATASTREAM_END)
    if not buf.startswith(DATASTREAM_MAGIC) or end < 0:
        raise ClusterError(f"{stream} is neither a package directory nor a package datastream "
                           "(no '# PaCkAgE DaTaStReAm' header)", "INVAL")
    toc: list[tuple[str, int]] = []
    for line in buf[:end].decode(errors="replace").splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2 and not line.startswith("#") and fields[1].isdigit():
            toc.append((fields[0], int(fields[1])))
    names = [name for name, _ in toc]
    if pkg not in names:
        raise ClusterError(f"package {pkg} is not in datastream {stream} (it holds: "
                           f"{', '.join(names) or 'nothing'})", "INVAL")
    offset = -(-(end + len(DATASTREAM_END)) // BLOCK) * BLOCK
    # The first archive holds every package's pkginfo and pkgmap; then each package's parts.
    _, offset = _cpio_members(buf, offset, stream)
    for name, nparts in toc:
        for _ in range(nparts):
            members, offset = _cpio_members(buf, offset, stream)
            if name == pkg:
                _extract(members, into / pkg, stream)
        if name == pkg:
            return into / pkg
    raise AssertionError("unreachable: pkg is in the table of contents")


def _extract(members: list[tuple[str, int, bytes]], pkgdir: Path, stream: Path) -> None:
    pkgdir.mkdir(parents=True, exist_ok=True)
    for name, mode, data in members:
        parts = Path(name).parts
        if not parts or name.startswith("/") or ".." in parts:
            raise ClusterError(f"{stream}: refusing the archive member {name!r} (it would "
                               "land outside the package)", "INVAL")
        dest = pkgdir.joinpath(*parts)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if stat.S_ISDIR(mode):
            dest.mkdir(exist_ok=True)
        elif stat.S_ISLNK(mode):
            dest.symlink_to(data.decode())
        elif stat.S_ISREG(mode):
            dest.write_bytes(data)
            dest.chmod(stat.S_IMODE(mode) | 0o600)
        else:
            raise ClusterError(f"{stream}: {name} is not a file, directory or symbolic link",
                               "INVAL")


# --- pkgadd / pkgrm ---------------------------------------------------------------------

def _script_env(root: Path, pkg: str, params: dict[str, str], pkgdir: Path, *,
                tools: Path, basedir: str, conditioned: bool = True) -> dict[str, str]:
    env = {k: v for k, v in params.items() if k.isidentifier()}
    env.update({
        # The node's own python3 (with psutil) is the stand-in's interpreter, first on PATH
        # as /usr/bin/python3 would be on a Solaris node: postinstall picks it for the methods.
        # `tools` holds installf, as /usr/sbin does on a node.
        "PATH": f"{tools}:{Path(sys.executable).parent}:/usr/sbin:/usr/bin:/bin",
        "PKG_INSTALL_ROOT": str(root),
        "PKGINST": pkg,
        "PKG": params.get("PKG", pkg),
        "PKGSAV": str(root / "var/sadm/pkg" / pkg / "save"),
        "INST_DATADIR": str(pkgdir),
        # The node's own scratch directory (pkgadd's /var/tmp): the machine's /tmp is shared
        # by every node, and in a node's PID namespace a script's $$ repeats between nodes.
        "TMPDIR": str(root / "var" / "tmp"),
        "LANG": "C",
        "TZ": os.environ.get("TZ") or "UTC",
    })
    if conditioned:
        env["CLIENT_BASEDIR"] = basedir
        env["BASEDIR"] = str(root) + (basedir if basedir != "/" else "")
    else:
        # checkinstall (and request): BASEDIR exactly as set, not yet conditioned with the
        # install root (Application Packaging Developer's Guide, "Using the BASEDIR
        # Parameter").
        env["BASEDIR"] = basedir
    return env


def _run_script(script: Path, env: dict[str, str], log: list[str]) -> int:
    if not script.is_file():
        return 0
    proc = subprocess.run(["/bin/sh", str(script.resolve())], env=env, cwd="/", capture_output=True,
                          text=True, check=False)
    log.append(proc.stdout + proc.stderr)
    return proc.returncode


def _dest(root: Path, basedir: str, path: str) -> tuple[Path, str]:
    """(path on disk, path as the node sees it)."""
    seen = path if path.startswith("/") else os.path.normpath(f"{basedir}/{path}")
    return root / seen.lstrip("/"), seen


def provide_python(root: Path, executable: str | None = None) -> Path:
    """Make an interpreter (default: this one) reachable at the same path inside the node
    root, as a node's /usr/bin/python3 is inside its root, so that postinstall (which looks
    for the methods' interpreter under PKG_INSTALL_ROOT) finds it; returns its directory as
    the host sees it.

    A virtual environment is linked whole (Python finds it by the pyvenv.cfg next to the path
    it was started by); another interpreter by its executable.
    """
    program = Path(executable or sys.executable)
    directory = program.parent
    venv = directory.parent
    linked, target = ((venv, venv) if (venv / "pyvenv.cfg").is_file()
                      else (directory / "python3", program.resolve()))
    inside = root / str(linked).lstrip("/")
    if not inside.exists():
        inside.parent.mkdir(parents=True, exist_ok=True)
        inside.symlink_to(target)
    return directory


def write_install_tools(tools: Path) -> None:
    """installf for the install scripts: this module run by this interpreter."""
    tools.mkdir(parents=True, exist_ok=True)
    script = tools / "installf"
    script.write_text(f"#!/bin/sh\nexec '{sys.executable}' -m clustersim.pkg installf \"$@\"\n")
    script.chmod(0o755)


def pkgadd(layout: ClusterLayout, node: str, device: Path, pkg: str, *,
           basedir: str | None = None) -> str:
    """Install `pkg` from `device` (a spool directory or a datastream file) on `node`.

    `basedir` is the administrator's base directory (an admin file's basedir=); default: the
    package's BASEDIR.
    """
    root = layout.node_root(node)
    if not root.is_dir():
        raise ClusterError(f"node {node} has no root at {root}", "NODE")
    if not device.exists():
        raise ClusterError(f"{device}: no such package directory or datastream", "INVAL")
    with tempfile.TemporaryDirectory(prefix=f"clustersim-pkgadd-{pkg}-") as scratch:
        src = unpack_datastream(device, pkg, Path(scratch)) if device.is_file() \
            else device / pkg
        return _install(layout, node, src, pkg, tools=Path(scratch) / "tools",
                        basedir_override=basedir)


def _install(layout: ClusterLayout, node: str, src: Path, pkg: str, *, tools: Path,
             basedir_override: str | None) -> str:
    root = layout.node_root(node)
    if not (src / "pkgmap").is_file() or not (src / "pkginfo").is_file():
        raise ClusterError(f"{src} is not a directory-format package (pkgmap and pkginfo "
                           "expected)", "INVAL")
    db = layout.node_pkgdb(node)
    if (db / "pkg" / pkg / "pkginfo").exists():
        raise ClusterError(f"package {pkg} is already installed on node {node}; remove it "
                           "with pkgrm first", "INVAL")
    params = read_pkginfo(src / "pkginfo")
    entries = read_pkgmap(src / "pkgmap")
    problems = verify(src, entries)
    if problems:
        raise ClusterError(
            f"package {pkg} is corrupt; nothing was installed on node {node}:\n"
            + "".join(f"  ERROR: content verification of {p}\n" for p in problems), "INVAL")
    basedir = basedir_override or params.get("BASEDIR", "/") or "/"
    write_install_tools(tools)
    provide_python(root)
    log: list[str] = []
    check_env = _script_env(root, pkg, params, src, tools=tools, basedir=basedir,
                            conditioned=False)
    if _run_script(src / "install" / "checkinstall", check_env, log) != 0:
        raise ClusterError(f"checkinstall of {pkg} refused the installation; nothing was "
                           f"installed on node {node}:\n{''.join(log)}", "INVAL")
    env = _script_env(root, pkg, params, src, tools=tools, basedir=basedir)
    if _run_script(src / "install" / "preinstall", env, log) != 0:
        raise ClusterError(f"preinstall of {pkg} failed:\n{''.join(log)}", "INVAL")
    contents: list[str] = []
    for entry in entries:
        if entry.ftype == "i":
            continue
        dest, seen = _dest(root, basedir, entry.path)
        if entry.ftype in ("d", "x"):
            dest.mkdir(parents=True, exist_ok=True)
            os.chmod(dest, int(entry.mode, 8))
            contents.append(f"{seen} d {entry.klass} {entry.mode} {entry.owner} {entry.group} "
                            f"{pkg}")
        elif entry.ftype in ("f", "e", "v"):
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists() or dest.is_symlink():
                dest.unlink()
            shutil.copyfile(_origin(src, entry), dest)
            os.chmod(dest, int(entry.mode, 8))
            contents.append(f"{seen} {entry.ftype} {entry.klass} {entry.mode} {entry.owner} "
                            f"{entry.group} {entry.rest} {pkg}")
        elif entry.ftype == "s":
            dest.parent.mkdir(parents=True, exist_ok=True)
            target = entry.target
            link_to = str(root / target.lstrip("/")) if target.startswith("/") else target
            if dest.exists() or dest.is_symlink():
                dest.unlink()
            dest.symlink_to(link_to)
            contents.append(f"{seen}={target} s {entry.klass} {pkg}")
        elif entry.ftype == "l":
            target_path, _ = _dest(root, basedir, entry.target)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                dest.unlink()
            os.link(target_path, dest)
            contents.append(f"{seen}={entry.target} l {entry.klass} {pkg}")
    saved = db / "pkg" / pkg
    (saved / "install").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / "pkginfo", saved / "pkginfo")
    if (src / "install").is_dir():
        for script in (src / "install").iterdir():
            if script.is_file():
                shutil.copyfile(script, saved / "install" / script.name)
    (db / "install").mkdir(parents=True, exist_ok=True)
    with open(db / "install" / "contents", "a") as fh:
        fh.writelines(line + "\n" for line in contents)
    if _run_script(src / "install" / "postinstall", env, log) != 0:
        raise ClusterError(f"postinstall of {pkg} failed:\n{''.join(log)}", "INVAL")
    return "".join(log) + f"\nInstallation of <{pkg}> on node {node} was successful.\n"


def pkgrm(layout: ClusterLayout, node: str, pkg: str) -> str:
    root = layout.node_root(node)
    db = layout.node_pkgdb(node)
    saved = db / "pkg" / pkg
    if not (saved / "pkginfo").is_file():
        raise ClusterError(f"package {pkg} is not installed on node {node}", "INVAL")
    params = read_pkginfo(saved / "pkginfo")
    log: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f"clustersim-pkgrm-{pkg}-") as scratch:
        tools = Path(scratch)
        write_install_tools(tools)
        env = _script_env(root, pkg, params, saved, tools=tools,
                          basedir=params.get("BASEDIR", "/") or "/")
        if _run_script(saved / "install" / "preremove", env, log) != 0:
            raise ClusterError(f"preremove of {pkg} failed:\n{''.join(log)}", "INVAL")
        _remove_objects(root, db, pkg)
        if _run_script(saved / "install" / "postremove", env, log) != 0:
            raise ClusterError(f"postremove of {pkg} failed:\n{''.join(log)}", "INVAL")
    shutil.rmtree(saved)
    return "".join(log) + f"\nRemoval of <{pkg}> from node {node} was successful.\n"


def _remove_objects(root: Path, db: Path, pkg: str) -> None:
    contents_file = db / "install" / "contents"
    lines = contents_file.read_text().splitlines() if contents_file.exists() else []
    mine = [ln for ln in lines if ln.split()[-1] == pkg]
    others = [ln for ln in lines if ln.split()[-1] != pkg]
    shared = {ln.split()[0].split("=")[0] for ln in others}
    for line in sorted(mine, key=lambda ln: ln.split()[0], reverse=True):
        seen = line.split()[0].split("=")[0]
        if seen in shared:
            continue
        path = root / seen.lstrip("/")
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            try:
                path.rmdir()
            except OSError:
                pass  # not empty: files another package or the admin put there stay
    contents_file.write_text("".join(ln + "\n" for ln in others))


# --- installf(1M) -----------------------------------------------------------------------

INSTALLF_USAGE = ("usage: installf [-c class] pkginst path[=target] [type [mode owner group]]\n"
                  "       installf -f [-c class] pkginst")


def installf(argv: list[str], environ: dict[str, str] | None = None) -> int:
    """installf as an install script calls it: register a path with the package database.

    Supported: directories (d, created now) and symbolic links (s, created by `installf -f`,
    as installf(1M) creates links when installation is final). PKG_INSTALL_ROOT (or -R) is
    the node root; paths are absolute, as the node sees them.
    """
    env = os.environ if environ is None else environ
    args = list(argv)
    klass, final, root = "none", False, env.get("PKG_INSTALL_ROOT", "") or "/"
    while args and args[0].startswith("-") and len(args[0]) > 1:
        option = args.pop(0)
        if option == "-f":
            final = True
        elif option in ("-c", "-R") and args:
            value = args.pop(0)
            if option == "-c":
                klass = value
            else:
                root = value
        else:
            return _installf_error(f"unknown option {option}")
    if not args:
        return _installf_error("no package instance given")
    pkg = args.pop(0)
    node_root = Path(root)
    db = node_root / "var" / "sadm"
    if not (db / "pkg" / pkg / "pkginfo").is_file():
        return _installf_error(f"package instance <{pkg}> is not installed or being installed "
                               f"under {node_root}")
    contents = db / "install" / "contents"
    if final:
        return _installf_final(node_root, contents, pkg, klass)
    if not args:
        return _installf_error("no path given")
    path, ftype, attrs = args[0], (args[1] if len(args) > 1 else ""), args[2:]
    name, _, target = path.partition("=")
    if not name.startswith("/"):
        return _installf_error(f"{name}: the path must be absolute")
    if target:
        ftype = ftype or "l"
        if ftype != "s":
            return _installf_error(f"{path}: only symbolic links (s) are supported here")
        line = f"{name}={target} s {klass} {pkg}"
    elif ftype == "d" and len(attrs) == 3:
        directory = node_root / name.lstrip("/")
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(int(attrs[0], 8))
        line = f"{name} d {klass} {attrs[0]} {attrs[1]} {attrs[2]} {pkg}"
    else:
        return _installf_error(f"{path}: give a directory as `path d mode owner group` or a "
                               "symbolic link as `path=target s`")
    lines = contents.read_text().splitlines() if contents.exists() else []
    lines = [ln for ln in lines if ln.split()[0].split("=")[0] != name] + [line]
    contents.parent.mkdir(parents=True, exist_ok=True)
    contents.write_text("".join(ln + "\n" for ln in lines))
    return 0


def _installf_final(root: Path, contents: Path, pkg: str, klass: str) -> int:
    """installf -f: create the symbolic links registered for `pkg` in `klass`."""
    lines = contents.read_text().splitlines() if contents.exists() else []
    for line in lines:
        fields = line.split()
        if fields[-1] != pkg or len(fields) < 3 or fields[1] != "s" or fields[2] != klass:
            continue
        name, _, target = fields[0].partition("=")
        link = root / name.lstrip("/")
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            if link.is_symlink() and os.readlink(link) == target:
                continue
            link.unlink()
        link.symlink_to(target)
    return 0


def _installf_error(text: str) -> int:
    print(f"installf: ERROR: {text}\n{INSTALLF_USAGE}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """`python -m clustersim.pkg installf ARGS`: the installf the install scripts call."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "installf":
        print(f"usage: python -m clustersim.pkg installf ARGS\n{INSTALLF_USAGE}",
              file=sys.stderr)
        return 2
    try:
        return installf(args[1:])
    except OSError as exc:
        return _installf_error(str(exc))


if __name__ == "__main__":
    sys.exit(main())
