"""`presswatch serve --broker URL`: the one active scheduler of a cluster, and its standbys.

APScheduler still decides when each source is due (the same jobs, triggers and spread
as `scheduler.service`), but a due run is not crawled here: it is sent to the job engine
(`scheduler.engine`) and a `presswatch worker` host runs it.

- **One active scheduler.** Each `serve --broker` first takes the lease, a PostgreSQL
  advisory lock (`storage.locks`) on the archive every host shares; the others stand by,
  trying again every `LEASE_POLL_SECONDS`. The lease is the active scheduler's database
  session: when that process dies (or its host goes away: TCP keepalives, ~11 s) the
  session ends and a standby takes over within seconds. An active scheduler that loses
  its session stops sending at once and stands by again.
- **No due run missed or sent twice.** The jobs live in the archive
  (APScheduler's SQLAlchemy job store, table `scheduler_jobs`, read from memory by the lease
  holder: `scheduler.job_store`): a scheduler that takes
  over carries on from each job's next due time, and a due time missed during the
  change-over is sent at once (coalesced into one run). The only window is between
  RabbitMQ confirming a run and the job store recording the next due time; a run sent
  twice there is recognised by the worker (the archive has a completed run for that
  source and due time, `crawl_runs.due_at`) and not run again.
- **Alerts from the active scheduler.** While it holds the lease it also delivers the
  watches' alerts (the archive's outbox, polled every 2 s: it does not see runs finish)
  and tells `[alerts] health_notify` when a source's failure streak, read from the archive,
  turns it unhealthy or back (`scheduler.notifiers`). A standby tells nothing; one taking
  over starts from the streaks as they stand, and the outbox's claims keep a delivery
  from being sent twice across the change-over.
- SIGTERM/SIGINT: stop sending, give the lease back, exit 0. SIGHUP reloads the config.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.base import BaseExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from presswatch.crawler.config import Config, Source
from presswatch.scheduler import engine
from presswatch.scheduler.job_store import LeaseHolderJobStore
from presswatch.scheduler.metrics import ServiceMetrics
from presswatch.scheduler.notifiers import Notifiers
from presswatch.scheduler.service import ArchiveCadence, reload_schedule, schedule_sources
from presswatch.storage import open_archive
from presswatch.storage.dialect import create_archive_engine, parse_url
from presswatch.storage.locks import AdvisoryLocks, LocksUnavailable

logger = logging.getLogger("presswatch.service")

LEASE = "presswatch:scheduler"
LEASE_POLL_SECONDS = 2.0  # a standby tries to take the lease this often; the active one checks it as often
JOBS_TABLE = "scheduler_jobs"

#: `send(source_name, timeout, due_at)`: what the active scheduler does with a due run.
Send = Callable[[str, float, datetime], None]
_active_send: Send | None = None


def send_due_run(source_name: str, timeout: float, due_at: datetime | None = None) -> None:
    """The job of every source under `serve --broker` (stored by reference in `scheduler_jobs`).

    Called by `DueRunSender` with the due time APScheduler fired the job for (None: now);
    sends the run through this process's active scheduler.
    """
    if _active_send is None:
        raise RuntimeError("no active scheduler in this process")
    _active_send(source_name, timeout, due_at or datetime.now(UTC))


class DueRunSender(BaseExecutor):  # type: ignore[misc]  # APScheduler 3 is untyped
    """An APScheduler executor that hands each due job over at once, with its due time.

    The job's function only enqueues a message (or, while the broker cannot be reached,
    keeps the run to send later: `ClusterScheduler.send`), so it runs right here in the
    scheduler's own thread.
    """

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        try:
            job.func(*job.args, due_at=run_times[-1], **job.kwargs)
        except Exception as exc:  # noqa: BLE001 - one unsendable run must not stop the scheduler
            logger.error("source=%s due at %s: the run was not sent: %r", job.name, run_times[-1].isoformat(), exc)
        self._run_job_success(job.id, [])


def run_cluster_scheduler(
    config: Config, db_url: str, broker_url: str, *, run_timeout: float | None = None,
    metrics: ServiceMetrics | None = None,
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    for chatty in ("apscheduler", "alembic", "dramatiq"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    logging.getLogger("pika").setLevel(logging.CRITICAL)  # tracebacks for every refused connection; ours say it in one line
    ClusterScheduler(config, db_url, broker_url, run_timeout, metrics).serve()


class ClusterScheduler:
    """Stands by until it holds the lease, then sends every source's due runs to the engine."""

    def __init__(
        self, config: Config, db_url: str, broker_url: str, run_timeout: float | None,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.origin = config.path
        self.config = config
        self.sources: dict[str, Source] = {s.name: s for s in config.sources}
        self.db_url = db_url
        self.run_timeout = run_timeout or config.service.run_timeout_seconds
        self.archive = open_archive(db_url)  # creates or migrates the schema before anything else
        self.cadence = ArchiveCadence(self.archive)
        self.broker = engine.connect(broker_url)
        self.broker_url = broker_url
        self.stopping = threading.Event()
        self.reload_wanted = threading.Event()
        self.metrics = metrics
        self.active = False
        #: Due runs the broker did not take (it was down), by source: the latest due time of
        #: each, sent again every `LEASE_POLL_SECONDS` until the broker takes them.
        self.unsent: dict[str, tuple[float, datetime]] = {}
        self.unsent_lock = threading.Lock()
        self.state_broker: Any = None  # the metrics thread's own connection (Dramatiq's are per thread anyway)

    def serve(self) -> None:
        global _active_send
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        signal.signal(signal.SIGHUP, lambda *_: self.reload_wanted.set())
        _active_send = self.send
        if self.metrics is not None:
            self.metrics.watch(self.healthy, None)
            self.metrics.watch_engine(self.engine_state)
        try:
            while not self.stopping.is_set():
                lease = self.take_lease()
                if lease is None:
                    break
                try:
                    self.lead(lease)
                finally:
                    lease.close()
        finally:
            _active_send = None
            self.broker.close()
            self.archive.close()
            if self.metrics is not None:
                self.metrics.close()
        logger.info("stopped")

    def take_lease(self) -> AdvisoryLocks | None:
        """Wait until this process holds the lease (None: told to stop first)."""
        told = False
        while not self.stopping.is_set():
            try:
                lease = AdvisoryLocks(self.db_url, purpose="serve --broker")
            except LocksUnavailable as exc:
                logger.error("cannot take the scheduler lease: %s; trying again", exc)
                self.stopping.wait(LEASE_POLL_SECONDS)
                continue
            while not self.stopping.is_set():
                try:
                    if lease.try_lock(LEASE):
                        return lease
                except LocksUnavailable as exc:
                    logger.error("cannot take the scheduler lease: %s; trying again", exc)
                    break
                if not told:
                    logger.info("standing by: another `serve --broker` is the active scheduler")
                    told = True
                self.stopping.wait(LEASE_POLL_SECONDS)
            lease.close()
        return None

    def lead(self, lease: AdvisoryLocks) -> None:
        """Schedule every source and send its due runs while the lease holds; deliver the alerts meanwhile."""
        notifiers = Notifiers(self.archive, self.config)  # health changes from the streaks as they stand now
        # One UPDATE per due run (the reads come from memory: scheduler.job_store), and APScheduler
        # retries after an error: a ping before each statement would double its round trips.
        jobs_engine = create_archive_engine(parse_url(self.db_url), pre_ping=False)
        scheduler = BackgroundScheduler(
            timezone=UTC,
            jobstores={"default": LeaseHolderJobStore(jobs_engine, JOBS_TABLE)},
            executors={"default": DueRunSender()},
        )
        scheduler.start(paused=True)  # the job store is open: jobs already there keep their next due time
        telling = False
        try:
            schedule_sources(scheduler, send_due_run, self.config, self.run_timeout, self.cadence)
            scheduler.resume()
            self.active = True
            notifiers.start()
            telling = True
            logger.info("active scheduler: sending the due runs of %d source(s) to %s",
                        len(self.config.sources), engine.masked(self.broker_url))
            while not self.stopping.is_set():
                self.stopping.wait(LEASE_POLL_SECONDS)
                if not lease.alive():
                    logger.error("lost the scheduler lease (the database session ended): standing by")
                    return
                if self.reload_wanted.is_set():
                    self.reload_wanted.clear()
                    if self.reload(scheduler):
                        notifiers.follow(self.config)
                self.send_unsent()
                notifiers.poll_health()
        finally:
            self.active = False
            if telling:
                notifiers.stop()
            scheduler.shutdown(wait=False)
            jobs_engine.dispose()

    def send(self, source_name: str, timeout: float, due_at: datetime) -> None:
        """Send a due run; one the broker does not take now is kept and sent again (see `send_unsent`)."""
        source = self.sources.get(source_name)
        if source is None:
            return
        try:  # sent even while stopping: the job store has already moved past this due time
            engine.send_due_run(self.broker, source, due_at, timeout)
        except engine.ENQUEUE_ERRORS as exc:
            with self.unsent_lock:
                first = not self.unsent
                self.unsent[source_name] = (timeout, due_at)  # a newer due time replaces an older one
            if first:
                logger.error("the broker does not take runs (%s): keeping them, sending again every %.0fs",
                             engine.reason(exc), LEASE_POLL_SECONDS)
            return
        if self.metrics is not None:
            self.metrics.sent.inc()

    def send_unsent(self) -> None:
        """Send the runs the broker did not take, oldest due first, until it refuses again."""
        with self.unsent_lock:
            waiting = sorted(self.unsent.items(), key=lambda item: item[1][1])
        sent = 0
        for name, (timeout, due_at) in waiting:
            source = self.sources.get(name)
            try:
                if source is not None:
                    engine.send_due_run(self.broker, source, due_at, timeout)
            except engine.ENQUEUE_ERRORS:
                break
            with self.unsent_lock:
                if self.unsent.get(name) == (timeout, due_at):
                    del self.unsent[name]
            sent += 1
            if self.metrics is not None:
                self.metrics.sent.inc()
        if sent:
            logger.info("the broker takes runs again: %d kept run(s) sent", sent)

    def healthy(self) -> bool:
        """/healthz: running, active or standing by (a standby is healthy: it is ready to take over)."""
        return not self.stopping.is_set()

    def engine_state(self) -> tuple[bool, int, int]:
        """(holds the lease, runs ready, runs delayed), for the metrics."""
        ready, delayed = engine.queue_depth(self.broker)
        return self.active, ready, delayed

    def reload(self, scheduler: BackgroundScheduler) -> bool:
        """SIGHUP: the config file again; False when it was kept (the file is broken)."""
        fresh = reload_schedule(scheduler, send_due_run, self.origin, self.config, self.run_timeout, self.cadence)
        if fresh is None:
            return False
        self.config, self.sources = fresh, {s.name: s for s in fresh.sources}
        logger.info("config reloaded: %d source(s)", len(fresh.sources))
        return True
