"""Crawl runs, their failures, and the per-source summary."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from presswatch.storage import Archive, ArticleIn, LayoutDrift, RunCounts, SourceSummary
from presswatch.storage.models import CrawlError, CrawlRun
from tests.storage.helpers import select_rows

MakeArticle = Callable[..., ArticleIn]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the fake clock's start
RUN_COLUMNS = (
    CrawlRun.id, CrawlRun.source, CrawlRun.started_at, CrawlRun.finished_at, CrawlRun.status,
    CrawlRun.pages_fetched, CrawlRun.new, CrawlRun.updated, CrawlRun.unchanged, CrawlRun.duplicates, CrawlRun.errors,
)


def test_a_run_is_recorded_from_start_to_finish(archive: Archive, clock: Any) -> None:
    run_id = archive.start_run("example-en")
    assert select_rows(archive, *RUN_COLUMNS, order_by=CrawlRun.id) == [
        (run_id, "example-en", T0, None, "running", 0, 0, 0, 0, 0, 0)
    ]
    clock.advance(minutes=3)
    counts = RunCounts(pages_fetched=40, new=7, updated=2, unchanged=30, duplicates=1, errors=3)
    archive.finish_run(run_id, "ok", counts)
    assert select_rows(archive, *RUN_COLUMNS, order_by=CrawlRun.id) == [
        (run_id, "example-en", T0, T0 + timedelta(minutes=3), "ok", 40, 7, 2, 30, 1, 3)
    ]


def test_run_counts_default_to_zero() -> None:
    assert RunCounts() == RunCounts(0, 0, 0, 0, 0, 0, 0, 0)


def test_finishing_with_an_unknown_status_or_run_is_refused(archive: Archive) -> None:
    run_id = archive.start_run("example-en")
    with pytest.raises(ValueError, match="run status 'done' is not one of"):
        archive.finish_run(run_id, "done", RunCounts())
    with pytest.raises(ValueError, match="no crawl run with id 999"):
        archive.finish_run(999, "ok", RunCounts())


def test_failures_are_recorded_with_url_kind_status_and_message(
    archive: Archive, clock: Any
) -> None:
    run_id = archive.start_run("example-en")
    archive.record_failure(
        run_id, "https://news.example.az/en/a", "http", 503, "Service Unavailable"
    )
    clock.advance(seconds=5)
    archive.record_failure(run_id, "https://news.example.az/en/b", "timeout", None, "x" * 5000)
    query = select(
        CrawlError.run_id, CrawlError.url, CrawlError.kind, CrawlError.status,
        CrawlError.message, CrawlError.occurred_at,
    ).order_by(CrawlError.id)
    with archive.engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(query)]
    assert rows == [
        (run_id, "https://news.example.az/en/a", "http", 503, "Service Unavailable", T0),
        (run_id, "https://news.example.az/en/b", "timeout", None, "x" * 4000,
         T0 + timedelta(seconds=5)),
    ]


def test_source_summaries_report_runs_articles_and_failures(
    archive: Archive, clock: Any, make_article: MakeArticle
) -> None:
    ok = archive.start_run("example-en")
    archive.save_article(make_article(), seen_at=clock.advance(minutes=1))
    archive.finish_run(ok, "ok", RunCounts(new=1))
    success_at = clock.now
    for status in ("failed", "interrupted", "failed"):
        clock.advance(hours=1)
        archive.finish_run(archive.start_run("example-en"), status, RunCounts(errors=1))
    clock.advance(hours=1)
    last = archive.start_run("example-en")  # still running
    other = archive.start_run("other-daily")
    archive.finish_run(other, "failed", RunCounts(errors=2))

    assert archive.source_summaries() == [
        SourceSummary(
            source_name="example-en",
            articles=1,
            last_run_started_at=clock.now,
            last_run_finished_at=None,
            last_run_status="running",
            last_success_at=success_at,
            last_new_article_at=T0 + timedelta(minutes=1),
            consecutive_failures=2,
            last_run_errors=0,
            drift=LayoutDrift(recent_articles=1, without_headline=0, without_date=0, recent_pages=1,
                              pages_without_text=0),
        ),
        SourceSummary(
            source_name="other-daily",
            articles=0,
            last_run_started_at=clock.now,
            last_run_finished_at=clock.now,
            last_run_status="failed",
            last_success_at=None,
            last_new_article_at=None,
            consecutive_failures=1,
            last_run_errors=2,
            drift=LayoutDrift(recent_articles=0, without_headline=0, without_date=0, recent_pages=0,
                              pages_without_text=0),
        ),
    ]
    assert last > ok


def test_a_successful_run_resets_consecutive_failures(archive: Archive, clock: Any) -> None:
    for status in ("failed", "failed", "ok"):
        clock.advance(minutes=10)
        archive.finish_run(archive.start_run("example-en"), status, RunCounts())
    (summary,) = archive.source_summaries()
    assert (summary.consecutive_failures, summary.last_success_at) == (0, clock.now)


def test_sources_with_articles_but_no_runs_are_summarised(
    archive: Archive, make_article: MakeArticle
) -> None:
    archive.save_article(make_article(source_name="imported"), seen_at=T0)
    assert archive.source_summaries() == [
        SourceSummary("imported", 1, None, None, None, None, T0, 0, drift=LayoutDrift(1, 0, 0, 0, 0))
    ]


def test_an_empty_archive_has_no_source_summaries(archive: Archive) -> None:
    assert archive.source_summaries() == []


def test_a_run_records_its_process_and_its_failures_by_kind(archive: Archive) -> None:
    run_id = archive.start_run("example-en")
    archive.finish_run(run_id, "ok", RunCounts(errors=3, revisited=4), {"timeout": 1, "http_status": 2, "empty": 0})
    process_and_kinds = (CrawlRun.host, CrawlRun.pid, CrawlRun.error_kinds, CrawlRun.revisited)
    assert select_rows(archive, *process_and_kinds, order_by=CrawlRun.id) == [
        (socket.gethostname(), os.getpid(), '{"http_status": 2, "timeout": 1}', 4)
    ]
    (summary,) = archive.source_summaries()
    assert summary.last_run_error_kinds == {"http_status": 2, "timeout": 1}


def _insert_running(archive: Archive, host: str | None, pid: int | None, started_at: datetime) -> None:
    with archive.engine.begin() as connection:
        connection.execute(
            insert(CrawlRun).values(
                source="example-en", started_at=started_at, status="running", host=host, pid=pid,
                pages_fetched=0, new=0, updated=0, unchanged=0, duplicates=0, errors=0,
            )
        )


def test_runs_left_running_by_a_killed_crawl_become_interrupted_when_the_next_run_starts(
    archive: Archive, clock: Any
) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # its pid now belongs to no process
    here = socket.gethostname()
    _insert_running(archive, here, dead.pid, clock.now)  # killed
    _insert_running(archive, None, None, clock.now)  # written before schema 0005
    _insert_running(archive, "another-host", dead.pid, clock.now)  # only that host can tell
    _insert_running(archive, here, os.getppid(), datetime.now(UTC))  # still running (another live process)
    _insert_running(archive, here, os.getppid(), datetime.now(UTC) - timedelta(days=30))  # pid since reused
    # This very process (a long-lived crawl worker) never runs one source twice at once: its own
    # `running` row is a run whose end could not be written (a full disk).
    _insert_running(archive, here, os.getpid(), datetime.now(UTC))
    clock.advance(minutes=5)
    archive.start_run("example-en")
    assert select_rows(archive, CrawlRun.status, CrawlRun.finished_at, order_by=CrawlRun.id) == [
        ("interrupted", clock.now),
        ("interrupted", clock.now),
        ("running", None),
        ("running", None),
        ("interrupted", clock.now),
        ("interrupted", clock.now),
        ("running", None),  # the new run
    ]


def test_a_run_holding_the_sources_cluster_lock_closes_its_running_rows_on_every_host(
    archive: Archive, clock: Any
) -> None:
    here = socket.gethostname()
    _insert_running(archive, "another-host", 4242, clock.now)  # a worker host that died
    _insert_running(archive, here, os.getppid(), datetime.now(UTC))  # a live process here
    clock.advance(minutes=5)
    due = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    run_id = archive.start_run("example-en", due_at=due, sole=True)
    assert select_rows(archive, CrawlRun.status, CrawlRun.due_at, order_by=CrawlRun.id) == [
        ("interrupted", None),
        ("interrupted", None),
        ("running", due),
    ]
    assert run_id == 3


def test_a_due_time_is_served_once_a_run_for_it_or_a_later_one_completed(archive: Archive) -> None:
    due, later = datetime(2026, 3, 2, 9, 5, tzinfo=UTC), datetime(2026, 3, 2, 9, 20, tzinfo=UTC)
    first = archive.start_run("example-en", due_at=due, sole=True)
    assert not archive.served("example-en", due)  # still running
    archive.interrupt_runs([first])
    assert not archive.served("example-en", due)  # interrupted: it runs again
    second = archive.start_run("example-en", due_at=due, sole=True)
    archive.finish_run(second, "failed", RunCounts(errors=1))
    assert archive.served("example-en", due)  # failed counts: running it again would fail again
    assert not archive.served("example-en", later)
    assert not archive.served("other-source", due)
    third = archive.start_run("example-en", due_at=later, sole=True)
    archive.finish_run(third, "ok", RunCounts())
    assert archive.served("example-en", due - timedelta(minutes=15))  # a later run has checked since


def test_layout_drift_counts_what_recent_articles_and_pages_lack(
    archive: Archive, clock: Any, make_article: MakeArticle
) -> None:
    run_id = archive.start_run("example-en")
    for n in range(6):
        dateless = {"published_at": None, "date_raw": None} if n < 4 else {}
        headless = {"headline": None} if n == 0 else {}
        archive.save_article(
            make_article(
                url=f"https://news.example.az/en/{n}", body=f"Release {n}. " + "Text. " * 20, **dateless, **headless
            ),
            seen_at=clock.advance(minutes=1),
        )
    for n in range(2):
        archive.record_failure(run_id, f"https://news.example.az/en/js-{n}", "empty", 200, "no article text")
    archive.record_failure(run_id, "https://news.example.az/en/gone", "http_status", 404, "Not Found")
    archive.finish_run(run_id, "ok", RunCounts(new=6, errors=3))
    (summary,) = archive.source_summaries()
    assert summary.drift == LayoutDrift(
        recent_articles=6, without_headline=1, without_date=4, recent_pages=8, pages_without_text=2
    )
    assert summary.drift.shares() == {"headline": 1 / 6, "date": 4 / 6, "body": 2 / 8}


def test_recent_articles_not_fetched_lately_are_due_for_revisit(
    archive: Archive, clock: Any, make_article: MakeArticle
) -> None:
    def save(slug: str, published: datetime | None, seen: datetime) -> None:
        archive.save_article(
            make_article(url=f"https://news.example.az/en/{slug}", body=f"{slug} " * 30, published_at=published,
                         fetched_url=f"https://www.example.az/en/{slug}?from=feed", html=b"<html>page</html>"),
            seen_at=seen,
        )

    save("old", T0 - timedelta(days=3), T0 - timedelta(days=3))
    save("fresh-seen-long-ago", T0 - timedelta(hours=5), T0 - timedelta(hours=5))
    save("fresh-seen-lately", T0 - timedelta(hours=2), T0 - timedelta(minutes=30))
    save("undated", None, T0 - timedelta(hours=8))
    due = archive.due_for_revisit(
        "example-en", published_since=T0 - timedelta(hours=24), seen_before=T0 - timedelta(hours=1), limit=10
    )
    assert due == [  # newest first, as fetched (not the canonical URL), undated ones by when first seen
        "https://www.example.az/en/fresh-seen-long-ago?from=feed",
        "https://www.example.az/en/undated?from=feed",
    ]
    assert archive.due_for_revisit("example-en", T0 - timedelta(hours=24), T0 - timedelta(hours=1), limit=1) == [
        "https://www.example.az/en/fresh-seen-long-ago?from=feed"
    ]
    assert archive.publication_times("example-en", since=T0 - timedelta(days=1)) == [
        T0 - timedelta(hours=8), T0 - timedelta(hours=5), T0 - timedelta(hours=2),
    ]
