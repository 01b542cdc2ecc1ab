"""Scale out: one many-sources workload run by 1, 2 and 3 `presswatch worker` processes,
against a baseline of the same workload run by one plain (local) `presswatch serve`.

    .venv/bin/python benchmarks/scale_out.py --quick   # CI: 40 sources at 10 s, local, 1 and 2 workers (~5 min)
    .venv/bin/python benchmarks/scale_out.py           # 200 sources at 10 s, local, 1, 2 and 3 workers (~19 min)
    .venv/bin/python benchmarks/scale_out.py --workers 2,3 --sources 100 --window 60 --no-local --json out.json

`--quick` runs 1 and 2 workers only (the step that a 2-core machine can show), 50 s windows;
the default mode's 100 s windows see about 2,000 due runs per configuration (>= 1,000 even at
10 runs/s). Both first run the baseline, "local serve (no broker)" (`--no-local` skips it).

Needs PostgreSQL (`PRESSWATCH_TEST_PG`, default postgresql+psycopg://postgres@127.0.0.1:5432/test)
and RabbitMQ (`PRESSWATCH_TEST_AMQP`, default amqp://guest:guest@127.0.0.1:5672/) on this
machine. Each configuration gets a database `presswatch_bench_<random>` (dropped afterwards)
and, the local serve excepted, a RabbitMQ virtual host of its own made with `rabbitmqctl`
(deleted afterwards), because the
engine's queue names are fixed: a test suite or another benchmark using `presswatch-runs` on
the same vhost would take this run's messages and hand it theirs. With `--shared-queues` (or
when `rabbitmqctl` is missing or refused) it uses the URL's own vhost and deletes the queues
`presswatch-runs`, `.DQ` and `.XQ` before and after instead. It drives only the public CLI and
reads the archive with psycopg.

The baseline, "local serve (no broker)", runs first, from scratch: the same sites, sources
TOML (`[service] workers = 1`) and a fresh database, run by `presswatch serve --config FILE --db
URL` (no broker, no `presswatch worker`: the service process runs the due runs in its own crawl
worker subprocess, `python -m presswatch.crawler.worker`, and that one's parse workers); the same first
crawl, settling and window as below; SIGTERM right after the window. Its runs have no due time
(`crawl_runs.due_at` is NULL, its job store is in memory), so it has no drain and no lost or
doubled check: runs/s, keep-up (runs completed / due runs expected) and CPU per run only, that
of the service process itself (its own utime + stime: without its crawl worker subprocesses'
trees, which are its only children) and of its whole tree. That own CPU is what one machine's
serve pays per run beyond the crawl: APScheduler's per-fire work, the crawl worker pool's
management (`scheduler.workers.WorkerPool`: run orders and results over sockets), result
logging; a `presswatch worker` host process pays the pool's share of it too.

Then, for each worker count W (`--workers`, default 1,2,3), from scratch:

1. the database and vhost; RabbitMQ's background CPU over 5 s; `benchmarks/watch_server.py`
   serving N small press sites, each on its own loopback address (as `watch_scale.py`), and a
   sources TOML with one source per site at `interval = "<interval>s"` and `[service]
   workers = 1`, so one `presswatch worker` process is one crawl subprocess (the gain is
   bounded by the cores);
2. `presswatch serve --broker URL --config FILE --db URL` (the active scheduler: it only sends
   due runs to RabbitMQ), then, once it logged that it is active, W
   `presswatch worker --broker URL --db URL --config FILE`;
3. first full crawl: until every initial release is in `articles`; then until the runs
   started before that have ended, and one interval more;
4. steady window (`--window`): CPU times and each source's next due time (APScheduler's job
   store, table `scheduler_jobs`) are read at its start and its end;
5. `serve` gets SIGTERM right after the window (no more due runs), and the workers get up to
   `--drain` seconds to finish every due run sent in the window; their idle CPU over 5 s; then
   SIGTERM to the workers.

Figures per configuration:

- runs/s: `crawl_runs` rows finishing in the window with status ok or failed;
- due runs sent in the window: per source, the due times between its next due time at the
  window's start and at its end (the interval trigger is exact, and the job store moves on
  only after the send returned: a send that failed is logged by serve, and a late fire that
  APScheduler coalesced would show up as lost), against window / interval x sources; keep-up:
  runs completed in the window / due runs expected, the share of the sent due runs whose run
  started within an interval, and the wait from due time to run start;
- CPU seconds per run in the window: the worker processes' whole trees (host process and its
  crawl subprocesses, `benchmarks/proctree.py`), the scheduler, the RabbitMQ server (the
  `beam.smp` booting `rabbit`, utime + stime: whatever else uses the server counts too, hence
  its background), the site server; and the engine overhead per run = (scheduler + RabbitMQ +
  the worker host processes' own CPU, without their crawl subprocesses) / runs, in ms, printed
  with its target, and how much of it the worker hosts' idle CPU explains; and the net engine
  overhead per run = the engine overhead per run - the local serve process's own CPU per run
  (the baseline's), printed with the same target (<= 10 ms): what the job engine adds over one
  machine's serve, as the engine overhead also counts the crawl worker pool management and the
  APScheduler work that the local serve pays too (`?` with `--no-local`); each per-run figure
  spreads its fixed costs (idle polling) over its own window's runs, so the difference is
  cleanest when the local serve and the configuration run at about the same runs/s;
- correctness over every due run sent in the window, once drained: lost = a due time the
  scheduler sent (from the job store) with no completed (ok/failed) row with that `due_at`,
  split into those a worker logged as `check skipped` (the source's last run still going on),
  those it logged as `already run` (a run for that due time or a later one had completed), and
  the unexplained rest; doubled = a (source, due_at) with more than one completed row, over the whole
  run; a cross-check from `due_at` gaps (a source's consecutive due times more than 1.5
  intervals apart); the first lost and doubled runs are printed with their rows and the log
  lines that name them (20 of each in `--json`);
- the worker and serve logs: run lines by status, skipped checks, runs given back, runs sent
  twice, warnings and errors grouped by message; the machine's busy share of its CPUs.

It prints a block per configuration (also on stderr as each ends) and a summary table, and
reports figures without judging them: the exit status is non-zero only when the benchmark
itself breaks (a service process exits early or does not start, the first crawl does not
finish within `FIRST_CRAWL_LIMIT`), after printing what was reached. Every process, database
and vhost (or queue) it made is removed on the way out, on failure, SIGTERM and Ctrl-C too;
`--workdir DIR` keeps configs and logs.
"""
from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from measure import log_tail, work_directory
from proctree import CLOCK_TICKS, read_stat, sample_tree
from watch_scale import (
    PRESSWATCH,
    Broken,
    config_text,
    die_with_parent,
    progress,
    site_server,
    stop_service,
)
from watch_scale import Options as SiteOptions
from watch_server import source_name

PG_VAR, PG_DEFAULT = "PRESSWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
AMQP_VAR, AMQP_DEFAULT = "PRESSWATCH_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/"
QUEUES = ("presswatch-runs", "presswatch-runs.DQ", "presswatch-runs.XQ")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
RABBITMQCTL_TIMEOUT = 60.0
BACKGROUND_SECONDS = 5.0  # RabbitMQ's CPU with no run going on, measured this long before each configuration
START_LIMIT = 90.0  # seconds for serve to become the active scheduler, and for each worker to be ready
FIRST_CRAWL_LIMIT = 20 * 60.0
SETTLE_LIMIT = 120.0  # after the first crawl, wait at most this long for its last runs to end
NO_PROGRESS = 60.0  # the drain ends early when no due run of the window completed for this long,
QUIET = 20.0  # or for this long with the queues empty and no run going on (a run waits <= 15 s for a lock)
IDLE_SECONDS = 5.0  # the worker hosts' idle CPU is measured this long after the drain
PRINTED_DETAILS = 4  # lost and doubled runs printed with their rows and log lines (20 in --json)
POLL = 1.0
PROGRESS_EVERY = 10.0
MATCH = 0.05  # seconds: a row's due_at and a job store due time are the same due time
ENGINE_TARGET_MS = 10.0
LOCAL = "local serve (no broker)"
TARGETS = {
    "engine": f"<= {ENGINE_TARGET_MS:g} ms CPU per run (scheduler + RabbitMQ + worker host processes)",
    "net_engine": (f"<= {ENGINE_TARGET_MS:g} ms CPU per run (engine overhead - the local serve process's own CPU "
                   "per run: what the job engine adds over one machine's serve)"),
    "correct": "no lost or doubled run in 1,000",
}
RUN_LINE = re.compile(r"source=(\S+) status=(\S+)")
DUE_LINE = re.compile(r"source=(\S+) due at (\S+): (check skipped|already run)")
GIVEN_BACK = re.compile(r"source=(\S+): run given back to the queue")
LEVEL = re.compile(r"^\S+ \S+ (?:\[[^\]]*\] )?(WARNING|ERROR|CRITICAL)\b")


