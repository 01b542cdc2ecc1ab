"""`presswatch serve`: APScheduler decides when each source is due; long-lived crawl workers run it.

One job per source (stable id, `coalesce`, `max_instances=1`) hands each due run to the
`WorkerPool` (`scheduler.workers`), which runs it in one of its crawl worker processes,
many runs at once each; the job itself returns at once. First runs are spread over each
source's interval, so a start-up does not fire every source together. A run past its
timeout is closed, a dead worker is replaced (its runs `interrupted`, re-run at their next
due time). SIGTERM/SIGINT: no new runs, running runs get `stop_grace`, what is cut off is
`interrupted` (row and log agree), exit 0. SIGHUP reloads the sources config.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from presswatch.crawler.config import Config, ConfigError, Source, load_config
from presswatch.scheduler.cadence import LOOKBACK, adaptive_interval, describe_interval
from presswatch.scheduler.metrics import ServiceMetrics
from presswatch.scheduler.notifiers import Notifiers
from presswatch.scheduler.results import RunResult, log_run
from presswatch.scheduler.workers import WorkerPool
from presswatch.storage import Archive, ArchiveError, open_archive

logger = logging.getLogger("presswatch.service")

MIN_RUN_SECONDS = 300.0  # a run is never stopped sooner, however short the interval
MAX_RUN_SECONDS = 3600.0

#: `submit(source_name, timeout)`: hand a due run over (`serve`: False when the last one is still
#: going; `serve --broker`: it takes the due time too, see `scheduler.cluster_service`).
Submit = Callable[..., object]
#: Every source's first run comes at a point of its interval picked by its name (stable,
#: spread evenly); adaptive sources spread over their shortest interval.


def job_id(source: Source) -> str:
    return f"crawl:{source.name}"


#: An adaptive source is rescheduled when its interval moves by at least this share.
RETUNE_STEP = 0.1
#: Seconds between two runs of an adaptive source (`interval = "auto"`).
Cadence = Callable[[Source], int]


class ArchiveCadence:
    """Adaptive intervals from the archive: how often each source published lately (see `scheduler.cadence`)."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def __call__(self, source: Source) -> int:
        shortest, longest = source.crawl.interval_bounds
        now = datetime.now(UTC)
        try:
            published = self.archive.publication_times(source.name, now - LOOKBACK)
        except (ArchiveError, SQLAlchemyError) as exc:
            logger.warning("source=%s adaptive interval unknown (%s); using %ds", source.name, exc, shortest)
            return shortest
        return adaptive_interval(published, now, shortest, longest)


