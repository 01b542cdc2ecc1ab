"""Watch scale: can one `presswatch serve` keep up with many sources from one machine?

    .venv/bin/python benchmarks/watch_scale.py --quick     # 100 sources, 30 s interval (CI, ~3 min)
    .venv/bin/python benchmarks/watch_scale.py             # 1,000 sources, 60 s interval
    .venv/bin/python benchmarks/watch_scale.py --sources 300 --service workers=2 --json out.json
    .venv/bin/python benchmarks/watch_scale.py --presswatch ../old/.venv/bin/presswatch --sources 50

Starts `benchmarks/watch_server.py` (one process serving N small press sites, each on its
own loopback address 127.0.x.y with robots.txt, a listing, an RSS feed and 8-10 releases),
writes a sources TOML with one source per site at `interval = "<interval>s"` (presswatch's
default politeness: no `[crawl]` table unless `--crawl KEY=VALUE` asks for one; a
`[service]` table only with `--service KEY=VALUE`), and starts
`presswatch serve --config FILE --db sqlite:///WORKDIR/watch.db`. It drives only that
command and reads the archive directly with `sqlite3`. Then:

1. first full crawl: the time until every initial release of every source is in
   `articles` (polled every second);
2. steady window (`--window`, default 3 intervals): a new release on a random 10 % of
   the sources, at random times over the window (`--seed`); after the window, up to
   interval + 60 s more for the last ones to be archived and the window's runs to end
   (not counted in keep-up);
3. SIGTERM, and how long the service takes to exit (SIGKILL after 60 s).

It prints the first crawl's time and articles; keep-up (the share of due checks done in
the window: `crawl_runs` started in it against window / interval per source, and the
share of sources with at least floor(window / interval) - 1 checks); runs by status;
the delay from each publication to its `articles.first_seen_at`; CPU seconds per check
of the service's whole process tree (see `benchmarks/proctree.py`); the tree's peak RSS
(and PSS) sampled every 0.5 s; and the targets next to the figures.

It reports figures and never judges them: the exit status is non-zero only when the
benchmark itself breaks (the service exits early, the archive cannot be read, the first
crawl does not finish within 20 minutes, or the tree passes `--max-rss-gb`); it then
prints what was reached.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import queue
import random
import re
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from measure import log_tail, work_directory
from proctree import CLOCK_TICKS, TreeSampler, read_stat, sample_tree, still_running
from watch_server import address, publisher, source_name

PRESSWATCH = Path(sys.executable).with_name("presswatch")
SERVER_SCRIPT = Path(__file__).resolve().with_name("watch_server.py")
FIRST_CRAWL_LIMIT = 20 * 60.0  # seconds: past this the benchmark gives up
TAIL_EXTRA = 60.0  # after the window, wait up to interval + this for the last releases
STOP_WAIT = 60.0  # SIGTERM, then SIGKILL after this
POLL = 1.0
PROGRESS_EVERY = 10.0
PUBLISH_SHARE = 0.10
SERVER_TIMEOUT = 30.0
PR_SET_PDEATHSIG = 1
RUN_STATUS = re.compile(r"source=(\S+) status=(\S+)")
TARGETS = {
    "keep_up": "1,000 sources at 60 s kept up: >= 95 % of due checks done",
    "delay": "new releases archived within interval + 30 s",
    "cpu": "<= 0.05 CPU-s per check of an unchanged source",
    "rss": "service tree <= 1 GB RSS",
}


class Broken(Exception):
    """The benchmark itself cannot go on (not a slow service: that is a figure)."""


@dataclass(frozen=True, slots=True)
class Options:
    sources: int
    interval: int
    window: float
    seed: int
    releases: int
    presswatch: Path
    crawl: tuple[tuple[str, str], ...]
    service: tuple[tuple[str, str], ...]
    max_rss_gb: float
    json: Path | None
    workdir: Path | None


@dataclass(frozen=True, slots=True)
class Publication:
    source: int
    name: str
    url: str
    path: str
    published: float  # Unix time


@dataclass(frozen=True, slots=True)
class RunRow:
    source: str
    started: float  # Unix time
    status: str


@dataclass(slots=True)
class State:
    """What the benchmark reached so far: printed in full, or as far as it got."""

    options: Options
    figures: dict[str, Any] = field(default_factory=dict)
    reached: str = "starting"


# --- options ------------------------------------------------------------------------------


def toml_setting(text: str) -> tuple[str, str]:
    """`KEY=VALUE` with VALUE a TOML value, kept verbatim (`workers=2`, `user_agent="x"`)."""
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not re.fullmatch(r"[A-Za-z0-9_-]+", key) or not value:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        tomllib.loads(f"{key} = {value}")
    except tomllib.TOMLDecodeError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a TOML value ({exc})") from None
    return key, value


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, help="sources (default 1000; --quick: 100)")
    parser.add_argument("--quick", action="store_true",
                        help="CI: 100 sources, interval 30 s, window 60 s (about 3 minutes)")
    parser.add_argument("--interval", type=int, help="seconds between checks (default 60)")
    parser.add_argument("--window", type=float, help="steady window, s (default 3 intervals)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--releases", type=int, default=8,
                        help="source i starts with RELEASES + i %% 3 releases (default 8)")
    parser.add_argument("--presswatch", type=Path, default=PRESSWATCH,
                        help=f"the presswatch executable (default {PRESSWATCH})")
    parser.add_argument("--crawl", type=toml_setting, action="append", default=[],
                        metavar="KEY=VALUE", help="a [crawl] key (TOML value), repeatable")
    parser.add_argument("--service", type=toml_setting, action="append", default=[],
                        metavar="KEY=VALUE", help="a [service] key (TOML value), repeatable")
    parser.add_argument("--max-rss-gb", type=float, default=8.0,
                        help="stop (exit 1) when the service tree's RSS passes this")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--workdir", type=Path, help="keep config, logs and archive here")
    args = parser.parse_args(argv)
    interval = args.interval or (30 if args.quick else 60)
    options = Options(
        sources=args.sources or (100 if args.quick else 1000),
        interval=interval,
        window=args.window or (60.0 if args.quick else 3.0 * interval),
        seed=args.seed,
        releases=args.releases,
        presswatch=args.presswatch,
        crawl=tuple(args.crawl),
        service=tuple(args.service),
        max_rss_gb=args.max_rss_gb,
        json=args.json,
        workdir=args.workdir,
    )
    if not options.presswatch.exists():
        parser.error(f"no presswatch executable at {options.presswatch}")
    if options.sources < 1 or options.interval < 1 or options.window <= 0:
        parser.error("--sources, --interval and --window must be positive")
    return options


# --- the site server ----------------------------------------------------------------------


LIBC = ctypes.CDLL(None, use_errno=True)  # loaded here: a forked child only calls it


def die_with_parent(parent: int) -> Callable[[], None]:
    """For `preexec_fn`: the child gets SIGTERM when the benchmark dies, even by SIGKILL."""

    def arm() -> None:
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the benchmark died while the child was starting
            os._exit(1)

    return arm


class SiteServer:
    """`watch_server.py` as a child process, driven through its stdin/stdout."""

    def __init__(self, options: Options, log_path: Path) -> None:
        command = [sys.executable, str(SERVER_SCRIPT), "--sources", str(options.sources),
                   "--releases", str(options.releases), "--seed", str(options.seed)]
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
            start_new_session=True,  # its stdin closing stops it, however the benchmark ends
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, name="watch-server-out", daemon=True).start()
        ready = self._next()
        self.port: int = ready["port"]
        self.releases: list[int] = ready["releases"]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _next(self) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=SERVER_TIMEOUT)
        except queue.Empty:
            raise Broken(f"the site server did not answer in {SERVER_TIMEOUT:.0f} s") from None
        if line is None:
            raise Broken(f"the site server exited ({self.process.poll()}): "
                         f"{log_tail(Path(self.log.name), 10)}")
        record: dict[str, Any] = json.loads(line)
        if "error" in record:
            raise Broken(f"the site server refused a command: {record['error']}")
        return record

    def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        except OSError as exc:
            raise Broken(f"the site server is gone ({exc})") from None
        return self._next()

    def publish(self, source: int) -> Publication:
        record = self.ask(f"publish {source}")
        return Publication(record["source"], record["name"], record["url"], record["path"],
                           float(record["published"]))

    def stats(self) -> dict[str, int]:
        stats: dict[str, int] = self.ask("stats")["stats"]
        return stats

    def cpu_seconds(self) -> float:
        stat = read_stat(self.process.pid)
        return 0.0 if stat is None else stat.own_ticks / CLOCK_TICKS

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            with suppress(OSError):
                self.process.stdin.close()  # end of input: the server stops
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@contextmanager
def site_server(options: Options, log_path: Path) -> Iterator[SiteServer]:
    server = SiteServer(options, log_path)
    try:
        yield server
    finally:
        server.close()


# --- config and service -------------------------------------------------------------------


def config_text(options: Options, port: int) -> str:
    lines: list[str] = []
    for table, settings in (("crawl", options.crawl), ("service", options.service)):
        if settings:
            lines += [f"[{table}]", *(f"{key} = {value}" for key, value in settings), ""]
    for index in range(options.sources):
        base = f"http://{address(index)}:{port}"
        lines += [
            "[[sources]]",
            f'name = "{source_name(index)}"',
            f'publisher = "{publisher(index)}"',
            f'start_urls = ["{base}/news"]',
            f'feeds = ["{base}/rss.xml"]',
            'timezone = "UTC"',
            'language = "en"',
            f'interval = "{options.interval}s"',
            "",
        ]
    text = "\n".join(lines)
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # --crawl/--service keys that clash
        raise SystemExit(f"watch_scale: the config is not valid TOML: {exc}") from None
    return text


def start_service(options: Options, config: Path, db: Path,
                  log: TextIO) -> subprocess.Popen[bytes]:
    command = [str(options.presswatch), "serve", "--config", str(config), "--db", f"sqlite:///{db}"]
    return subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
        cwd=config.parent, start_new_session=True,
        # Safe with threads here: the child only calls an already loaded libc function.
        preexec_fn=die_with_parent(os.getpid()),  # noqa: PLW1509
    )


def stop_service(service: subprocess.Popen[bytes]) -> dict[str, Any]:
    """SIGTERM; SIGKILL after STOP_WAIT. Leftover descendants are reported and killed."""
    if service.poll() is not None:
        return {"exit": service.returncode, "seconds": 0.0, "killed": False,
                "exited_before": True, "leftover_processes": 0}
    before = sample_tree(service.pid, with_pss=False)
    members = [m for m in before.members if m[0] != service.pid] if before else []
    service.send_signal(signal.SIGTERM)
    started = time.monotonic()
    killed = False
    try:
        service.wait(timeout=STOP_WAIT)
    except subprocess.TimeoutExpired:
        service.kill()
        service.wait()
        killed = True
    seconds = time.monotonic() - started
    time.sleep(0.5)  # let children that were told to stop go
    leftovers = still_running(members)
    for pid in leftovers:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return {"exit": service.returncode, "seconds": round(seconds, 1), "killed": killed,
            "exited_before": False, "leftover_processes": len(leftovers)}


# --- the archive --------------------------------------------------------------------------


def read_archive(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]] | None:
    """Rows of a read-only query; None while the archive is missing, being created or locked."""
    if not db.exists():
        return None
    try:
        connection = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        return connection.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # no such table yet, database is locked
        return None
    finally:
        connection.close()


def count_articles(db: Path) -> int | None:
    rows = read_archive(db, "SELECT count(*) FROM articles")
    return None if rows is None else int(rows[0][0])


def utc_seconds(value: str) -> float:
    """A time as stored in the archive (naive UTC text, or with an offset) as Unix time."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def crawl_runs(db: Path) -> list[RunRow]:
    rows = read_archive(db, "SELECT source, started_at, status FROM crawl_runs")
    if rows is None:
        raise Broken(f"cannot read crawl_runs from {db}")
    return [RunRow(source, utc_seconds(started), status) for source, started, status in rows]


