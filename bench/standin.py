"""What the agent benchmarks share: a stand-in cluster with Messaging Server online under
SUNW.ims (the guide's generic procedure), always torn down, and the table they print.

Not a benchmark itself (run.py runs only bench_*.py). A benchmark does

    with standin.mail_cluster() as c:
        ...measure...
    standin.table(rows)

The cluster is the end-to-end tests' (`imsguide.testbed`: the package built into a
temporary directory, the cluster under /tmp where the runtime user reaches it, destroyed on
the way out even after a failure, and an error if a process of it is left), with the
cluster's own heartbeat and log settings: a benchmark measures what an administrator gets.
"""

from __future__ import annotations

import os
import socket
import statistics
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from imsguide import proof, testbed
from imsguide.site import Site

PROBE_INTERVAL = 5
"""Thorough_probe_interval (s) of the benchmarks that time the fault monitor: short, so that
a run sees many probe cycles; bench_faults and bench_probe measure with the same one."""
PROBE_TIMEOUT = 2
"""Probe_timeout (s) that goes with it."""


@dataclass
class MailCluster(testbed.Cluster):
    """The tests' cluster (imsguide.testbed) with what the benchmarks ask of it."""

    def set_probe_timing(self, *more: str) -> None:
        """The fault monitor's PROBE_INTERVAL and PROBE_TIMEOUT (and `more` scrgadm options)."""
        self.set_props("-y", f"Thorough_probe_interval={PROBE_INTERVAL}", *more,
                       "-x", f"Probe_timeout={PROBE_TIMEOUT}")

    def method_env(self, node: str) -> dict[str, str]:
        """The environment the RGM gives a method (docs/internals.md, section 4)."""
        del node
        return {"PATH": "/usr/cluster/bin:/usr/bin:/bin", "LANG": "C",
                "TZ": os.environ.get("TZ", "UTC")}

    def method_path(self, node: str, method: str) -> Path:
        """The method as the node runs it (read it through `site.on`)."""
        del node
        return Path(f"/opt/SUNWscims/bin/{method}")

    def method_identity(self, node: str) -> list[str]:
        """`-R resource -T type -G group`, as the RGM passes them to mail-rs's methods (the
        type's full name, as the node's RGM reports it)."""
        site = self.site
        rtype = proof.ask(site, node, "scha_resource_get", "-O", "Type",
                          "-R", site.mail_resource, "-G", site.group)[0].strip()
        return ["-R", site.mail_resource, "-T", rtype, "-G", site.group]

    def on_node(self, node: str, argv: list[str]) -> list[str]:
        """`argv` run on the node (every program of the agent runs there, never here)."""
        host = self.site.host(node)
        if host is None:
            raise RuntimeError(f"{node} is down")
        return host.command(argv)


@contextmanager
def mail_cluster() -> Iterator[MailCluster]:
    """Steps 1-17 of the generic procedure on a fresh two-node cluster; destroyed after."""
    if os.geteuid() != 0:
        raise SystemExit("the agent benchmarks run as root, as the end-to-end tests do")
    with testbed.built_package() as package, \
            testbed.generic_cluster(package, for_tests=False, prefix="bench-ims-") as c:
        yield MailCluster(c.site, c.session, c.transcript)


def wait_until(predicate: Callable[[], bool], timeout: float, what: str,
               poll: float = 0.02) -> float:
    """proof.wait_for with a finer poll (for latencies); the seconds it took."""
    return proof.wait_for(predicate, timeout, what, poll=poll)


class MessagesTail:
    """New lines of a node's var/adm/messages, read incrementally (cheap to poll often)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0
        self.seen: list[str] = []

    def poll(self) -> list[str]:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return self.seen
        cut = data.rfind(b"\n") + 1
        self.offset += cut
        self.seen += data[:cut].decode(errors="replace").splitlines()
        return self.seen

    def has(self, text: str) -> bool:
        return any(text in line for line in self.poll())


# --- the table ------------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def row(name: str, values: Sequence[float], unit_scale: float = 1.0,
        bound: float | None = None) -> list[str]:
    """name, runs, median, min, max, bound, median/bound, max/bound (values scaled)."""
    if not values:
        return [name, "0", "-", "-", "-", "-" if bound is None else f"{bound:g}", "-", "-"]
    v = [x * unit_scale for x in values]
    med = statistics.median(v)
    if not bound:
        return [name, str(len(v)), _num(med), _num(min(v)), _num(max(v)), "-", "-", "-"]
    return [name, str(len(v)), _num(med), _num(min(v)), _num(max(v)), _num(bound),
            f"{med / bound:.2f}", f"{max(v) / bound:.2f}"]


HEAD = ["measure", "runs", "median", "min", "max", "bound", "median/bound", "max/bound"]


def _num(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}" if abs(x) >= 1 else f"{x:.3f}"


def table(rows: Sequence[Sequence[str]], head: Sequence[str] = HEAD) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = []
    for r in [head, *rows]:
        cells = [str(c).ljust(w) if i == 0 else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


GREETINGS = (("smtp", b"220"), ("imap", b"* OK"), ("pop", b"+OK"))


def greet(site: Site, timeout: float = 0.5) -> bool:
    """SMTP, IMAP and POP each greet on the logical host within `timeout` (a quicker,
    finer-grained check than proof.services_answer, for polling during an outage), seen
    from the cluster's client host."""
    return proof.from_client(site, _greet, site, timeout)


def _greet(site: Site, timeout: float) -> bool:
    for service, greeting in GREETINGS:
        try:
            with socket.create_connection((site.logical_ip, getattr(site.ports, service)),
                                          timeout=timeout) as sock:
                sock.settimeout(timeout)
                if not sock.makefile("rb").readline().startswith(greeting):
                    return False
        except OSError:
            return False
    return True
