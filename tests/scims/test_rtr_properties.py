"""Property-based tests of the RTR parser: whatever the input, a model or a located RtrError;
any file a developer could legally write reads back as the model it was written from; and
whatever an administrator types, check_value gives a typed value or a PropertyValueError."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scims.cluster.rtr import (
    PropertyValueError,
    ResourceType,
    RtrError,
    parse_file,
    parse_text,
)
from scims.cluster.sysprops import METHODS, lookup

# Real RTR files of other agents (SAM-QFS, Ingres; see test_rtr.py), beside the repository.
EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "rtr-examples"
HEADER = 'Resource_type = "x";\nRT_basedir = /opt/x;\nStart = start;\nStop = stop;\n'


def parses_or_locates(text: str) -> None:
    """The one acceptable outcome set: a model, or an RtrError inside the text."""
    try:
        rt = parse_text(text, "fuzz")
    except RtrError as err:
        assert err.path == "fuzz"
        assert 1 <= err.line <= text.count("\n") + 1
        assert err.col >= 1
        assert err.message
        assert str(err).startswith(f"fuzz:{err.line}:{err.col}: ")
    else:
        assert isinstance(rt, ResourceType)
        rt.resource_properties()  # the derived view never fails on a parsed type


# --------------------------------------------------------------------------- robustness


@settings(max_examples=300)
@given(st.text())
def test_arbitrary_text_gives_a_model_or_a_located_error(text: str) -> None:
    parses_or_locates(text)


TOKENS = [
    "Resource_type", "Vendor_id", "RT_version", "API_version", "Failover", "Pkglist",
    "Start", "Stop", "Prenet_start", "Init_nodes", "Installed_nodes", "=", ";", ",", "{", "}",
    '"x"', '""', '"1.0"', "/bin/a", "bin/a", "-1", "0", "5", "99999999999", "TRUE", "false",
    "PROPERTY", "EXTENSION", "INT", "STRING", "BOOLEAN", "ENUM", "STRINGARRAY", "DEFAULT",
    "MIN", "MAX", "MINLENGTH", "MAXLENGTH", "ARRAY_MINSIZE", "ARRAY_MAXSIZE", "TUNABLE",
    "DESCRIPTION", "ANYTIME", "WHEN_DISABLED", "Retry_count", "Start_timeout",
    "Update_timeout", "Failover_mode", "SOFT", "Port_list", "Scalable", "Status", "P", "Q",
    "#$upgrade\n", '#$upgrade_from "1" anytime\n', "#$upgrade_from\n", "#$other\n",
    "# comment\n", "\n", '"unterminated', "RT_version = \"a b\";",
]


@settings(max_examples=300, deadline=None)
@given(st.booleans(), st.lists(st.sampled_from(TOKENS), max_size=40),
       st.sampled_from([" ", "\n", "\t"]))
def test_token_soup_gives_a_model_or_a_located_error(
        with_header: bool, tokens: list[str], blank: str) -> None:
    parses_or_locates((HEADER if with_header else "") + blank.join(tokens))


@settings(max_examples=200)
@given(st.lists(st.sampled_from(TOKENS[15:]), max_size=30))
def test_declaration_soup_after_a_valid_header(tokens: list[str]) -> None:
    parses_or_locates(HEADER + "{ PROPERTY = P; " + " ".join(tokens))


# --------------------------------------------------------------------------- round trip

QUOTABLE = st.text(
    alphabet=st.characters(blacklist_characters='"\n', blacklist_categories=("Cs",)),
    max_size=12,
)
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
IDENT = st.builds(str.__add__, st.sampled_from(LETTERS),
                  st.text(alphabet=LETTERS + "0123456789_", max_size=11))
TUNABLE_WRITTEN = {"NONE": "NONE", "FALSE": "NONE", "TRUE": "ANYTIME", "ANYTIME": "ANYTIME",
                   "AT_CREATION": "AT_CREATION", "WHEN_DISABLED": "WHEN_DISABLED"}


@dataclass
class ExtProp:
    name: str
    type: str
    default: object = None
    enum_values: list[str] = field(default_factory=list)
    bounds: dict[str, int] = field(default_factory=dict)
    tunable: Optional[str] = None
    description: Optional[str] = None


@dataclass
class Spec:
    resource_type: str
    vendor_id: Optional[str]
    rt_version: Optional[str]
    api_version: Optional[int]
    failover: Optional[bool]
    methods: dict[str, str]
    upgrade_from: Optional[list[tuple[str, str]]]
    timeouts: dict[str, tuple[int, int]]
    props: list[ExtProp]


def unique_names(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        if name.lower() not in seen and lookup(name) is None:
            seen.add(name.lower())
            out.append(name)
    return out


@st.composite
def ext_props(draw: st.DrawFn, name: str) -> ExtProp:
    kind = draw(st.sampled_from(["INT", "BOOLEAN", "ENUM", "STRING", "STRINGARRAY"]))
    prop = ExtProp(name, kind)
    has_default = draw(st.booleans())
    if kind == "INT":
        low, high = sorted(draw(st.lists(st.integers(-1000, 100000), min_size=2, max_size=2)))
        prop.bounds = {k: v for k, v in (("MIN", low), ("MAX", high)) if draw(st.booleans())}
        if has_default:
            prop.default = draw(st.integers(low, high))
    elif kind == "BOOLEAN":
        prop.default = draw(st.booleans()) if has_default else None
    elif kind == "ENUM":
        prop.enum_values = unique_names(draw(st.lists(IDENT, min_size=1, max_size=5)))
        if not prop.enum_values:
            prop.enum_values = ["only"]
        prop.default = draw(st.sampled_from(prop.enum_values)) if has_default else None
    else:  # STRING bounds its length, STRINGARRAY its number of elements
        value = draw(QUOTABLE if kind == "STRING" else st.lists(QUOTABLE.filter(bool), max_size=4))
        if has_default:
            prop.default = value
        low, high = ("MINLENGTH", "MAXLENGTH") if kind == "STRING" else ("ARRAY_MINSIZE",
                                                                          "ARRAY_MAXSIZE")
        if draw(st.booleans()):
            prop.bounds[low] = draw(st.integers(0, len(value)))
        if draw(st.booleans()):
            prop.bounds[high] = len(value) + draw(st.integers(0, 5 if kind == "STRING" else 3))
    prop.tunable = draw(st.none() | st.sampled_from(sorted(TUNABLE_WRITTEN)))
    prop.description = draw(st.none() | QUOTABLE)
    return prop


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    starts = draw(st.sampled_from([["Start"], ["Prenet_start"], ["Start", "Prenet_start"]]))
    stops = draw(st.sampled_from([["Stop"], ["Postnet_stop"], ["Stop", "Postnet_stop"]]))
    others = draw(st.lists(st.sampled_from(METHODS), unique=True, max_size=6))
    methods = {m: draw(st.sampled_from([f"{m.lower()}_method", f"/usr/bin/{m.lower()}"]))
               for m in dict.fromkeys(starts + stops + others)}
    timeouts = {}
    for method in methods:
        if draw(st.booleans()):
            minimum = draw(st.integers(1, 600))
            timeouts[method] = (minimum, draw(st.integers(minimum, 7200)))
    names = unique_names(draw(st.lists(IDENT, max_size=6)))
    upgrade = draw(st.none() | st.lists(
        st.tuples(st.from_regex(r"[0-9][0-9.]{0,4}", fullmatch=True),
                  st.sampled_from(["anytime", "WHEN_DISABLED", "when_unmanaged"])),
        max_size=3, unique_by=lambda vt: vt[0]))
    return Spec(
        resource_type=draw(IDENT),
        vendor_id=draw(st.none() | st.from_regex(r"[A-Z]{2,6}", fullmatch=True)),
        rt_version=draw(st.none() | st.from_regex(r"[0-9][0-9A-Za-z._-]{0,6}", fullmatch=True)),
        api_version=draw(st.none() | st.integers(1, 22)),
        failover=draw(st.none() | st.booleans()),
        methods=methods,
        upgrade_from=upgrade,
        timeouts=timeouts,
        props=[draw(ext_props(name)) for name in names],
    )


def render(spec: Spec, case: Callable[[str], str], blank: str) -> str:
    """Write `spec` as an RTR file, keywords in the given case, entries apart by `blank`."""
    out = [f'{case("Resource_type")} = "{spec.resource_type}";']
    if spec.vendor_id:
        out.append(f"{case('Vendor_id')} = {spec.vendor_id};")
    if spec.rt_version:
        out.append(f'{case("RT_version")} ="{spec.rt_version}";')
    if spec.api_version is not None:
        out.append(f"{case('API_version')} = {spec.api_version};")
    if spec.failover is True:
        out.append(f"{case('Failover')};")
    elif spec.failover is False:
        out.append(f"{case('Failover')} = {case('FALSE')};")
    out.append(f"{case('RT_basedir')}=/opt/x/bin;")
    out.extend(f"{case(m)}\t= {path};" for m, path in spec.methods.items())
    if spec.upgrade_from is not None:
        out.append("#$upgrade\n")
        out.extend(f'#$upgrade_from "{v}" {t}\n' for v, t in spec.upgrade_from)
    for method, (minimum, default) in spec.timeouts.items():
        out.append(f"{{ {case('PROPERTY')} = {method}_timeout; {case('MIN')} = {minimum};"
                   f" {case('DEFAULT')} = {default}; }}")
    for prop in spec.props:
        body = [f"{case('PROPERTY')} = {prop.name};", f"{case('EXTENSION')};"]
        if prop.type == "ENUM":
            body.append(f"{case('ENUM')} {{ {', '.join(prop.enum_values)} }};")
        else:
            body.append(f"{case(prop.type)};")
        body.extend(f"{case(k)} = {v};" for k, v in prop.bounds.items())
        if prop.default is not None:
            if isinstance(prop.default, bool):
                value = case("TRUE" if prop.default else "FALSE")
            elif isinstance(prop.default, list):
                value = ", ".join(f'"{e}"' for e in prop.default) or '""'
            elif isinstance(prop.default, str):
                value = f'"{prop.default}"'
            else:
                value = str(prop.default)
            body.append(f"{case('DEFAULT')} = {value};")
        if prop.tunable is not None:
            body.append(f"{case('TUNABLE')} = {case(prop.tunable)};")
        if prop.description is not None:
            body.append(f'{case("DESCRIPTION")} = "{prop.description}";')
        out.append("{" + blank + blank.join(body) + blank + "}")
    return "# generated\n" + blank.join(out) + "\n"


@settings(max_examples=100, deadline=None)
@given(specs(), st.sampled_from([str.lower, str.upper, str]),
       st.sampled_from([" ", "\n", "\n\t", "  # a comment; with { tokens }\n"]))
def test_generated_files_read_back_as_written(
        spec: Spec, case: Callable[[str], str], blank: str) -> None:
    rt = parse_text(render(spec, case, blank), "gen")
    assert rt.resource_type == spec.resource_type
    assert rt.vendor_id == spec.vendor_id
    assert rt.rt_version == spec.rt_version
    expected_name = f"{spec.vendor_id}.{spec.resource_type}" if spec.vendor_id \
        else spec.resource_type
    assert rt.name == expected_name
    # The version is part of the name only for an upgrade-aware type.
    assert rt.full_name == (f"{expected_name}:{spec.rt_version}"
                            if spec.rt_version and spec.upgrade_from is not None
                            else expected_name)
    assert rt.api_version == (spec.api_version or 2)
    assert rt.failover is bool(spec.failover)
    assert rt.methods == spec.methods
    assert rt.upgrade is (spec.upgrade_from is not None)
    assert rt.upgrade_from == [(v, t.upper()) for v, t in spec.upgrade_from or []]
    assert rt.warnings == []
    for method in spec.methods:
        assert rt.default(f"{method}_timeout") == spec.timeouts.get(method, (1, 3600))[1]
    extensions = [p for p in rt.properties if p.extension]
    assert [p.name for p in extensions] == [p.name for p in spec.props]
    for written, read in zip(spec.props, extensions):
        assert read.type == written.type
        assert read.default == written.default
        assert read.enum_values == written.enum_values
        for attr, value in written.bounds.items():
            assert getattr(read, attr.lower()) == value
        assert read.tunable == TUNABLE_WRITTEN[written.tunable or "ANYTIME"]
        assert read.description == (written.description or "")
        assert rt.resource_property(written.name).required is (written.default is None)


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("rtr", sorted(p.name for p in EXAMPLES.iterdir()))
@settings(max_examples=80, deadline=None)
@given(raw=st.text(max_size=30) | st.from_regex(r"-?[0-9]{1,12}", fullmatch=True)
       | st.sampled_from(["TRUE", "false", "Auto", "soft", "", ",", "a,b", " 5 "]))
def test_check_value_gives_a_legal_value_or_a_property_value_error(rtr: str, raw: str) -> None:
    rt = parse_file(EXAMPLES / rtr)
    for prop in rt.resource_properties():
        try:
            value = rt.check_value(prop.name, raw)
        except PropertyValueError as err:
            assert prop.name in str(err)
            continue
        if prop.type == "INT":
            assert isinstance(value, int) and not isinstance(value, bool)
            assert prop.min is None or value >= prop.min
            assert prop.max is None or value <= prop.max
        elif prop.type == "BOOLEAN":
            assert isinstance(value, bool)
        elif prop.type == "ENUM":
            assert value in prop.enum_values
        elif prop.type == "STRINGARRAY":
            assert isinstance(value, list) and all(value)
        else:
            assert value == raw


@given(st.integers(2, 3600))
def test_every_int_within_bounds_is_accepted_as_written(number: int) -> None:
    rt = parse_file(EXAMPLES / "SUNW.qfs")
    assert rt.check_value("Probe_timeout", str(number)) == number
    assert rt.check_value("Probe_timeout", f" {number} ") == number