def archived_since(db: Path, after_id: int) -> dict[str, float] | None:
    """First-seen Unix time of each article with an id above `after_id`, by URL path."""
    rows = read_archive(db, "SELECT url, first_seen_at FROM articles WHERE id > ?", (after_id,))
    if rows is None:
        return None
    return {urlsplit(url).path: utc_seconds(seen) for url, seen in rows}


def max_article_id(db: Path) -> int:
    rows = read_archive(db, "SELECT coalesce(max(id), 0) FROM articles")
    if rows is None:
        raise Broken(f"cannot read articles from {db}")
    return int(rows[0][0])


def log_statuses(log: Path) -> dict[str, int]:
    """Run lines of the service log by status (`source=<name> status=<status> ...`)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    return dict(Counter(match.group(2) for match in RUN_STATUS.finditer(text)))


# --- phases -------------------------------------------------------------------------------


@dataclass(slots=True)
class Watch:
    """The running service and what watches it."""

    service: subprocess.Popen[bytes]
    sampler: TreeSampler
    server: SiteServer
    db: Path
    log: Path
    started: float  # monotonic, when serve was started

    def check(self) -> None:
        """Broken when the service exited, the server died or the tree passed its RSS bound."""
        if self.service.poll() is not None:
            raise Broken(f"presswatch serve exited early (exit {self.service.returncode}); "
                         f"log tail:\n{log_tail(self.log, 15)}")
        if self.server.process.poll() is not None:
            raise Broken(f"the site server exited ({self.server.process.returncode})")
        if self.sampler.over_limit.is_set():
            limit = (self.sampler.limit_kb or 0) / 1024**2
            raise Broken(f"the service tree's RSS passed --max-rss-gb ({limit:g} GB)")

    def memory_text(self) -> str:
        latest = self.sampler.latest
        if latest is None:
            return "tree RSS ?"
        return f"tree RSS {latest.rss_kb / 1024:,.0f} MB in {latest.processes} processes"

    def cpu_seconds(self) -> float:
        sample = sample_tree(self.service.pid, with_pss=False)
        if sample is None:
            self.check()
            raise Broken("the service process vanished")
        return sample.cpu_seconds


def progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


def first_crawl(watch: Watch, expected: int, state: State) -> dict[str, Any]:
    """Wait until `expected` articles are archived; the phase's figures."""
    watch.sampler.phase = "first_crawl"
    next_progress = time.monotonic() + PROGRESS_EVERY
    articles = 0
    while True:
        watch.check()
        articles = count_articles(watch.db) or articles
        elapsed = time.monotonic() - watch.started
        state.reached = f"first crawl: {articles:,}/{expected:,} articles after {elapsed:.0f} s"
        if articles >= expected:
            break
        if elapsed > FIRST_CRAWL_LIMIT:
            raise Broken(f"the first crawl did not finish within {FIRST_CRAWL_LIMIT:.0f} s")
        if time.monotonic() >= next_progress:
            progress(f"first crawl: {articles:,}/{expected:,} articles, {elapsed:.0f} s, "
                     f"{watch.memory_text()}")
            next_progress += PROGRESS_EVERY
        time.sleep(POLL)
    seconds, ended_at = time.monotonic() - watch.started, time.time()
    return {"seconds": round(seconds, 1), "articles": articles, "expected": expected,
            "ended_at": ended_at, "cpu_seconds": round(watch.cpu_seconds(), 2)}


