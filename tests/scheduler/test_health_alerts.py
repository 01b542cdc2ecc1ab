"""`[alerts] health_notify`: the pure rule of when a source's health changes."""
from __future__ import annotations

import pytest

from presswatch.crawler.config import ConfigError, parse_config
from presswatch.scheduler.health_alerts import health_change, health_message, streak_changes

SOURCE = {"name": "site", "start_urls": ["http://127.0.0.1:9/news"]}


def test_the_third_failure_in_a_row_turns_a_source_unhealthy_once() -> None:
    streak, changes = 0, []
    for status in ("failed", "failed", "interrupted", "failed", "failed", "failed", "ok", "ok", "failed"):
        streak, change = health_change(streak, status)
        changes.append(change)
    assert changes == [None, None, None, "unhealthy", None, None, "recovered", None, None]
    assert streak == 1


def test_a_streak_read_now_and_then_tells_each_change_once() -> None:
    # serve --broker reads the archive's streaks every few seconds: runs may have ended in between
    assert streak_changes(0, 2) == []
    assert streak_changes(2, 3) == ["unhealthy"]
    assert streak_changes(1, 5) == ["unhealthy"]  # several failed runs since the last look
    assert streak_changes(3, 4) == []  # already told
    assert streak_changes(4, 0) == ["recovered"]
    assert streak_changes(2, 0) == []  # never told it was unhealthy
    assert streak_changes(5, 1) == ["recovered"]  # an ok run, then a new failure
    assert streak_changes(5, 3) == ["recovered", "unhealthy"]  # an ok run, then three failures
    assert streak_changes(0, 0) == []


def test_the_unhealthy_message_names_the_source_and_its_errors() -> None:
    title, body = health_message("unhealthy", "site", 3, {"connection_refused": 3})
    assert title == "[presswatch] source site is UNHEALTHY"
    assert body.startswith("3 failed runs in a row; the last one's errors: connection_refused×3.")


def test_the_alerts_table_is_validated() -> None:
    config = parse_config({"sources": [SOURCE], "alerts": {"health_notify": ["json://127.0.0.1:8080/h"]}})
    assert config.alerts.health_notify == ("json://127.0.0.1:8080/h",)
    with pytest.raises(ConfigError) as caught:
        parse_config({"sources": [SOURCE], "alerts": {"health": [], "health_notify": ["mailto://a:b@c"]}})
    assert caught.value.problems == [
        "[alerts]: key 'health': unknown key (allowed: feeds_dir, health_notify)",
        "[alerts]: key 'health_notify': entry 1 (mailto://c/…) holds a password in clear: put it in an "
        "environment variable and write ${VAR} instead",
    ]


def test_drift_is_told_when_it_starts_and_when_it_ends_and_a_first_look_only_records() -> None:
    from presswatch.scheduler.health_alerts import HealthNotifier
    from tests.alerts.servers import Webhook, wait_for

    hook = Webhook().start()
    try:
        config = parse_config({"sources": [SOURCE], "alerts": {"health_notify": [hook.url]}})
        notifier = HealthNotifier(config, {})
        notifier.follow_drift("site", ["60% of recent articles without date"])  # as found after a restart
        notifier.follow_drift("site", [])
        wait_for(lambda: len(hook.delivered()) == 1, "the all-clear")
        notifier.follow_drift("site", [])
        notifier.follow_drift("site", ["75% of recent articles without headline"])
        notifier.follow_drift("site", ["80% of recent articles without headline"])  # still drifting: told already
        notifier.follow_drift("other", [])
        wait_for(lambda: len(hook.delivered()) == 2, "the drift alert")
        notifier.follow_drift("site", [])
        wait_for(lambda: len(hook.delivered()) == 3, "the second all-clear")
    finally:
        hook.stop()
    assert [(a["title"], a["message"].split(":")[0].strip()) for a in hook.delivered()] == [
        ("[presswatch] source site's pages are complete again", "No field is missing from its recent pages."),
        ("[presswatch] source site is UNHEALTHY: layout drift", "75% of recent articles without headline"),
        ("[presswatch] source site's pages are complete again", "No field is missing from its recent pages."),
    ]