@dataclass(frozen=True, slots=True)
class Options:
    sources: int
    interval: int
    window: float
    drain: float
    workers: tuple[int, ...]
    seed: int
    releases: int
    presswatch: Path
    pg_url: str
    amqp_url: str
    json: Path | None
    workdir: Path | None
    quick: bool
    shared_queues: bool
    local: bool


@dataclass(slots=True)
class State:
    options: Options
    figures: dict[str, Any] = field(default_factory=dict)
    reached: str = "starting"


def parse_workers(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected worker counts like 1,2,3, got {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"expected positive worker counts, got {text!r}")
    return counts


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="CI: 40 sources, window 50 s, 1 and 2 workers (about 3.5 minutes)")
    parser.add_argument("--sources", type=int, help="sources (default 200; --quick: 40)")
    parser.add_argument("--interval", type=int, default=10, help="seconds between checks (default 10)")
    parser.add_argument("--window", type=float, help="steady window, s (default 100; --quick: 50)")
    parser.add_argument("--drain", type=float,
                        help="after the window, up to this many s for its due runs to end (default 180; --quick: 60)")
    parser.add_argument("--workers", type=parse_workers, help="worker process counts (default 1,2,3; --quick: 1,2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--releases", type=int, default=4,
                        help="source i starts with RELEASES + i %% 3 releases (default 4: a short first crawl)")
    parser.add_argument("--presswatch", type=Path, default=PRESSWATCH,
                        help=f"the presswatch executable (default {PRESSWATCH})")
    parser.add_argument("--shared-queues", action="store_true",
                        help="use the broker URL's own virtual host (default: a private one made with rabbitmqctl)")
    parser.add_argument("--no-local", action="store_true",
                        help=f"skip the {LOCAL} baseline (and so the net engine overhead)")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--workdir", type=Path, help="keep configs and logs here")
    args = parser.parse_args(argv)
    options = Options(
        sources=args.sources or (40 if args.quick else 200),
        interval=args.interval,
        window=args.window or (50.0 if args.quick else 100.0),
        drain=args.drain if args.drain is not None else (60.0 if args.quick else 180.0),
        workers=args.workers or ((1, 2) if args.quick else (1, 2, 3)),
        seed=args.seed,
        releases=args.releases,
        presswatch=args.presswatch,
        pg_url=os.environ.get(PG_VAR, "").strip() or PG_DEFAULT,
        amqp_url=os.environ.get(AMQP_VAR, "").strip() or AMQP_DEFAULT,
        json=args.json,
        workdir=args.workdir,
        quick=args.quick,
        shared_queues=args.shared_queues,
        local=not args.no_local,
    )
    if not options.presswatch.exists():
        parser.error(f"no presswatch executable at {options.presswatch}")
    if options.sources < 1 or options.interval < 1 or options.window <= 0 or options.drain < 0:
        parser.error("--sources, --interval and --window must be positive, --drain not negative")
    return options


# --- PostgreSQL and RabbitMQ ----------------------------------------------------------------


@contextmanager
def fresh_database(server_url: str) -> Iterator[tuple[str, str]]:
    """A new empty database on the server of `server_url`, dropped afterwards.

    Yields (the SQLAlchemy URL for presswatch, a libpq URL for psycopg).
    """
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(server_url)
    name = f"presswatch_bench_{uuid.uuid4().hex[:10]}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise Broken(f"cannot create a database on {base.render_as_string()}: {exc}") from None
    try:
        yield (base.set(database=name).render_as_string(hide_password=False),
               base.set(drivername="postgresql", database=name).render_as_string(hide_password=False))
    finally:
        try:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error as exc:
            print(f"scale_out: could not drop database {name}: {exc}", file=sys.stderr)


def masked(url: str) -> str:
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def delete_queues(url: str) -> None:
    import pika  # type: ignore[import-untyped]

    try:
        connection = pika.BlockingConnection(pika.URLParameters(url))
    except Exception as exc:  # noqa: BLE001 - pika raises many kinds
        raise Broken(f"cannot reach RabbitMQ at {masked(url)}: {exc!r}") from None
    try:
        channel = connection.channel()
        for name in QUEUES:
            channel.queue_delete(name)
    finally:
        connection.close()


@contextmanager
def fresh_queues(url: str) -> Iterator[None]:
    delete_queues(url)
    try:
        yield
    finally:
        try:
            delete_queues(url)
        except Broken as exc:
            print(f"scale_out: could not delete the queues: {exc}", file=sys.stderr)


def rabbitmqctl(*args: str) -> str | None:
    """Run `rabbitmqctl ARGS`; None (and a note on stderr) when it is missing or fails."""
    try:
        done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True,
                              timeout=RABBITMQCTL_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        progress(f"rabbitmqctl {' '.join(args)}: {exc}")
        return None
    if done.returncode:
        progress(f"rabbitmqctl {' '.join(args)}: exit {done.returncode}: {done.stderr.strip()[:200]}")
        return None
    return done.stdout


@contextmanager
def private_vhost(url: str) -> Iterator[str | None]:
    """A new RabbitMQ virtual host for this run, its URL yielded (None: rabbitmqctl cannot make one).

    The engine's queue names are fixed, so anything else using them on the broker (a test
    suite, another benchmark) would take this run's messages and give it theirs; a virtual
    host of its own keeps them apart. Deleted (with its queues) afterwards.
    """
    parts = urlsplit(url)
    name = f"presswatch_bench_{uuid.uuid4().hex[:10]}"
    user = unquote(parts.username or "guest")
    if parts.hostname not in LOCAL_HOSTS:  # rabbitmqctl manages this machine's node only
        progress(f"RabbitMQ is not on this machine ({parts.hostname}): no private virtual host")
        yield None
        return
    if rabbitmqctl("add_vhost", name) is None:
        yield None
        return
    try:
        if rabbitmqctl("set_permissions", "-p", name, user, ".*", ".*", ".*") is None:
            yield None
        else:
            yield urlunsplit(parts._replace(path="/" + quote(name, safe="")))
    finally:
        rabbitmqctl("delete_vhost", name)


@contextmanager
def broker(options: Options) -> Iterator[tuple[str, str]]:
    """(the broker URL to use, how it is isolated): a private virtual host when possible, else
    the given URL with the engine's queues deleted before and after."""
    with ExitStack() as stack:
        url = None if options.shared_queues else stack.enter_context(private_vhost(options.amqp_url))
        how = "private virtual host"
        if url is None:
            url, how = options.amqp_url, "shared virtual host: anything else using presswatch-runs disturbs the run"
        stack.enter_context(fresh_queues(url))
        yield url, how


def queue_depths(url: str) -> dict[str, int | None]:
    """Messages ready in each engine queue now (None: no such queue or RabbitMQ unreachable)."""
    import pika

    depths: dict[str, int | None] = dict.fromkeys(QUEUES)
    try:
        connection = pika.BlockingConnection(pika.URLParameters(url))
    except Exception:  # noqa: BLE001
        return depths
    try:
        for name in QUEUES:
            try:
                channel = connection.channel()
                depths[name] = int(channel.queue_declare(name, passive=True).method.message_count)
                channel.close()
            except Exception:  # noqa: BLE001 - a missing queue closes the channel
                depths[name] = None
    finally:
        with suppress(Exception):
            connection.close()
    return depths


