"""`presswatch worker --broker URL`: a worker host, running the due runs the job engine brings.

It is `serve` without the scheduler: the same long-lived crawl workers
(`scheduler.workers.WorkerPool`, `[service]` settings of `--config` when that file
exists) run the runs; Dramatiq (`scheduler.engine`) brings them. One Dramatiq thread
per run this host can hold at once (`workers` × `runs_per_worker`) takes a message,

1. reads the source from it (a message it cannot read is dropped, logged);
2. takes the run's cluster-wide locks (`scheduler.run_locks`): a source whose last run is
   still going on somewhere is skipped, as `serve` skips it;
3. skips a due time the archive already has a completed run for, or for a later due time
   (a run sent twice, or delivered again after a later one ran);
4. hands the run to the pool and waits for it. Only then is the message acknowledged.

A run that did not finish here (its crawl worker died, or this host is stopping) is sent
back to the queue, a second later, for any host; its first attempt stays `interrupted`.
If this whole process dies, RabbitMQ gives its unacknowledged runs to the other hosts,
and PostgreSQL frees its locks. SIGTERM/SIGINT: no new runs, running runs get
`stop_grace`, then the unfinished ones go back to the queue; exit 0. Several
`presswatch worker` processes may run on one host.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from presswatch.crawler.config import Config, load_config
from presswatch.crawler.service_settings import ServiceSettings
from presswatch.crawler.source_wire import WireError, source_from_wire
from presswatch.scheduler import engine
from presswatch.scheduler.metrics import ServiceMetrics
from presswatch.scheduler.results import RunResult, log_run
from presswatch.scheduler.run_locks import RunLocks
from presswatch.scheduler.workers import WorkerPool
from presswatch.storage import open_archive
from presswatch.storage.locks import AdvisoryLocks, LocksUnavailable
from presswatch.storage.runs import served

logger = logging.getLogger("presswatch.worker")

REDELIVER_DELAY_MS = 1000  # a run given back waits this long before any host may take it
GIVEN_BACK = "presswatch_given_back"  # the message option marking a run given back
LOCKS_RETRY_SECONDS = 2.0
IDLE_WAKE_MS = 5000


def worker_config(path: str, explicit: bool) -> Config | None:
    """The `[service]` and `[crawl]` settings of the worker's config; None: defaults (no file here)."""
    if not explicit and not Path(path).exists():
        return None
    return load_config(path, sources_required=False)


