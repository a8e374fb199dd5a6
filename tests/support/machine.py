"""What the machine itself holds: to prove a lab left nothing on it."""

from __future__ import annotations

import subprocess
from pathlib import Path


def machine_interfaces() -> set[str]:
    """Interface names of the machine's initial network namespace."""
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                         check=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


def netns_names() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                         check=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def loop_images() -> set[str]:
    """Backing files of every bound loop device of the machine."""
    return {p.read_text().strip()
            for p in Path("/sys/block").glob("loop*/loop/backing_file")}
