"""The runtime user and group, read from the node's files."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from helpers_scims import make_node_root, on_node
from hypothesis import given
from hypothesis import strategies as st

from scims.errors import ConfigError
from scims.log import messages
from scims.messaging.accounts import Accounts, MalformedLine, parse_group, parse_passwd

PASSWD = """root:x:0:0:Super-User:/:/usr/bin/bash
daemon:x:1:1::/:
mailsrv:x:100:12:Messaging Server:/export/home/mailsrv:/bin/false
broken line without colons
toor:x:0:1:another root:/:/bin/sh
bad:x:uid:12::/:/bin/sh
+nisuser::::::
# comment

mailsrv:x:999:999:duplicate:/:/bin/sh
"""

GROUP = """root::0:
other::1:root
mail::12:
staff::10:mailsrv, other
nogid::x:
short::3
"""


@pytest.fixture
def accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Accounts:
    root = make_node_root(tmp_path / "mars")
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)
    on_node(monkeypatch, root)
    return Accounts.load()


def test_users_and_groups(accounts: Accounts) -> None:
    user = accounts.user("mailsrv")
    assert user is not None
    assert (user.uid, user.gid, user.home) == (100, 12, "/export/home/mailsrv")
    assert not user.is_root
    assert accounts.user_exists("mailsrv") and not accounts.user_exists("nobody")
    assert accounts.group_exists("mail") and not accounts.group_exists("nogid")
    assert accounts.primary_group("mailsrv") == accounts.group("mail")
    assert [g.name for g in accounts.supplementary_groups("mailsrv")] == ["staff"]
    assert accounts.is_member("mailsrv", "mail")
    assert accounts.is_member("mailsrv", "staff")
    assert not accounts.is_member("mailsrv", "other")
    assert not accounts.is_member("nobody", "mail")


def test_root_is_uid_0_whatever_the_name(accounts: Accounts) -> None:
    toor = accounts.user("toor")
    assert toor is not None and toor.is_root


def test_malformed_lines_are_skipped_and_reported(accounts: Accounts) -> None:
    assert [(Path(m.path).name, m.line_number) for m in accounts.malformed] == [
        ("passwd", 4), ("passwd", 6), ("group", 5), ("group", 6)]

    class Log:
        def __init__(self) -> None:
            self.lines: list[tuple[object, ...]] = []

        def emit(self, message: messages.Message, *args: object) -> None:
            self.lines.append((message.name, *args))

    log = Log()
    accounts.report_malformed(log)
    assert log.lines[0][0] == "ACCOUNT_FILE_LINE_MALFORMED"
    assert log.lines[0][1:3] == (4, accounts.malformed[0].path)


def test_missing_file_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_node_root(tmp_path / "venus")
    (root / "etc" / "group").write_text(GROUP)
    on_node(monkeypatch, root)
    with pytest.raises(ConfigError) as caught:
        Accounts.load()
    assert caught.value.message is messages.ACCOUNT_FILE_UNREADABLE
    assert caught.value.arguments[0] == f"{root}/etc/passwd"


def test_parsers_never_crash_on_garbage() -> None:
    garbage = ["::::::", ":x:0:0:::", "a:b:c", "\udcff:x:1:1:::", "x" * 1000, "a:x:-1:0:::"]
    users, bad_users = parse_passwd(garbage)
    groups, bad_groups = parse_group(garbage)
    assert "\udcff" in users and len(bad_users) == 5
    assert groups == {} and len(bad_groups) == 6


# Lines as the files could hold them: arbitrary text (the reader splits on newlines and keeps
# undecodable bytes as surrogates), with colon-rich ones so that field counts vary.
_FIELD = st.text(max_size=8)
_LINE = st.one_of(
    st.text(st.characters(blacklist_characters="\n")),
    st.lists(_FIELD, min_size=1, max_size=9).map(":".join),
    st.text(st.sampled_from(":0123456789x+-# ,\udcff\u0663"), max_size=20),
)


@pytest.mark.parametrize("parse", [parse_passwd, parse_group])
@given(lines=st.lists(_LINE, max_size=12))
def test_account_files_parse_any_lines(parse: Callable[..., tuple[dict, list]],
                                       lines: list[str]) -> None:
    """Whatever a line holds: an entry, or a MalformedLine naming that line."""
    entries, bad = parse(lines, "/etc/file")
    assert all(isinstance(b, MalformedLine) and 1 <= b.line_number <= len(lines) for b in bad)
    assert len({b.line_number for b in bad}) == len(bad)
    for name, entry in entries.items():
        assert name == entry.name and name
        assert entry.gid >= 0 and getattr(entry, "uid", 0) >= 0
