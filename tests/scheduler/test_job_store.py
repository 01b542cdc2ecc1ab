"""The active scheduler's job store: jobs kept in the archive, read from memory (`scheduler.job_store`)."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, event, text

from presswatch.scheduler.job_store import LeaseHolderJobStore
from presswatch.storage.dialect import create_archive_engine, parse_url

# Due times ahead of the clock: a scheduler shut down while paused runs its overdue jobs once more.
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
TABLE = "scheduler_jobs"


def due_run(source: str) -> None:  # what the jobs name; never called here
    raise AssertionError(source)


@pytest.fixture
def engine(archive_url: str) -> Iterator[Engine]:
    engine = create_archive_engine(parse_url(archive_url), pre_ping=False)
    yield engine
    engine.dispose()


def start_store(engine: Engine) -> tuple[BackgroundScheduler, LeaseHolderJobStore]:
    """A scheduler as `serve --broker` starts one on taking the lease: paused, its store open."""
    scheduler = BackgroundScheduler(timezone=UTC, jobstores={"default": LeaseHolderJobStore(engine, TABLE)})
    scheduler.start(paused=True)
    return scheduler, scheduler._lookup_jobstore("default")


def fire_due_jobs(store: LeaseHolderJobStore, now: datetime) -> list[str]:
    """What APScheduler does with a store at a wake-up: due jobs, each moved on, the next wake-up."""
    fired = []
    for job in store.get_due_jobs(now):
        fired.append(job.id)
        job._modify(next_run_time=job.trigger.get_next_fire_time(job.next_run_time, now))
        store.update_job(job)
    store.get_next_run_time()
    return fired


def statements_of(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_: seen.append(statement))
    return seen


def test_a_due_run_costs_the_archive_one_update_and_nothing_else(engine: Engine) -> None:
    scheduler, store = start_store(engine)
    scheduler.add_job(due_run, "interval", args=["wire"], seconds=60, start_date=T0, id="wire", next_run_time=T0)
    scheduler.add_job(due_run, "interval", args=["gov"], seconds=60, start_date=T0, id="gov",
                      next_run_time=T0 + timedelta(seconds=30))
    seen = statements_of(engine)

    assert fire_due_jobs(store, T0) == ["wire"]
    assert [s.split()[0] for s in seen if s != "BEGIN"] == ["UPDATE"]  # SQLite's BEGIN: no round trip
    assert store.get_next_run_time() == T0 + timedelta(seconds=30)
    scheduler.shutdown(wait=False)


def test_a_scheduler_taking_over_carries_on_from_the_recorded_due_times(engine: Engine) -> None:
    first, store = start_store(engine)
    first.add_job(due_run, "interval", args=["wire"], seconds=60, start_date=T0, id="wire", next_run_time=T0)
    fire_due_jobs(store, T0)
    first.shutdown(wait=False)

    second, taken_over = start_store(engine)
    assert [(job.id, job.next_run_time) for job in taken_over.get_all_jobs()] == [("wire", T0 + timedelta(seconds=60))]
    assert taken_over.get_due_jobs(T0 + timedelta(seconds=59)) == []
    assert [job.id for job in taken_over.get_due_jobs(T0 + timedelta(seconds=60))] == ["wire"]
    second.shutdown(wait=False)


def test_a_write_the_archive_refuses_is_logged_and_the_schedule_goes_on(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    scheduler, store = start_store(engine)
    scheduler.add_job(due_run, "interval", args=["wire"], seconds=60, start_date=T0, id="wire", next_run_time=T0)
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE {TABLE}"))

    with caplog.at_level(logging.ERROR, logger="presswatch.service"):
        assert fire_due_jobs(store, T0) == ["wire"]  # no exception: it would end APScheduler's thread

    assert store.get_next_run_time() == T0 + timedelta(seconds=60)
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "the archive did not record wire's next due time"
    ]
    scheduler.shutdown(wait=False)