class Archive:
    """Read-only queries on the benchmark's database (autocommit psycopg connection)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(url, autocommit=True)

    def close(self) -> None:
        self.connection.close()

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql, params).fetchall()

    def count_articles(self) -> int | None:
        try:
            return int(self.rows("SELECT count(*) FROM articles")[0][0])
        except Exception:  # noqa: BLE001 - the table does not exist yet
            return None

    def next_due(self) -> dict[str, float | None]:
        """Each source's next due time (Unix time) in APScheduler's job store, by source name."""
        rows = self.rows("SELECT id, next_run_time FROM scheduler_jobs")
        return {job.removeprefix("crawl:"): (None if at is None else float(at)) for job, at in rows}

    def runs(self) -> list[RunRow]:
        rows = self.rows(
            "SELECT id, source, status, extract(epoch FROM started_at), extract(epoch FROM finished_at), "
            "extract(epoch FROM due_at), host, pid FROM crawl_runs ORDER BY id")
        return [RunRow(int(i), s, st, float(a), None if b is None else float(b), None if d is None else float(d), h, p)
                for i, s, st, a, b, d, h, p in rows]

    def completed_due(self, since: float) -> dict[str, list[float]]:
        rows = self.rows("SELECT source, extract(epoch FROM due_at) FROM crawl_runs "
                         "WHERE status IN ('ok', 'failed') AND due_at >= to_timestamp(%s)", (since,))
        found: dict[str, list[float]] = defaultdict(list)
        for source, due in rows:
            found[source].append(float(due))
        for dues in found.values():
            dues.sort()
        return found


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    source: str
    status: str
    started: float
    finished: float | None
    due: float | None
    host: str | None
    pid: int | None


# --- processes --------------------------------------------------------------------------------


def beam_pids() -> list[int]:
    """The RabbitMQ server's Erlang VM on this machine: a `beam.smp` booting `rabbit` (not the
    short-lived `beam.smp` of a `rabbitmqctl` call)."""
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            with suppress(OSError):
                if (Path(f"/proc/{name}/comm").read_text().strip() == "beam.smp"
                        and b"\0-s\0rabbit\0boot\0" in Path(f"/proc/{name}/cmdline").read_bytes()):
                    pids.append(int(name))
    return pids


def own_cpu(pids: list[int]) -> float | None:
    """utime + stime of these processes (not their children), s; None when none is readable."""
    stats = [stat for stat in map(read_stat, pids) if stat is not None]
    return sum(s.own_ticks for s in stats) / CLOCK_TICKS if stats else None


def postgres_backends(database: str) -> dict[tuple[int, int], float]:
    """CPU s so far of each PostgreSQL backend process connected to `database` (its title names it)."""
    found = {}
    marker = f" {database} ".encode()
    for name in os.listdir("/proc"):
        if name.isdigit():
            with suppress(OSError):
                title = Path(f"/proc/{name}/cmdline").read_bytes()
                if title.startswith(b"postgres: ") and marker in title:
                    stat = read_stat(int(name))
                    if stat is not None:
                        found[(stat.pid, stat.starttime)] = stat.own_ticks / CLOCK_TICKS
    return found


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def start_process(command: list[str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    with log.open("w", encoding="utf-8") as out:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=out, cwd=cwd,
            start_new_session=True,  # a terminal's Ctrl-C reaches the benchmark only: it stops them in order
            # Safe with threads here: the child only calls an already loaded libc function.
            preexec_fn=die_with_parent(os.getpid()),  # noqa: PLW1509
        )


@dataclass(slots=True)
class Service:
    """One `serve` (`--broker` or local) or `worker` process and its log."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    stopped: dict[str, Any] | None = None

    def check(self) -> None:
        if self.stopped is None and self.process.poll() is not None:
            raise Broken(f"{self.name} exited early (exit {self.process.returncode}); log tail:\n"
                         f"{log_tail(self.log, 15)}")

    def wait_for_line(self, text: str, limit: float) -> float:
        """Seconds until `text` is in the log (Broken past `limit` or when the process exits)."""
        started = time.monotonic()
        while True:
            self.check()
            with suppress(OSError):
                if text in self.log.read_text(encoding="utf-8", errors="replace"):
                    return time.monotonic() - started
            if time.monotonic() - started > limit:
                raise Broken(f"{self.name} did not log {text!r} within {limit:.0f} s; log tail:\n"
                             f"{log_tail(self.log, 15)}")
            time.sleep(0.2)

    def cpu(self) -> tuple[float, float]:
        """(the whole tree's CPU s, the process's own CPU s without its children)."""
        self.check()
        tree, stat = sample_tree(self.process.pid, with_pss=False), read_stat(self.process.pid)
        if tree is None or stat is None:
            raise Broken(f"{self.name} vanished")
        return tree.cpu_seconds, stat.own_ticks / CLOCK_TICKS

    def stop(self) -> dict[str, Any]:
        if self.stopped is None:
            self.stopped = stop_service(self.process)
        return self.stopped


def stop_all(services: list[Service]) -> list[dict[str, Any]]:
    """SIGTERM to all at once (each SIGKILLed after watch_scale's STOP_WAIT), in parallel."""
    if not services:
        return []
    with ThreadPoolExecutor(max_workers=len(services)) as pool:
        return list(pool.map(Service.stop, services))


# --- one configuration ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    at: float  # Unix time
    next_due: dict[str, float | None]  # empty for the local serve (its job store is in memory)
    scheduler_cpu: float  # serve's whole tree (the local serve: with its crawl workers)
    scheduler_own_cpu: float  # serve's own utime + stime, without its children
    worker_tree_cpu: list[float]
    worker_own_cpu: list[float]
    rabbitmq_cpu: float | None
    site_server_cpu: float
    postgres: dict[tuple[int, int], float]  # (pid, start time): CPU s of a backend of this database
    benchmark_cpu: float  # this process
    machine: tuple[int, int]
    queues: dict[str, int | None]  # empty for the local serve


@dataclass(slots=True)
class Run:
    """The processes and connections of one configuration (the local serve: no broker, no worker)."""

    options: Options
    workers: int  # 0: the local serve
    directory: Path
    amqp_url: str | None  # None: the local serve
    database: str
    archive: Archive
    server: Any  # watch_scale.SiteServer
    scheduler: Service
    hosts: list[Service]
    beam: list[int]

    def check(self) -> None:
        self.scheduler.check()
        for host in self.hosts:
            host.check()
        if self.server.process.poll() is not None:
            raise Broken(f"the site server exited ({self.server.process.returncode})")

    def snapshot(self) -> Snapshot:
        self.check()
        next_due = self.archive.next_due() if self.amqp_url is not None else {}
        worker_cpu = [host.cpu() for host in self.hosts]
        scheduler_tree, scheduler_own = self.scheduler.cpu()
        return Snapshot(
            at=time.time(),
            next_due=next_due,
            scheduler_cpu=scheduler_tree,
            scheduler_own_cpu=scheduler_own,
            worker_tree_cpu=[tree for tree, _ in worker_cpu],
            worker_own_cpu=[own for _, own in worker_cpu],
            rabbitmq_cpu=own_cpu(self.beam),
            site_server_cpu=self.server.cpu_seconds(),
            postgres=postgres_backends(self.database),
            benchmark_cpu=sum(os.times()[:2]),
            machine=machine_ticks(),
            queues=queue_depths(self.amqp_url) if self.amqp_url is not None else {},
        )


def rabbitmq_background() -> float | None:
    """RabbitMQ's CPU share of one core over BACKGROUND_SECONDS with nothing of this run going on."""
    pids = beam_pids()
    before = own_cpu(pids)
    time.sleep(BACKGROUND_SECONDS)
    after = own_cpu(pids)
    return None if before is None or after is None else round((after - before) / BACKGROUND_SECONDS, 4)


def site_options(options: Options) -> SiteOptions:
    """watch_scale's options for its site server and config writer: one crawl worker per process."""
    return SiteOptions(
        sources=options.sources, interval=options.interval, window=options.window, seed=options.seed,
        releases=options.releases, presswatch=options.presswatch, crawl=(), service=(("workers", "1"),),
        max_rss_gb=8.0, json=None, workdir=None,
    )


