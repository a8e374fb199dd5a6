"""`make chaos ARGS="--engine sc|pacemaker --seed N --minutes M --faults a,b --out DIR"`:
a chaos campaign (docs/chaos.md).

It builds the engine's cluster, sends steady SMTP traffic to the logical host from the
client host while IMAP and POP sessions read, lets the seeded nemesis inject one fault
after another (each healed and every node brought back before the next), then stops the
traffic, waits for a final recovery and for the queue to drain, reads the store back,
takes the disk offline to check its file system, tears everything down and prints the
verdict and the table per fault class. It writes DIR/history.jsonl, DIR/summary.json and
DIR/timeline.svg. Exit status: 0 green, 1 red, 2 bad arguments or no cluster.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from chaos import checker, crosscheck, machine, timeline
from chaos.engine import Engine, queue_files, read_store, temp_files
from chaos.history import History, describe
from chaos.load import Clock, Load
from chaos.nemesis import RECOVERY_TIMEOUT, Nemesis
from chaos.schedule import parse_classes, schedule

WARM_UP = 10.0
DRAIN_TIMEOUT = 180.0
MOUNT_EVERY = 0.5
HOLDER_EVERY = 2.0
PROGRESS_EVERY = 15.0


def say(text: str) -> None:
    print(text, flush=True)


def make_engine(name: str) -> Engine:
    if name == "sc":
        from chaos.suncluster import SunCluster  # noqa: PLC0415 - only the chosen engine

        return SunCluster(say)
    from chaos.pacemaker import Pacemaker  # noqa: PLC0415

    return Pacemaker(say)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="make chaos ARGS=", description=__doc__.split("\n")[0])
    p.add_argument("--engine", choices=("sc", "pacemaker"), default="sc",
                   help="the stand-in Sun Cluster (default) or the three-node Pacemaker bed")
    p.add_argument("--seed", type=int, default=1, help="the nemesis' seed (default 1)")
    p.add_argument("--minutes", type=float, default=10.0,
                   help="how long faults keep coming (default 10; the last one is let "
                   "finish)")
    p.add_argument("--faults", help="comma-separated fault classes (default: every class "
                   "that applies to the engine)")
    p.add_argument("--rate", type=float, default=8.0,
                   help="SMTP submissions a second (default 8)")
    p.add_argument("--out", type=Path, default=Path("build/chaos"),
                   help="where history.jsonl, summary.json and timeline.svg go")
    return p.parse_args(argv)


class Samplers:
    """Host-wide mount samples, the holding node, and the progress line, in threads."""

    def __init__(self, engine: Engine, history: History, clock: Clock, load: Load) -> None:
        self.engine, self.history, self.clock, self.load = engine, history, clock, load
        self.stopping = threading.Event()
        self.numbers = engine.disk_numbers()
        self.threads = [threading.Thread(target=t, daemon=True)
                        for t in (self._mounts, self._holder, self._progress)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(30)

    def _mounts(self) -> None:
        while not self.stopping.is_set():
            t = self.clock.now()
            try:
                where = machine.mounted_in(self.numbers, self.engine.mount_names())
            except OSError:
                where = []
            self.history.mount_sample(t, where)
            self.stopping.wait(MOUNT_EVERY)

    def _holder(self) -> None:
        while not self.stopping.is_set():
            t = self.clock.now()
            try:
                self.history.holder(t, self.engine.holder())
            except (OSError, RuntimeError, subprocess.SubprocessError, TimeoutError):
                pass
            self.stopping.wait(HOLDER_EVERY)

    def _progress(self) -> None:
        while not self.stopping.wait(PROGRESS_EVERY):
            attempts = list(self.history.attempts)
            ok = sum(1 for a in attempts if a.cls == "accepted")
            up = self.history.probes[-1][1] if self.history.probes else False
            holder = self.history.holders[-1][1] if self.history.holders else None
            say(f"[{self.clock.now():6.0f} s] attempts {len(attempts)}, accepted {ok}, "
                f"services {'up' if up else 'DOWN'}, group on {holder or 'nowhere'}, "
                f"faults done {len(self.history.faults)}")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if os.geteuid() != 0:
        print("make chaos: run as root (the cluster's hosts are namespaces of this machine)",
              file=sys.stderr)
        return 2
    if args.rate <= 0 or args.minutes < 0:
        print("make chaos: --rate must be above 0 and --minutes not below 0", file=sys.stderr)
        return 2
    engine = make_engine(args.engine)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        classes = parse_classes(args.faults, engine.classes)
    except ValueError as exc:
        print(f"make chaos: {exc}", file=sys.stderr)
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    history = History.to_file(out / "history.jsonl")
    say(f"chaos campaign: engine {args.engine}, seed {args.seed}, {args.minutes:g} min, "
        f"{args.rate:g} submissions/s, faults {','.join(classes)}; output in {out}")
    back = checker.Readback()
    meta = {"engine": args.engine, "seed": args.seed, "minutes": args.minutes,
            "rate": args.rate, "classes": classes}
    started = time.monotonic()
    try:
        engine.build()
    except Exception as exc:
        say(f"make chaos: the cluster could not be built: {exc}")
        back.leftovers = engine.teardown()
        history.close()
        return 2
    say(f"cluster up in {time.monotonic() - started:.0f} s; traffic starts")
    clock = Clock()
    wall_zero = time.time() - clock.now()
    report_lines: list[str] = []
    report_end = wall_zero
    load = Load(engine.service, engine.on_client, history, clock, rate=args.rate,
                tag=f"{args.engine}{args.seed}x{int(time.time())}")
    samplers: Samplers | None = None
    interrupted = False
    try:
        samplers = Samplers(engine, history, clock, load)
        samplers.start()
        load.start()
        time.sleep(WARM_UP)
        nemesis = Nemesis(engine, history, clock, say)
        budget = args.minutes * 60.0
        for n, spec in enumerate(schedule(args.seed, classes), 1):
            if clock.now() > budget + WARM_UP:
                break
            say(f"[{clock.now():6.0f} s] fault {n}: {spec.cls}"
                f"{' ' + spec.daemon if spec.daemon else ''}"
                f"{f' held {spec.hold_s:g} s' if spec.hold_s else ''}")
            fault = nemesis.run(spec)
            say(f"[{clock.now():6.0f} s]   {describe(fault)}")
        say(f"[{clock.now():6.0f} s] faults over; traffic stops, final recovery and drain")
        load.stop_submitting()
        finish(engine, nemesis, history, back)
        report_lines, report_end = crosscheck.read_logs(engine.log_files()), time.time()
        load.stop()
        engine.release_disk()
        time.sleep(2 * MOUNT_EVERY)
    except KeyboardInterrupt:
        interrupted = True
        say("interrupted: tearing the cluster down, no verdict")
    finally:
        # each step on its own: whatever failed above, the cluster is torn down
        with _reported("stopping the load"):
            load.stop()
        if samplers is not None:
            with _reported("stopping the samplers"):
                samplers.stop()
        with _reported("e2fsck"):
            back.fsck_ok, back.fsck_output = engine.fsck()
        say("tearing the cluster down")
        back.leftovers = engine.teardown()
        history.close()
    if interrupted:
        for line in back.leftovers:
            say(f"left: {line}")
        return 130
    verdict = checker.check(history, back)
    told = crosscheck.cross_check(history.faults, report_lines, wall_zero, report_end)
    if told.missing:
        verdict.problems.append(f"imsreport missed {len(told.missing)} of {told.told} "
                                f"fault(s): {told.missing[0]}")
    if told.unexplained:
        verdict.problems.append(f"imsreport told {len(told.unexplained)} incident(s) no "
                                f"fault explains: {told.unexplained[0]}")
    summary = checker.summary(history, verdict, {**meta, **told.summary(),
                                                 "fsck_output": back.fsck_output,
                                                 "queue_temp_files": back.queue_temp_files,
                                                 "seconds": round(clock.now(), 1)})
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (out / "timeline.svg").write_text(timeline.render(
        history, f"chaos campaign: {args.engine}, seed {args.seed}, "
        f"{len(history.faults)} faults — {'GREEN' if verdict.green else 'RED'}"))
    print()
    print(checker.table(checker.per_class(history)))
    print()
    print(f"availability: {verdict.availability:.2%} ({verdict.accepted} accepted of "
          f"{verdict.attempted} attempted; no reply after the dot: "
          f"{verdict.no_reply_delivered} delivered, {verdict.no_reply_missing} not)")
    reads = summary["reads"]
    print("IMAP and POP sessions: " + (", ".join(f"{k} {v}" for k, v in reads.items())
                                       or "none"))
    if back.queue_temp_files:
        print(f"temporary files in the queue (submissions cut before their 250; not in the "
              f"verdict): {len(back.queue_temp_files)}")
    print(f"imsreport: {told.matched} of the {told.told} faults the logs could tell matched "
          f"(class, node, detection and recovery within {crosscheck.TOLERANCE:g} s), "
          f"{len(told.unexplained)} incident(s) unexplained")
    for problem in verdict.problems:
        print(f"  - {problem}")
    print(verdict.line())
    print(f"wrote {out / 'history.jsonl'}, {out / 'summary.json'}, {out / 'timeline.svg'}")
    return 0 if verdict.green else 1


@contextlib.contextmanager
def _reported(what: str) -> Iterator[None]:
    """A step of the teardown path: its failure is said, and the teardown goes on."""
    try:
        yield
    except Exception as exc:  # the teardown must run whatever this was
        say(f"{what} failed: {type(exc).__name__}: {exc}")


def _interrupted(signum: int, frame: object) -> None:
    """SIGTERM as ^C: the campaign tears its cluster down before it goes."""
    del signum, frame
    raise KeyboardInterrupt


def finish(engine: Engine, nemesis: Nemesis, history: History,
           back: checker.Readback) -> None:
    """After the last fault: every node up, the service steady, the queue drained; then the
    store, the queue and the failed states read back."""
    for node in engine.nodes:
        if not engine.powered(node):
            engine.boot(node)
    if not nemesis.wait(nemesis.steady, RECOVERY_TIMEOUT):
        say("the service is not steady after the last fault")
    holder = engine.holder()
    if holder is None:
        back.end_state = engine.bad_states() or ["the group is online nowhere"]
        return
    config = engine.config_dir()
    queue = engine.node_path(holder, config + "/queue")
    store = engine.node_path(holder, config + "/store")
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while queue_files(queue) and time.monotonic() < deadline:
        time.sleep(1.0)
    back.queue = queue_files(queue)
    back.store = read_store(store)
    back.store_read = True
    back.temp_files = temp_files(store)
    back.queue_temp_files = temp_files(queue)
    back.end_state = engine.bad_states()
    history.note(0.0, f"read back on {holder}: {sum(back.store.values())} messages in the "
                 f"store, {len(back.queue)} in the queue")
