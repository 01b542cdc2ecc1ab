"""What a scheduler tells people: its watches' alerts and its sources' health, run together.

`serve` runs them for its whole life and hands them each run's result (`on_result`: the
alerts go out at once, the streak moves). `serve --broker`'s active scheduler runs them
while it holds the lease (a standby tells nothing). It sees no run finish: the outbox is
polled every 2 s (`AlertSender`), and the failure streaks are read from the archive on the
lease loop (`poll_health`), at most every `HEALTH_POLL_SECONDS` and never more than about
`HEALTH_QUERY_SHARE` of the time (the query reads every source's runs).
"""
from __future__ import annotations

import logging
import time

from sqlalchemy.exc import SQLAlchemyError

from crawler.config import Config
from scheduler.alerts import AlertSender
from scheduler.health_alerts import HealthNotifier
from scheduler.results import RunResult
from storage import Archive, ArchiveError

logger = logging.getLogger(__name__)

HEALTH_POLL_SECONDS = 2.0
HEALTH_QUERY_SHARE = 0.05


class Notifiers:
    """An `AlertSender` and a `HealthNotifier` on one archive and one config."""

    def __init__(self, archive: Archive, config: Config) -> None:
        self.archive = archive
        self.alerts = AlertSender(archive, config)
        self.health = HealthNotifier(config, archive.failure_streaks())  # changes from now on
        self._health_due = 0.0

    def start(self) -> None:
        self.alerts.start()

    def on_result(self, result: RunResult) -> None:
        self.alerts.wake()
        self.health.on_result(result)

    def follow(self, config: Config) -> None:
        """A reloaded config: its watches and its `health_notify` from now on."""
        self.alerts.follow(config)
        self.health.config = config

    def poll_health(self) -> None:
        """Tell the health changes since the last poll, from the archive's failure streaks."""
        began = time.monotonic()
        if began < self._health_due:
            return
        try:
            streaks = self.archive.failure_streaks()
        except (ArchiveError, SQLAlchemyError) as exc:
            logger.warning("health alerts: cannot read the failure streaks (%s); trying again shortly", exc)
            return
        took = time.monotonic() - began
        self._health_due = began + max(HEALTH_POLL_SECONDS, took / HEALTH_QUERY_SHARE)
        self.health.follow_streaks(streaks, self._last_errors)

    def _last_errors(self, source: str) -> dict[str, int]:
        try:
            return self.archive.last_failure_kinds(source)
        except (ArchiveError, SQLAlchemyError) as exc:
            logger.warning("health alerts: cannot read source=%s's last errors (%s)", source, exc)
            return {}

    def stop(self) -> None:
        self.alerts.stop()
