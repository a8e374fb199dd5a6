"""Whose files root runs: root's, and those of the accounts the administrator names -- not
those of any account with a low user ID (issue #23).

`trust.SYSTEM_UID_LIMIT` let every owner below user ID 100 pass the ownership rule: www-data
(33), proxy, mail, list on Linux; webservd (80) and postgres (90) on Solaris. These accounts
run services; a server root in a tree one of them owns was accepted and its start-msg run by
root. Now only root, and the accounts named in /etc/opt/SUNWscims/trusted_owners (a file the
rule itself must accept with root as its only owner), are trusted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from security_support import RUNTIME_UID

from scims import trust
from scims.errors import AgentError
from scims.log import messages
from scims.messaging import installation
from scims.messaging.installation import check_command

SERVER_ROOT = "/opt/SUNWmsgsr"
WWW_DATA = 33
WEBSERVD = 80


@pytest.fixture
def owners_file(node: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the administrator names trusted owners, on the test's node (absent at first)."""
    path = node / "etc" / "opt" / "SUNWscims" / "trusted_owners"
    path.parent.mkdir(parents=True)
    monkeypatch.setattr(trust, "TRUSTED_OWNERS_FILE", str(path))
    return path


@pytest.mark.parametrize("uid", [WWW_DATA, WEBSERVD, 1, 65534])
def test_a_server_root_a_service_account_owns_is_refused(
        node: Path, owners_file: Path, uid: int) -> None:
    """The attack: the tree of B owned by www-data (or webservd, daemon, nobody): whoever
    runs as that account -- a web application, through any hole it has -- swaps start-msg,
    and root runs it."""
    base = node / "opt" / "SUNWmsgsr"
    os.chown(base, uid, -1)
    with pytest.raises(AgentError) as caught:
        check_command(str(base), installation.START_MSG, SERVER_ROOT)
    assert caught.value.message is messages.COMMAND_UNTRUSTED
    assert f"owner user ID {uid}" in str(caught.value)
    assert "system account" not in str(caught.value)


@pytest.mark.parametrize("naming", ["www-data\n", f"# the web team\n{WWW_DATA}\n"])
def test_an_account_the_administrator_names_is_trusted(
        node: Path, owners_file: Path, naming: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The administrator who trusts an account as root names it, by name or user ID."""
    with open(node / "etc" / "passwd", "a") as f:
        f.write(f"www-data:x:{WWW_DATA}:{WWW_DATA}::/var/www:/bin/false\n")
    owners_file.write_text(naming)
    base = node / "opt" / "SUNWmsgsr"
    os.chown(base, WWW_DATA, -1)
    assert check_command(str(base), installation.START_MSG, SERVER_ROOT)


def test_a_trusted_owners_file_another_user_can_change_names_no_one(
        node: Path, owners_file: Path) -> None:
    """The file is believed only when root alone could have written it: one the runtime
    user owns (or whose directory it can write) names nobody, itself included."""
    owners_file.write_text(f"{RUNTIME_UID}\n")
    os.chown(owners_file, RUNTIME_UID, -1)
    base = node / "opt" / "SUNWmsgsr"
    os.chown(base, RUNTIME_UID, -1)
    with pytest.raises(AgentError):
        check_command(str(base), installation.START_MSG, SERVER_ROOT)
    os.chown(owners_file, 0, -1)
    os.chown(owners_file.parent, RUNTIME_UID, -1)
    with pytest.raises(AgentError):
        check_command(str(base), installation.START_MSG, SERVER_ROOT)
    os.chown(owners_file.parent, 0, -1)
    assert check_command(str(base), installation.START_MSG, SERVER_ROOT)


def test_parse_trusted_owners() -> None:
    names = {"www-data": WWW_DATA, "webservd": WEBSERVD}
    text = "# comment\nwww-data\n  90  # postgres\nnosuch\n\nwebservd\n"
    assert trust.parse_trusted_owners(text, names.get) == {WWW_DATA, 90, WEBSERVD}


def test_a_name_when_the_account_files_cannot_be_read_names_no_one(
        node: Path, owners_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreadable /etc/passwd makes a name in the file name no one: one clear refusal of
    the owner, not an error of the account files escaping the trust check."""
    from scims.messaging import accounts

    owners_file.write_text("www-data\n")
    monkeypatch.setattr(accounts, "USERS_FILE", str(node / "etc" / "no-passwd"))
    base = node / "opt" / "SUNWmsgsr"
    os.chown(base, WWW_DATA, -1)
    with pytest.raises(AgentError) as caught:
        check_command(str(base), installation.START_MSG, SERVER_ROOT)
    assert caught.value.message is messages.COMMAND_UNTRUSTED
