"""`[alerts] health_notify`: tell someone when a source turns unhealthy (failed runs in a row, or
layout drift: recent pages lack a field) and when it recovers.

The rule is `streak_changes`, pure: a source's failure streak moving from one value to
another says "unhealthy" when it reaches `MAX_CONSECUTIVE_FAILURES` and "recovered" when an
`ok` run ends it after that (`health_change`: the same for one run's status). `serve` moves
the streaks with each run's result; `serve --broker`, which sees no runs finish, reads them
from the archive every few seconds (`HealthNotifier.follow_streaks`). Both start from the
archive's streaks, so a restart or a take-over neither repeats nor misses a change.

Layout drift (`scheduler.health.drift_problems`: a field missing from most recent pages) is
followed the same way from each source's archive summary (`follow_drift`): its start and its
end are told once each; the first look at a source after a (re)start only records its state.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence

from presswatch.crawler.config import Config
from presswatch.crawler.watches import redacted
from presswatch.scheduler.health import MAX_CONSECUTIVE_FAILURES
from presswatch.scheduler.results import RunResult

logger = logging.getLogger(__name__)

#: The errors by kind of a source's last failed run (named in the "UNHEALTHY" message).
LastErrors = Callable[[str], Mapping[str, int]]


def streak_changes(before: int, after: int) -> list[str]:
    """What a source's failure streak going from `before` to `after` tells, in order.

    A streak only grows by failed runs and only falls by an `ok` run (to 0, then failures
    may follow): reaching `MAX_CONSECUTIVE_FAILURES` is "unhealthy", falling from there is
    "recovered" (then "unhealthy" again when it is already back at the limit).
    """
    changes = []
    if after < before and before >= MAX_CONSECUTIVE_FAILURES:
        changes.append("recovered")
    if after >= MAX_CONSECUTIVE_FAILURES and (before < MAX_CONSECUTIVE_FAILURES or after < before):
        changes.append("unhealthy")
    return changes


def health_change(streak: int, status: str) -> tuple[int, str | None]:
    """(the new failure streak, "unhealthy" / "recovered" / None) after a run with `status`."""
    after = streak + 1 if status == "failed" else 0 if status == "ok" else streak  # interrupted: says nothing
    changes = streak_changes(streak, after)
    return after, changes[-1] if changes else None


def health_message(change: str, source: str, streak: int, error_kinds: Mapping[str, int]) -> tuple[str, str]:
    if change == "unhealthy":
        kinds = ", ".join(f"{kind}×{count}" for kind, count in sorted(error_kinds.items())) or "-"
        return (f"[presswatch] source {source} is UNHEALTHY",
                f"{streak} failed runs in a row; the last one's errors: {kinds}.\n"
                f"`presswatch sources` shows its state.\n")
    return f"[presswatch] source {source} recovered", "Its last run was ok again.\n"


def drift_message(source: str, problems: tuple[str, ...]) -> tuple[str, str]:
    if problems:
        return (f"[presswatch] source {source} is UNHEALTHY: layout drift",
                f"{'; '.join(problems)}: the site's pages may have changed under the parser.\n"
                f"`presswatch sources` shows its state; a source `selectors` table can fix it.\n")
    return f"[presswatch] source {source}'s pages are complete again", "No field is missing from its recent pages.\n"


class HealthNotifier:
    """Follows each source's failure streak and sends its changes (`on_result` after each run in
    `serve`, `follow_streaks` with the archive's streaks in `serve --broker`)."""

    def __init__(self, config: Config, streaks: Mapping[str, int], environ: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.streaks = dict(streaks)
        self.drifting: dict[str, tuple[str, ...]] = {}  # the drift problems last seen, by source
        self.environ = os.environ if environ is None else environ

    def on_result(self, result: RunResult) -> None:
        after, _ = health_change(self.streaks.get(result.source, 0), result.status)
        self._move(result.source, after, lambda _: result.error_kinds)

    def follow_streaks(self, streaks: Mapping[str, int], last_errors: LastErrors) -> None:
        """The streaks as the archive has them now (sources without failures left out)."""
        for source in sorted(self.streaks.keys() | streaks.keys()):
            self._move(source, streaks.get(source, 0), last_errors)

    def follow_drift(self, source: str, problems: Sequence[str]) -> None:
        """The source's drift problems as its archive summary gives them now."""
        before, now = self.drifting.get(source), tuple(problems)
        self.drifting[source] = now
        if before is not None and bool(before) != bool(now):
            self._tell(source, [drift_message(source, now)])

    def _move(self, source: str, after: int, last_errors: LastErrors) -> None:
        changes = streak_changes(self.streaks.get(source, 0), after)
        self.streaks[source] = after
        if changes and self.config.alerts.health_notify:
            self._tell(source, [health_message(change, source, after,
                                               last_errors(source) if change == "unhealthy" else {})
                                for change in changes])

    def _tell(self, source: str, messages: list[tuple[str, str]]) -> None:
        if not self.config.alerts.health_notify:
            return
        # Not on the caller's thread (the worker pool's, the lease's): a slow channel must not hold it up.
        threading.Thread(target=self._send, args=(source, messages), name="presswatch-health-alert",
                         daemon=True).start()

    def _send(self, source: str, messages: list[tuple[str, str]]) -> None:
        from presswatch.scheduler.alerts import send

        for title, body in messages:
            for url in self.config.alerts.health_notify:
                outcome = send(url, title, body, self.environ)
                if not outcome.ok:
                    logger.warning("health alert for source=%s to %s not delivered: %s", source, redacted(url),
                                   outcome.message)
