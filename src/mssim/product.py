"""What the real Messaging Server 6.3 looks like from outside: version, banners, services.

One table (`SERVICES`) says which service runs which `lib/` program, how it is enabled and in
which order `start-msg` starts it, so that start-msg, stop-msg, the watcher and imsimta never
disagree (the order and names are those of the documented `start-msg` console output).
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "6.3-8.04"
BUILT = "built Jul 29 2009; 32bit"
PRODUCT = "Sun Java(tm) System Messaging Server"
FULL_VERSION = f"{PRODUCT} {VERSION} ({BUILT})"

IMAP_CAPABILITIES = (
    "IMAP4 IMAP4rev1 ACL QUOTA LITERAL+ NAMESPACE UIDPLUS CHILDREN BINARY UNSELECT SORT "
    "LANGUAGE XSENDER X-NETSCAPE XSERVERINFO X-SUN-SORT ANNOTATE-EXPERIMENT-1 "
    "X-UNAUTHENTICATE X-SUN-IMAP X-ANNOTATEMORE XUM1 ID IDLE"
)


def smtp_ident() -> str:
    """Text after the host name in the SMTP 220 greeting."""
    return f"-- Server ESMTP ({FULL_VERSION})"


# service.imap.banner / service.pop.banner (6.3 default; MsgServerDocWiki "Banner Option"):
# %h host name, %p protocol, %P product name, %v short and %V long version; %% is a % [I].
DEFAULT_BANNER = "%h %p service (%P %V)"


def expand_banner(template: str | None, host: str, protocol: str) -> str:
    """A configured banner with its substitutions made; unset or empty: the default."""
    values = {"h": host, "p": protocol, "P": PRODUCT, "v": VERSION, "V": f"{VERSION} ({BUILT})",
              "%": "%"}
    text = template or DEFAULT_BANNER
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "%" and i + 1 < len(text) and text[i + 1] in values:
            out.append(values[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def imap_greeting(host: str, banner: str | None = None) -> str:
    return f"* OK [CAPABILITY {IMAP_CAPABILITIES}] {expand_banner(banner, host, 'IMAP4')}"


def pop_greeting(host: str, banner: str | None = None) -> str:
    return f"+OK {expand_banner(banner, host, 'POP3')}"


@dataclass(frozen=True)
class Service:
    """One start-msg service: its name on the console and the lib/ program that runs it."""

    name: str  # as start-msg prints it ("Starting <name> server")
    daemon: str  # lib/<daemon>
    args: tuple[str, ...]  # extra argv, as `ps -ef` shows it on the real product
    store_group: bool = False  # restarted together with the other store services


# Documented start order (start-msg console output in the 2005Q4/6.3 guides).
SERVICES: tuple[Service, ...] = (
    Service("ens", "enpd", ()),
    Service("store", "stored", ("-d",), store_group=True),
    Service("imap", "imapd", ("-d", "5", "-D", "6"), store_group=True),
    Service("pop", "popd", ("-d", "5"), store_group=True),
    Service("http", "mshttpd", ("-d", "5", "-D", "6"), store_group=True),
    Service("sched", "imsched", ()),
    Service("dispatcher", "dispatcher", ()),
    Service("job_controller", "job_controller", ()),
)
SERVICE_BY_NAME = {s.name: s for s in SERVICES}
SERVICE_BY_DAEMON = {s.daemon: s for s in SERVICES}

# Every program in lib/ (tcp_smtp_server exists as a file; see README "deviations").
LIB_PROGRAMS = ("watcher", *(s.daemon for s in SERVICES), "tcp_smtp_server")
SBIN_COMMANDS = ("start-msg", "stop-msg", "configutil", "imsimta", "ha_ip_config", "useconfig")

# start-msg/stop-msg component names (6.3 syntax) and the services they mean.
COMPONENT_ALIASES: dict[str, tuple[str, ...]] = {
    "ens": ("ens",),
    "store": ("store",),
    "imap": ("imap",),
    "pop": ("pop",),
    "http": ("http",),
    "sched": ("sched",),
    "dispatcher": ("dispatcher",),
    "job_controller": ("job_controller",),
    "mta": ("dispatcher", "job_controller"),
    "imta": ("dispatcher", "job_controller"),
    "smtp": ("dispatcher", "job_controller"),
}
# Documented components this stand-in does not provide (they are disabled by default).
ABSENT_COMPONENTS = ("mfagent", "metermaid", "cert", "snmp", "sms", "mmp")
