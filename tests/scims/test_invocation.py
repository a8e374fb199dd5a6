"""Method arguments and the property view Validate judges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers_scims import FakeCommand, make_node_root, on_node
from hypothesis import given
from hypothesis import strategies as st

from scims.cluster import commands
from scims.cluster.invocation import CREATE, UPDATE, Invocation, PropertyView, Scope, parse
from scims.errors import ConfigError, UsageError
from scims.log import messages

BASE = ["-R", "mail-rs", "-T", "SUNW.ims:1.0", "-G", "MS-RG"]


def test_plain_method() -> None:
    inv = parse(BASE)
    assert (inv.resource, inv.resource_type, inv.group, inv.zone, inv.mode) == (
        "mail-rs", "SUNW.ims:1.0", "MS-RG", None, None)
    assert inv.type_name == "SUNW.ims"
    assert parse([*BASE, "-Z", "zone1"]).zone == "zone1"
    assert parse(["-Rmail-rs", "-TSUNW.ims", "-GMS-RG"]).resource == "mail-rs"


def test_validate_create_with_properties() -> None:
    inv = parse(
        ["-c", *BASE, "-r", "Resource_dependencies=disk-rs,meadow", "-x",
         "IMS_serverroot=/opt/mars/SUNWmsgsr", "-x", "Probe_timeout=30", "-g",
         "Nodelist=mars,venus", "-X", "Probe_timeout{2}=60", "-x", "Confdir_list="],
        validate=True,
    )
    assert inv.mode == CREATE
    assert inv.resource_properties == {"Resource_dependencies": "disk-rs,meadow"}
    assert inv.extension_properties == {"IMS_serverroot": "/opt/mars/SUNWmsgsr",
                                        "Probe_timeout": "30", "Confdir_list": ""}
    assert inv.group_properties == {"Nodelist": "mars,venus"}
    assert inv.node_extension_properties == {("Probe_timeout", "2"): "60"}
    assert parse(["-u", *BASE], validate=True).mode == UPDATE


def test_values_may_contain_equals_and_later_assignments_win() -> None:
    inv = parse(["-u", *BASE, "-x", "Start_command=a=b", "-x", "start_command=c"],
                validate=True)
    assert inv.extension_properties == {"start_command": "c"}


@pytest.mark.parametrize(
    ("argv", "validate", "complaint"),
    [
        ([*BASE, "-q"], False, "illegal option -- q"),
        (["-R", "mail-rs", "-T", "SUNW.ims", "-G"], False, "option requires an argument -- G"),
        (["-R", "mail-rs", "-T", "SUNW.ims"], False, "-G is missing"),
        ([*BASE, "-R", "other"], False, "-R given twice"),
        ([*BASE, "extra"], False, "unexpected argument"),
        (["-c", *BASE], False, "only for the Validate"),
        ([*BASE, "-x", "A=b"], False, "only for the Validate"),
        (["-c", "-u", *BASE], True, "exactly one of -c and -u"),
        (BASE, True, "exactly one of -c and -u"),
        (["-c", *BASE, "-x", "IMS_serverroot"], True, "has no '='"),
        (["-c", *BASE, "-x", "=/opt"], True, "property name"),
        (["-c", *BASE, "-X", "Probe_timeout=60"], True, "property{node}=value"),
        (["-R", "-mail", "-T", "t", "-G", "g"], False, "not a valid name"),
        (["-R", "", "-T", "t", "-G", "g"], False, "non-empty"),
    ],
)
def test_malformed_arguments(argv: list[str], validate: bool, complaint: str) -> None:
    with pytest.raises(UsageError, match=complaint.replace("{", r"\{").replace("}", r"\}")) as e:
        parse(argv, validate=validate)
    assert e.value.message is messages.INVALID_ARGUMENTS


_words = st.sampled_from(["-R", "-T", "-G", "-Z", "-c", "-u", "-r", "-x", "-g", "-X", "-q",
                          "--", "-", "mail-rs", "a=b", "p{1}=v", "=", "-Rx", "-cu", ""])


@given(st.lists(st.one_of(_words, st.text()), max_size=14), st.booleans())
def test_any_argv_parses_or_is_a_usage_error(argv: list[str], validate: bool) -> None:
    try:
        inv = parse(argv, validate=validate)
    except UsageError as exc:
        assert str(exc).startswith("Invalid arguments to the method: ")
        return
    assert inv.resource and inv.resource_type and inv.group
    assert (inv.mode is not None) == validate


# --- the property view -------------------------------------------------------------------


class FakeCluster:
    """What PropertyView asks of the cluster-command module, counting questions."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, ...]] = []
        self.extensions: dict[str, Any] = {"IMS_serverroot": "/opt/stored",
                                           "Probe_timeout": 30, "Monitor_enabled": True,
                                           "Confdir_list": ["/a", "/b"]}
        self.system: dict[str, tuple[str, ...]] = {"Retry_count": ("2",),
                                                    "Resource_dependencies": ("d", "m"),
                                                    "Scalable": ("FALSE",)}
        self.group: dict[str, tuple[str, ...]] = {"Nodelist": ("mars", "venus")}

    def extension(self, r: str, g: str, name: str) -> tuple[str, Any]:
        self.asked.append(("extension", r, g, name))
        return "X", self.extensions[name]

    def resource_get(self, optag: str, r: str, g: str) -> commands.Reply:
        self.asked.append(("resource", optag, r, g))
        (lines,) = [v for k, v in self.system.items() if k.lower() == optag.lower()]
        return commands.Reply("scha_resource_get", optag, lines)  # optags: any case

    def resourcegroup_get(self, optag: str, g: str) -> commands.Reply:
        self.asked.append(("group", optag, g))
        return commands.Reply("scha_resourcegroup_get", optag, self.group[optag])


