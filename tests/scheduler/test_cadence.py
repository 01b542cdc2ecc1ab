"""Adaptive cadence: a source that publishes often is crawled often, a quiet one less, within bounds."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import parse_config
from scheduler.cadence import adaptive_interval, describe_interval
from scheduler.service import retune, schedule_sources, trigger_for

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MINUTE, HOUR = 60, 3600


def every(gap: timedelta, count: int, last: datetime = NOW) -> list[datetime]:
    return [last - gap * n for n in range(count)]


def test_a_busy_source_is_crawled_twice_per_gap_between_its_releases() -> None:
    published = every(timedelta(hours=1), 24)  # hourly for a day
    # 24 releases over the 23 h since the first: a gap of 57.5 min, checked every 28.75 min
    assert adaptive_interval(published, NOW, 5 * MINUTE, 6 * HOUR) == 1725


def test_the_interval_stays_within_its_bounds() -> None:
    assert adaptive_interval(every(timedelta(minutes=1), 500), NOW, 5 * MINUTE, 6 * HOUR) == 5 * MINUTE
    assert adaptive_interval(every(timedelta(days=3), 3), NOW, 5 * MINUTE, 6 * HOUR) == 6 * HOUR


def test_a_source_that_went_quiet_backs_off_as_the_silence_grows() -> None:
    burst = every(timedelta(minutes=10), 12, last=NOW - timedelta(hours=2))
    soon = adaptive_interval(burst, NOW, 5 * MINUTE, 6 * HOUR)
    later = adaptive_interval(burst, NOW + timedelta(hours=10), 5 * MINUTE, 6 * HOUR)
    assert soon < later
    assert (soon, later) == (575, 2075)  # (2 h + 110 min) / 12 / 2; (12 h + 110 min) / 12 / 2


def test_nothing_published_in_the_last_week_means_the_longest_interval() -> None:
    assert adaptive_interval([], NOW, 5 * MINUTE, 6 * HOUR) == 6 * HOUR
    assert adaptive_interval(every(timedelta(days=1), 3, last=NOW - timedelta(days=8)), NOW, 300, 21600) == 21600
    assert adaptive_interval([NOW + timedelta(hours=1)], NOW, 300, 21600) == 21600  # a future date is no evidence


def test_intervals_are_described_in_two_units_at_most() -> None:
    assert [describe_interval(s) for s in (45, 90, 600, 3600, 5400, 86400, 90061)] == [
        "45s", "1m30s", "10m", "1h", "1h30m", "1d", "1d1h"
    ]


CONFIG = {
    "crawl": {"min_interval": "2m", "max_interval": "2h"},
    "sources": [{"name": "wire", "start_urls": ["https://wire.example/"], "interval": "auto"}],
}


def test_an_adaptive_source_is_scheduled_at_the_interval_its_cadence_picks() -> None:
    source = parse_config(CONFIG).sources[0]
    assert source.adaptive and source.crawl.interval_bounds == (120, 7200)
    trigger, period = trigger_for(source, cadence=lambda s: 900)
    assert isinstance(trigger, IntervalTrigger) and trigger.interval == timedelta(minutes=15)
    assert period == 900
    trigger, period = trigger_for(source)  # no archive to ask: the longest interval
    assert period == 7200


def test_after_a_run_an_adaptive_source_is_rescheduled_when_its_interval_changes() -> None:
    config = parse_config(CONFIG)
    source = config.sources[0]
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.start(paused=True)
    picked = [900]
    schedule_sources(scheduler, lambda name, timeout: True, config, None, lambda s: picked[0])
    assert retune(scheduler, source, lambda s: picked[0]) is None  # unchanged: the job is left alone
    picked[0] = 300
    assert retune(scheduler, source, lambda s: picked[0]) == 300
    assert scheduler.get_job("crawl:wire").trigger.interval == timedelta(minutes=5)
    scheduler.shutdown(wait=False)