def run_configuration(options: Options, workers: int, directory: Path, figures: dict[str, Any],
                      state: State) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    label = f"{workers} worker{'s' if workers > 1 else ''}"
    figures["machine"] = {"cpus": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2)}
    with ExitStack() as stack:
        state.reached = f"{label}: creating the database"
        db_url, pg_url = stack.enter_context(fresh_database(options.pg_url))
        amqp_url, isolation = stack.enter_context(broker(options))
        figures["broker"] = {"isolation": isolation, "rabbitmq_background": rabbitmq_background()}
        server = stack.enter_context(site_server(site_options(options), directory / "server.log"))
        expected_articles = sum(server.releases)
        config = directory / "sources.toml"
        config.write_text(config_text(site_options(options), server.port), encoding="utf-8")
        progress(f"{label}: {options.sources} sources on port {server.port}, {expected_articles:,} releases, "
                 f"database {db_url.rsplit('/', 1)[-1]}; logs in {directory}")
        pw = str(options.presswatch)
        state.reached = f"{label}: starting serve --broker"
        started = time.monotonic()
        scheduler = Service("presswatch serve --broker", start_process(
            [pw, "serve", "--broker", amqp_url, "--config", str(config), "--db", db_url],
            directory / "serve.log", directory), directory / "serve.log")
        stack.callback(scheduler.stop)
        scheduler.wait_for_line("active scheduler:", START_LIMIT)
        hosts: list[Service] = []
        stack.callback(lambda: stop_all(hosts))
        for index in range(workers):
            log = directory / f"worker-{index + 1}.log"
            hosts.append(Service(f"presswatch worker {index + 1}", start_process(
                [pw, "worker", "--broker", amqp_url, "--db", db_url, "--config", str(config)],
                log, directory), log))
        for host in hosts:
            host.wait_for_line("worker ready:", START_LIMIT)
        archive = Archive(pg_url)
        stack.callback(archive.close)
        run = Run(options, workers, directory, amqp_url, db_url.rsplit("/", 1)[-1], archive, server, scheduler,
                  hosts, beam_pids())
        figures["first_crawl"] = first_crawl(run, expected_articles, started, state, label)
        figures["first_crawl"]["settle_seconds"] = settle(run, state, label)
        start = run.snapshot()
        window(run, state, label)
        end = run.snapshot()
        figures["stop"] = {"scheduler": scheduler.stop()}  # no due run after the window's
        expected = sent_due_times(start, end, options.interval)
        figures["drain"] = drain(run, expected, start.at, state, label)
        figures["worker_hosts_idle"] = idle_cpu(run, state, label)
        figures["stop"]["workers"] = stop_all(hosts)
        figures["queues_after"] = queue_depths(amqp_url)
        figures.update(analyse(run, start, end, expected, figures["broker"]["rabbitmq_background"]))
        figures["machine"]["load_average_after"] = round(os.getloadavg()[0], 2)


def run_local(options: Options, directory: Path, figures: dict[str, Any], state: State) -> None:
    """The baseline: the same workload (sources, config, fresh PostgreSQL database) run by one
    plain `presswatch serve --config FILE --db URL`: no broker, no worker process; its crawl
    workers are its own children. Same first crawl, settling and window; SIGTERM right after
    the window (its runs have no due time to drain or check)."""
    directory.mkdir(parents=True, exist_ok=True)
    label = LOCAL
    figures["machine"] = {"cpus": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2)}
    with ExitStack() as stack:
        state.reached = f"{label}: creating the database"
        db_url, pg_url = stack.enter_context(fresh_database(options.pg_url))
        server = stack.enter_context(site_server(site_options(options), directory / "server.log"))
        expected_articles = sum(server.releases)
        config = directory / "sources.toml"
        config.write_text(config_text(site_options(options), server.port), encoding="utf-8")
        progress(f"{label}: {options.sources} sources on port {server.port}, {expected_articles:,} releases, "
                 f"database {db_url.rsplit('/', 1)[-1]}; logs in {directory}")
        state.reached = f"{label}: starting serve"
        started = time.monotonic()
        service = Service("presswatch serve", start_process(
            [str(options.presswatch), "serve", "--config", str(config), "--db", db_url],
            directory / "serve.log", directory), directory / "serve.log")
        stack.callback(service.stop)
        service.wait_for_line(f"serving {options.sources} source(s)", START_LIMIT)
        archive = Archive(pg_url)
        stack.callback(archive.close)
        run = Run(options, 0, directory, None, db_url.rsplit("/", 1)[-1], archive, server, service, [], [])
        figures["first_crawl"] = first_crawl(run, expected_articles, started, state, label)
        figures["first_crawl"]["settle_seconds"] = settle(run, state, label)
        start = run.snapshot()
        window(run, state, label)
        end = run.snapshot()
        figures["stop"] = {"scheduler": service.stop()}
        figures.update(analyse_local(run, start, end))
        figures["machine"]["load_average_after"] = round(os.getloadavg()[0], 2)


def first_crawl(run: Run, expected: int, started: float, state: State, label: str) -> dict[str, Any]:
    """Until every initial release is archived (Broken past FIRST_CRAWL_LIMIT)."""
    next_progress = time.monotonic() + PROGRESS_EVERY
    articles = 0
    while True:
        run.check()
        articles = run.archive.count_articles() or articles
        elapsed = time.monotonic() - started
        state.reached = f"{label}: first crawl: {articles:,}/{expected:,} articles after {elapsed:.0f} s"
        if articles >= expected:
            return {"seconds": round(elapsed, 1), "articles": articles, "expected": expected}
        if elapsed > FIRST_CRAWL_LIMIT:
            raise Broken(f"the first crawl did not finish within {FIRST_CRAWL_LIMIT:.0f} s")
        if time.monotonic() >= next_progress:
            progress(f"{label}: first crawl: {articles:,}/{expected:,} articles, {elapsed:.0f} s")
            next_progress += PROGRESS_EVERY
        time.sleep(POLL)


def settle(run: Run, state: State, label: str) -> float:
    """After the first crawl: one interval more, and until its runs (those started before) have
    ended, so that the window sees only the steady checks of unchanged sources. Seconds waited."""
    started, since = time.monotonic(), time.time()
    while True:
        run.check()
        waited = time.monotonic() - started
        state.reached = f"{label}: settling after the first crawl, {waited:.0f} s"
        going = run.archive.rows("SELECT count(*) FROM crawl_runs WHERE status = 'running' "
                                 "AND started_at < to_timestamp(%s)", (since,))[0][0]
        if (waited >= run.options.interval and not going) or waited >= SETTLE_LIMIT:
            return round(waited, 1)
        time.sleep(POLL)


def idle_cpu(run: Run, state: State, label: str) -> list[float]:
    """Each worker host process's own CPU-s per s with no run to do (after the drain)."""
    state.reached = f"{label}: worker hosts idle"
    before = [host.cpu()[1] for host in run.hosts]
    time.sleep(IDLE_SECONDS)
    after = [host.cpu()[1] for host in run.hosts]
    return [round((b - a) / IDLE_SECONDS, 4) for a, b in zip(before, after, strict=True)]


def window(run: Run, state: State, label: str) -> None:
    start = time.monotonic()
    end, next_progress = start + run.options.window, start + PROGRESS_EVERY
    since = time.time()
    while (now := time.monotonic()) < end:
        run.check()
        state.reached = f"{label}: steady window: {now - start:.0f}/{run.options.window:.0f} s"
        if now >= next_progress:
            done = run.archive.rows("SELECT count(*) FROM crawl_runs WHERE status IN ('ok', 'failed') "
                                    "AND finished_at >= to_timestamp(%s)", (since,))[0][0]
            waiting = ("" if run.amqp_url is None else
                       f", {queue_depths(run.amqp_url)[QUEUES[0]]} waiting in the queue")
            progress(f"{label}: window {now - start:.0f}/{run.options.window:.0f} s: {done:,} runs completed"
                     f"{waiting}")
            next_progress += PROGRESS_EVERY
        time.sleep(max(0.0, min(end, now + POLL) - time.monotonic()))


def sent_due_times(start: Snapshot, end: Snapshot, interval: int) -> dict[str, list[float]]:
    """Per source, the due times the scheduler sent between the two snapshots.

    The interval trigger is exact (next = last due + interval) and APScheduler moves a job on
    in the job store only after its executor (serve's sender, which waits for RabbitMQ's
    confirmation) returned, so they are the grid points from the job's next due time at the
    start up to (not including) its next due time at the end. A send that failed (serve logs
    it) or a fire coalesced by a late scheduler is among them, and shows up as lost.
    """
    sent: dict[str, list[float]] = {}
    for name, first in start.next_due.items():
        last = end.next_due.get(name)
        if first is None or last is None:
            continue
        count = max(0, round((last - first) / interval))
        sent[name] = [first + k * interval for k in range(count)]
    return sent


def missing(expected: dict[str, list[float]], completed: dict[str, list[float]]) -> list[tuple[str, float]]:
    """The expected (source, due time) pairs with no completed run (matched within MATCH seconds)."""
    absent = []
    for name, dues in expected.items():
        done = completed.get(name, [])
        for due in dues:
            at = bisect.bisect_left(done, due - MATCH)
            if at == len(done) or done[at] > due + MATCH:
                absent.append((name, due))
    return absent


