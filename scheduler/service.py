"""`presswatch serve`: APScheduler runs one crawl job per source, each in a child process.

A crashing or hung crawl never takes the service down: the child has a timeout
and is killed past it. SIGTERM/SIGINT stop new runs, give running children a
grace period, then exit cleanly; SIGHUP reloads the sources config.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import Config, ConfigError, Source, load_config
from crawler.processes import die_with_parent
from scheduler.cadence import LOOKBACK, adaptive_interval, describe_interval
from scheduler.metrics import ServiceMetrics
from storage import Archive, ArchiveError, open_archive

logger = logging.getLogger("presswatch.service")

GRACE_SECONDS = 10.0
MIN_RUN_SECONDS = 300.0  # a run is never killed sooner, however short the interval
MAX_RUN_SECONDS = 3600.0


#: Set in every crawl child's environment (and so in its parse workers'): the service's pid.
SERVICE_MARK = "PRESSWATCH_SERVICE_PID"


class ConfigSnapshots:
    """The config text the service validated, kept as files its crawl children read.

    Children never read the user's file: an edit, even a broken one, takes effect
    only when the service loads it again (SIGHUP or restart).
    """

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="presswatch-serve-"))
        self.taken = 0

    def load(self, origin: str) -> Config:
        """`origin` as it is now, validated, its text kept; a ConfigError names `origin`."""
        try:
            text = Path(origin).read_bytes()
        except OSError:
            return load_config(origin)  # raises the ConfigError that says what is wrong with the file
        self.taken += 1
        snapshot = self.directory / f"sources-{self.taken}.toml"
        snapshot.write_bytes(text)
        try:
            return load_config(snapshot)
        except ConfigError as exc:
            snapshot.unlink()
            raise ConfigError(origin, exc.problems) from None

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def job_id(source: Source) -> str:
    return f"crawl:{source.name}"


COUNT_KEYS = ("pages_fetched", "not_modified", "revisited", "new", "updated", "unchanged", "duplicates", "errors")


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one child crawl run did. `counts` is empty when the run failed or timed out."""

    source: str
    status: str
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


def run_result(source: str, returncode: int, output: str, seconds: float) -> RunResult:
    """Read the child's closing JSON line (see `python -m crawler`)."""
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if returncode != 0 or not lines:
        return RunResult(source, "failed", seconds)
    record = json.loads(lines[-1])
    return RunResult(source, record["status"], seconds, {k: int(record.get(k, 0)) for k in COUNT_KEYS})


def log_run(result: RunResult) -> None:
    """One line per run: source, new, updated, duplicates, errors, seconds."""
    if not result.counts:
        logger.error("source=%s status=%s seconds=%.1f", result.source, result.status, result.seconds)
        return
    c = result.counts
    logger.info(
        "source=%s status=%s new=%d updated=%d duplicates=%d errors=%d pages=%d not_modified=%d revisited=%d "
        "seconds=%.1f",
        result.source, result.status, c["new"], c["updated"], c["duplicates"], c["errors"], c["pages_fetched"],
        c["not_modified"], c["revisited"], result.seconds,
    )