def publication_plan(options: Options) -> list[tuple[float, int]]:
    """(offset into the window, source) for a random PUBLISH_SHARE of the sources."""
    rng = random.Random(f"{options.seed}:publish")
    chosen = rng.sample(range(options.sources), max(1, round(options.sources * PUBLISH_SHARE)))
    return sorted((rng.uniform(0, options.window), source) for source in chosen)


def steady_window(watch: Watch, options: Options,
                  state: State) -> tuple[dict[str, Any], list[Publication]]:
    """Publish on the plan's sources at the plan's times; the window's figures and releases."""
    watch.sampler.phase = "window"
    start, start_mono = time.time(), time.monotonic()
    cpu_start, server_start = watch.cpu_seconds(), watch.server.stats()
    server_cpu_start = watch.server.cpu_seconds()
    plan = publication_plan(options)
    published: list[Publication] = []
    next_progress = start_mono + PROGRESS_EVERY
    end_mono = start_mono + options.window
    while (now := time.monotonic()) < end_mono:
        watch.check()
        while plan and start_mono + plan[0][0] <= now:
            published.append(watch.server.publish(plan.pop(0)[1]))
        if now >= next_progress:
            runs = read_archive(watch.db, "SELECT count(*) FROM crawl_runs WHERE started_at >= ?",
                                (naive_utc_text(start),))
            progress(f"window: {now - start_mono:.0f}/{options.window:.0f} s, "
                     f"{len(published)} published, {runs[0][0] if runs else '?'} runs started, "
                     f"{watch.memory_text()}")
            next_progress += PROGRESS_EVERY
        state.reached = f"steady window: {now - start_mono:.0f}/{options.window:.0f} s"
        wake = min([end_mono, next_progress, now + POLL]
                   + ([start_mono + plan[0][0]] if plan else []))
        time.sleep(max(0.0, wake - time.monotonic()))
    end = time.time()
    cpu_end, server_end = watch.cpu_seconds(), watch.server.stats()
    server_cpu = round(watch.server.cpu_seconds() - server_cpu_start, 1)
    server = {**stats_delta(server_start, server_end), "cpu_seconds": server_cpu}
    figures = {"start": start, "end": end, "cpu_seconds": round(cpu_end - cpu_start, 2),
               "published": len(published), "server": server}
    return figures, published


