"""The OCF front door's own logic, without a cluster or an installation."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from scims import ocf, trust
from scims.cluster import rtr
from scims.errors import ConfigError
from scims.log.syslog import LogRecord

REPO = Path(__file__).resolve().parents[2]
RTR = str(REPO / "rtr" / "SUNW.ims")


class Captured:
    def __init__(self) -> None:
        self.records: list[LogRecord] = []

    def deliver(self, record: LogRecord) -> None:
        self.records.append(record)


def props(action: str, **env: str) -> ocf.OcfProperties:
    rt = rtr.parse_file(RTR)
    return ocf.OcfProperties(ocf.Operation(action, env), rt, {"ims_serverroot", "probe_timeout"})


def test_operation_timing_and_probe() -> None:
    op = ocf.Operation("monitor", {"OCF_RESKEY_CRM_meta_timeout": "20000",
                                   "OCF_RESKEY_CRM_meta_interval": "0"})
    assert op.timeout == 20.0 and op.is_probe
    assert not ocf.Operation("monitor", {"OCF_RESKEY_CRM_meta_interval": "5000"}).is_probe
    assert not ocf.Operation("start", {}).is_probe


def test_properties_come_from_parameters_operation_and_rtr_defaults() -> None:
    p = props("start", OCF_RESKEY_ims_serverroot="/opt/SUNWmsgsr",
              OCF_RESKEY_CRM_meta_timeout="45000", OCF_RESKEY_Retry_count="9")
    assert p.get_str("IMS_serverroot") == "/opt/SUNWmsgsr"
    assert p.get_int("Start_timeout") == 45
    assert p.get_int("Retry_count") == 2  # not a parameter: the RTR default stands
    assert p.get_str("Failover_mode") == "SOFT"
    assert p.get_int("Probe_timeout") == 30


def test_a_monitor_shortens_the_probe_timeout_to_fit_its_own() -> None:
    p = props("monitor", OCF_RESKEY_probe_timeout="30", OCF_RESKEY_CRM_meta_timeout="25000",
              OCF_RESKEY_CRM_meta_interval="3000")
    assert p.get_int("Probe_timeout") == 5
    assert p.get_int("Thorough_probe_interval") == 3


@pytest.mark.parametrize("value", ["1", "x", "99999"])
def test_an_illegal_parameter_is_a_config_error_naming_it(value: str) -> None:
    with pytest.raises(ConfigError, match="OCF_RESKEY_probe_timeout"):
        props("start", OCF_RESKEY_probe_timeout=value).get_int("Probe_timeout")


def test_started_mark_lives_in_a_root_only_directory(tmp_path: Path) -> None:
    directory = tmp_path / "rsc"
    mark = ocf.StartedMark(ocf.Operation("start", {"OCF_RESOURCE_INSTANCE": "ms:0",
                                                   "HA_RSCTMP": str(directory)}))
    assert not mark.is_set()
    mark.set()
    assert mark.is_set() and Path(mark.path).name == "scims-ims-ms_0.started"
    mark.clear()
    mark.clear()
    assert not mark.is_set()
    os.chmod(directory, 0o777)
    mark.set()
    assert not mark.is_set()  # a directory others can write proves nothing


def test_a_timed_run_is_killed_with_its_group() -> None:
    began = time.monotonic()
    result = ocf.run_with_timeout(1, ["/bin/sleep", "30"])
    assert result.timed_out and result.status == ocf.TIMED_OUT
    assert time.monotonic() - began < 10
    assert ocf.run_with_timeout(5, ["/bin/true"]) == ocf.TimedRun(0, False)


def run_main(argv: list[str], env: dict[str, str], capsys: pytest.CaptureFixture[str]
             ) -> tuple[int, str, str, Captured]:
    log = Captured()
    saved = trust.STATE_DIR  # main() moves the records for the rest of its program
    try:
        code = ocf.main(argv, RTR, env, transport=log)
        moved = trust.STATE_DIR
    finally:
        trust.STATE_DIR = saved
    if env.get("HA_RSCTMP"):
        assert moved == os.path.join(env["HA_RSCTMP"], "scims-state"), \
            "the OCF agent keeps its records in the engine's state directory"
    out, err = capsys.readouterr()
    return code, out, err, log


def test_meta_data_usage_and_unknown_actions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _, _ = run_main(["meta-data"], {}, capsys)
    assert code == 0 and '<resource-agent name="ims"' in out
    assert run_main(["usage"], {}, capsys)[0] == 0
    assert run_main(["promote"], {}, capsys)[0] == ocf.Ocf.ERR_UNIMPLEMENTED
    assert run_main([], {}, capsys)[0] == ocf.Ocf.ERR_ARGS


def test_validate_names_what_is_wrong_once(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    env = {"OCF_RESOURCE_INSTANCE": "ms", "HA_RSCTMP": str(tmp_path)}
    code, _, err, log = run_main(["validate-all"], env, capsys)
    assert code == ocf.Ocf.ERR_CONFIGURED
    assert err.startswith(ocf.REASON_PREFIX) and err.count("\n") == 1
    assert [r.message.name for r in log.records] == ["SERVERROOT_NOT_SET"]
    assert log.records[0].tag.startswith("ims(ms)[")
    env["OCF_RESKEY_ims_serverroot"] = str(tmp_path / "absent")
    code, _, err, log = run_main(["validate-all"], env, capsys)
    assert code == ocf.Ocf.ERR_INSTALLED
    assert [r.message.name for r in log.records] == ["SERVERROOT_NOT_DIRECTORY"]


def test_stop_and_probe_of_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {"OCF_RESOURCE_INSTANCE": "ms", "HA_RSCTMP": str(tmp_path),
           "OCF_RESKEY_ims_serverroot": str(tmp_path / "absent")}
    assert run_main(["stop"], env, capsys)[0] == 0
    assert run_main(["monitor"], {**env, "OCF_RESKEY_CRM_meta_interval": "0"},
                    capsys)[0] == ocf.Ocf.NOT_RUNNING
    # a recurring monitor of a resource that was never started: stopped, not failed
    assert run_main(["monitor"], {**env, "OCF_RESKEY_CRM_meta_interval": "5000"},
                    capsys)[0] == ocf.Ocf.NOT_RUNNING


def test_debug_lines_follow_ha_debug() -> None:
    quiet = ocf.OcfLog(ocf.Operation("monitor", {"HA_debug": "0"}), transport=Captured())
    loud = ocf.OcfLog(ocf.Operation("monitor", {"HA_debug": "1"}), transport=Captured())
    assert not quiet.debug_enabled(1)
    assert loud.debug_enabled(9)
