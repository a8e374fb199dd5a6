"""What the trust checks (scims.trust, docs/security.md) cost each method, in milliseconds.

Builds a Messaging Server installation on this machine as root installs it (server root
root's, configuration directory the runtime user's) with nine processes of the instance
running as the runtime user (the watcher and eight services, scripts like the stand-in's),
then times, per method, exactly the checks the trust model added to it:

    Validate        start-msg and stop-msg path trust; msg.conf and its defaults read as
                    untrusted files (non-blocking, bounded, confined); the runtime-user
                    cross-check
    Start           the same, start-msg checked again right before PMF runs it, the runtime
                    user recorded for Stop, the kernel's word on every claimant process
    Stop            the record read, stop-msg path trust, the untrusted reads, the kernel's
                    word on every claimant
    Monitor_start   ims_probe path trust (Update: the same)
    log line        escaping one line's arguments (every line of every method)

Each figure is the median of many rounds, beside the same method's untrusted reads done the
old way (Path.read_bytes) for scale. Target: at most 5 ms per method.

    .venv/bin/python bench/bench_trust.py [ROUNDS]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import standin

from scims import trust
from scims.log.cformat import printable
from scims.messaging.installation import START_MSG, STOP_MSG, check_command
from scims.messaging.processes import MessagingInstance

ROUNDS = 300
RUNTIME_UID = 20001
SERVICES = ("watcher", "dispatcher", "job_controller", "tcp_smtp_server", "imapd", "popd",
            "mshttpd", "stored", "enpd")
SLEEPER = "import time\nwhile True:\n    time.sleep(1)\n"
PYTHON = "/usr/bin/python3"


def installation(top: Path) -> tuple[Path, Path]:
    base = top / "opt" / "SUNWmsgsr"
    config = top / "var" / "opt" / "SUNWmsgsr" / "config"
    (base / "sbin").mkdir(parents=True)
    (base / "lib").mkdir()
    config.mkdir(parents=True)
    (base / "config").symlink_to(config)
    for name in ("start-msg", "stop-msg"):
        (base / "sbin" / name).write_text("#!/bin/sh\nexit 0\n")
        (base / "sbin" / name).chmod(0o755)
    for name in SERVICES:
        (base / "lib" / name).write_text(f"#!{PYTHON}\n{SLEEPER}")
        (base / "lib" / name).chmod(0o755)
    settings = "".join(f"service.setting{i} = value {i}\n" for i in range(400))
    (config / "msg.conf").write_text(f"local.serveruid = mailsrv\n{settings}")
    (config / "msg.conf.defaults").write_text(settings)
    os.chown(config, RUNTIME_UID, RUNTIME_UID)
    return base, config


def become_runtime_user() -> None:
    os.setgroups([])
    os.setgid(RUNTIME_UID)
    os.setuid(RUNTIME_UID)


def median_ms(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> int:
    if os.geteuid() != 0:
        print("bench_trust runs as root (the methods do; the files get owners)", file=sys.stderr)
        return 1
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    top = Path(tempfile.mkdtemp(prefix="bench-trust-", dir="/tmp"))
    os.chmod(top, 0o755)  # noqa: S103 - the runtime user runs programs below it
    procs: list[subprocess.Popen[bytes]] = []
    try:
        base, config = installation(top)
        state = top / "state"
        state.mkdir(mode=0o700)
        record_path = str(state)
        for name in SERVICES:
            procs.append(subprocess.Popen([str(base / "lib" / name)],
                                          preexec_fn=become_runtime_user))  # noqa: PLW1509
        probe = top / "SUNWscims" / "bin" / "ims_probe"
        probe.parent.mkdir(parents=True)
        probe.write_text("#!/bin/sh\n")
        probe.chmod(0o755)
        time.sleep(1.0)
        instance = MessagingInstance(str(base), str(config.parent), RUNTIME_UID)
        assert len(instance.processes()) == len(SERVICES), "the instance is not all found"
        record = trust.RuntimeRecord("MAIL-RG", "mail-rs", "runtime_uid")
        record.directory = record_path
        record.path = os.path.join(record_path, "MAIL-RG,mail-rs.runtime_uid")
        files = [str(config / "msg.conf"), str(config / "msg.conf.defaults")]

        def reads() -> None:
            with trust.confined_to(str(base), str(config.parent)):
                for name in files:
                    trust.read_untrusted(name)

        def old_reads() -> None:
            for name in files:
                Path(name).read_bytes()

        def identities() -> None:
            """The kernel's word on each claimant: what the trust model added to the scan."""
            for proc in procs:
                program = str(base / "lib" / SERVICES[procs.index(proc)])
                exe = os.readlink(f"/proc/{proc.pid}/exe")
                trust.runs_program(exe, program)
                trust.may_signal(os.stat(f"/proc/{proc.pid}").st_uid, RUNTIME_UID)

        def runtime_user() -> None:
            trust.check_runtime_user("mailsrv", RUNTIME_UID, str(config))

        def validate() -> None:
            check_command(str(base), START_MSG, "/opt/SUNWmsgsr")
            check_command(str(base), STOP_MSG, "/opt/SUNWmsgsr")
            reads()
            runtime_user()

        def start() -> None:
            validate()
            check_command(str(base), START_MSG, "/opt/SUNWmsgsr")
            record.write(f"{RUNTIME_UID}\n")
            identities()

        def stop() -> None:
            record.read()
            reads()
            runtime_user()
            check_command(str(base), STOP_MSG, "/opt/SUNWmsgsr")
            identities()

        def monitor_start() -> None:
            trust.check_executable(str(probe))

        line_args = ("/opt/SUNWmsgsr/lib/imapd", "IMAP on 192.18.75.155:143 refused the "
                     "connection", "mailsrv")

        def log_line() -> None:
            for arg in line_args:
                printable(arg)

        survey_ms = median_ms(instance.survey, max(20, rounds // 10))
        rows = []
        for name, work in (("Validate", validate), ("Start", start), ("Stop", stop),
                           ("Monitor_start / Update", monitor_start),
                           ("one log line", log_line)):
            rows.append((name, f"{median_ms(work, rounds):.3f}"))
        rows.append(("(untrusted reads of a method)", f"{median_ms(reads, rounds):.3f}"))
        rows.append(("(the same reads, old way)", f"{median_ms(old_reads, rounds):.3f}"))
        rows.append(("(kernel word on 9 processes)", f"{median_ms(identities, rounds):.3f}"))
        rows.append(("(whole process-table survey)", f"{survey_ms:.3f}"))
        print(standin.table(rows, head=("method: trust checks", "median ms")))
        worst = max(float(r[1]) for r in rows[:4])
        print(f"\nworst method {worst:.3f} ms; target <= 5 ms: "
              f"{'met' if worst <= 5 else 'NOT met'} ({rounds} rounds, "
              f"{len(SERVICES)} instance processes among {len(os.listdir('/proc'))} /proc "
              "entries)")
        return 0
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
