"""Validate: refuse a configuration that cannot work, before the cluster accepts it.

The RGM runs Validate on every node that may master the group, with `-c` and every property
when a resource is created, or `-u` and the changed ones when it is updated; a failure on any
node cancels the change. Each refusal is one catalogue line naming what to fix. Problems that
do not stop Messaging Server from running (ha_ip_config not run, imta.cnf naming a node,
self-restart switched off) are warnings: the change goes through.

Gather once, then decide: `gather.gather` reads everything (properties, the framework, the
node's files) into a `facts.Facts` value; `rules.decide` turns it into findings with pure
functions, each tested without a cluster (tests/scims/test_validation_rules.py).

The fault monitor's timing is checked first, as scds_initialize(3HA) does. Storage follows
scds_hasp_check: where the storage is online on another node the files cannot be read here,
so the file checks are skipped and the method says so.
"""

from __future__ import annotations

from typing import Any

from scims.errors import CheckFailed
from scims.method_runtime import MethodContext
from scims.validation import rules
from scims.validation.facts import Facts
from scims.validation.gather import gather, probe_timing
from scims.validation.rules import decide, nested

__all__ = ["check_probe_timing", "decide", "gather", "nested", "validate"]


def validate(ctx: MethodContext) -> int:
    """Log every finding up to the first refusal; 1 if there is one, else 0."""
    for finding in decide(gather(ctx)):
        ctx.log.emit(finding.message, *finding.arguments)
        if finding.refuses:
            return 1
    return 0


def check_probe_timing(ctx: Any) -> None:
    """The timing rule alone, raising its refusal (the OCF agent's validate-all)."""
    for finding in rules.probe_timing(Facts(timing=probe_timing(ctx.props))):
        raise CheckFailed(finding.message, *finding.arguments)