def schedule_sources(
    scheduler: BackgroundScheduler, submit: Submit, config: Config, run_timeout: float | None,
    cadence: Cadence | None = None, now: datetime | None = None,
) -> None:
    """One job per source with a stable id; jobs of removed sources are dropped.

    A new job's first run is spread over its source's interval (`first_run_at`); a job
    that exists already keeps its next run time.
    """
    now = now or datetime.now(UTC)
    wanted = {job_id(s) for s in config.sources}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
    for source in config.sources:
        trigger, period = trigger_for(source, cadence)
        existing = scheduler.get_job(job_id(source))
        first_run = {} if source.cron else {"next_run_time": first_run_at(source, period, now)}
        kept = getattr(existing, "next_run_time", None)  # unset while the scheduler is not started
        if kept is not None:
            first_run = {"next_run_time": kept}
        scheduler.add_job(
            submit,
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


def first_run_at(source: Source, period: float, now: datetime) -> datetime:
    """When an interval source first runs: a point of its first interval picked by its name.

    Stable (the same source gets the same offset at every start) and spread evenly, so a
    thousand sources at a one-minute interval start at about 17 a second, not all at once.
    An adaptive source spreads over its shortest interval: it runs soon, and then as often
    as it publishes.
    """
    window = source.crawl.interval_bounds[0] if source.adaptive else period
    phase = zlib.crc32(source.name.encode()) / 2**32
    return now + timedelta(seconds=window * phase)


def default_timeout(period: float) -> float:
    """Three periods, but at least MIN_RUN_SECONDS and at most MAX_RUN_SECONDS."""
    return min(max(3 * period, MIN_RUN_SECONDS), MAX_RUN_SECONDS)


def trigger_for(source: Source, cadence: Cadence | None = None) -> tuple[BaseTrigger, float]:
    """The source's trigger and its typical period in seconds.

    A `cron` expression runs in the source's time zone (UTC when it has none) at the
    times it names; an `interval` runs every interval exactly (the first run's offset,
    `first_run_at`, already keeps sources apart, and a jitter would only stretch the
    interval the user asked for). An adaptive source (`interval = "auto"`) runs at the
    interval `cadence` picks for it.
    """
    if source.cron:
        zone = ZoneInfo(source.timezone) if source.timezone else UTC
        return CronTrigger.from_crontab(source.cron, timezone=zone), MAX_RUN_SECONDS
    seconds = cadence(source) if source.adaptive and cadence is not None else source.interval_seconds
    return interval_trigger(seconds), seconds


def interval_trigger(seconds: float) -> IntervalTrigger:
    return IntervalTrigger(seconds=seconds)


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


def reload_schedule(
    scheduler: BackgroundScheduler, submit: Submit, origin: str, current: Config, run_timeout: float | None,
    cadence: Cadence | None,
) -> Config | None:
    """SIGHUP: read the config file again and schedule it; the new config, or None when the
    file is broken or cannot be scheduled (logged; the running config stays scheduled)."""
    try:
        fresh = load_config(origin)
    except ConfigError as exc:
        logger.error("config not reloaded, keeping the running one: %s", exc)
        return None
    try:
        schedule_sources(scheduler, submit, fresh, run_timeout, cadence)
    except Exception as exc:  # noqa: BLE001 - a config that validates but cannot be scheduled
        logger.error("config not reloaded, keeping the running one: cannot schedule it: %s", exc)
        schedule_sources(scheduler, submit, current, run_timeout, cadence)
        return None
    return fresh


def run_service(
    config: Config, db_url: str, *, run_timeout: float | None = None, log_level: str = "WARNING",
    metrics: ServiceMetrics | None = None,
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    for chatty in ("apscheduler", "alembic"):  # our own line per run says enough
        logging.getLogger(chatty).setLevel(logging.WARNING)
    Service(config, db_url, run_timeout, log_level, metrics).serve()


class Service:
    """The scheduler, the crawl workers, and the config they follow (replaced on SIGHUP)."""

    def __init__(
        self, config: Config, db_url: str, run_timeout: float | None, log_level: str, metrics: ServiceMetrics | None,
    ) -> None:
        self.origin = config.path  # the user's file, read again on SIGHUP
        self.config = config
        self.sources = {s.name: s for s in config.sources}
        self.run_timeout = run_timeout or config.service.run_timeout_seconds
        self.metrics = metrics
        self.archive = open_archive(db_url)
        self.cadence = ArchiveCadence(self.archive)
        self.pool = WorkerPool(
            config.service, db_url, on_result=self.on_result, interrupt=self.archive.interrupt_runs,
            parse_workers=max((s.crawl.parse_workers for s in config.sources), default=1), log_level=log_level,
        )
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.stopping = threading.Event()
        self.notifiers = Notifiers(self.archive, config)

    def serve(self) -> None:
        self.notifiers.start()
        self.pool.start()
        if self.metrics is not None:
            self.metrics.watch(self.health, self.pool.state)
            self.metrics.track_sources(self.sources, self.archive.failure_streaks())
        schedule_sources(self.scheduler, self.due, self.config, self.run_timeout, self.cadence)
        reload = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        signal.signal(signal.SIGHUP, lambda *_: reload.set())
        self.scheduler.start()
        sources = ", ".join(self.schedule_text(s) for s in self.config.sources[:20])
        more = f" and {len(self.config.sources) - 20} more" if len(self.config.sources) > 20 else ""
        logger.info("serving %d source(s): %s%s; %d crawl worker(s)",
                    len(self.config.sources), sources, more, self.pool.slots)
        while not self.stopping.is_set():
            self.stopping.wait(0.5)
            if reload.is_set():
                reload.clear()
                self.reload()
        self.stop()

    def stop(self) -> None:
        grace = self.config.service.stop_grace_seconds
        logger.info("stopping: no new runs; running runs get %ds to finish", grace)
        self.scheduler.shutdown(wait=False)
        self.pool.stop(grace)
        self.notifiers.stop()
        if self.metrics is not None:
            self.metrics.close()
        self.archive.close()
        logger.info("stopped")

    def due(self, source_name: str, timeout: float) -> bool:
        """The job of every source: hand its due run to the workers (skipped while the last one runs)."""
        source = self.sources.get(source_name)
        if source is None or self.stopping.is_set():
            return False
        if self.pool.submit(source, timeout):
            return True
        logger.debug("source=%s due again while its last run goes on: check skipped", source_name)
        if self.metrics is not None:
            self.metrics.skipped(source_name)
        return False

    def health(self) -> bool:
        """True while the scheduler runs and every crawl worker is alive (`/healthz`)."""
        return self.scheduler.running and not self.stopping.is_set() and self.pool.state().healthy

    def schedule_text(self, source: Source) -> str:
        job = self.scheduler.get_job(job_id(source))
        if source.adaptive and job is not None and isinstance(job.trigger, IntervalTrigger):
            return f"{source.name} (auto: every {describe_interval(int(job.trigger.interval.total_seconds()))})"
        return f"{source.name} ({source.cron or 'every ' + source.interval})"

    def on_result(self, result: RunResult) -> None:
        log_run(result)
        self.notifiers.on_result(result)
        if self.metrics is not None:
            self.metrics.observe(result)
        source = self.sources.get(result.source)
        if source is not None and source.adaptive and not self.stopping.is_set():
            seconds = retune(self.scheduler, source, self.cadence)
            if seconds is not None:
                logger.info("source=%s interval=auto now every %s", source.name, describe_interval(seconds))

    def reload(self) -> None:
        fresh = reload_schedule(self.scheduler, self.due, self.origin, self.config, self.run_timeout, self.cadence)
        if fresh is None:
            return
        self.sources = {s.name: s for s in fresh.sources}
        if self.metrics is not None:
            self.metrics.track_sources(self.sources, self.archive.failure_streaks())
        self.config = fresh
        self.notifiers.follow(fresh)
        logger.info("config reloaded: %d source(s)", len(fresh.sources))