def naive_utc_text(moment: float) -> str:
    """Unix time as the archive stores it on SQLite (naive UTC), for text comparisons."""
    return datetime.fromtimestamp(moment, UTC).replace(tzinfo=None).isoformat(sep=" ")


def stats_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {key: after.get(key, 0) - before.get(key, 0) for key in sorted(after)}


def tail(watch: Watch, publications: list[Publication], after_id: int, window_end: float,
         deadline: float, state: State) -> dict[str, float]:
    """Wait until every publication is archived and every run started in the window has
    ended (so its status is its own, not the shutdown's), or until `deadline` (monotonic).

    The first-seen times of the publications archived, by path.
    """
    watch.sampler.phase = "tail"
    wanted = {p.path for p in publications}
    seen: dict[str, float] = {}
    while True:
        watch.check()
        found = archived_since(watch.db, after_id)
        if found is not None:
            seen = {path: moment for path, moment in found.items() if path in wanted}
        running = read_archive(
            watch.db, "SELECT count(*) FROM crawl_runs WHERE status = 'running' AND started_at < ?",
            (naive_utc_text(window_end),))
        in_flight = None if running is None else int(running[0][0])
        state.reached = (f"tail: {len(seen)}/{len(wanted)} new releases archived, "
                         f"{in_flight} runs of the window still running")
        if (len(seen) == len(wanted) and in_flight == 0) or time.monotonic() >= deadline:
            return seen
        time.sleep(POLL)


