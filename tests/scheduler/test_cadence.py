"""Adaptive cadence: a source that publishes often is crawled often, a quiet one less, within bounds."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from presswatch.crawler.config import parse_config
from presswatch.scheduler.cadence import adaptive_interval, describe_interval, typical_gap
from presswatch.scheduler.service import retune, schedule_sources, trigger_for

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MINUTE, HOUR = 60, 3600


def every(gap: timedelta, count: int, last: datetime = NOW) -> list[datetime]:
    return [last - gap * n for n in range(count)]


def test_a_busy_source_is_crawled_twice_per_gap_between_its_releases() -> None:
    published = every(timedelta(hours=1), 24)  # hourly for a day
    assert adaptive_interval(published, NOW, 5 * MINUTE, 6 * HOUR) == 30 * MINUTE


def test_office_hours_publishing_is_checked_at_half_its_daytime_gap_not_at_a_weekly_average() -> None:
    # 5 releases a day at 09, 11, 13, 15, 17 h for the last week: the nights' 16 h gaps are
    # a minority, so the typical gap is 2 h (an average over the week would say some 4 h).
    days = [NOW.replace(hour=0) - timedelta(days=d) for d in range(1, 7)]
    published = [day + timedelta(hours=h) for day in days for h in (9, 11, 13, 15, 17)]
    published += [NOW.replace(hour=9), NOW.replace(hour=11)]  # this morning; now is 12:00
    assert typical_gap(published, NOW) == 2 * HOUR
    assert adaptive_interval(published, NOW, 5 * MINUTE, 6 * HOUR) == HOUR
    assert describe_interval(adaptive_interval(published, NOW, 5 * MINUTE, 6 * HOUR)) == "1h"


def test_releases_dated_only_to_the_day_share_the_gap_before_them() -> None:
    # 5 releases a day, each dated midnight: 5 gaps of 24 h / 5, not 4 gaps of 0 and one of 24 h
    midnights = [NOW.replace(hour=0) - timedelta(days=d) for d in range(6)]
    published = [midnight for midnight in midnights for _ in range(5)]
    assert typical_gap(published, NOW) == 24 * HOUR / 5
    assert adaptive_interval(published, NOW, 5 * MINUTE, 6 * HOUR) == 8640  # 2 h 24 min


def test_recent_days_weigh_more_than_older_ones() -> None:
    # every 2 h from 6 days ago until yesterday (60 gaps), every 30 min over the last day (48):
    # a plain median says 2 h; weighted to recent days, the source now publishes every 30 min.
    before = [NOW - timedelta(days=1) - timedelta(hours=2) * n for n in range(1, 61)]
    lately = every(timedelta(minutes=30), 49)
    assert typical_gap(before + lately, NOW) == 30 * MINUTE
    assert adaptive_interval(before + lately, NOW, 5 * MINUTE, 6 * HOUR) == 15 * MINUTE


def test_the_interval_stays_within_its_bounds() -> None:
    assert adaptive_interval(every(timedelta(minutes=1), 500), NOW, 5 * MINUTE, 6 * HOUR) == 5 * MINUTE
    assert adaptive_interval(every(timedelta(days=3), 3), NOW, 5 * MINUTE, 6 * HOUR) == 6 * HOUR


def test_a_source_silent_for_longer_than_any_gap_backs_off_as_the_silence_grows() -> None:
    burst = every(timedelta(minutes=10), 12, last=NOW - timedelta(hours=2))
    assert adaptive_interval(burst, NOW - timedelta(hours=2), 5 * MINUTE, 6 * HOUR) == 5 * MINUTE
    soon = adaptive_interval(burst, NOW, 5 * MINUTE, 6 * HOUR)
    later = adaptive_interval(burst, NOW + timedelta(hours=4), 5 * MINUTE, 6 * HOUR)
    assert (soon, later) == (HOUR, 3 * HOUR)  # half the silence so far: 2 h, then 6 h


def test_a_night_no_longer_than_the_nights_before_is_not_a_silence() -> None:
    days = [NOW.replace(hour=0) - timedelta(days=d) for d in range(1, 7)]
    published = [day + timedelta(hours=h) for day in days for h in (9, 11, 13, 15, 17)]
    dawn = NOW.replace(hour=7)  # 14 h since yesterday's 17:00 release; the nights were 16 h
    assert adaptive_interval(published, dawn, 5 * MINUTE, 6 * HOUR) == HOUR


def test_a_single_recent_release_or_batch_gives_the_time_since_it_per_release() -> None:
    assert adaptive_interval([NOW - timedelta(hours=3)], NOW, 5 * MINUTE, 6 * HOUR) == 90 * MINUTE
    assert adaptive_interval([NOW - timedelta(hours=3)] * 6, NOW, 5 * MINUTE, 6 * HOUR) == 15 * MINUTE


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