def drain(run: Run, expected: dict[str, list[float]], since: float, state: State, label: str) -> dict[str, Any]:
    """Until every due run sent in the window completed (or was skipped by a worker), no progress
    for NO_PROGRESS s (QUIET s with nothing queued or running), or --drain s."""
    url = run.amqp_url
    assert url is not None, "the local serve has no drain"
    started = time.monotonic()
    last_count, last_change = -1, started
    next_progress = started + PROGRESS_EVERY
    while True:
        run.check()
        left = missing(expected, run.archive.completed_due(since - run.options.interval))
        if left:  # a due run a worker skipped (its source's last run still going on) never completes
            verdicts = worker_verdicts(run)
            left = [(name, due) for name, due in left if (name, iso_seconds(due)) not in verdicts]
        now = time.monotonic()
        if len(left) != last_count:
            last_count, last_change = len(left), now
        state.reached = f"{label}: drain: {len(left):,} due runs of the window not completed yet"
        idle = (now - last_change >= QUIET and not any(queue_depths(url).values())
                and not run.archive.rows("SELECT count(*) FROM crawl_runs WHERE status = 'running'")[0][0])
        stalled = idle or now - last_change >= NO_PROGRESS
        if not left or stalled or now - started >= run.options.drain:
            queues = queue_depths(url)
            return {"seconds": round(now - started, 1), "left": len(left), "stalled": stalled and bool(left),
                    "queues": queues, "cut_short": bool(left) and any(queues.values())}
        if now >= next_progress:
            progress(f"{label}: drain: {len(left):,} due runs of the window not completed yet, {now - started:.0f} s")
            next_progress += PROGRESS_EVERY
        time.sleep(POLL)


# --- figures ----------------------------------------------------------------------------------


def analyse(run: Run, start: Snapshot, end: Snapshot, expected: dict[str, list[float]],
            background: float | None) -> dict[str, Any]:
    options = run.options
    names = {source_name(i) for i in range(options.sources)}
    rows = run.archive.runs()
    seconds = end.at - start.at
    completed = [r for r in rows if r.status in ("ok", "failed")]
    in_window = [r for r in completed if r.finished is not None and start.at <= r.finished < end.at]
    started_in_window = Counter(r.status for r in rows if start.at <= r.started < end.at)
    due_expected = seconds / options.interval * options.sources
    sent = sum(len(dues) for dues in expected.values())

    done_by_source: dict[str, list[float]] = defaultdict(list)
    for r in completed:
        if r.due is not None:
            done_by_source[r.source].append(r.due)
    for dues in done_by_source.values():
        dues.sort()
    lost = missing(expected, done_by_source)
    verdicts = worker_verdicts(run)
    why = Counter(verdicts.get((name, iso_seconds(due)), "unexplained") for name, due in lost)
    doubles = Counter((r.source, r.due) for r in completed if r.due is not None)
    doubled = sorted((key, n) for key, n in doubles.items() if n > 1)

    waits = []  # due time -> start, for the window's due runs
    first_rows: dict[tuple[str, float], RunRow] = {}
    for r in completed:
        if r.due is not None:
            first_rows.setdefault((r.source, r.due), r)
    for name, dues in expected.items():
        done = done_by_source.get(name, [])
        for due in dues:
            at = bisect.bisect_left(done, due - MATCH)
            if at < len(done) and done[at] <= due + MATCH:
                waits.append(first_rows[(name, done[at])].started - due)

    gaps = 0  # due_at gaps between consecutive completed runs inside the window's due times
    for name, dues in expected.items():
        if not dues:
            continue
        inside = [d for d in done_by_source.get(name, []) if dues[0] - MATCH <= d <= dues[-1] + MATCH]
        gaps += sum(max(0, round((b - a) / options.interval) - 1) for a, b in itertools.pairwise(inside)
                    if b - a > 1.5 * options.interval)

    cpu = cpu_figures(start, end, len(in_window), background)
    cpu["per_sent_scheduler_ms"] = round(cpu["scheduler_s"] / sent * 1000, 4) if sent else None
    logs = log_figures(run)
    return {
        "window": {"start": start.at, "end": end.at, "seconds": round(seconds, 1),
                   "queues_start": start.queues, "queues_end": end.queues},
        "throughput": {
            "completed": len(in_window),
            "runs_per_second": round(len(in_window) / seconds, 2),
            "statuses": dict(Counter(r.status for r in in_window)),
            "started_by_status": dict(started_in_window),
            "due_expected": round(due_expected, 1),
            "due_sent": sent,
            "keep_up": round(len(in_window) / due_expected, 4) if due_expected else None,
            "on_time": round(sum(w <= options.interval for w in waits) / sent, 4) if sent else None,
            "wait_median": round(statistics.median(waits), 2) if waits else None,
            "wait_p95": round(percentile(waits, 0.95), 2) if waits else None,
            "wait_max": round(max(waits), 2) if waits else None,
        },
        "cpu": cpu,
        "correctness": {
            "checked": sent,
            "lost": len(lost),
            "lost_skipped": why["skipped"],
            "lost_covered": why["covered"],
            "lost_unexplained": why["unexplained"],
            "doubled": len(doubled),
            "gaps": gaps,
            "completed_all": len(completed),
            "rows_all": len(rows),
            "rows_by_status": dict(Counter(r.status for r in rows)),
            "completed_without_due_at": sum(r.due is None for r in completed),
            "foreign_sources": sorted({r.source for r in rows} - names)[:20],
            "lost_runs": [lost_detail(run, rows, name, due) for name, due in lost[:20]],
            "doubled_runs": [doubled_detail(run, rows, name, due, n) for (name, due), n in doubled[:20]],
        },
        "logs": logs,
    }


def analyse_local(run: Run, start: Snapshot, end: Snapshot) -> dict[str, Any]:
    """The local serve's window: runs/s, keep-up and CPU (its runs have no due_at: no lost or
    doubled check, no wait from due time to start)."""
    options = run.options
    rows = run.archive.runs()
    seconds = end.at - start.at
    in_window = [r for r in rows if r.status in ("ok", "failed") and r.finished is not None
                 and start.at <= r.finished < end.at]
    due_expected = seconds / options.interval * options.sources
    runs = len(in_window)

    def per_run(value: float, scale: float = 1.0) -> float | None:
        return round(value / runs * scale, 4) if runs else None

    tree = end.scheduler_cpu - start.scheduler_cpu
    own = end.scheduler_own_cpu - start.scheduler_own_cpu
    site = end.site_server_cpu - start.site_server_cpu
    postgres = sum(cpu - start.postgres.get(key, 0.0) for key, cpu in end.postgres.items())
    benchmark = end.benchmark_cpu - start.benchmark_cpu
    busy, total = (e - s for e, s in zip(end.machine, start.machine, strict=True))
    machine_s = busy / CLOCK_TICKS
    return {
        "window": {"start": start.at, "end": end.at, "seconds": round(seconds, 1)},
        "throughput": {
            "completed": runs,
            "runs_per_second": round(runs / seconds, 2),
            "statuses": dict(Counter(r.status for r in in_window)),
            "started_by_status": dict(Counter(r.status for r in rows if start.at <= r.started < end.at)),
            "due_expected": round(due_expected, 1),
            "keep_up": round(runs / due_expected, 4) if due_expected else None,
            "with_due_at": sum(r.due is not None for r in rows),
        },
        "cpu": {
            "service_tree_s": round(tree, 2),
            "service_own_s": round(own, 2),
            "crawl_workers_s": round(tree - own, 2),
            "site_server_s": round(site, 2),
            "per_run_service_tree_s": per_run(tree),
            "per_run_service_own_ms": per_run(own, 1000),
            "per_run_crawl_workers_s": per_run(tree - own),
            "per_run_site_server_ms": per_run(site, 1000),
            "postgres_s": round(postgres, 2),
            "per_run_postgres_ms": per_run(postgres, 1000),
            "machine_busy_share": round(busy / total, 4) if total else None,
            "machine_busy_s": round(machine_s, 1),
            "benchmark_s": round(benchmark, 2),
            "other_processes_s": round(machine_s - tree - postgres - site - benchmark, 1),
        },
        "logs": log_figures(run),
    }


