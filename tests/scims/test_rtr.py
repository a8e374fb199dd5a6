"""RTR (rt_reg(4)) parsing: real files from other agents, our own file, and the mistakes an
agent developer makes, each reported at the line and column where it is."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import pytest

from scims.cluster.rtr import (
    PropertyValueError,
    ResourceType,
    RtrError,
    UnknownPropertyError,
    parse_file,
    parse_text,
)

REPO = Path(__file__).resolve().parents[2]
# Real RTR files of other agents, read where they lie beside the repository (their licences
# keep them out of it): SUNW.qfs and SUNW.hasam from the SAM-QFS agents
# (github.com/cgrzemba/samqfs, src/fs/sc and src/fs/ha), Ingres.ingres_server from the Ingres
# agent (github.com/fosslc/Ingres, src/ha/sc/specials).
EXAMPLES = REPO.parent / "shared" / "reference" / "rtr-examples"

HEADER = """\
Resource_type = "ims";
Vendor_id = SUNW;
RT_version = "1.0";
RT_basedir = /opt/SUNWscims/bin;
Start = ims_svc_start;
Stop = ims_svc_stop;
"""
"""A minimal valid resource type section: 6 lines, so declarations start on line 7."""


def error_of(text: str) -> RtrError:
    with pytest.raises(RtrError) as info:
        parse_text(text, "SUNW.ims")
    return info.value


def where(err: RtrError) -> tuple[int, int]:
    return err.line, err.col


def refused(text: str, at: Optional[tuple[int, int]] = None, says: str = "") -> RtrError:
    """The file `text` is refused, at (line, column) `at`, with `says` in the message."""
    err = error_of(text)
    if at is not None:
        assert where(err) == at, err
    assert says in err.message, err.message
    return err


# --------------------------------------------------------------------------- real files


def test_qfs_declares_all_twelve_methods_api_3_and_its_upgrade_path() -> None:
    rt = parse_file(EXAMPLES / "SUNW.qfs")
    assert rt.name == "SUNW.qfs"
    assert rt.full_name == "SUNW.qfs:5"
    assert rt.api_version == 3
    assert rt.failover is True
    assert rt.rt_basedir == "/opt/SUNWsamfs/sc/bin"
    assert len(rt.methods) == 12
    assert rt.methods["Prenet_start"] == "scqfs_prenet_start"
    assert rt.method_path("monitor_check") == "/opt/SUNWsamfs/sc/bin/scqfs_monitor_check"
    assert rt.upgrade is True
    assert rt.upgrade_from == [("3.1", "ANYTIME"), ("3.2", "ANYTIME"),
                               ("4.5-05", "ANYTIME"), ("4.6", "ANYTIME")]
    assert rt.warnings == []


def test_qfs_enum_extension_property_keeps_its_values_and_default() -> None:
    rt = parse_file(EXAMPLES / "SUNW.qfs")
    policy = rt.property("qfsleaserecoverypolicy")
    assert policy.name == "QFSLeaseRecoveryPolicy"
    assert policy.extension is True
    assert policy.type == "ENUM"
    assert policy.enum_values == ["Timeout", "Auto", "Cluster"]
    assert policy.default == "Auto"
    assert policy.description == "QFS Wait for Lease Recovery Policy"
    assert policy.location == (159, 13)


def test_qfs_timeouts_and_extension_defaults_come_out_typed() -> None:
    rt = parse_file(EXAMPLES / "SUNW.qfs")
    assert rt.default("Prenet_start_timeout") == 360
    assert rt.default("Boot_timeout") == 300
    assert rt.resource_property("Init_timeout").min == 30
    assert rt.default("Child_mon_level") == -1
    assert rt.default("Failover_mode") == "SOFT"
    clients = rt.property("QFS_umount_await_clients")
    assert (clients.min, clients.max, clients.default) == (0, 300, 30)
    # A STRINGARRAY without a default must be given at creation.
    filesystems = rt.resource_property("QFSFileSystem")
    assert filesystems.type == "STRINGARRAY"
    assert filesystems.required is True


def test_qfs_properties_come_in_declaration_order() -> None:
    rt = parse_file(EXAMPLES / "SUNW.qfs")
    names = [p.name for p in rt.properties]
    assert names[:3] == ["Prenet_start_timeout", "Start_timeout", "Stop_timeout"]
    assert names[-1] == "Child_mon_level"
    assert len(names) == 23


def test_hasam_pkglist_scalable_and_empty_defaults() -> None:
    rt = parse_file(EXAMPLES / "SUNW.hasam")
    assert rt.full_name == "SUNW.hasam"  # no #$upgrade: no version in the name
    assert rt.pkglist == ["SUNWhasam"]
    assert rt.failover is False
    assert len(rt.methods) == 11
    assert "Boot" not in rt.methods
    assert rt.upgrade is False and rt.upgrade_from == []
    # `DEFAULT = ;` and `DEFAULT = "";` on string arrays are the empty list.
    assert rt.default("Port_list") == []
    assert rt.default("Network_resources_used") == []
    assert rt.default("Confdir_list") == []
    assert rt.property("Port_list").tunable == "AT_CREATION"
    # Bare `LB_WEIGHTED` matches the enumeration whatever its case.
    assert rt.default("Load_balancing_policy") == "Lb_weighted"
    assert rt.default("Scalable") is False
    # Declaring Scalable gives resources all the load-balancing properties.
    names = {p.name for p in rt.resource_properties()}
    assert {"Weak_affinity", "UDP_affinity", "Affinity_timeout"} <= names


def test_ingres_lowercase_keywords_relative_methods_and_tunables() -> None:
    rt = parse_file(EXAMPLES / "Ingres.ingres_server")
    assert rt.full_name == "Ingres.ingres_server"
    assert rt.api_version == 2
    assert rt.rt_basedir == "(INSTALL_DIRECTORY)"
    assert rt.methods["Start"] == "bin/ingres_server_start"
    assert rt.method_path("Start") == "(INSTALL_DIRECTORY)/bin/ingres_server_start"
    assert rt.default("Failover_mode") == "SOFT"
    assert rt.property("failover_mode").name == "FailOver_Mode"
    ii_system = rt.property("II_SYSTEM")
    assert ii_system.type == "STRING"
    assert ii_system.tunable == "WHEN_DISABLED"
    assert ii_system.minlength == 1
    assert ii_system.description == "Ingres System Directory (II_SYSTEM)"
    assert rt.resource_property("II_SYSTEM").required is True
    assert rt.default("II_HOSTNAME") == ""
    assert rt.default("Monitor_check_timeout") == 300
    assert rt.resource_property("Probe_timeout").max == 99999
    # The installer placeholder is legal but worth a word.
    assert [w.line for w in rt.warnings] == [21]
    assert "not an absolute path" in rt.warnings[0].message


def test_ingres_one_line_declarations_keep_their_locations() -> None:
    rt = parse_file(EXAMPLES / "Ingres.ingres_server")
    start = rt.property("Start_timeout")
    assert start.location == (42, 14)
    assert (start.min, start.default) == (5, 300)


def test_the_shipped_sunw_ims_rtr_parses_cleanly_with_the_contract_names() -> None:
    rt = parse_file(REPO / "rtr" / "SUNW.ims")
    assert rt.name == "SUNW.ims"
    assert rt.warnings == []
    assert rt.method_path("Start") == "/opt/SUNWscims/bin/ims_svc_start"
    assert rt.methods["Monitor_start"] == "ims_monitor_start"
    serverroot = rt.resource_property("ims_serverroot")
    assert serverroot.extension is True
    assert serverroot.required is True
    assert rt.failover is True
    assert rt.init_nodes == "RG_PRIMARIES"
    assert rt.pkglist == ["SUNWscims"]
    assert rt.rt_basedir == "/opt/SUNWscims/bin"
    assert (rt.vendor_id, rt.resource_type, rt.rt_version) == ("SUNW", "ims", "6.3")


def test_every_extension_property_of_sunw_ims_tells_a_scrgadm_user_what_it_is() -> None:
    rt = parse_file(REPO / "rtr" / "SUNW.ims")
    extensions = [decl for decl in rt.properties if decl.extension]
    assert {decl.name for decl in extensions} >= {"IMS_serverroot", "Probe_timeout",
                                                  "Monitor_retry_count",
                                                  "Monitor_retry_interval", "Child_mon_level"}
    for decl in extensions:
        assert len(decl.description.split()) >= 5, f"{decl.name} has no real DESCRIPTION"


def test_sunw_ims_defaults_leave_room_for_retry_count_restarts() -> None:
    # Validate refuses Retry_interval < Thorough_probe_interval x Retry_count, so the
    # defaults must satisfy it, or a resource created with them would be refused.
    rt = parse_file(REPO / "rtr" / "SUNW.ims")
    interval, probe, count = (rt.default(name) for name in
                              ("Retry_interval", "Thorough_probe_interval", "Retry_count"))
    assert isinstance(interval, int) and isinstance(probe, int) and isinstance(count, int)
    assert interval >= probe * count


# --------------------------------------------------------------------------- defaults


def test_method_timeouts_default_to_an_hour_when_not_declared() -> None:
    rt = parse_text(HEADER + "Validate = ims_svc_validate;\n")
    assert rt.default("Start_timeout") == 3600
    assert rt.default("validate_timeout") == 3600
    with pytest.raises(UnknownPropertyError, match="Update_timeout"):
        rt.default("Update_timeout")


def test_resource_type_defaults_when_the_file_is_silent() -> None:
    rt = parse_text('Resource_type = "x";\nStart = /bin/true;\nStop = /bin/true;\n')
    assert rt.name == "x" and rt.full_name == "x"
    assert rt.api_version == 2
    assert rt.failover is False
    assert rt.init_nodes == "RG_PRIMARIES"
    assert rt.single_instance is False
    assert rt.pkglist == []


def test_boolean_keys_without_value_mean_true_and_keywords_ignore_case() -> None:
    rt = parse_text('RESOURCE_TYPE = "x"; failover; Single_Instance = false;\n'
                    "init_nodes = rt_installed_nodes; pkglist = SUNWa, SUNWb;\n"
                    "START = /a; prenet_start = /b; POSTNET_STOP = /c;\n")
    assert rt.failover is True
    assert rt.single_instance is False
    assert rt.init_nodes == "RT_INSTALLED_NODES"
    assert rt.pkglist == ["SUNWa", "SUNWb"]
    assert set(rt.methods) == {"Start", "Prenet_start", "Postnet_stop"}


def test_every_resource_has_the_framework_properties_and_query_only_ones_are_not_settable(
) -> None:
    rt = parse_text(HEADER)
    props = {p.name: p for p in rt.resource_properties()}
    for name in ("R_description", "Resource_dependencies", "Resource_dependencies_weak",
                 "Resource_dependencies_restart", "Resource_dependencies_offline_restart",
                 "On_off_switch", "Monitored_switch", "Type", "Type_version",
                 "Resource_project_name", "Resource_state", "Status", "Status_msg",
                 "Failover_mode"):
        assert name in props
    assert props["Failover_mode"].default == "NONE"
    assert props["Resource_dependencies"].default == []
    # No #$upgrade: the version is no part of the type's name, and Type_version is fixed.
    assert props["Type"].default == "SUNW.ims"
    assert props["Type_version"].default == "1.0"
    assert props["Type_version"].tunable == "AT_CREATION"
    assert not props["Status"].settable
    assert not props["Resource_state"].settable
    assert props["R_description"].settable
    assert props["Resource_project_name"].default == "default"
    # Conditional properties exist only when declared.
    assert "Retry_count" not in props and "Port_list" not in props


def test_declared_probe_interval_without_default_must_be_given_and_is_when_disabled() -> None:
    rt = parse_text(HEADER + "{ PROPERTY = Cheap_probe_interval; }\n"
                             "{ PROPERTY = Retry_count; TUNABLE = TRUE; DEFAULT = 2; }\n")
    cheap = rt.resource_property("Cheap_probe_interval")
    assert cheap.required is True
    assert cheap.tunable == "WHEN_DISABLED"
    assert cheap.description  # system properties carry a standard description
    assert rt.property("Retry_count").tunable == "ANYTIME"
    assert rt.default("Retry_count") == 2


def test_tunable_false_is_none_and_extension_default_tunable_is_anytime() -> None:
    rt = parse_text(HEADER + "{ PROPERTY = A; EXTENSION; INT; DEFAULT = 1; TUNABLE = FALSE; }\n"
                             "{ PROPERTY = B; EXTENSION; BOOLEAN; DEFAULT = true; }\n")
    assert rt.property("a").tunable == "NONE"
    assert rt.property("b").tunable == "ANYTIME"
    assert rt.default("B") is True


def test_stringarray_default_list_and_quoted_hash_is_not_a_comment() -> None:
    rt = parse_text(HEADER + '{ PROPERTY = Ports; EXTENSION; STRINGARRAY;\n'
                             '  DEFAULT = "25/tcp", "143/tcp"; ARRAY_MAXSIZE = 4;\n'
                             '  DESCRIPTION = "port # list; {braces} = fine"; }\n')
    ports = rt.property("Ports")
    assert ports.default == ["25/tcp", "143/tcp"]
    assert ports.description == "port # list; {braces} = fine"


def test_default_returns_a_copy_callers_cannot_change_the_type() -> None:
    rt = parse_text(HEADER + '{ PROPERTY = L; EXTENSION; STRINGARRAY; DEFAULT = a, b; }\n')
    mine = rt.default("L")
    assert isinstance(mine, list)
    mine.append("c")
    assert rt.default("L") == ["a", "b"]


def test_timeout_for_an_undeclared_method_is_a_warning_and_no_resource_property() -> None:
    rt = parse_text(HEADER + "{ PROPERTY = Update_timeout; MIN = 10; DEFAULT = 60; }\n")
    assert len(rt.warnings) == 1
    warning = rt.warnings[0]
    assert (warning.line, warning.col) == (7, 14)
    assert "UPDATE" in warning.message
    assert str(warning).startswith("<string>:7:14: warning:")
    assert "Update_timeout" not in {p.name for p in rt.resource_properties()}


# --------------------------------------------------------------------------- mistakes


def test_error_str_is_file_line_col_message() -> None:
    err = error_of('Vendor_id = SUNW;\nResource_type = "ims";\n')
    assert str(err) == ('SUNW.ims:1:1: Resource_type must be the first entry, '
                        'found "Vendor_id"')
    assert (err.path, err.line, err.col) == ("SUNW.ims", 1, 1)


def test_empty_file_names_the_missing_resource_type() -> None:
    refused("# nothing but a comment\n", at=(2, 1), says="Resource_type must be the first entry")


def test_missing_semicolon_is_reported_at_the_next_token() -> None:
    refused('Resource_type = "ims";\nVendor_id = SUNW\nRT_version = "1";\n',
            at=(3, 1), says="';' to end Vendor_id")


def test_extension_property_without_a_type() -> None:
    refused(HEADER + "{\n\tPROPERTY = Probe_timeout;\n\tEXTENSION;\n\tDEFAULT = 30;\n}\n",
            at=(8, 13), says="extension property Probe_timeout needs a type")


def test_misspelt_system_property_is_not_silently_an_extension() -> None:
    refused(HEADER + "{ PROPERTY = Retry_cont; DEFAULT = 2; }\n",
            at=(7, 14), says="Retry_cont is not a system-defined resource property")


def test_default_outside_min_max_points_at_the_value() -> None:
    err = error_of(HEADER + "{ PROPERTY = Probe_timeout; EXTENSION; INT;\n"
                            "  MIN = 2; MAX = 3600; DEFAULT = 7200; }\n")
    assert where(err) == (8, 34)
    assert "7200 is above the maximum 3600" in err.message


def test_null_default_for_int_boolean_enum_uses_the_rt_reg_wording() -> None:
    for decl in ('INT; DEFAULT = "";', "BOOLEAN; DEFAULT = ;", 'ENUM { a, b }; DEFAULT = "";'):
        err = error_of(HEADER + f"{{ PROPERTY = P; EXTENSION; {decl} }}\n")
        assert 'cannot specify NULL or "" as default for boolean, enum, int' in err.message
        assert err.line == 7


def test_enum_default_must_be_one_of_the_values() -> None:
    err = error_of(HEADER + "{ PROPERTY = Mode; EXTENSION; ENUM { Fast, Safe }; "
                            "DEFAULT = Slow; }\n")
    assert where(err) == (7, 62)
    assert "Fast, Safe" in err.message


def test_string_default_shorter_than_minlength() -> None:
    err = error_of(HEADER + '{ PROPERTY = Root; EXTENSION; STRING; MINLENGTH = 1; '
                            'DEFAULT = ""; }\n')
    assert where(err) == (7, 64)
    assert "minimum length 1" in err.message


def test_array_default_larger_than_array_maxsize() -> None:
    err = error_of(HEADER + "{ PROPERTY = L; EXTENSION; STRINGARRAY; ARRAY_MAXSIZE = 1; "
                            "DEFAULT = a, b; }\n")
    assert "at most 1" in err.message and err.line == 7


def test_method_timeout_cannot_have_min_zero_or_a_max() -> None:
    refused(HEADER + "{ PROPERTY = Start_timeout; MIN = 0; DEFAULT = 300; }\n",
            at=(7, 35), says="cannot specify MIN=0 for method timeout Start_timeout")
    refused(HEADER + "{ PROPERTY = Stop_timeout; MAX = 600; }\n",
            at=(7, 28), says="cannot specify MAX for method timeout Stop_timeout")


def test_min_above_the_implicit_timeout_default_is_caught() -> None:
    refused(HEADER + "{ PROPERTY = Start_timeout; MIN = 4000; }\n",
            says="3600 is below the minimum 4000")


def test_start_or_prenet_start_and_stop_or_postnet_stop_are_required() -> None:
    refused('Resource_type = "ims";\nStop = /bin/stop;\n',
            at=(1, 1), says="neither START nor PRENET_START")
    refused('Resource_type = "ims";\nStart = /bin/start;\n', says="neither STOP nor POSTNET_STOP")


def test_rt_version_with_a_forbidden_character() -> None:
    refused('Resource_type = "ims";\nRT_version = "6.3 beta";\n',
            at=(2, 14), says="must not contain blank")
    refused('Resource_type = "ims";\nRT_version = "6/3";\n', says="must not contain /")


def test_duplicate_property_is_found_whatever_its_case() -> None:
    err = error_of(HEADER + "{ PROPERTY = Probe_timeout; EXTENSION; INT; }\n"
                            "{ PROPERTY = PROBE_TIMEOUT; EXTENSION; INT; }\n")
    assert where(err) == (8, 14)
    assert "already declared at line 7" in err.message


def test_duplicate_and_unknown_and_forbidden_resource_type_keys() -> None:
    refused(HEADER + "START = other;\n", at=(7, 1), says="Start is already declared at line 5")
    refused(HEADER + "Monitor_restart = x;\n",
            says="unknown resource type property Monitor_restart")
    refused(HEADER + "Installed_nodes = node1;\n",
            at=(7, 1), says="Installed_nodes cannot be declared")


def test_property_must_be_the_first_attribute() -> None:
    refused(HEADER + "{\n  EXTENSION;\n  PROPERTY = X;\n}\n",
            at=(8, 3), says="PROPERTY must be the first attribute")


def test_unclosed_declaration_is_reported_at_its_brace() -> None:
    refused(HEADER + "{ PROPERTY = X; EXTENSION; INT;\n", at=(7, 1), says="missing '}'")


def test_unterminated_quote_is_reported_where_it_opens() -> None:
    refused(HEADER + '{ PROPERTY = X; EXTENSION; STRING; DESCRIPTION = "oops; }\n', at=(7, 50))


def test_resource_type_key_after_the_declarations() -> None:
    refused(HEADER + "{ PROPERTY = X; EXTENSION; INT; }\nValidate = v;\n",
            at=(8, 1), says="must come before the property declarations")


def test_attribute_that_does_not_fit_the_type() -> None:
    refused(HEADER + "{ PROPERTY = X; EXTENSION; STRING; MAX = 5; }\n",
            at=(7, 36), says="MAX does not apply to property X of type STRING")


def test_system_property_type_is_fixed_and_query_only_ones_cannot_be_declared() -> None:
    refused(HEADER + "{ PROPERTY = Retry_count; STRING; }\n",
            says="type of system-defined property Retry_count is fixed (INT)")
    refused(HEADER + "{ PROPERTY = Status; }\n", says="query-only")
    refused(HEADER + "{ PROPERTY = Type_version; }\n", says="cannot declare it")
    refused(HEADER + "{ PROPERTY = Retry_count; EXTENSION; INT; }\n",
            says="cannot be declared EXTENSION")


def test_unknown_tunable() -> None:
    refused(HEADER + "{ PROPERTY = X; EXTENSION; INT; TUNABLE = WHEN_OFFLINE; }\n", at=(7, 43))


# --------------------------------------------------------------------------- directives


def test_directives_between_the_sections_are_read() -> None:
    rt = parse_text(HEADER + '#$upgrade\n#$upgrade_from "" when_unmanaged\n'
                             '#$upgrade_from "0.9" WHEN_UNMONITORED\n'
                             "{ PROPERTY = X; EXTENSION; INT; }\n")
    assert rt.upgrade is True
    assert rt.upgrade_from == [("", "WHEN_UNMANAGED"), ("0.9", "WHEN_UNMONITORED")]


def test_directive_among_the_declarations_is_an_error() -> None:
    refused(HEADER + "{ PROPERTY = X; EXTENSION; INT; }\n#$upgrade\n",
            at=(8, 1), says="between the resource type properties and the property declarations")


def test_resource_type_key_after_a_directive_is_an_error() -> None:
    refused(HEADER + "#$upgrade\nValidate = v;\n", at=(8, 1), says="after the #$ directives")


def test_unknown_directive_and_upgrade_from_without_upgrade() -> None:
    refused(HEADER + "#$include other\n", at=(7, 3), says="unknown directive #$include")
    refused(HEADER + '#$upgrade_from "1.0" anytime\n', says="must follow a #$upgrade directive")
    refused(HEADER + '#$upgrade\n#$upgrade_from "1.0" sometimes\n', at=(8, 22))


def test_a_hash_then_dollar_later_in_a_comment_is_just_a_comment() -> None:
    rt = parse_text("# $Revision: 1.11 $\n## #$bogus\n" + HEADER)
    assert rt.upgrade is False


# --------------------------------------------------------------------------- values


@pytest.fixture
def ims() -> ResourceType:
    return parse_text(HEADER + """
{ PROPERTY = Retry_count; MIN = 0; MAX = 10; DEFAULT = 2; }
{ PROPERTY = Failover_mode; DEFAULT = SOFT; }
{ PROPERTY = Probe_timeout; EXTENSION; INT; MIN = 2; MAX = 3600; DEFAULT = 30; }
{ PROPERTY = Child_mon_level; EXTENSION; INT; MIN = -1; DEFAULT = -1; }
{ PROPERTY = Debug; EXTENSION; BOOLEAN; DEFAULT = FALSE; }
{ PROPERTY = Policy; EXTENSION; ENUM { Timeout, Auto }; DEFAULT = Auto; }
{ PROPERTY = Dirs; EXTENSION; STRINGARRAY; MINLENGTH = 2; ARRAY_MAXSIZE = 2; DEFAULT = ""; }
{ PROPERTY = Root; EXTENSION; STRING; MINLENGTH = 1; MAXLENGTH = 8; }
""")


def test_check_value_types_the_admins_text(ims: ResourceType) -> None:
    assert ims.check_value("probe_timeout", "45") == 45
    assert ims.check_value("Child_mon_level", "-1") == -1
    assert ims.check_value("Debug", "true") is True
    assert ims.check_value("policy", "AUTO") == "Auto"
    assert ims.check_value("Failover_mode", "restart_only") == "RESTART_ONLY"
    assert ims.check_value("Dirs", "/a, /b") == ["/a", "/b"]
    assert ims.check_value("Dirs", "") == []
    assert ims.check_value("Root", "/opt") == "/opt"
    assert ims.check_value("Resource_dependencies", "hasp,lh") == ["hasp", "lh"]


def test_check_value_failover_modes(ims: ResourceType) -> None:
    for mode in ("NONE", "SOFT", "HARD", "RESTART_ONLY", "LOG_ONLY"):
        assert ims.check_value("Failover_mode", mode) == mode
    with pytest.raises(PropertyValueError, match="Failover_mode"):
        ims.check_value("Failover_mode", "FIRM")


@pytest.mark.parametrize(("name", "raw", "expected"), [
    ("Probe_timeout", "1", "1 is below the minimum 2"),
    ("Probe_timeout", "3601", "3601 is above the maximum 3600"),
    ("Probe_timeout", "thirty", "an integer"),
    ("Probe_timeout", "1_000", "an integer"),
    ("Retry_count", "11", "above the maximum 10"),
    ("Debug", "yes", "TRUE or FALSE"),
    ("Policy", "Never", "one of Timeout, Auto"),
    ("Dirs", "/a,/b,/c", "at most 2"),
    ("Dirs", "/", 'element "/" is shorter'),
    ("Dirs", "/a,,/b", "empty"),
    ("Root", "", "shorter than the minimum length 1"),
    ("Root", "/opt/SUNWmsgsr", "longer than the maximum length 8"),
    ("No_such_thing", "1", "has no property No_such_thing"),
])
def test_check_value_refusals_name_the_property(ims: ResourceType, name: str, raw: str,
                                                expected: str) -> None:
    with pytest.raises(PropertyValueError) as info:
        ims.check_value(name, raw)
    assert expected in str(info.value)
    assert name in str(info.value)
    assert info.value.name == name


def test_property_lookup_of_an_undeclared_name(ims: ResourceType) -> None:
    expected = re.escape("SUNW.ims has no property Nothing")
    with pytest.raises(UnknownPropertyError, match=expected):
        ims.property("Nothing")
