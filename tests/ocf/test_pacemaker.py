"""ocf:sunw:ims under Pacemaker: a three-node cluster, Messaging Server in one group.

One bed for the module, its scenarios in order (each starts from a healthy group and leaves
one): mail sent to the virtual address is read back after every move, so nothing is lost;
the last scenario kills a node, so the module ends with the cluster destroyed and nothing of
it left on the machine.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from pacemakerbed.bed import NODES, RESOURCE, SERVER_ROOT, PacemakerBed, wait_for
from support.ocf import BED_LOGS, running_bed

pytestmark = pytest.mark.e2e

USER = "alice@mail.example.com"
_ids = itertools.count(1)


class Mail:
    """What was sent, so every scenario can prove that nothing was lost."""

    def __init__(self, bed: PacemakerBed) -> None:
        self.bed = bed
        self.sent: list[str] = []

    def send(self) -> str:
        message_id = f"m{next(_ids)}@pacemaker.test"
        self.bed.send_mail(USER, message_id)
        self.sent.append(message_id)
        return message_id

    def all_there(self) -> bool:
        read = set(self.bed.read_mail("alice"))
        return set(self.sent) <= read

    def assert_all_there(self) -> None:
        wait_for("every message sent so far in the INBOX", self.all_there, timeout=30)

    def send_and_read_back(self) -> None:
        """One more message, and every message sent so far read back from the INBOX."""
        self.send()
        self.assert_all_there()


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory, deb: Path, capable: None
        ) -> Iterator[PacemakerBed]:
    with running_bed(tmp_path_factory.mktemp("pacemaker"), deb) as made:
        yield made


@pytest.fixture(scope="module")
def mail(bed: PacemakerBed) -> Mail:
    return Mail(bed)


@pytest.fixture
def healthy(bed: PacemakerBed, request: pytest.FixtureRequest) -> str:
    """The node the group runs on; a failure of the test reports the nodes' logs."""
    request.node.stash[BED_LOGS] = bed
    return bed.wait_started()


def other(bed: PacemakerBed, node: str) -> str:
    return next(n for n in NODES if n != node and bed.host(n).is_powered)


def recovered(bed: PacemakerBed, mail: Mail) -> None:
    """After a fault: the administrator clears the failures, and every message sent before
    and after is read back."""
    bed.cleanup()
    mail.send_and_read_back()


def test_the_crmsh_configuration_is_valid(bed: PacemakerBed, healthy: str) -> None:
    """The bed's default configuration, crmsh's of docs/ocf.md, passes crm_verify."""
    assert bed.tool == "crm"
    done = bed.crm("crm_verify", "-L", "-V", check=False)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_group_starts_and_mail_is_read_back_after_a_move(
        bed: PacemakerBed, mail: Mail, healthy: str) -> None:
    mail.send_and_read_back()
    target = other(bed, healthy)
    assert bed.move(target) == target
    mail.send_and_read_back()
    assert "Messaging Server is up" in bed.node_log(target)


def test_a_hung_imapd_is_a_monitor_failure_and_a_restart_in_place(
        bed: PacemakerBed, mail: Mail, healthy: str) -> None:
    before = bed.messaging_pids(healthy, "imapd")
    bed.mssim_fault(healthy, "imapd", "hang")
    try:
        failure = wait_for("the monitor to report the hang", lambda: [
            f for f in bed.failures() if f.get("task") == "monitor"])[0]
    finally:
        bed.mssim_fault(healthy, "clear")
    assert failure["exitstatus"] == "error"
    assert "imapd (pid " in failure.get("exitreason", "")
    assert "is hung: stopped by a signal" in failure.get("exitreason", "")
    node = bed.wait_started()
    assert node == healthy  # one failure, migration-threshold 2: restarted where it was
    wait_for("a new imapd", lambda: bed.messaging_pids(node, "imapd") not in ([], before))
    assert bed.fail_count(node) == 1
    recovered(bed, mail)


def test_a_killed_watcher_is_a_soft_failure_and_a_restart_in_place(
        bed: PacemakerBed, mail: Mail, healthy: str) -> None:
    """SIGKILL of the watcher, its services still answering: OCF_ERR_GENERIC, restarted
    where it was (not OCF_ERR_ARGS, which bans the node: three such deaths would leave the
    group nowhere to run)."""
    bed.run(healthy, ["pkill", "-KILL", "-f", f"^{SERVER_ROOT}/lib/watcher"])
    failure = wait_for("the monitor to report the dead watcher", lambda: [
        f for f in bed.failures() if f.get("task") == "monitor"])[0]
    assert failure["exitstatus"] == "error", failure
    assert "shut itself down" not in failure.get("exitreason", "")
    node = bed.wait_started()
    assert node == healthy
    assert bed.fail_count(node) == 1
    wait_for("a new watcher", lambda: bed.messaging_pids(node, "watcher"))
    recovered(bed, mail)


def test_repeated_failures_move_the_group_per_migration_threshold(
        bed: PacemakerBed, mail: Mail, healthy: str) -> None:
    bed.mssim_fault(healthy, "imapd", "hang")
    try:
        wait_for("the first failure", lambda: bed.fail_count(healthy) >= 1)
        bed.mssim_fault(healthy, "clear")
        wait_for("the restart", lambda: bed.where() == healthy)
        bed.mssim_fault(healthy, "imapd", "hang")
        moved = bed.wait_started(not_on=healthy)
    finally:
        bed.mssim_fault(healthy, "clear")
    assert bed.fail_count(healthy) >= 2
    assert moved != healthy
    recovered(bed, mail)


def test_the_watcher_giving_up_moves_the_group(
        bed: PacemakerBed, mail: Mail, healthy: str) -> None:
    bed.mssim_fault(healthy, "imapd", "crash")
    wait_for("the watcher to restart imapd", lambda: bed.messaging_pids(healthy, "imapd"),
             timeout=30)
    bed.mssim_fault(healthy, "imapd", "crash")  # again within local.autorestart.timeout
    moved = bed.wait_started(not_on=healthy)
    (failure,) = [f for f in bed.failures() if f.get("node") == healthy]
    assert failure["exitstatus"] == "invalid parameter"  # OCF_ERR_ARGS: a hard error
    assert "gave up" in failure.get("exitreason", "")
    assert bed.fail_count(healthy) == 1  # one failure, and it moved anyway
    assert moved != healthy
    recovered(bed, mail)


def test_a_hung_stop_msg_still_ends_within_the_stop_timeout(
        bed: PacemakerBed, mail: Mail, healthy: str) -> None:
    bed.mssim_fault(healthy, "stop-msg", "hang")
    target = other(bed, healthy)
    try:
        assert bed.move(target) == target
    finally:
        bed.mssim_fault(healthy, "clear")
    assert not [f for f in bed.failures() if f.get("task") == "stop"]
    assert not bed.switch.fenced(healthy)  # the stop succeeded: no need to fence
    assert bed.messaging_pids(healthy, "watcher") == []
    assert "did not finish in" in bed.node_log(healthy)  # stop-msg ha was cut short
    mail.send_and_read_back()


def test_a_killed_node_is_fenced_and_its_group_fails_over(
        bed: PacemakerBed, mail: Mail, healthy: str) -> None:
    mail.send()
    bed.kill_node(healthy)
    moved = bed.wait_started(not_on=healthy)
    assert bed.switch.fenced(healthy)
    assert moved != healthy
    mail.assert_all_there()
    assert bed.resource_nodes(RESOURCE) == {moved: "Started"}