def net_engine(figures: dict[str, Any], local: dict[str, Any] | None) -> None:
    """A broker configuration's net engine overhead per run: its engine overhead per run minus
    the local serve process's own CPU per run (None without the baseline), into its `cpu`."""
    cpu = figures.get("cpu")
    if cpu is None:
        return
    own = (local or {}).get("cpu", {}).get("per_run_service_own_ms")
    cpu["local_service_own_ms"] = own
    engine = cpu.get("engine_overhead_ms")
    cpu["net_engine_overhead_ms"] = None if own is None or engine is None else round(engine - own, 4)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def cpu_figures(start: Snapshot, end: Snapshot, runs: int, background: float | None) -> dict[str, Any]:
    trees = sum(end.worker_tree_cpu) - sum(start.worker_tree_cpu)
    hosts = sum(end.worker_own_cpu) - sum(start.worker_own_cpu)
    scheduler = end.scheduler_cpu - start.scheduler_cpu
    rabbitmq = (None if start.rabbitmq_cpu is None or end.rabbitmq_cpu is None
                else end.rabbitmq_cpu - start.rabbitmq_cpu)
    busy, total = (e - s for e, s in zip(end.machine, start.machine, strict=True))

    def per_run(value: float | None, scale: float = 1.0) -> float | None:
        return None if value is None or not runs else round(value / runs * scale, 4)

    engine = scheduler + hosts + (rabbitmq or 0.0)
    rabbitmq_net = (None if rabbitmq is None or background is None
                    else max(0.0, rabbitmq - background * (end.at - start.at)))
    # Backends that ended within the window took their CPU with them: a lower bound.
    postgres = sum(cpu - start.postgres.get(key, 0.0) for key, cpu in end.postgres.items())
    site = end.site_server_cpu - start.site_server_cpu
    benchmark = end.benchmark_cpu - start.benchmark_cpu
    machine_s = busy / CLOCK_TICKS
    others = machine_s - trees - scheduler - (rabbitmq or 0.0) - postgres - site - benchmark
    return {
        "worker_trees_s": round(trees, 2),
        "worker_hosts_s": round(hosts, 2),
        "crawl_subprocesses_s": round(trees - hosts, 2),
        "scheduler_s": round(scheduler, 2),
        "rabbitmq_s": None if rabbitmq is None else round(rabbitmq, 2),
        "site_server_s": round(end.site_server_cpu - start.site_server_cpu, 2),
        "per_run_worker_trees_s": per_run(trees),
        "per_run_crawl_subprocesses_s": per_run(trees - hosts),
        "per_run_worker_hosts_ms": per_run(hosts, 1000),
        "per_run_scheduler_ms": per_run(scheduler, 1000),
        "per_run_rabbitmq_ms": per_run(rabbitmq, 1000),
        "rabbitmq_background_per_s": background,
        "per_run_rabbitmq_net_ms": per_run(rabbitmq_net, 1000),
        "per_run_site_server_ms": per_run(end.site_server_cpu - start.site_server_cpu, 1000),
        "engine_overhead_ms": per_run(engine, 1000),
        "engine_target_ms": ENGINE_TARGET_MS,
        "machine_busy_share": round(busy / total, 4) if total else None,
        "machine_busy_s": round(machine_s, 1),
        "postgres_s": round(postgres, 2),
        "per_run_postgres_ms": per_run(postgres, 1000),
        "benchmark_s": round(benchmark, 2),
        "other_processes_s": round(others, 1),
        "per_worker_tree_s": [round(e - s, 2) for e, s in zip(end.worker_tree_cpu, start.worker_tree_cpu, strict=True)],
    }


def iso_seconds(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").removesuffix("+00:00")


def logged_at(line: str) -> float | None:
    """The Unix time of a log line's time (ISO 8601 with its offset: `2025-01-31T12:00:00.123+00:00`,
    crawler/logs.py), if it has one."""
    try:
        return datetime.fromisoformat(line.split(" ", 1)[0]).timestamp()
    except ValueError:
        return None


def mentions(run: Run, name: str, due: float) -> list[str]:
    """Log lines naming the source that name this due time or were logged from 1 interval before
    it to 4 after (the run's own line, a skip, a give-back)."""
    pattern = re.compile(rf"source={re.escape(name)}\b")
    due_text = iso_seconds(due)
    found = []
    for service in [run.scheduler, *run.hosts]:
        with suppress(OSError):
            for line in service.log.read_text(encoding="utf-8", errors="replace").splitlines():
                if not pattern.search(line):
                    continue
                at = logged_at(line)
                near = at is not None and due - run.options.interval <= at <= due + 4 * run.options.interval
                if due_text in line or near:
                    found.append(f"{service.log.name}: {line}")
    return found


def rows_text(rows: list[RunRow], name: str, due: float, spread: float) -> list[str]:
    return [f"id={r.id} status={r.status} due={None if r.due is None else iso_seconds(r.due)} "
            f"started={iso_seconds(r.started)} finished={None if r.finished is None else iso_seconds(r.finished)} "
            f"host={r.host} pid={r.pid}"
            for r in rows if r.source == name and (r.due is None or abs(r.due - due) <= spread)]


def lost_detail(run: Run, rows: list[RunRow], name: str, due: float) -> dict[str, Any]:
    near = rows_text(rows, name, due, 1.5 * run.options.interval)
    return {"source": name, "due": iso_seconds(due), "rows_near": near, "log_lines": mentions(run, name, due)[:12]}


def doubled_detail(run: Run, rows: list[RunRow], name: str, due: float, n: int) -> dict[str, Any]:
    return {"source": name, "due": iso_seconds(due), "completed_rows": n, "rows": rows_text(rows, name, due, MATCH),
            "log_lines": mentions(run, name, due)[:12]}


def worker_verdicts(run: Run) -> dict[tuple[str, str], str]:
    """What the workers logged about due runs they did not run, by (source, due time to the
    second): "skipped" (`check skipped`: the source's last run still going on) or "covered"
    (`already run`: a run for that due time, or a later one, had completed)."""
    found = {}
    for host in run.hosts:
        with suppress(OSError):
            for match in DUE_LINE.finditer(host.log.read_text(encoding="utf-8", errors="replace")):
                due = datetime.fromisoformat(match.group(2))
                kind = "skipped" if match.group(3) == "check skipped" else "covered"
                found[(match.group(1), iso_seconds(due.timestamp()))] = kind
    return found


def log_figures(run: Run) -> dict[str, Any]:
    """What the worker and serve logs say, over the whole configuration (shutdown included)."""
    statuses: Counter[str] = Counter()
    events: Counter[str] = Counter()
    problems: Counter[str] = Counter()  # warnings and errors other than run lines, told apart by their text
    first_seen: dict[str, str] = {}
    for service in [run.scheduler, *run.hosts]:
        try:
            text = service.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if (run_line := RUN_LINE.search(line)) and " due at " not in line:
                statuses[run_line.group(2)] += 1
            if (due_line := DUE_LINE.search(line)) is not None:
                events[due_line.group(3)] += 1
            if GIVEN_BACK.search(line):
                events["given back"] += 1
            if (level := LEVEL.search(line)) is not None or line.startswith("Traceback"):
                kind = "warnings" if level is not None and level.group(1) == "WARNING" else "errors"
                events[f"{service.log.stem.split('-')[0]} {kind}"] += 1
                if " status=" not in line:
                    shape = f"{service.log.stem.split('-')[0]}: {message_shape(line)}"
                    problems[shape] += 1
                    first_seen.setdefault(shape, f"{service.log.name}: {line[:400]}")
    return {"run_lines": dict(statuses), "events": dict(events),
            "problem_lines": [f"{n:,} x {first_seen[shape]}" for shape, n in problems.most_common(12)]}


def message_shape(line: str) -> str:
    """A log line without its time, numbers and source names: what repeats of one problem share."""
    text = LEVEL.sub(lambda m: m.group(1), line, count=1)
    text = re.sub(r"\{.*\}", "{...}", text)
    return re.sub(r"\d+", "N", text)[:160]


# --- report -------------------------------------------------------------------------------------


Row = tuple[str, str, str]


def ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f} ms"


