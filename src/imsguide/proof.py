"""Proving the service as its users see it: mail in and out, and where the group runs.

Mail goes to the logical host by SMTP and is read back by IMAP and POP with Python's own
clients, so a test or the demo sees exactly what a mail user would. The clients speak from
the cluster's client host (`client`, on the cluster's segment), and find the logical host
by its name in that host's /etc/hosts.
"""

from __future__ import annotations

import imaplib
import poplib
import smtplib
import subprocess
import time
import uuid
from collections.abc import Callable, Iterable
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import hostlab
from imsguide.console import Console
from imsguide.site import Site

WAIT_POLL = 0.2
CLIENT = "client"
T = TypeVar("T")


def client_hosts_file(site: Site) -> Path:
    return site.directory / CLIENT / "etc" / "hosts"


def server_address(site: Site) -> str:
    """The logical host's address, looked up by name as the client host's resolver would."""
    for line in client_hosts_file(site).read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if site.logical_fqdn in fields[1:] or site.logical_host in fields[1:]:
            return fields[0]
    raise OSError(f"{site.logical_host}: unknown host (not in the client's /etc/hosts)")


def from_client(site: Site, function: Callable[..., T], *args: Any) -> T:
    """Run `function` with the network of the client host (its sockets are the client's)."""
    return hostlab.Lab.open(site.directory).hosts[CLIENT].call(function, *args)


def send_mail(site: Site, user: str, subject: str, body: str, timeout: float = 15) -> str:
    """Send one message to `user` at the logical host, from the client; its Message-ID."""
    return from_client(site, _send_mail, site, user, subject, body, timeout)


def _send_mail(site: Site, user: str, subject: str, body: str, timeout: float) -> str:
    message = EmailMessage()
    message_id = f"<{uuid.uuid4().hex}@{site.domain}>"
    message["From"] = f"postmaster@{site.logical_fqdn}"
    message["To"] = f"{user}@{site.logical_fqdn}"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    with smtplib.SMTP(server_address(site), site.ports.smtp, timeout=timeout) as smtp:
        smtp.send_message(message)
    return message_id


def imap_message_ids(site: Site, user: str, timeout: float = 15) -> list[str]:
    return from_client(site, _imap_message_ids, site, user, timeout)


def _imap_message_ids(site: Site, user: str, timeout: float) -> list[str]:
    with imaplib.IMAP4(server_address(site), site.ports.imap, timeout=timeout) as imap:
        imap.login(user, "secret")
        imap.select("INBOX")
        _, data = imap.search(None, "ALL")
        ids: list[str] = []
        for number in data[0].split():
            _, parts = imap.fetch(number, "(RFC822)")
            for part in parts:
                if isinstance(part, tuple):
                    ids.extend(_message_ids(part[1]))
        imap.logout()
    return ids


def pop_message_ids(site: Site, user: str, timeout: float = 15) -> list[str]:
    return from_client(site, _pop_message_ids, site, user, timeout)


def _pop_message_ids(site: Site, user: str, timeout: float) -> list[str]:
    pop = poplib.POP3(server_address(site), site.ports.pop, timeout=timeout)
    try:
        pop.user(user)
        pop.pass_("secret")
        count, _ = pop.stat()
        ids: list[str] = []
        for number in range(1, count + 1):
            _, lines, _ = pop.retr(number)
            ids.extend(_message_ids(b"\r\n".join(lines)))
    finally:
        pop.quit()
    return ids


def _message_ids(raw: bytes) -> list[str]:
    for line in raw.split(b"\n"):
        if line.lower().startswith(b"message-id:"):
            return [line.split(b":", 1)[1].strip().decode()]
        if not line.strip():
            break
    return []


def missing_mail(site: Site, user: str, sent: Iterable[str]) -> dict[str, list[str]]:
    """The Message-IDs of `sent` that IMAP, and POP, do not show in the user's mailbox."""
    imap, pop = set(imap_message_ids(site, user)), set(pop_message_ids(site, user))
    return {"IMAP": [m for m in sent if m not in imap], "POP": [m for m in sent if m not in pop]}


def wait_for(predicate: Callable[[], bool], timeout: float, what: str,
             console: Console | None = None, poll: float = WAIT_POLL) -> float:
    """Wait until `predicate` holds; return the seconds it took, or raise naming `what`.
    With a console, a long wait shows its progress there; `poll`, how often it looks (the
    benchmarks look more often, for latencies)."""
    if console is not None:
        with console.ticking(f"waiting for {what}"):
            return wait_for(predicate, timeout, what, poll=poll)
    started = time.monotonic()
    while True:
        try:
            if predicate():
                return time.monotonic() - started
        except (OSError, smtplib.SMTPException, imaplib.IMAP4.error, poplib.error_proto):
            pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not within {timeout:g} s")
        time.sleep(poll)


def ask(site: Site, node: str, command: str, *args: str) -> list[str]:
    """A cluster command's answer on `node` (nothing while the node is down)."""
    host = site.host(node)
    if host is None:
        return []
    done = subprocess.run(host.command([str(site.bin(node, command)), *args]),
                          capture_output=True, text=True, timeout=60, check=False)
    return done.stdout.splitlines() if done.returncode == 0 else []


def group_node(site: Site) -> str | None:
    """The node where the group is online, as the cluster says."""
    for node in site.nodes:
        for asker in site.nodes:
            state = ask(site, asker, "scha_resourcegroup_get", "-O", "RG_state_node",
                        "-G", site.group, node)
            if state:
                if state[0].strip().upper() == "ONLINE":
                    return node
                break
    return None


def resource_status(site: Site, node: str) -> tuple[str, str]:
    """(Status, Status_msg) of the mail resource on `node`."""
    lines = ask(site, node, "scha_resource_get", "-O", "Status", "-R", site.mail_resource,
                "-G", site.group)
    if not lines:
        return "", ""
    return lines[0].strip(), (lines[1] if len(lines) > 1 else "")


def services_answer(site: Site) -> bool:
    """SMTP, IMAP and POP all answer on the logical host, seen from the client."""
    return from_client(site, _services_answer, site)


def _services_answer(site: Site) -> bool:
    address = server_address(site)
    with smtplib.SMTP(address, site.ports.smtp, timeout=3) as smtp:
        smtp.noop()
    with imaplib.IMAP4(address, site.ports.imap, timeout=3) as imap:
        imap.noop()
    pop = poplib.POP3(address, site.ports.pop, timeout=3)
    pop.quit()
    return True
