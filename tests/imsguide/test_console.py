"""What the demo's console shows: commands as an administrator types them, and the progress
of a long wait, readable on a terminal and in a file."""

from __future__ import annotations

import io
import threading

from imsguide.console import Console


class Screen(io.StringIO):
    """An output that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def wait_for_progress(console: Console, out: io.StringIO, what: str) -> str:
    """Run a body that lasts until the console has shown progress (at most 30 s)."""
    shown = threading.Event()
    original = console._progress

    def progress(text: str) -> None:
        original(text)
        shown.set()

    console._progress = progress  # type: ignore[method-assign]
    with console.ticking(what):
        assert shown.wait(30), "no progress shown during a long wait"
    return out.getvalue()


def test_redirections_are_shown_as_typed() -> None:
    out = io.StringIO()
    Console(out=out).command("mars", ["echo", "9", ">", "/var/cluster/rgm/rt/SUNW.ims/loglevel"])
    Console(out=out).command("mars", ["echo", "a b", ">>", "/etc/hosts"])
    assert out.getvalue().splitlines() == [
        "mars# echo 9 > /var/cluster/rgm/rt/SUNW.ims/loglevel",
        "mars# echo 'a b' >> /etc/hosts",
    ]


def test_a_long_wait_shows_sparse_lines_in_a_file_even_when_quiet() -> None:
    out = io.StringIO()
    console = Console(quiet=True, out=out, tick=0.05)
    text = wait_for_progress(console, out, "creating the cluster")
    lines = text.splitlines()
    assert lines and all(line.startswith("    ... creating the cluster: ") and
                         line.endswith(" s") for line in lines), lines
    assert "\r" not in text and "\x1b" not in text


def test_on_a_terminal_the_progress_line_is_rewritten_then_cleared() -> None:
    out = Screen()
    console = Console(out=out, tick=0.05)
    text = wait_for_progress(console, out, "waiting for mail")
    assert "\r\x1b[K    ... waiting for mail: " in text
    assert text.endswith("\r\x1b[K"), repr(text[-40:])
    console.result("done")
    assert out.getvalue().endswith("\r\x1b[K    => done\n")


def test_a_short_command_and_a_nested_wait_print_no_progress() -> None:
    out = io.StringIO()
    console = Console(out=out)  # a 5 s tick: a quick body shows nothing
    with console.ticking("outer"), console.ticking("inner"):
        console.heading("Step 4")
    assert "..." not in out.getvalue()
    assert "Step 4" in out.getvalue()
