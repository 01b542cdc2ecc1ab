"""How `presswatch serve` schedules sources: one stable job each, the right trigger."""
from __future__ import annotations

from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import parse_config
from scheduler.service import ChildRuns, schedule_sources, trigger_for

CONFIG = {
    "sources": [
        {"name": "wire", "start_urls": ["https://wire.example/"], "interval": "90s"},
        {"name": "ministry", "start_urls": ["https://m.example/"], "cron": "*/15 8-20 * * mon-fri",
         "timezone": "Asia/Baku"},
    ]
}


def test_interval_sources_run_at_once_then_every_interval_with_jitter() -> None:
    trigger, period = trigger_for(parse_config(CONFIG).sources[0])
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval == timedelta(seconds=90)
    assert trigger.jitter == 9.0
    assert period == 90


def test_cron_sources_run_in_their_own_time_zone() -> None:
    trigger, _ = trigger_for(parse_config(CONFIG).sources[1])
    assert isinstance(trigger, CronTrigger)
    assert trigger.timezone == ZoneInfo("Asia/Baku")
    assert str(trigger) == "cron[month='*', day='*', day_of_week='mon-fri', hour='8-20', minute='*/15']"


def test_each_source_gets_one_stable_job_and_removed_sources_lose_theirs() -> None:
    scheduler = BackgroundScheduler(timezone=timezone.utc)
    scheduler.start(paused=True)  # jobs go to the job store, nothing runs
    runs = ChildRuns("sources.toml", "sqlite:///x.db", "WARNING")
    config = parse_config(CONFIG)
    schedule_sources(scheduler, runs, config, None)
    schedule_sources(scheduler, runs, config, None)  # a reload: same ids, no duplicates
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["crawl:ministry", "crawl:wire"]
    assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
    assert jobs["crawl:wire"].args == ("wire", 300.0)
    assert jobs["crawl:ministry"].args == ("ministry", 3600.0)

    only_wire = parse_config({"sources": CONFIG["sources"][:1]})
    schedule_sources(scheduler, runs, only_wire, run_timeout=20)
    assert [job.id for job in scheduler.get_jobs()] == ["crawl:wire"]
    assert scheduler.get_job("crawl:wire").args == ("wire", 20)
    scheduler.shutdown(wait=False)


def test_a_run_result_is_read_from_the_childs_closing_json_line() -> None:
    from scheduler.service import RunResult, run_result

    output = 'noise\n{"source": "wire", "status": "ok", "seconds": 1.5, "pages_fetched": 9, "new": 3, "updated": 1, "unchanged": 4, "duplicates": 1, "errors": 2}\n'
    assert run_result("wire", 0, output, 2.0) == RunResult(
        "wire", "ok", 2.0,
        {"pages_fetched": 9, "not_modified": 0, "revisited": 0, "new": 3, "updated": 1, "unchanged": 4,
         "duplicates": 1, "errors": 2},
    )
    assert run_result("wire", 3, output, 2.0) == RunResult("wire", "failed", 2.0)
    assert run_result("wire", 0, "", 2.0) == RunResult("wire", "failed", 2.0)