def view(*extra: str) -> tuple[PropertyView, FakeCluster]:
    cluster = FakeCluster()
    return PropertyView(parse(["-u", *BASE, *extra], validate=True), cluster), cluster


def test_argv_values_win_case_insensitively() -> None:
    props, cluster = view("-x", "ims_SERVERROOT=/opt/new", "-r", "retry_count=5",
                          "-g", "nodelist=venus, mars")
    assert props.get_str("IMS_serverroot") == "/opt/new"
    assert props.get_int("Retry_count") == 5
    assert props.get_list("Nodelist", Scope.GROUP) == ["venus", "mars"]
    assert cluster.asked == []


def test_stored_values_come_from_the_right_query_once() -> None:
    props, cluster = view()
    assert props.get_str("IMS_serverroot") == "/opt/stored"
    assert props.get_str("IMS_serverroot") == "/opt/stored"
    assert props.get_int("Probe_timeout") == 30
    assert props.get_bool("Monitor_enabled") is True
    assert props.get_list("Confdir_list") == ["/a", "/b"]
    assert props.get_str("Confdir_list") == "/a,/b"
    assert props.get_int("retry_count") == 2
    assert props.get_bool("Scalable") is False
    assert props.get_list("Resource_dependencies") == ["d", "m"]
    assert props.get_list("Nodelist", Scope.GROUP) == ["mars", "venus"]
    assert cluster.asked == [
        ("extension", "mail-rs", "MS-RG", "IMS_serverroot"),
        ("extension", "mail-rs", "MS-RG", "Probe_timeout"),
        ("extension", "mail-rs", "MS-RG", "Monitor_enabled"),
        ("extension", "mail-rs", "MS-RG", "Confdir_list"),
        ("resource", "retry_count", "mail-rs", "MS-RG"),
        ("resource", "Scalable", "mail-rs", "MS-RG"),
        ("resource", "Resource_dependencies", "mail-rs", "MS-RG"),
        ("group", "Nodelist", "MS-RG"),
    ]
    props.refresh()
    props.get_str("IMS_serverroot")
    assert len(cluster.asked) == 9


def test_argv_strings_convert_like_stored_ones() -> None:
    props, _ = view("-x", "Monitor_enabled=false", "-x", "Probe_timeout=-3", "-x",
                    "Confdir_list=/a, ,/b,")
    assert props.get_bool("Monitor_enabled") is False
    assert props.get_int("Probe_timeout") == -3
    assert props.get_list("Confdir_list") == ["/a", "/b"]


@pytest.mark.parametrize(
    ("extra", "getter", "name"),
    [
        (("-x", "Probe_timeout=soon"), "get_int", "Probe_timeout"),
        (("-x", "Monitor_enabled=maybe"), "get_bool", "Monitor_enabled"),
        ((), "get_int", "Monitor_enabled"),
        ((), "get_bool", "Probe_timeout"),
        ((), "get_str", "Resource_dependencies"),
    ],
)
def test_wrong_kinds_of_value_are_config_errors(extra: tuple[str, ...], getter: str,
                                                name: str) -> None:
    props, _ = view(*extra)
    with pytest.raises(ConfigError) as caught:
        getattr(props, getter)(name)
    assert caught.value.message is messages.PROPERTY_VALUE_INVALID
    assert caught.value.arguments[0] == name


def test_view_over_the_real_framework_module(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_node_root(tmp_path / "mars")
    on_node(monkeypatch, root)
    cmd = FakeCommand(root, "scha_resource_get")
    cmd.answer(["-O", "Extension", "-R", "mail-rs", "-G", "MS-RG", "IMS_serverroot"],
               "STRING\n/opt/mars/SUNWmsgsr\n")
    cmd.answer(["-O", "Thorough_probe_interval", "-R", "mail-rs", "-G", "MS-RG"], "60\n")
    props = PropertyView(parse(BASE))
    assert props.get_str("IMS_serverroot") == "/opt/mars/SUNWmsgsr"
    assert props.get_int("Thorough_probe_interval") == 60


def test_invocation_is_a_plain_value() -> None:
    assert Invocation("r", "SUNW.ims", "g") == parse(["-R", "r", "-T", "SUNW.ims", "-G", "g"])
