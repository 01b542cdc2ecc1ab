"""`[alerts] health_notify`: tell someone when a source turns unhealthy (failed runs in a row) and when it recovers.

The rule is `health_change`, pure: each run's status moves the source's failure streak; the
run that makes it reach `MAX_CONSECUTIVE_FAILURES` sends one "UNHEALTHY" message, the first
`ok` run after that one "recovered". `serve` starts from the archive's streaks, so a restart
neither repeats nor misses a change.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

from crawler.config import Config
from crawler.watches import redacted
from scheduler.health import MAX_CONSECUTIVE_FAILURES
from scheduler.results import RunResult

logger = logging.getLogger(__name__)


def health_change(streak: int, status: str) -> tuple[int, str | None]:
    """(the new failure streak, "unhealthy" / "recovered" / None) after a run with `status`."""
    if status == "failed":
        streak += 1
        return streak, "unhealthy" if streak == MAX_CONSECUTIVE_FAILURES else None
    if status == "ok":
        return 0, "recovered" if streak >= MAX_CONSECUTIVE_FAILURES else None
    return streak, None  # interrupted: says nothing about the site


def health_message(change: str, result: RunResult, streak: int) -> tuple[str, str]:
    if change == "unhealthy":
        kinds = ", ".join(f"{kind}×{count}" for kind, count in sorted(result.error_kinds.items())) or "-"
        return (f"[presswatch] source {result.source} is UNHEALTHY",
                f"{streak} failed runs in a row; the last one's errors: {kinds}.\n"
                f"`presswatch sources` shows its state.\n")
    return f"[presswatch] source {result.source} recovered", "Its last run was ok again.\n"


class HealthNotifier:
    """Follows each source's failure streak across `serve`'s runs and sends the changes."""

    def __init__(self, config: Config, streaks: Mapping[str, int], environ: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.streaks = dict(streaks)
        self.environ = os.environ if environ is None else environ

    def on_result(self, result: RunResult) -> None:
        streak, change = health_change(self.streaks.get(result.source, 0), result.status)
        self.streaks[result.source] = streak
        if change is None or not self.config.alerts.health_notify:
            return
        title, body = health_message(change, result, streak)
        # Not on the caller's thread (the worker pool's): a slow channel must not hold up runs.
        threading.Thread(target=self._send, args=(result.source, title, body), name="presswatch-health-alert",
                         daemon=True).start()

    def _send(self, source: str, title: str, body: str) -> None:
        from scheduler.alerts import send

        for url in self.config.alerts.health_notify:
            outcome = send(url, title, body, self.environ)
            if not outcome.ok:
                logger.warning("health alert for source=%s to %s not delivered: %s", source, redacted(url),
                               outcome.message)
