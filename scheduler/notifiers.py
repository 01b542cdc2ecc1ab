"""What a scheduler tells people: its watches' alerts and its sources' health, run together.

`serve` runs them for its whole life and hands them each run's result (`on_result`: the
alerts go out at once, the streak moves). `serve --broker`'s active scheduler runs them
while it holds the lease (a standby tells nothing). It sees no run finish: the outbox is
polled every 2 s (`AlertSender`), and the failure streaks are read from the archive on the
lease loop (`poll_health`), at most every `HEALTH_POLL_SECONDS` and never more than about
`HEALTH_QUERY_SHARE` of the time (the query reads every source's runs).

Layout drift is judged on a source's archive summary (its latest articles): `serve` looks at a
source after each of its runs, on a thread of its own (`_drift_loop`), `serve --broker` at every
source's at most every `DRIFT_POLL_SECONDS`, with the same share of the time. Only with
`[alerts] health_notify` set: nobody else would be told.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from presswatch.crawler.config import Config
from presswatch.scheduler.alerts import AlertSender
from presswatch.scheduler.health import drift_problems
from presswatch.scheduler.health_alerts import HealthNotifier
from presswatch.scheduler.results import RunResult
from presswatch.storage import Archive, ArchiveError

logger = logging.getLogger(__name__)

HEALTH_POLL_SECONDS = 2.0
HEALTH_QUERY_SHARE = 0.05
DRIFT_POLL_SECONDS = 60.0


class Notifiers:
    """An `AlertSender` and a `HealthNotifier` on one archive and one config."""

    def __init__(self, archive: Archive, config: Config) -> None:
        self.archive = archive
        self.alerts = AlertSender(archive, config)
        self.health = HealthNotifier(config, archive.failure_streaks())  # changes from now on
        self._streak_reads = NowAndThen(HEALTH_POLL_SECONDS)
        self._drift_reads = NowAndThen(DRIFT_POLL_SECONDS)
        self._drift_pending: set[str] = set()
        self._drift_wake = threading.Condition()
        self._stopping = False
        self._drift_thread = threading.Thread(target=self._drift_loop, name="presswatch-drift", daemon=True)

    def start(self) -> None:
        self.alerts.start()
        self._drift_thread.start()

    def on_result(self, result: RunResult) -> None:
        self.alerts.wake()
        self.health.on_result(result)
        if result.status != "interrupted" and self.health.config.alerts.health_notify:
            with self._drift_wake:
                self._drift_pending.add(result.source)
                self._drift_wake.notify()

    def _drift_loop(self) -> None:
        """`serve`: each source with a finished run looked at again (off the pool's thread)."""
        while True:
            with self._drift_wake:
                self._drift_wake.wait_for(lambda: self._drift_pending or self._stopping)
                if self._stopping:
                    return
                sources, self._drift_pending = sorted(self._drift_pending), set()
            for source in sources:
                try:
                    self.health.follow_drift(source, drift_problems(self.archive.source_summary(source)))
                except (ArchiveError, SQLAlchemyError) as exc:
                    logger.warning("health alerts: cannot read source=%s's recent pages (%s)", source, exc)

    def follow(self, config: Config) -> None:
        """A reloaded config: its watches and its `health_notify` from now on."""
        self.alerts.follow(config)
        self.health.config = config

    def poll_health(self) -> None:
        """Tell the health changes since the last poll, from the archive's failure streaks (and,
        now and then, every source's recent pages)."""
        streaks = self._streak_reads.read(self.archive.failure_streaks, "the failure streaks")
        if streaks is None:
            return
        self.health.follow_streaks(streaks, self._last_errors)
        if self.health.config.alerts.health_notify:
            summaries = self._drift_reads.read(self.archive.source_summaries, "the sources' recent pages")
            for summary in summaries or ():
                self.health.follow_drift(summary.source_name, drift_problems(summary))

    def _last_errors(self, source: str) -> dict[str, int]:
        try:
            return self.archive.last_failure_kinds(source)
        except (ArchiveError, SQLAlchemyError) as exc:
            logger.warning("health alerts: cannot read source=%s's last errors (%s)", source, exc)
            return {}

    def stop(self) -> None:
        self.alerts.stop()
        with self._drift_wake:
            self._stopping = True
            self._drift_wake.notify()
        if self._drift_thread.is_alive():
            self._drift_thread.join()


T = TypeVar("T")


@dataclass
class NowAndThen:
    """An archive read at most every `every` seconds, and further apart when it takes more than
    `HEALTH_QUERY_SHARE` of the time between two reads."""

    every: float
    due: float = 0.0

    def read(self, read: Callable[[], T], what: str) -> T | None:
        """`read()`, or None when it is not yet due or the archive failed (logged)."""
        began = time.monotonic()
        if began < self.due:
            return None
        try:
            value = read()
        except (ArchiveError, SQLAlchemyError) as exc:
            logger.warning("health alerts: cannot read %s (%s); trying again shortly", what, exc)
            return None
        self.due = began + max(self.every, (time.monotonic() - began) / HEALTH_QUERY_SHARE)
        return value
