"""`presswatch serve`: APScheduler runs one crawl job per source, each in a child process.

A crashing or hung crawl never takes the service down: the child has a timeout
and is killed past it. SIGTERM/SIGINT stop new runs, give running children a
grace period, then exit cleanly; SIGHUP reloads the sources config.
"""
from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import Config, ConfigError, Source, load_config
from crawler.processes import die_with_parent
from scheduler.metrics import ServiceMetrics

logger = logging.getLogger("presswatch.service")

GRACE_SECONDS = 10.0
MIN_RUN_SECONDS = 300.0  # a run is never killed sooner, however short the interval
MAX_RUN_SECONDS = 3600.0


def job_id(source: Source) -> str:
    return f"crawl:{source.name}"


COUNT_KEYS = ("pages_fetched", "new", "updated", "unchanged", "duplicates", "errors")


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
    return RunResult(source, record["status"], seconds, {k: int(record[k]) for k in COUNT_KEYS})


def log_run(result: RunResult) -> None:
    """One line per run: source, new, updated, duplicates, errors, seconds."""
    if not result.counts:
        logger.error("source=%s status=%s seconds=%.1f", result.source, result.status, result.seconds)
        return
    c = result.counts
    logger.info(
        "source=%s status=%s new=%d updated=%d duplicates=%d errors=%d pages=%d seconds=%.1f",
        result.source, result.status, c["new"], c["updated"], c["duplicates"], c["errors"], c["pages_fetched"],
        result.seconds,
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
        child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        with self.lock:
            self.children.add(child)
        try:
            output, _ = child.communicate(timeout=timeout)
            result = run_result(source_name, child.returncode, output, time.monotonic() - started)
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


def schedule_sources(scheduler: BackgroundScheduler, runs: ChildRuns, config: Config, run_timeout: float | None) -> None:
    """One job per source with a stable id; jobs of removed sources are dropped."""
    wanted = {job_id(s) for s in config.sources}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
    for source in config.sources:
        trigger, period = trigger_for(source)
        existing = scheduler.get_job(job_id(source))
        first_run = {} if source.cron else {"next_run_time": datetime.now(timezone.utc)}
        kept = getattr(existing, "next_run_time", None)  # unset while the scheduler is not started
        if kept is not None:
            first_run = {"next_run_time": kept}
        scheduler.add_job(
            runs.run,
            trigger,
            args=[source.name, run_timeout or default_timeout(period)],
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


def trigger_for(source: Source) -> tuple[BaseTrigger, float]:
    """The source's trigger and its typical period in seconds.

    A `cron` expression runs in the source's time zone (UTC when it has none) at the
    times it names; an `interval` runs at once and then every interval, with up to
    10 % jitter (at most a minute) so sources don't all fire together.
    """
    if source.cron:
        zone = ZoneInfo(source.timezone) if source.timezone else timezone.utc
        return CronTrigger.from_crontab(source.cron, timezone=zone), MAX_RUN_SECONDS
    seconds = source.interval_seconds
    return IntervalTrigger(seconds=seconds, jitter=min(seconds * 0.1, 60)), seconds


def run_service(
    config: Config, db_url: str, *, run_timeout: float | None = None, log_level: str = "WARNING",
    metrics: ServiceMetrics | None = None,
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own line per run says enough
    runs = ChildRuns(config.path, db_url, log_level=log_level, on_result=_reporter(metrics))
    scheduler = BackgroundScheduler(timezone=timezone.utc)
    schedule_sources(scheduler, runs, config, run_timeout)
    stop, reload = threading.Event(), threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload.set())
    scheduler.start()
    logger.info("serving %d source(s): %s", len(config.sources), ", ".join(s.name for s in config.sources))
    while not stop.is_set():
        stop.wait(0.5)
        if reload.is_set():
            reload.clear()
            config = _reload(scheduler, runs, config, run_timeout)
    logger.info("stopping: no new runs; waiting up to %.0fs for running crawls", GRACE_SECONDS)
    scheduler.pause()
    runs.stop_all(GRACE_SECONDS)
    scheduler.shutdown(wait=True)
    logger.info("stopped")


def _reporter(metrics: ServiceMetrics | None) -> Callable[[RunResult], None]:
    if metrics is None:
        return log_run

    def report(result: RunResult) -> None:
        log_run(result)
        metrics.observe(result)

    return report


def _reload(scheduler: BackgroundScheduler, runs: ChildRuns, config: Config, run_timeout: float | None) -> Config:
    try:
        fresh = load_config(config.path)
    except ConfigError as exc:
        logger.error("config not reloaded, keeping the running one: %s", exc)
        return config
    schedule_sources(scheduler, runs, fresh, run_timeout)
    logger.info("config reloaded: %d source(s)", len(fresh.sources))
    return fresh


