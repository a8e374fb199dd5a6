"""`make rpm`: the OCF resource agent ocf:sunw:ims as an RPM, for RHEL-family systems.

    .venv/bin/python packaging/rpm.py [--out build/rpm]

Most Pacemaker clusters run on RHEL and its rebuilds, where the agent is installed with
`dnf install ./scims-ocf-<v>-1.noarch.rpm`. The RPM holds exactly the files of the Debian
package: its tree is laid out by `debian.stage` (the one description of the payload), and
the spec's %files list is read from that tree, so a file added to the .deb is in the RPM
without a second list. What differs is only what RPM says differently:

* directories: the package owns those that are its own (`OWNED_DIRECTORIES` and below);
  /usr/lib/ocf/resource.d, /usr/share/man/man7 and the like belong to the system's packages;
* the man page and the copyright are %doc (`rpm --excludedocs` leaves them out);
* Requires: python3 >= 3.9 and python3-psutil (RHEL's names, as Debian's); rpmbuild's
  automatic dependencies and its post-install scripts (byte-compiling, re-compressing the
  man page) are off, so the payload is the staged tree as it is, root:root with its modes;
* scriptlets: none, as the .deb has no maintainer scripts (tests/packaging/test_rpm.py
  checks that the two packages keep the same scripts).

rpmbuild (Debian's package `rpm`) builds it on Debian; standard library otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import debian  # noqa: E402

PACKAGE = debian.PACKAGE
RELEASE = "1"
REQUIRES = ("python3 >= 3.9", "python3-psutil")
RECOMMENDS = ("pacemaker", "resource-agents")
LICENSE = "CDDL-1.0"
OWNED_DIRECTORIES = (debian.LIBDIR, str(Path(debian.AGENT_LINK).parent),
                     f"usr/share/doc/{PACKAGE}")
"""Directories the package creates and owns, with everything below them."""
DOC_DIRECTORIES = ("usr/share/doc/", "usr/share/man/")


def summary_and_description() -> tuple[str, str]:
    """The .deb's Description: its first line is the summary, the rest the description."""
    first, *rest = debian.DESCRIPTION.splitlines()
    return first, "\n".join(line[1:] if line.startswith(" ") else line for line in rest)


def owned(relative: str) -> bool:
    return any(relative == d or relative.startswith(d + "/") for d in OWNED_DIRECTORIES)


def files_section(root: Path) -> str:
    """The %files list of the staged tree `root`: every file and link, and the directories
    the package owns; owners root:root, modes as staged."""
    lines = ["%defattr(-,root,root,-)"]
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        name = "/" + relative
        if path.is_dir() and not path.is_symlink():
            if owned(relative):
                lines.append(f"%dir {name}")
        elif relative.startswith(DOC_DIRECTORIES):
            lines.append(f"%doc {name}")
        else:
            lines.append(name)
    return "\n".join(lines) + "\n"


def spec(staged: Path) -> str:
    summary, description = summary_and_description()
    return (
        f"Name: {PACKAGE}\nVersion: {debian.version()}\nRelease: {RELEASE}\n"
        f"Summary: {summary}\nLicense: {LICENSE}\nBuildArch: noarch\n"
        "Vendor: SUNWscims developers <scims@example.com>\n"
        + "".join(f"Requires: {r}\n" for r in REQUIRES)
        + "".join(f"Recommends: {r}\n" for r in RECOMMENDS)
        + "AutoReqProv: no\n"
        "%global __os_install_post %{nil}\n%global debug_package %{nil}\n"
        "%global _build_id_links none\n\n"
        f"%description\n{description}\n\n"
        f"%install\ncp -a {staged}/. %{{buildroot}}/\n\n"
        + f"%files\n{files_section(staged)}")


def build(out: Path) -> Path:
    """The .rpm in `out` (made afresh)."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{PACKAGE}-{debian.version()}-{RELEASE}.noarch.rpm"
    with tempfile.TemporaryDirectory(prefix="scims-rpm-") as scratch:
        top = Path(scratch)
        staged = top / "staged"
        staged.mkdir()
        debian.stage(staged)
        spec_file = top / f"{PACKAGE}.spec"
        spec_file.write_text(spec(staged))
        done = subprocess.run(
            ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top / 'rpmbuild'}",
             "--define", f"_rpmdir {top / 'rpms'}", "--define", "_rpmfilename %{NAME}-"
             "%{VERSION}-%{RELEASE}.%{ARCH}.rpm", str(spec_file)],
            capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"rpmbuild failed:\n{done.stdout}{done.stderr}")
        shutil.copyfile(top / "rpms" / target.name, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=debian.REPO / "build" / "rpm")
    args = parser.parse_args(argv)
    print(build(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