def configuration_rows(o: Options, f: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    if "broker" in f:
        rows.append(("broker", f"RabbitMQ, {f['broker']['isolation']}", ""))
    if "first_crawl" in f:
        first = f["first_crawl"]
        rows.append(("first full crawl", (f"{first['seconds']:,.1f} s from starting serve, "
                     f"{first['articles']:,}/{first['expected']:,} articles"), ""))
    if "throughput" in f:
        t, w = f["throughput"], f["window"]
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(t["statuses"].items())) or "none"
        started = ", ".join(f"{k} {v:,}" for k, v in sorted(t["started_by_status"].items())) or "none"
        rows.append(("runs completed (window)", (f"{t['runs_per_second']:.2f} runs/s: {t['completed']:,} in "
                     f"{w['seconds']:g} s ({statuses}); started in the window: {started}"), ""))
        q0, q1 = w["queues_start"][QUEUES[0]], w["queues_end"][QUEUES[0]]
        rows.append(("due runs sent (window)", (f"{t['due_sent']:,} (expected {t['due_expected']:,.0f} = "
                     f"{w['seconds']:g} s / {o.interval} s x {o.sources:,} sources); "
                     f"queue ready: {q0} at start, {q1} at end"), ""))
        waits = ("?" if t["wait_median"] is None else
                 f"median {t['wait_median']:g} s, p95 {t['wait_p95']:g} s, max {t['wait_max']:g} s")
        on_time = "?" if t["on_time"] is None else f"{t['on_time'] * 100:.1f} %"
        rows.append(("keep-up", (f"{t['keep_up'] * 100:.1f} % (runs completed / due runs expected); {on_time} of "
                     f"the due runs sent started within an interval; due time -> run start: {waits}"), ""))
    if "cpu" in f:
        c = f["cpu"]
        per = c["per_run_worker_trees_s"]
        rows.append(("CPU per run", (
            f"worker trees {'?' if per is None else f'{per:.4f}'} s "
            f"(crawl subprocesses {c['per_run_crawl_subprocesses_s']} s, worker hosts "
            f"{ms(c['per_run_worker_hosts_ms'])}); scheduler {ms(c['per_run_scheduler_ms'])} "
            f"({ms(c.get('per_sent_scheduler_ms'))} per due run sent); "
            f"RabbitMQ {ms(c['per_run_rabbitmq_ms'])} ({ms(c['per_run_rabbitmq_net_ms'])} without its "
            f"background of {c['rabbitmq_background_per_s']} CPU-s/s); "
            f"site server {ms(c['per_run_site_server_ms'])}; PostgreSQL >= {ms(c.get('per_run_postgres_ms'))}"),
            ""))
        rows.append(("engine overhead per run", (
            f"{ms(c['engine_overhead_ms'])} CPU (scheduler {c['scheduler_s']:g} + RabbitMQ {c['rabbitmq_s']} + "
            f"worker hosts {c['worker_hosts_s']:g} CPU-s / {f['throughput']['completed']:,} runs)"),
            TARGETS["engine"]))
        net, own = c.get("net_engine_overhead_ms"), c.get("local_service_own_ms")
        rows.append(("net engine overhead per run", (
            f"{ms(net)} CPU (engine overhead {ms(c['engine_overhead_ms'])} - the {LOCAL} process's own "
            f"{ms(own)} per run, without its crawl workers)" if own is not None else
            f"? (no {LOCAL} baseline{': --no-local' if not o.local else ''})"), TARGETS["net_engine"]))
        if f.get("worker_hosts_idle") and f["throughput"]["completed"]:
            idle = f["worker_hosts_idle"]
            share = sum(idle) * f["window"]["seconds"] / f["throughput"]["completed"] * 1000
            rows.append(("worker hosts idle", (
                f"{', '.join(f'{v:g}' for v in idle)} CPU-s/s with nothing to run (after the drain): "
                f"{share:.2f} ms of the per-run figure"), ""))
        busy = c["machine_busy_share"]
        m = f["machine"]
        rows.append(("machine", (
            f"{'?' if busy is None else f'{busy * 100:.0f} %'} busy of {m['cpus']} CPUs in the window = "
            f"{c['machine_busy_s']:g} CPU-s: worker trees {c['worker_trees_s']:g} "
            f"({', '.join(map(str, c['per_worker_tree_s']))}), scheduler {c['scheduler_s']:g}, RabbitMQ "
            f"{c['rabbitmq_s']}, PostgreSQL backends >= {c['postgres_s']:g}, site server {c['site_server_s']:g}, "
            f"this benchmark {c['benchmark_s']:g}, other processes {c['other_processes_s']:g}; "
            f"load average {m['load_average']} before, {m.get('load_average_after', '?')} after"), ""))
    if "correctness" in f:
        k, d = f["correctness"], f["drain"]
        unexplained = f"{k['lost_unexplained']:,} unexplained"
        if d.get("cut_short") and k["lost_unexplained"]:
            unexplained += f" (the drain ended with {d['queues'][QUEUES[0]]} runs still queued: not run yet)"
        rows.append(("correctness", (
            f"{k['checked']:,} due runs sent in the window, after {d['seconds']:g} s of drain: "
            f"{k['lost']:,} lost = {k['lost_skipped']:,} skipped by a worker (the source's last run still "
            f"going on) + {k.get('lost_covered', 0):,} not run as a later due time's run had completed + "
            f"{unexplained}; {k['doubled']:,} doubled (over all {k['completed_all']:,} completed "
            f"runs); due_at gaps {k['gaps']:,}; rows by status: "
            + ", ".join(f"{s} {n:,}" for s, n in sorted(k["rows_by_status"].items()))), TARGETS["correct"]))
        if k["completed_without_due_at"] or k["foreign_sources"]:
            rows.append(("unexpected rows", (f"{k['completed_without_due_at']} completed without due_at; "
                         f"foreign sources {k['foreign_sources']}"), ""))
    if "logs" in f:
        lg = f["logs"]
        lines = ", ".join(f"{k} {v:,}" for k, v in sorted(lg["run_lines"].items())) or "none"
        events = ", ".join(f"{k} {v:,}" for k, v in sorted(lg["events"].items())) or "none"
        rows.append(("logs", f"run lines: {lines}; other: {events}", ""))
    if "stop" in f:
        s = f["stop"]
        text = f"serve: {stop_text(s['scheduler'])}"
        if "workers" in s:
            text += "; workers: " + "; ".join(stop_text(w) for w in s["workers"])
        rows.append(("SIGTERM", text, ""))
    return rows


def local_rows(o: Options, f: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    if "first_crawl" in f:
        first = f["first_crawl"]
        rows.append(("first full crawl", (f"{first['seconds']:,.1f} s from starting serve, "
                     f"{first['articles']:,}/{first['expected']:,} articles"), ""))
    if "throughput" in f:
        t, w = f["throughput"], f["window"]
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(t["statuses"].items())) or "none"
        started = ", ".join(f"{k} {v:,}" for k, v in sorted(t["started_by_status"].items())) or "none"
        rows.append(("runs completed (window)", (f"{t['runs_per_second']:.2f} runs/s: {t['completed']:,} in "
                     f"{w['seconds']:g} s ({statuses}); started in the window: {started}"), ""))
        keep_up = "?" if t["keep_up"] is None else f"{t['keep_up'] * 100:.1f} %"
        rows.append(("keep-up", (f"{keep_up} (runs completed / due runs expected = {w['seconds']:g} s / "
                     f"{o.interval} s x {o.sources:,} sources = {t['due_expected']:,.0f}); no due_at on its "
                     f"runs ({t['with_due_at']:,} rows have one): no lost/doubled check"), ""))
    if "cpu" in f:
        c = f["cpu"]
        tree = c["per_run_service_tree_s"]
        rows.append(("CPU per run", (
            f"service process {ms(c['per_run_service_own_ms'])} (its own utime + stime, without its crawl "
            f"workers); whole tree {'?' if tree is None else f'{tree:.4f}'} s (crawl workers and their parse "
            f"workers {c['per_run_crawl_workers_s']} s); site server {ms(c['per_run_site_server_ms'])}; "
            f"PostgreSQL >= {ms(c['per_run_postgres_ms'])}"), ""))
        busy = c["machine_busy_share"]
        m = f["machine"]
        rows.append(("machine", (
            f"{'?' if busy is None else f'{busy * 100:.0f} %'} busy of {m['cpus']} CPUs in the window = "
            f"{c['machine_busy_s']:g} CPU-s: serve tree {c['service_tree_s']:g} (own {c['service_own_s']:g}, "
            f"crawl workers {c['crawl_workers_s']:g}), PostgreSQL backends >= {c['postgres_s']:g}, site server "
            f"{c['site_server_s']:g}, this benchmark {c['benchmark_s']:g}, other processes "
            f"{c['other_processes_s']:g}; load average {m['load_average']} before, "
            f"{m.get('load_average_after', '?')} after"), ""))
    if "logs" in f:
        lg = f["logs"]
        lines = ", ".join(f"{k} {v:,}" for k, v in sorted(lg["run_lines"].items())) or "none"
        events = ", ".join(f"{k} {v:,}" for k, v in sorted(lg["events"].items())) or "none"
        rows.append(("logs", f"run lines: {lines}; other: {events}", ""))
    if "stop" in f:
        rows.append(("SIGTERM", f"serve: {stop_text(f['stop']['scheduler'])}", ""))
    return rows


