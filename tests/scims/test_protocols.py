"""The seams of scims.cluster.protocols are met by what the library passes through them:
the cluster-command module (under the RGM), PMF, and the OCF door's in-process stand-ins.
A call added to a Protocol, or renamed in an implementation, fails here, not on a node."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from scims import ocf
from scims.cluster import commands, protocols


def calls(protocol: type) -> dict[str, inspect.Signature]:
    """The calls a Protocol declares (its own and inherited), by name."""
    found: dict[str, inspect.Signature] = {}
    for klass in reversed(protocol.__mro__):
        if klass is object or not getattr(klass, "_is_protocol", False):
            continue
        for name, member in vars(klass).items():
            if callable(member) and not name.startswith("_"):
                found[name] = inspect.signature(member)
            elif isinstance(member, property):
                found[name] = inspect.Signature()
    return found


def accepts(implementation: inspect.Signature, declared: inspect.Signature) -> list[str]:
    """What a call made as `declared` says would not fit `implementation`."""
    params = implementation.parameters
    varargs = any(p.kind is p.VAR_POSITIONAL for p in params.values())
    varkw = any(p.kind is p.VAR_KEYWORD for p in params.values())
    problems = []
    positional = [p for p in params.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"]
    wanted = [p for p in declared.parameters.values() if p.name != "self"]
    for index, want in enumerate(wanted):
        if want.kind is want.POSITIONAL_ONLY:
            if index >= len(positional) and not varargs:
                problems.append(f"no positional parameter {index + 1} ({want.name})")
        elif want.kind in (want.VAR_POSITIONAL, want.VAR_KEYWORD):
            kind = inspect.Parameter.VAR_POSITIONAL if want.kind is want.VAR_POSITIONAL \
                else inspect.Parameter.VAR_KEYWORD
            if not any(p.kind is kind for p in params.values()):
                problems.append(f"no {'*' if kind is want.VAR_POSITIONAL else '**'}{want.name}")
        elif want.name not in params and not varkw:
            problems.append(f"no parameter {want.name}")
    return problems


def member_signature(implementation: Any, name: str) -> inspect.Signature:
    member = getattr(implementation, name)
    if isinstance(inspect.getattr_static(implementation, name, None), property):
        return inspect.Signature()
    return inspect.signature(member)


@pytest.mark.parametrize(("protocol", "implementation"), [
    (protocols.PropertyQueries, commands),
    (protocols.ClusterQueries, commands),
    (protocols.RestartRequests, commands),
    (protocols.RestartRequests, ocf.Verdict),
    (protocols.ProcessMonitor, commands.Pmf),
    (protocols.ProcessMonitor, ocf.UnsupervisedTree),
    (protocols.Answer, commands.Reply("scha_resource_get", "Retry_count", ("2",))),
], ids=lambda v: getattr(v, "__name__", type(v).__name__))
def test_every_call_of_the_seam_is_there_and_takes_its_arguments(
        protocol: type, implementation: Any) -> None:
    declared = calls(protocol)
    assert declared, f"{protocol.__name__} declares no call"
    for name, signature in declared.items():
        assert hasattr(implementation, name), f"{implementation} has no {name}"
        if signature.parameters:
            problems = accepts(member_signature(implementation, name), signature)
            assert problems == [], f"{name}: {problems}"


def test_a_missing_call_is_noticed() -> None:
    class Partial:
        def resource_get(self, optag: str, r: str, g: str) -> Any: ...

    assert not hasattr(Partial, "control")
    assert "control" in calls(protocols.RestartRequests)
    assert accepts(inspect.signature(Partial.resource_get),
                   calls(protocols.PropertyQueries)["resource_get"]) == ["no *extra",
                                                                       "no parameter timeout"]