class ClusterWorker:
    """One worker host's engine consumer, lock session and crawl workers (see the module docstring)."""

    def __init__(
        self, broker_url: str, db_url: str, config: Config | None, *, log_level: str = "WARNING",
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.settings = config.service if config is not None else ServiceSettings()
        self.db_url = db_url
        self.metrics = metrics
        self.stopping = threading.Event()
        self.archive = open_archive(db_url)
        self.archive.require_writable()
        self.locks = RunLocks(AdvisoryLocks(db_url, purpose="presswatch worker"), self.stopping)
        self.locks_lost = threading.Event()
        self.pool = WorkerPool(
            self.settings, db_url, on_result=self.on_result, interrupt=self.archive.interrupt_runs,
            parse_workers=config.crawl.parse_workers if config is not None else 1, log_level=log_level,
            # If this process dies, RabbitMQ hands its runs to another host at once: its crawl
            # workers must stop at once too, not go on closing runs another host has taken over.
            orphaned="die",
        )
        import dramatiq
        from dramatiq.middleware import AgeLimit, CurrentMessage

        self.broker = engine.connect(broker_url, middleware=[AgeLimit(), CurrentMessage()])
        self.broker_url = broker_url
        dramatiq.actor(actor_name=engine.ACTOR, queue_name=engine.QUEUE, broker=self.broker)(self.execute)
        capacity = self.pool.slots * self.settings.runs_per_worker
        # Idle threads wake every IDLE_WAKE_MS (a message wakes one at once): at 500 ms, 100 threads
        # cost some 12 ms of CPU a second doing nothing.
        self.consumer = dramatiq.Worker(self.broker, worker_threads=capacity, worker_timeout=IDLE_WAKE_MS)

    # -- lifecycle -------------------------------------------------------------------------
    def serve(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        self.pool.start()
        if self.metrics is not None:
            self.metrics.watch(self.healthy, self.pool.state)
        self.consumer.start()
        logger.info("worker ready: %d crawl worker(s), up to %d runs at once, runs from %s",
                    self.pool.slots, self.pool.slots * self.settings.runs_per_worker, engine.masked(self.broker_url))
        while not self.stopping.is_set():
            self.stopping.wait(0.5)
            if self.locks_lost.is_set():
                self.reopen_locks()
        self.stop()

    def stop(self) -> None:
        grace = self.settings.stop_grace_seconds
        logger.info("stopping: no new runs; running runs get %ds, then go back to the queue", grace)
        self.pool.stop(grace)  # every waiting Dramatiq thread gets its run's end
        self.consumer.stop(timeout=int((grace + 60) * 1000))  # unstarted prefetched runs go back to RabbitMQ
        self.broker.close()
        self.locks.locks.close()
        if self.metrics is not None:
            self.metrics.close()
        self.archive.close()
        logger.info("stopped")

    def healthy(self) -> bool:
        return not self.stopping.is_set() and not self.locks_lost.is_set() and self.pool.state().healthy

    def reopen_locks(self) -> None:
        try:
            fresh = AdvisoryLocks(self.db_url, purpose="presswatch worker")
        except LocksUnavailable as exc:
            logger.error("cannot open the lock session again: %s; trying again", exc)
            self.stopping.wait(LOCKS_RETRY_SECONDS)
            return
        old, self.locks.locks = self.locks.locks, fresh
        old.close()
        self.locks_lost.clear()
        logger.info("lock session open again")

    def on_result(self, result: RunResult) -> None:
        log_run(result)
        if self.metrics is not None:
            self.metrics.observe(result)

    # -- one message (on a Dramatiq thread) ------------------------------------------------
    def execute(self, wire: Any, due_text: str, timeout: float) -> None:
        from dramatiq.middleware import CurrentMessage

        message = CurrentMessage.get_current_message()
        try:
            source = source_from_wire(wire)
            due_at = datetime.fromisoformat(due_text)
            timeout = float(timeout)
        except (WireError, ValueError, TypeError) as exc:
            logger.error("a run message that cannot be read was dropped: %s", exc)
            return
        if message is not None and self.metrics is not None:
            self.metrics.queue_wait(time.time() - message.message_timestamp / 1000)
        if self.stopping.is_set():
            self.give_back(message, source.name, "this worker is stopping")
            return
        again = message is not None and bool(getattr(message, "redelivered", False) or message.options.get(GIVEN_BACK))
        try:
            # A run delivered again (its worker died or stopped) waits for its source as long as
            # a run may last rather than be skipped: it may be the only one left of that due time.
            held = self.locks.take(source, site_wait=timeout, source_wait=timeout if again else None)
        except LocksUnavailable as exc:
            logger.error("source=%s: %s", source.name, exc)
            self.locks_lost.set()
            self.give_back(message, source.name, "the lock session was lost")
            return
        if isinstance(held, str):
            if self.stopping.is_set():
                self.give_back(message, source.name, "this worker is stopping")
                return
            logger.info("source=%s due at %s: check skipped (%s)", source.name, due_text, held)
            if self.metrics is not None:
                self.metrics.skipped(source.name)
            return
        try:
            self.run(message, source, due_at, timeout)
        finally:
            try:
                self.locks.give_back(source, held)
            except LocksUnavailable:
                self.locks_lost.set()  # the session is gone, and its locks with it

    def run(self, message: Any, source: Any, due_at: datetime, timeout: float) -> None:
        try:  # on the lock session: one round trip, where the archive's pool would take four
            already = self.locks.locks.read(lambda connection: served(connection, source.name, due_at))
        except LocksUnavailable as exc:
            logger.error("source=%s: %s", source.name, exc)
            self.locks_lost.set()
            self.give_back(message, source.name, "the lock session was lost")
            return
        if already:
            logger.info("source=%s due at %s: already run (by this due time's run, sent twice, or a later one)",
                        source.name, due_at.isoformat())
            return
        ended = threading.Event()
        outcome: list[tuple[RunResult, bool]] = []

        def done(result: RunResult, lost: bool) -> None:
            outcome.append((result, lost))
            ended.set()

        if not self.pool.submit(source, timeout, scheduled_for=due_at, sole=True, on_done=done):
            self.give_back(message, source.name, "this worker is stopping")
            return
        ended.wait()
        result, lost = outcome[0]
        if lost:
            self.give_back(message, source.name, result.note or "its run did not finish here")

    def give_back(self, message: Any, source_name: str, why: str) -> None:
        """Send the run back to the queue for any host (this message is then acknowledged)."""
        if message is None:
            return
        try:
            self.broker.enqueue(message.copy(queue_name=engine.QUEUE, options={GIVEN_BACK: True}),
                                delay=REDELIVER_DELAY_MS)
        except Exception as exc:  # noqa: BLE001 - the run is lost until the source's next due time
            logger.error("source=%s: could not give the run back to the queue (%s): %r", source_name, why, exc)
            return
        logger.info("source=%s: run given back to the queue (%s)", source_name, why)


def run_cluster_worker(
    broker_url: str, db_url: str, config: Config | None, *, log_level: str, metrics: ServiceMetrics | None,
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    for chatty in ("alembic", "dramatiq"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    logging.getLogger("pika").setLevel(logging.CRITICAL)  # tracebacks for every refused connection; Dramatiq's say it in one line
    ClusterWorker(broker_url, db_url, config, log_level=log_level, metrics=metrics).serve()