class ChildRuns:
    """Starts crawl children, enforces their timeout, and stops them all on shutdown."""

    def __init__(
        self, config_path: str, db_url: str, log_level: str,
        on_result: Callable[[RunResult], None] = log_run,
    ) -> None:
        self.config_path = config_path
        self.db_url = db_url
        self.log_level = log_level
        self.on_result = on_result
        self.children: set[subprocess.Popen[str]] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def run(self, source_name: str, timeout: float) -> None:
        if self.stopping.is_set():
            return
        started = time.monotonic()
        command = [sys.executable, "-m", "crawler", "--config", self.config_path, "--db", self.db_url,
                   "--source", source_name, "--log-level", self.log_level]
        # The child's report goes to a file, not a pipe: a grandchild that outlives the
        # child (a parse worker caught starting up) would hold a pipe open, and reading
        # it to the end would hang this job.
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as report:
            child = subprocess.Popen(
                command, stdout=report, text=True, env={**os.environ, SERVICE_MARK: str(os.getpid())},
                preexec_fn=partial(die_with_parent, os.getpid()),
            )
            with self.lock:
                self.children.add(child)
            try:
                child.wait(timeout=timeout)
                report.seek(0)
                result = run_result(source_name, child.returncode, report.read(), time.monotonic() - started)
            except subprocess.TimeoutExpired:
                _stop(child, GRACE_SECONDS)
                logger.error("source=%s killed after its %.0fs timeout", source_name, timeout)
                result = RunResult(source_name, "timeout", time.monotonic() - started)
            finally:
                with self.lock:
                    self.children.discard(child)
        self.on_result(result)

    def stop_all(self, grace: float) -> None:
        self.stopping.set()
        with self.lock:
            children = list(self.children)
        for child in children:
            _stop(child, grace)


def _stop(child: subprocess.Popen[str], grace: float) -> None:
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


#: An adaptive source is rescheduled when its interval moves by at least this share.
RETUNE_STEP = 0.1
#: Seconds between two runs of an adaptive source (`interval = "auto"`).
Cadence = Callable[[Source], int]


class ArchiveCadence:
    """Adaptive intervals from the archive: how often each source published lately (see `scheduler.cadence`)."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._archive: Archive | None = None

    def __call__(self, source: Source) -> int:
        shortest, longest = source.crawl.interval_bounds
        now = datetime.now(timezone.utc)
        try:
            if self._archive is None:
                self._archive = open_archive(self.db_url)
            published = self._archive.publication_times(source.name, now - LOOKBACK)
        except ArchiveError as exc:
            logger.warning("source=%s adaptive interval unknown (%s); using %ds", source.name, exc, shortest)
            return shortest
        return adaptive_interval(published, now, shortest, longest)

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()


def schedule_sources(
    scheduler: BackgroundScheduler, runs: ChildRuns, config: Config, run_timeout: float | None,
    cadence: Cadence | None = None,
) -> None:
    """One job per source with a stable id; jobs of removed sources are dropped."""
    wanted = {job_id(s) for s in config.sources}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
    for source in config.sources:
        trigger, period = trigger_for(source, cadence)
        existing = scheduler.get_job(job_id(source))
        first_run = {} if source.cron else {"next_run_time": datetime.now(timezone.utc)}
        kept = getattr(existing, "next_run_time", None)  # unset while the scheduler is not started
        if kept is not None:
            first_run = {"next_run_time": kept}
        scheduler.add_job(
            runs.run,
            trigger,
            args=[source.name, run_timeout or default_timeout(max(period, source.interval_seconds))],
            id=job_id(source),
            name=source.name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(int(period), 30),
            **first_run,
        )


def default_timeout(period: float) -> float:
    """Three periods, but at least MIN_RUN_SECONDS and at most MAX_RUN_SECONDS."""
    return min(max(3 * period, MIN_RUN_SECONDS), MAX_RUN_SECONDS)


def trigger_for(source: Source, cadence: Cadence | None = None) -> tuple[BaseTrigger, float]:
    """The source's trigger and its typical period in seconds.

    A `cron` expression runs in the source's time zone (UTC when it has none) at the
    times it names; an `interval` runs at once and then every interval, with up to
    10 % jitter (at most a minute) so sources don't all fire together. An adaptive
    source (`interval = "auto"`) runs at the interval `cadence` picks for it.
    """
    if source.cron:
        zone = ZoneInfo(source.timezone) if source.timezone else timezone.utc
        return CronTrigger.from_crontab(source.cron, timezone=zone), MAX_RUN_SECONDS
    seconds = cadence(source) if source.adaptive and cadence is not None else source.interval_seconds
    return interval_trigger(seconds), seconds


def interval_trigger(seconds: float) -> IntervalTrigger:
    return IntervalTrigger(seconds=seconds, jitter=min(seconds * 0.1, 60))


def retune(scheduler: BackgroundScheduler, source: Source, cadence: Cadence) -> int | None:
    """Re-pick an adaptive source's interval after a run; the new interval when it changed."""
    job = scheduler.get_job(job_id(source))
    if job is None or not source.adaptive:
        return None
    seconds = cadence(source)
    if isinstance(job.trigger, IntervalTrigger):
        current = job.trigger.interval.total_seconds()
        if abs(seconds - current) < RETUNE_STEP * current:
            return None
    scheduler.reschedule_job(job.id, trigger=interval_trigger(seconds))
    return seconds


