from __future__ import annotations

from scims.errors import AgentError, ConfigError, FrameworkError, UsageError
from scims.log import messages


def test_usage_error_carries_its_log_line() -> None:
    err = UsageError("unknown option -q")
    assert isinstance(err, AgentError)
    assert err.message is messages.INVALID_ARGUMENTS
    assert str(err) == "Invalid arguments to the method: unknown option -q."
    assert err.exit_status == 1


def test_framework_error_names_the_scha_error() -> None:
    err = FrameworkError("scha_resource_get", 15, "scha_resource_get: no such property",
                         "Probe_timeout")
    assert err.name == "SCHA_ERR_PROP"
    assert err.message is messages.RESOURCE_PROPERTY_UNAVAILABLE
    assert str(err) == ("Failed to retrieve the resource property Probe_timeout: "
                        "SCHA_ERR_PROP (scha_resource_get: no such property).")


def test_framework_error_of_other_commands() -> None:
    err = FrameworkError("pmfadm", 21, "", "MS-RG,mail-rs,0.svc")
    assert err.timed_out
    assert str(err) == ("The cluster command pmfadm MS-RG,mail-rs,0.svc failed: "
                        "SCHA_ERR_TIMEOUT (operation timed out).")
    assert FrameworkError("pmfadm", 1).name == "SCHA_ERR_NOMEM"
    assert FrameworkError("hatimerun", 98).name == "exit status 98"


def test_config_error_takes_any_catalogue_message() -> None:
    err = ConfigError(messages.CONFIG_INFO_UNAVAILABLE, ": IMS_serverroot is not set")
    assert str(err) == "Failed to get the configuration info: IMS_serverroot is not set"
    assert err.arguments == (": IMS_serverroot is not set",)
