"""How `presswatch serve` schedules sources: one stable job each, the right trigger."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from presswatch.crawler.config import parse_config
from presswatch.scheduler.service import first_run_at, schedule_sources, trigger_for

CONFIG = {
    "sources": [
        {"name": "wire", "start_urls": ["https://wire.example/"], "interval": "90s"},
        {"name": "ministry", "start_urls": ["https://m.example/"], "cron": "*/15 8-20 * * mon-fri",
         "timezone": "Asia/Baku"},
    ]
}


def submit(source_name: str, timeout: float) -> bool:
    return True


def test_interval_sources_run_every_interval_exactly() -> None:
    trigger, period = trigger_for(parse_config(CONFIG).sources[0])
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval == timedelta(seconds=90)
    assert trigger.jitter is None  # the first runs are spread instead: a jitter would stretch the interval
    assert period == 90


def test_cron_sources_run_in_their_own_time_zone() -> None:
    trigger, _ = trigger_for(parse_config(CONFIG).sources[1])
    assert isinstance(trigger, CronTrigger)
    assert trigger.timezone == ZoneInfo("Asia/Baku")
    assert str(trigger) == "cron[month='*', day='*', day_of_week='mon-fri', hour='8-20', minute='*/15']"


def test_each_source_gets_one_stable_job_and_removed_sources_lose_theirs() -> None:
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.start(paused=True)  # jobs go to the job store, nothing runs
    config = parse_config(CONFIG)
    schedule_sources(scheduler, submit, config, None)
    schedule_sources(scheduler, submit, config, None)  # a reload: same ids, no duplicates
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["crawl:ministry", "crawl:wire"]
    assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
    assert jobs["crawl:wire"].args == ("wire", 300.0)
    assert jobs["crawl:ministry"].args == ("ministry", 3600.0)

    only_wire = parse_config({"sources": CONFIG["sources"][:1]})
    schedule_sources(scheduler, submit, only_wire, run_timeout=20)
    assert [job.id for job in scheduler.get_jobs()] == ["crawl:wire"]
    assert scheduler.get_job("crawl:wire").args == ("wire", 20)
    scheduler.shutdown(wait=False)


def test_first_runs_spread_over_the_interval_instead_of_firing_together() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    sources = parse_config({"sources": [
        {"name": f"src-{n:04d}", "start_urls": [f"https://s{n}.example/"], "interval": "60s"} for n in range(1000)
    ]}).sources
    offsets = sorted((first_run_at(s, 60, now) - now).total_seconds() for s in sources)
    assert 0 <= offsets[0] and offsets[-1] < 60
    per_second = [sum(1 for o in offsets if second <= o < second + 1) for second in range(60)]
    assert max(per_second) <= 40  # 1000 over 60 s: about 17 a second, never a burst
    assert first_run_at(sources[7], 60, now) == first_run_at(sources[7], 60, now)  # stable across restarts


def test_an_adaptive_source_spreads_over_its_shortest_interval() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    [source] = parse_config({"sources": [
        {"name": "wire", "start_urls": ["https://wire.example/"], "interval": "auto", "min_interval": "3s"}
    ]}).sources
    assert 0 <= (first_run_at(source, 3600, now) - now).total_seconds() < 3