# --- figures ------------------------------------------------------------------------------


def keep_up(runs: list[RunRow], names: list[str], start: float, end: float,
            interval: float) -> dict[str, Any]:
    """Checks done in [start, end) against those due: window / interval per source."""
    expected = (end - start) / interval
    in_window = [run for run in runs if start <= run.started < end]
    per_source = Counter(run.source for run in in_window)
    done = sum(min(per_source[name], expected) for name in names)
    enough = max(math.floor(expected) - 1, 1)
    return {
        "expected_per_source": round(expected, 2),
        "checks": len(in_window),
        "share_done": round(done / (expected * len(names)), 4),
        "sources_with_enough": round(sum(per_source[n] >= enough for n in names) / len(names), 4),
        "enough_checks": enough,
        "statuses": dict(Counter(run.status for run in in_window)),
    }


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of non-empty `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def delays(publications: list[Publication], seen: dict[str, float],
           target: float) -> dict[str, Any]:
    measured = [seen[p.path] - p.published for p in publications if p.path in seen]
    figures: dict[str, Any] = {
        "published": len(publications),
        "archived": len(measured),
        "not_archived": len(publications) - len(measured),
        "target_seconds": target,
    }
    if measured:
        figures |= {
            "median": round(statistics.median(measured), 1),
            "p95": round(percentile(measured, 0.95), 1),
            "max": round(max(measured), 1),
            "min": round(min(measured), 1),
            "within_target": sum(d <= target for d in measured),
        }
    return figures


def per_check(cpu_seconds: float, checks: int) -> float | None:
    return round(cpu_seconds / checks, 4) if checks else None


# --- the run ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2),
            "open_files_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}


def run(options: Options, workdir: Path, state: State) -> None:
    db, log = workdir / "watch.db", workdir / "serve.log"
    names = [source_name(i) for i in range(options.sources)]
    figures = state.figures
    figures["machine"] = machine()
    with site_server(options, workdir / "server.log") as server:
        expected = sum(server.releases)
        config = workdir / "sources.toml"
        config.write_text(config_text(options, server.port), encoding="utf-8")
        progress(f"{options.sources} sources on port {server.port}, {expected:,} releases; "
                 f"starting {options.presswatch} serve (log: {log})")
        with log.open("w", encoding="utf-8") as log_file:
            service = start_service(options, config, db, log_file)
        sampler = TreeSampler(service.pid, limit_kb=int(options.max_rss_gb * 1024**2))
        sampler.start()
        watch = Watch(service, sampler, server, db, log, time.monotonic())
        try:
            first = first_crawl(watch, expected, state)
            figures["first_crawl"] = first
            after_id = max_article_id(db)
            figures["window"], published = steady_window(watch, options, state)
            deadline = time.monotonic() + options.interval + TAIL_EXTRA
            seen = tail(watch, published, after_id, figures["window"]["end"], deadline, state)
            figures["delay"] = delays(published, seen, options.interval + 30.0)
            figures["publications"] = [
                asdict(p) | {"delay": round(seen[p.path] - p.published, 1) if p.path in seen
                             else None}
                for p in published
            ]
        finally:
            figures["stop"] = stop_service(service)
            sampler.stop()
            figures["peaks"] = {"overall": sampler.overall().as_dict()} | {
                phase: peaks.as_dict() for phase, peaks in sampler.peaks.items()}
            figures["log_statuses"] = log_statuses(log)
            figures["machine"]["load_average_after"] = round(os.getloadavg()[0], 2)
    summarise_runs(figures, crawl_runs(db), names, options)


def summarise_runs(figures: dict[str, Any], runs: list[RunRow], names: list[str],
                   options: Options) -> None:
    first, window = figures["first_crawl"], figures["window"]
    first_checks = sum(run.started < first["ended_at"] for run in runs)
    figures["first_crawl"] |= {"checks": first_checks,
                               "cpu_per_check": per_check(first["cpu_seconds"], first_checks)}
    figures["keep_up"] = keep_up(runs, names, window["start"], window["end"], options.interval)
    figures["cpu_per_check"] = per_check(window["cpu_seconds"], figures["keep_up"]["checks"])


# --- report -------------------------------------------------------------------------------


Row = tuple[str, str, str]  # label, figure, target ("" for none)


def mb(value: float | None) -> str:
    return "?" if value is None else f"{value:,.0f} MB"


def report(state: State) -> list[str]:
    """The printed block, as far as the run got; each target under its figure."""
    o, f = state.options, state.figures
    title = (f"watch scale: {o.sources:,} sources, interval {o.interval} s, "
             f"window {o.window:.0f} s, seed {o.seed}, {o.presswatch}")
    lines = [title]
    if "machine" in f:
        m = f["machine"]
        after = m.get("load_average_after", "?")
        lines.append(f"  machine: {m['cpus']} CPUs, load average {m['load_average']} before, "
                     f"{after} after; open files limit {m['open_files_limit']:,} (inherited)")
    settings = [f"crawl.{k}={v}" for k, v in o.crawl] + [f"service.{k}={v}" for k, v in o.service]
    if settings:
        lines.append("  settings: " + ", ".join(settings))
    rows = [*first_crawl_rows(f), *keep_up_rows(f), *delay_rows(f), *cpu_rows(f),
            *memory_rows(f), *stop_rows(f)]
    width = max((len(label) for label, _, _ in rows), default=0)
    for label, value, target in rows:
        lines.append(f"  {label:<{width}}  {value}")
        if target:
            lines.append(f"  {'':<{width}}  target: {target}")
    return lines


def statuses_text(statuses: dict[str, int]) -> str:
    return ", ".join(f"{status} {count:,}" for status, count in sorted(statuses.items())) or "none"


def percent(share: float) -> str:
    return f"{share * 100:.1f} %"


def per_check_text(per: float | None) -> str:
    return "?" if per is None else f"{per:.3f}"


def first_crawl_rows(f: dict[str, Any]) -> list[Row]:
    if "first_crawl" not in f:
        return []
    first = f["first_crawl"]
    value = (f"{first['seconds']:,.1f} s, "
             f"{first['articles']:,}/{first['expected']:,} articles archived")
    return [("first full crawl", value, "")]


def keep_up_rows(f: dict[str, Any]) -> list[Row]:
    if "keep_up" not in f:
        return []
    k, server = f["keep_up"], f["window"]["server"]
    done = (f"{percent(k['share_done'])} of due checks done ({k['checks']:,} runs started, "
            f"{k['expected_per_source']:g} due per source); {percent(k['sources_with_enough'])} "
            f"of sources had >= {k['enough_checks']}")
    conditional = sum(v for key, v in server.items() if key.endswith("_304"))
    full = sum(v for key, v in server.items() if key.endswith("_200"))
    served = (f"{server.get('requests', 0):,} requests on {server.get('connections', 0):,} "
              f"new connections; listing/feed: {full:,} full, {conditional:,} not modified; "
              f"server CPU {server['cpu_seconds']:g} s")
    return [
        ("keep-up (window)", done, TARGETS["keep_up"]),
        ("runs in window by status", statuses_text(k["statuses"]), ""),
        ("site server in window", served, ""),
    ]


def delay_rows(f: dict[str, Any]) -> list[Row]:
    if "delay" not in f:
        return []
    d = f["delay"]
    target = f"{TARGETS['delay']} = {d['target_seconds']:g} s"
    if not d["archived"]:
        return [("publication -> archive", f"{d['published']} new releases, none archived",
                 target)]
    value = (f"{d['published']} new releases: median {d['median']} s, p95 {d['p95']} s, "
             f"max {d['max']} s; {d['within_target']} within target, "
             f"{d['not_archived']} not archived")
    return [("publication -> archive", value, target)]


def cpu_rows(f: dict[str, Any]) -> list[Row]:
    rows = []
    if "keep_up" in f:
        value = (f"{per_check_text(f['cpu_per_check'])} CPU-s "
                 f"({f['window']['cpu_seconds']:,.1f} CPU-s / {f['keep_up']['checks']:,} runs; "
                 "90 % of the sources unchanged)")
        rows.append(("CPU per check (window)", value, TARGETS["cpu"]))
    if "checks" in f.get("first_crawl", {}):
        first = f["first_crawl"]
        value = (f"{per_check_text(first['cpu_per_check'])} CPU-s "
                 f"({first['cpu_seconds']:,.1f} CPU-s / {first['checks']:,} runs)")
        rows.append(("CPU per check (first crawl)", value, ""))
    return rows


def memory_rows(f: dict[str, Any]) -> list[Row]:
    if "peaks" not in f or not f["peaks"]["overall"]["samples"]:
        return []
    peaks = f["peaks"]
    overall = peaks["overall"]
    phases = ", ".join(f"{phase.replace('_', ' ')} {mb(p['rss_mb'])}"
                       for phase, p in peaks.items() if phase != "overall")
    value = (f"{mb(overall['rss_mb'])} (PSS {mb(overall['pss_mb'])}), "
             f"{overall['processes']} processes at most; by phase: {phases}")
    return [("peak tree RSS", value, TARGETS["rss"])]


def stop_rows(f: dict[str, Any]) -> list[Row]:
    rows = []
    if "stop" in f:
        stop = f["stop"]
        if stop["exited_before"]:
            value = f"the service had already exited ({stop['exit']})"
        else:
            how = "no exit: SIGKILL" if stop["killed"] else f"exit {stop['exit']}"
            value = (f"{how} after {stop['seconds']} s, "
                     f"{stop['leftover_processes']} leftover processes")
        rows.append(("SIGTERM", value, ""))
    if f.get("log_statuses"):
        rows.append(("service log, every run", statuses_text(f["log_statuses"]) +
                     " (shutdown included)", ""))
    return rows


def write_json(state: State, outcome: str) -> None:
    if state.options.json is None:
        return
    options = asdict(state.options) | {"presswatch": str(state.options.presswatch),
                                        "json": str(state.options.json),
                                        "workdir": str(state.options.workdir)}
    record = {"options": options, "outcome": outcome, "reached": state.reached,
              "targets": TARGETS, **state.figures}
    state.options.json.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    state = State(options)
    outcome, status = "ok", 0
    try:
        with work_directory(options.workdir, prefix="presswatch-watch-") as workdir:
            run(options, workdir, state)
    except Broken as exc:
        outcome, status = f"broken: {exc}", 1
    except KeyboardInterrupt:
        outcome, status = "interrupted", 130
    for line in report(state):
        print(line)
    if status:
        print(f"watch_scale: {outcome}\n  reached: {state.reached}")
    write_json(state, outcome)
    return status


if __name__ == "__main__":
    sys.exit(main())
