"""`make deb`: the Debian package scims-ocf, the OCF resource agent ocf:sunw:ims.

    .venv/bin/python packaging/debian.py [--out build/deb]

What a Linux administrator expects of an OCF agent: `apt install ./scims-ocf_<v>_all.deb`
puts the agent where Pacemaker looks (/usr/lib/ocf/resource.d/sunw/ims), its man page in
man7 beside the resource-agents ones, and pulls Python and psutil from Debian. The library
is the part of the repository's src/scims the agent imports (`shipped.closure`); the
meta-data is made at run time from the RTR file shipped beside it.

    /usr/lib/scims/ocf/ims                  the launcher
    /usr/lib/scims/bin/imsreport            the incident report (docs/imsreport.md)
    /usr/sbin/imsreport                     -> ../lib/scims/bin/imsreport
    /usr/lib/scims/lib/scims/               the library, as far as the agent imports it
    /usr/lib/scims/rtr/SUNW.ims             the resource type registration file
    /usr/lib/ocf/resource.d/sunw/ims        -> ../../../scims/ocf/ims
    /usr/share/man/man7/ocf_sunw_ims.7.gz   the man page
    /usr/share/man/man8/imsreport.8.gz      imsreport's (packaging/imsreport.1m, section 8)
    /usr/share/doc/scims-ocf/copyright

Built with dpkg-deb (root:root owners, fixed modes, files in sorted order, man page gzipped
without a timestamp), standard library only.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(REPO / "src"))

import ocf_manpage  # noqa: E402
import shipped  # noqa: E402

PACKAGE = "scims-ocf"
AGENT_LINK = "usr/lib/ocf/resource.d/sunw/ims"
ADMIN_LINKS = "usr/sbin"
LIBDIR = "usr/lib/scims"
DEPENDS = "python3 (>= 3.9), python3-psutil"
RECOMMENDS = "pacemaker, resource-agents"
DESCRIPTION = """\
OCF resource agent for Sun Java System Messaging Server (ocf:sunw:ims)
 The agent of the Sun Cluster resource type SUNW.ims as an OCF resource agent
 for Pacemaker, on the same library: start-msg ha waiting until every enabled
 service answers, a complete stop within the operation's timeout, and a monitor
 that speaks SMTP, IMAP, POP and HTTP to every service, so that a hung daemon
 is a failure. See ocf_sunw_ims(7)."""


def version() -> str:
    with open(REPO / "pyproject.toml", "rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def stage(root: Path) -> None:
    """Lay out the package's files under `root`."""
    lib = root / LIBDIR
    (lib / "ocf").mkdir(parents=True)
    shutil.copy2(REPO / "ocf" / "ims", lib / "ocf" / "ims")
    (lib / "bin").mkdir()
    (root / ADMIN_LINKS).mkdir(parents=True)
    admin = shipped.admin_programs(REPO)
    for program in admin:
        shutil.copy2(program, lib / "bin" / program.name)
        (root / ADMIN_LINKS / program.name).symlink_to(
            os.path.relpath(lib / "bin" / program.name, root / ADMIN_LINKS))
    library = REPO / "src" / "scims"
    for path in sorted(shipped.closure(shipped.ocf_programs(REPO), library)):
        target = lib / "lib" / "scims" / path.relative_to(library)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    (lib / "rtr").mkdir()
    shutil.copy2(REPO / "rtr" / "SUNW.ims", lib / "rtr" / "SUNW.ims")
    link = root / AGENT_LINK
    link.parent.mkdir(parents=True)
    link.symlink_to(os.path.relpath(lib / "ocf" / "ims", link.parent))
    man = root / "usr" / "share" / "man" / "man7"
    man.mkdir(parents=True)
    page = ocf_manpage.render(REPO / "rtr" / "SUNW.ims", version=version())
    with open(man / f"{ocf_manpage.PAGE}.gz", "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(page.encode())
    man8 = root / "usr" / "share" / "man" / "man8"
    man8.mkdir(parents=True)
    report_page = (HERE / "imsreport.1m").read_text()
    report_page = report_page.replace('.TH imsreport 1M', '.TH imsreport 8', 1)
    with open(man8 / "imsreport.8.gz", "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(report_page.encode())
    doc = root / "usr" / "share" / "doc" / PACKAGE
    doc.mkdir(parents=True)
    shutil.copy2(HERE / "copyright", doc / "copyright")
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            continue
        executable = (path.is_dir() or path == lib / "ocf" / "ims"
                      or path.parent == lib / "bin")
        path.chmod(0o755 if executable else 0o644)
    root.chmod(0o755)


def control(installed_kib: int) -> str:
    return (f"Package: {PACKAGE}\nVersion: {version()}\nArchitecture: all\n"
            f"Maintainer: SUNWscims developers <scims@example.com>\n"
            f"Installed-Size: {installed_kib}\nDepends: {DEPENDS}\n"
            f"Recommends: {RECOMMENDS}\nSection: admin\nPriority: optional\n"
            f"Description: {DESCRIPTION}\n")


def build(out: Path) -> Path:
    """The .deb in `out` (made afresh)."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{PACKAGE}_{version()}_all.deb"
    with tempfile.TemporaryDirectory(prefix="scims-deb-") as scratch:
        root = Path(scratch) / "root"
        root.mkdir()
        stage(root)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        debian = root / "DEBIAN"
        debian.mkdir(mode=0o755)
        (debian / "control").write_text(control((size + 1023) // 1024))
        (debian / "control").chmod(0o644)
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root),
                        str(target)], check=True, capture_output=True, timeout=300)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "deb")
    args = parser.parse_args(argv)
    print(build(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
