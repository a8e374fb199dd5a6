"""The resource group manager: the state machine that rgmd runs, one request at a time.

rgmd (the president) owns one `Rgm`; every administrative command, scha_control request and
node membership change becomes one call on it from a single worker thread, so state changes
are serialised and two methods of one resource never run at once. Methods themselves run on
the nodes through a `Runner` (the node agents); the decisions come from `rules`.

State names follow scstat(1M)/scha_*_get: resource states ONLINE, OFFLINE, START_FAILED,
STOP_FAILED, MONITOR_FAILED, ONLINE_NOT_MONITORED, STARTING, STOPPING; group states ONLINE,
OFFLINE, PENDING_ONLINE, PENDING_OFFLINE, ERROR_STOP_FAILED, ONLINE_FAULTED, UNMANAGED.

The requests are grouped by kind: `base` (state, helpers, running a method),
`configuration` (types, groups, resources), `operations` (online/offline, enable/
disable, scha_control, membership).
"""

from __future__ import annotations

from clustersim.rgm.base import (
    METHOD_JOURNAL,
    NETWORK_TYPES,
    R_STATE_NAMES,
    RGMD_TAG,
    Logger,
    MethodResult,
    Runner,
)
from clustersim.rgm.configuration import Configuration
from clustersim.rgm.operations import Operations

__all__ = ["METHOD_JOURNAL", "NETWORK_TYPES", "RGMD_TAG", "R_STATE_NAMES", "Logger",
           "MethodResult", "Rgm", "Runner"]


class Rgm(Configuration, Operations):
    """Every operation of the RGM; each public method is one serialised request."""
