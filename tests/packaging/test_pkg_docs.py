"""SUNW.ims(5) and the messages guide: generated from their sources, and they render cleanly."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import manpage
import msgguide
import pytest
from pkg_support import REPO, Built

from scims.cluster.rtr import parse_file
from scims.log.messages import all_messages

RTR = REPO / "rtr" / "SUNW.ims"


def render(page: Path) -> str:
    """Format a man page as a reader sees it; any troff warning fails the test."""
    env = {**os.environ, "MANWIDTH": "100", "LC_ALL": "C.UTF-8", "MAN_KEEP_FORMATTING": ""}
    if shutil.which("man"):
        cmd = ["man", "--warnings=all", "-l", str(page)]
    elif shutil.which("groff"):
        cmd = ["groff", "-t", "-man", "-Tutf8", "-ww", "-rLL=100n", str(page)]
    else:
        pytest.skip("neither man nor groff is installed: install man-db or groff-base")
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return re.sub(r".\x08", "", result.stdout)


@pytest.fixture(scope="module")
def man_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    page = manpage.write(RTR, tmp_path_factory.mktemp("man"), when=1_700_000_000)
    return render(page)


# What a reader must see for each RTR type, tunability and default (rt_reg(4) names).
TYPE_NAMES = {"STRING": "String", "INT": "Integer", "BOOLEAN": "Boolean", "ENUM": "Enum",
              "STRINGARRAY": "String array"}
TUNABLE_NAMES = {"NONE": "Never (query only)", "FALSE": "Never", "ANYTIME": "Any time",
                 "TRUE": "Any time", "AT_CREATION": "At creation",
                 "WHEN_DISABLED": "When disabled"}


def shown_default(prop: object) -> str:
    default = prop.default
    if default is None:
        return "None (must be set)"
    if isinstance(default, bool):
        return "TRUE" if default else "FALSE"
    if isinstance(default, list):
        return ", ".join(default) if default else "None (empty list)"
    return str(default) if default != "" else "None (empty string)"


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def section(man_text: str, title: str, following: str) -> str:
    """One section of the rendered page, blanks flattened, hyphenation undone."""
    text = man_text.replace("\u2010\n", "").replace("\u2010", "-")
    return flat(text.split(f"\n{title}\n", 1)[1].split(f"\n{following}\n", 1)[0])


def test_man_page_lists_every_property(man_text: str) -> None:
    text = man_text.replace("\u2010\n", "").replace("\u2010", "-")
    properties = text.split("\nPROPERTIES\n", 1)[1].split("\nEXAMPLES\n", 1)[0]
    rt = parse_file(str(RTR))
    for prop in rt.resource_properties():
        entry = re.search(rf"\n {{7}}{re.escape(prop.name)}(?:\n| +)(.*?)Type: +(.*?)\n"
                          rf" +Default: +(.*?)\n +Range: +(.*?)\n +Tunable: +(.*?)\n",
                          properties, re.S)
        assert entry, prop.name
        description, kind, default, limits, tunable = (flat(g) for g in entry.groups())
        wanted = prop.description.strip()
        wanted = (wanted if wanted.endswith(".") else wanted + ".") if wanted \
            else "No description."
        assert description == flat(wanted), prop.name
        assert kind == TYPE_NAMES[prop.type], prop.name
        assert tunable == TUNABLE_NAMES[prop.tunable], prop.name
        if prop.type in ("STRING", "ENUM", "BOOLEAN", "STRINGARRAY"):
            assert default == shown_default(prop), prop.name
        elif isinstance(prop.default, int):
            assert default.startswith(str(prop.default)), prop.name
        if prop.type == "ENUM":
            assert limits == "One of " + ", ".join(prop.enum_values), prop.name
        if prop.min is not None:
            assert str(prop.min) in limits, prop.name
        if prop.max is not None:
            assert str(prop.max) in limits, prop.name
    for program in rt.methods.values():
        assert program in text
    assert "ims_probe" in text


def test_man_page_sections_and_corrected_seed_commands(man_text: str) -> None:
    for section in ("NAME", "DESCRIPTION", "METHODS", "FAULT MONITORING", "PROPERTIES",
                    "EXAMPLES", "FILES", "ATTRIBUTES", "SEE ALSO"):
        assert re.search(rf"^{section}$", man_text, re.M), section
    assert "scrgadm -a -t SUNW.ims" in man_text
    assert "-x IMS_serverroot=/opt/SUNWmsgsr" in man_text
    assert "scswitch -e -j mail-rs" in man_text
    assert "scswitch -e -j ms-rs-mars" in man_text
    # The seed's mistakes: mismatched names, a blank before '=', a host of another example.
    for wrong in ("mail-rs-mars", "mail-rs-daisy", "MS_RG_daisy", "budgie", " =/", " =\""):
        assert wrong not in man_text, wrong
    assert re.search(r"HAStorage \\?\n\s+-x ServicePaths", man_text)


def test_messages_guide_lists_every_message(tmp_path: Path) -> None:
    md, man = msgguide.write(tmp_path, when=1_700_000_000)
    markdown = md.read_text()
    text = re.sub(r"\s+", " ", render(man))
    for m in all_messages():
        section = markdown.split(f"## Message ID {m.msgid}\n", 1)[1].split("\n## ", 1)[0]
        assert f"`{m.fmt}`" in section
        assert f"daemon.{m.priority.label}" in section
        assert m.cause in section and m.action in section
        assert f"Message ID {m.msgid}" in text
        assert re.sub(r"\s+", " ", m.fmt) in text
    ids = [int(i) for i in re.findall(r"^## Message ID (\d+)$", markdown, re.M)]
    assert ids == sorted(ids) and len(ids) == len(all_messages())


def test_messages_guide_ships_and_renders(built: Built, man_text: str) -> None:
    """The guide is in the package beside SUNW.ims(5), which names it, and the packaged copy
    renders without a warning."""
    pkgmap = (built.pkgdir / "pkgmap").read_text().split("\n")
    path = "SUNWscims/man/man5/SUNWscims-messages.5"
    assert any(line.split()[1:4] == ["f", "none", path] for line in pkgmap if line[:2] == "1 ")
    text = render(built.pkgdir / "reloc" / path)
    assert "SUNWscims Messages Guide" in text
    assert "Message ID" in text
    files = man_text.split("\nFILES\n", 1)[1].split("\nATTRIBUTES\n", 1)[0]
    assert "/opt/SUNWscims/man/man5/SUNWscims-messages.5" in files
    see_also = man_text.split("\nSEE ALSO\n", 1)[1].split("\nNOTES\n", 1)[0]
    assert "SUNWscims-messages(5)" in see_also


def test_man_page_says_a_hang_at_the_goodbye_is_a_complete_failure(man_text: str) -> None:
    monitoring = section(man_text, "FAULT MONITORING", "PROPERTIES")
    assert "complete failure of that service (score 100), wherever in the exchange" in monitoring
    assert "hangs before its reply to IMAP LOGOUT or to POP or SMTP QUIT" in monitoring


def test_man_page_names_the_type_as_the_cluster_registers_it(man_text: str) -> None:
    description = section(man_text, "DESCRIPTION", "METHODS")
    assert "registers is SUNW.ims, and that is what scha_resource_get -O Type" in description
    assert "has no #$upgrade directive" in description
    assert "Type_version is fixed at 6.3" in description
    assert "SUNW.ims:" not in man_text


def test_man_page_says_failover_mode_defaults_to_soft_and_why(man_text: str) -> None:
    properties = section(man_text, "PROPERTIES", "EXAMPLES")
    assert "In this resource type Failover_mode defaults to SOFT, not to the system default " \
        "NONE of r_properties(5)" in properties
    assert "-y Failover_mode=NONE to have the system default" in properties
    assert parse_file(str(RTR)).default("Failover_mode") == "SOFT"


def test_man_page_documents_failover_enabled(man_text: str) -> None:
    monitoring = section(man_text, "FAULT MONITORING", "PROPERTIES")
    assert "The extension property Failover_enabled (default TRUE) has the meaning it has for " \
        "Sun's SUNW.iws, SUNW.iim and SUNW.gds agents" in monitoring
    failover_enabled = parse_file(str(RTR)).property("Failover_enabled")
    assert (failover_enabled.type, failover_enabled.default, failover_enabled.tunable) == \
        ("BOOLEAN", True, "WHEN_DISABLED")


def test_man_page_says_start_sets_the_status(man_text: str) -> None:
    monitoring = section(man_text, "FAULT MONITORING", "PROPERTIES")
    assert "is OK (with the message Service is online.) from the moment the Start method has " \
        "seen every service answer" in monitoring


def test_man_page_says_when_monitor_check_runs(man_text: str) -> None:
    methods = section(man_text, "METHODS", "FAULT MONITORING")
    assert "the RGM runs it only when this resource's own fault monitor asked for the " \
        "failover (scha_control GIVEOVER)" in methods


def test_man_page_says_which_release_method_timeouts_follow(man_text: str) -> None:
    notes = flat(man_text.replace("\u2010\n", "").replace("\u2010", "-")
                 .split("\nNOTES\n", 1)[1])
    assert "From Sun Cluster 3.2 on the RGM sends SIGABRT to the method's whole process " \
        "group" in notes
    assert "Sun Cluster 3.0 and 3.1 sent SIGTERM" in notes
    assert "SUNWscims and the stand-in cluster it is tested on follow Sun Cluster 3.2" in notes


def test_man_page_gives_the_guides_debugging_commands_as_solaris_needs_them(
        man_text: str) -> None:
    examples = section(man_text, "EXAMPLES", "FILES")
    assert "# echo 'daemon.debug\\t/var/adm/clusterlog' >> /etc/syslog.conf" in examples
    assert "# touch /var/adm/clusterlog" in examples
    assert "# pkill -HUP syslogd" in examples
    assert "unknown priority name" in examples


def test_man_page_says_who_restarts_a_dead_messaging_server(man_text: str) -> None:
    monitoring = section(man_text, "FAULT MONITORING", "PROPERTIES")
    assert "gives PMF Retry_count restarts within Retry_interval (rounded up to minutes)" \
        in monitoring
    assert "While the fault monitor runs, PMF restarts nothing" in monitoring
    assert "With the fault monitor disabled (scswitch -n -M -j), PMF starts Messaging Server " \
        "again" in monitoring