def stop_text(stop: dict[str, Any]) -> str:
    if stop["exited_before"]:
        return f"had exited ({stop['exit']})"
    how = "SIGKILL" if stop["killed"] else f"exit {stop['exit']}"
    return f"{how} after {stop['seconds']} s" + (f", {stop['leftover_processes']} leftovers"
                                                 if stop["leftover_processes"] else "")


def report(state: State) -> list[str]:
    o = state.options
    lines = [(f"scale out: {o.sources:,} sources, interval {o.interval} s, window {o.window:g} s, "
             f"{LOCAL + ' then ' if o.local else ''}worker processes {', '.join(map(str, o.workers))} "
             f"(each 1 crawl worker), {o.presswatch}")]
    if "local" in state.figures:
        lines += local_block(o, state.figures["local"])
    for workers, f in state.figures.get("configurations", {}).items():
        lines += configuration_block(o, int(workers), f)
    lines += summary(state)
    return lines


def row_lines(title: str, rows: list[Row]) -> list[str]:
    lines = [f"-- {title} --"]
    width = max((len(label) for label, _, _ in rows), default=0)
    for label, value, target in rows:
        lines.append(f"  {label:<{width}}  {value}")
        if target:
            lines.append(f"  {'':<{width}}  target: {target}")
    return lines


def local_block(o: Options, f: dict[str, Any]) -> list[str]:
    lines = row_lines(LOCAL, local_rows(o, f))
    lines += [f"  log: {line}" for line in f.get("logs", {}).get("problem_lines", [])[:10]]
    return lines


def configuration_block(o: Options, workers: int, f: dict[str, Any]) -> list[str]:
    lines = row_lines(f"{workers} worker process{'es' if workers > 1 else ''}", configuration_rows(o, f))
    c = f.get("correctness", {})
    for lost in c.get("lost_runs", [])[:PRINTED_DETAILS]:
        lines.append(f"  LOST {lost['source']} due {lost['due']}:")
        lines += [f"    row {row}" for row in lost["rows_near"]]
        lines += [f"    log {line}" for line in lost["log_lines"]]
    for doubled in c.get("doubled_runs", [])[:PRINTED_DETAILS]:
        lines.append(f"  DOUBLED {doubled['source']} due {doubled['due']}:")
        lines += [f"    row {row}" for row in doubled["rows"]]
        lines += [f"    log {line}" for line in doubled["log_lines"]]
    for line in f.get("logs", {}).get("problem_lines", [])[:10]:
        lines.append(f"  log: {line}")
    return lines


def summary(state: State) -> list[str]:
    done = {int(w): f for w, f in state.figures.get("configurations", {}).items() if "throughput" in f}
    local = state.figures.get("local")
    local = local if local and "throughput" in local else None
    if not done and local is None:
        return []
    lines = ["summary:",
             ("  workers  runs/s  keep-up  tree CPU-s/run  engine ms/run  net ms/run  machine busy  due runs"
              "  lost (skipped, covered)  doubled")]
    if local is not None:
        t, c = local["throughput"], local["cpu"]
        busy = "?" if c["machine_busy_share"] is None else f"{c['machine_busy_share'] * 100:.0f} %"
        lines.append(
            f"  {'local':>7}  {t['runs_per_second']:>6.2f}  {(t['keep_up'] or 0) * 100:>6.1f}%  "
            f"{c['per_run_service_tree_s'] or 0:>14.4f}  {'-':>13}  {'-':>10}  {busy:>12}  {'-':>8}  {'-':>23}  "
            f"{'-':>7}")
    for w, f in sorted(done.items()):
        t, c, k = f["throughput"], f["cpu"], f["correctness"]
        busy = "?" if c["machine_busy_share"] is None else f"{c['machine_busy_share'] * 100:.0f} %"
        lost = f"{k['lost']:,} ({k['lost_skipped']:,}, {k.get('lost_covered', 0):,})"
        net = c.get("net_engine_overhead_ms")
        lines.append(
            f"  {w:>7}  {t['runs_per_second']:>6.2f}  {t['keep_up'] * 100:>6.1f}%  "
            f"{c['per_run_worker_trees_s'] or 0:>14.4f}  {c['engine_overhead_ms'] or 0:>13.2f}  "
            f"{'?' if net is None else f'{net:.2f}':>10}  "
            f"{busy:>12}  {k['checked']:>8,}  {lost:>23}  {k['doubled']:>7}")
    lines.append("  (tree CPU-s/run: the local serve's whole tree, or the worker processes' trees; "
                 "net = engine - the local serve process's own CPU per run)")
    text = "scale out: "
    if local is not None:
        own = local["cpu"]["per_run_service_own_ms"]
        text += (f"{LOCAL} {local['throughput']['runs_per_second']:.2f} runs/s, its service process "
                 f"{'?' if own is None else f'{own:.1f}'} ms CPU per run; ")
    if not done:
        lines.append(text.removesuffix("; "))
        return lines
    base = min(done)
    rate = {w: f["throughput"]["runs_per_second"] for w, f in done.items()}
    rates = " -> ".join(f"{rate[w]:.2f}" for w in sorted(done))
    gain = ", ".join(f"x{rate[w] / rate[base]:.2f}" for w in sorted(done) if w != base and rate[base])
    engine = "/".join(f"{done[w]['cpu']['engine_overhead_ms'] or 0:.1f}" for w in sorted(done))
    nets = [done[w]["cpu"].get("net_engine_overhead_ms") for w in sorted(done)]
    net = "/".join("?" if n is None else f"{n:.1f}" for n in nets)
    checked = sum(f["correctness"]["checked"] for f in done.values())
    lost = sum(f["correctness"]["lost"] for f in done.values())
    skipped = sum(f["correctness"]["lost_skipped"] for f in done.values())
    covered = sum(f["correctness"].get("lost_covered", 0) for f in done.values())
    doubled = sum(f["correctness"]["doubled"] for f in done.values())
    lines.append(
        f"{text}{'/'.join(map(str, sorted(done)))} workers: {rates} runs/s"
        f"{f' ({gain} vs {base})' if gain else ''} of {state.options.sources / state.options.interval:g} due/s; "
        f"engine overhead {engine} ms CPU per run (target <= {ENGINE_TARGET_MS:g}), "
        f"net of the local serve {net} ms (target <= {ENGINE_TARGET_MS:g}); "
        f"{lost} lost ({skipped} skipped, {covered} covered by a later run, {lost - skipped - covered} "
        f"unexplained), {doubled} doubled "
        f"of {checked:,} due runs checked")
    return lines


def write_json(state: State, outcome: str) -> None:
    if state.options.json is None:
        return
    options = asdict(state.options) | {"presswatch": str(state.options.presswatch), "json": str(state.options.json),
                                        "workdir": str(state.options.workdir),
                                        "amqp_url": masked(state.options.amqp_url)}
    record = {"options": options, "outcome": outcome, "reached": state.reached, "targets": TARGETS,
              **state.figures}
    state.options.json.parent.mkdir(parents=True, exist_ok=True)
    state.options.json.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")


def interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    state = State(options)
    signal.signal(signal.SIGTERM, interrupt)  # clean up as on Ctrl-C
    signal.signal(signal.SIGINT, interrupt)  # even when started with SIGINT ignored (a background job)
    outcome, status = "ok", 0
    configurations: dict[str, Any] = state.figures.setdefault("configurations", {})
    try:
        with work_directory(options.workdir, prefix="presswatch-scale-") as workdir:
            if options.local:
                local = state.figures.setdefault("local", {})
                run_local(options, workdir / "local", local, state)
                for line in local_block(options, local):
                    progress(line)
            for workers in options.workers:
                figures = configurations.setdefault(str(workers), {})
                run_configuration(options, workers, workdir / f"workers-{workers}", figures, state)
                net_engine(figures, state.figures.get("local"))
                for line in configuration_block(options, workers, figures):
                    progress(line)
    except Broken as exc:
        outcome, status = f"broken: {exc}", 1
    except KeyboardInterrupt:
        outcome, status = "interrupted", 130
    for line in report(state):
        print(line)
    if status:
        print(f"scale_out: {outcome}\n  reached: {state.reached}")
    write_json(state, outcome)
    return status


if __name__ == "__main__":
    sys.exit(main())