def run_service(
    config: Config, db_url: str, *, run_timeout: float | None = None, log_level: str = "WARNING",
    metrics: ServiceMetrics | None = None,
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    for chatty in ("apscheduler", "alembic"):  # our own line per run says enough
        logging.getLogger(chatty).setLevel(logging.WARNING)
    Service(config, db_url, run_timeout, log_level, metrics).serve()


class Service:
    """The scheduler, its crawl children, and the config they follow (replaced on SIGHUP)."""

    def __init__(
        self, config: Config, db_url: str, run_timeout: float | None, log_level: str, metrics: ServiceMetrics | None,
    ) -> None:
        self.origin = config.path  # the user's file, read again on SIGHUP
        self.snapshots = ConfigSnapshots()
        self.config = self.snapshots.load(self.origin)
        self.run_timeout = run_timeout
        self.metrics = metrics
        self.cadence = ArchiveCadence(db_url)
        self.runs = ChildRuns(self.config.path, db_url, log_level=log_level, on_result=self.on_result)
        self.scheduler = BackgroundScheduler(timezone=timezone.utc)

    def serve(self) -> None:
        schedule_sources(self.scheduler, self.runs, self.config, self.run_timeout, self.cadence)
        stop, reload = threading.Event(), threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGHUP, lambda *_: reload.set())
        self.scheduler.start()
        sources = ", ".join(self.schedule_text(s) for s in self.config.sources)
        logger.info("serving %d source(s): %s", len(self.config.sources), sources)
        while not stop.is_set():
            stop.wait(0.5)
            if reload.is_set():
                reload.clear()
                self.reload()
        logger.info("stopping: no new runs; waiting up to %.0fs for running crawls", GRACE_SECONDS)
        self.scheduler.pause()
        self.runs.stop_all(GRACE_SECONDS)
        self.scheduler.shutdown(wait=True)
        self.cadence.close()
        self.snapshots.close()
        logger.info("stopped")

    def schedule_text(self, source: Source) -> str:
        job = self.scheduler.get_job(job_id(source))
        if source.adaptive and job is not None and isinstance(job.trigger, IntervalTrigger):
            return f"{source.name} (auto: every {describe_interval(int(job.trigger.interval.total_seconds()))})"
        return f"{source.name} ({source.cron or 'every ' + source.interval})"

    def on_result(self, result: RunResult) -> None:
        log_run(result)
        if self.metrics is not None:
            self.metrics.observe(result)
        source = next((s for s in self.config.sources if s.name == result.source), None)
        if source is not None and source.adaptive and not self.runs.stopping.is_set():
            seconds = retune(self.scheduler, source, self.cadence)
            if seconds is not None:
                logger.info("source=%s interval=auto now every %s", source.name, describe_interval(seconds))

    def reload(self) -> None:
        try:
            fresh = self.snapshots.load(self.origin)
        except ConfigError as exc:
            logger.error("config not reloaded, keeping the running one: %s", exc)
            return
        self.runs.config_path = fresh.path
        schedule_sources(self.scheduler, self.runs, fresh, self.run_timeout, self.cadence)
        self.config = fresh
        logger.info("config reloaded: %d source(s)", len(fresh.sources))
