"""The calls the library makes of the cluster, as Protocols: the seams of its logic.

Under the RGM every one of them is answered by `scims.cluster.commands`, the module itself
(its functions satisfy the query Protocols, its `Pmf` the process monitor), by running the
scha_* programs and pmfadm. The OCF door answers them in process (Pacemaker has no
scha_control and no PMF), and so do the library's unit tests: a test of the fault
monitor's decisions or of Monitor_start needs no program run, only these calls answered.
Each Protocol lists exactly the calls its user makes, so a fake that satisfies it is complete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Optional, Protocol

from scims.cluster.commands import ExtensionValue
from scims.cluster.scha_errors import SchaError


class Count(Protocol):
    """A query's answer read as a number (all the fault monitor reads of one)."""

    def as_int(self) -> int: ...


class Answer(Count, Protocol):
    """What a query answers: one value per line (`commands.Reply`)."""

    @property
    def lines(self) -> tuple[str, ...]: ...

    def as_str(self) -> str: ...

    def as_bool(self) -> bool: ...

    def as_list(self) -> list[str]: ...


class PropertyQueries(Protocol):
    """What `invocation.PropertyView` asks: the stored properties of a resource and its group."""

    def resource_get(self, optag: str, r: str, g: Optional[str] = None, *extra: str,
                     timeout: float = ...) -> Answer: ...

    def resourcegroup_get(self, optag: str, g: str, *extra: str,
                          timeout: float = ...) -> Answer: ...

    def extension(self, r: str, g: str, name: str,
                  timeout: float = ...) -> tuple[str, ExtensionValue]: ...


class ClusterQueries(PropertyQueries, Protocol):
    """What `directory.ClusterDirectory` asks: the properties, and the cluster's own."""

    def cluster_get(self, optag: str, *extra: str, timeout: float = ...) -> Answer: ...


class RestartRequests(Protocol):
    """What the fault monitor asks and requests (scds_fm_action): how often the resource was
    restarted, and a restart or a giveover (scha_control), whose verdict comes back."""

    def resource_get(self, optag: str, r: str, g: str) -> Count: ...

    def control(self, tag: str, g: str, r: str) -> SchaError: ...


class ProcessMonitor(Protocol):
    """What runs and contains a process tree under a tag: PMF (`commands.Pmf`) under the
    RGM, the OCF door's unsupervised tree under Pacemaker. Made in one place,
    `MethodContext.process_monitor`."""

    def start(self, tag: str, argv: Sequence[str], *, retries: int = ...,
              period_minutes: int = ..., child_level: int = ...,
              env: Optional[Mapping[str, str]] = ..., action: Optional[str] = ...) -> None: ...

    def modify(self, tag: str, *, retries: int, period_minutes: int,
               missing_ok: bool = ...) -> bool:
        """Change how often the tree is restarted; with `missing_ok`, a tag that is not there
        is no error (False), so no pmfadm -q need be asked first."""

    def is_running(self, tag: str) -> bool: ...

    def stop(self, tag: str, signal: Optional[str] = ..., /, wait: Optional[float] = ...,
             *, running: Optional[bool] = ..., ask_first: bool = ...) -> Optional[bool]:
        """Signal the tree (None: only stop restarting it); True when the tag is known gone.
        `ask_first=False`: signal at once and ask whether the tag runs only on a refusal."""
