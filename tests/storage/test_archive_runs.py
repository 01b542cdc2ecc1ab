"""Crawl runs, their failures, and the per-source summary."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage import Archive, ArticleIn, RunCounts, SourceSummary
from storage.models import CrawlError, CrawlRun

MakeArticle = Callable[..., ArticleIn]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the fake clock's start


def _runs(archive: Archive) -> list[tuple[Any, ...]]:
    query = select(
        CrawlRun.id, CrawlRun.source, CrawlRun.started_at, CrawlRun.finished_at, CrawlRun.status,
        CrawlRun.pages_fetched, CrawlRun.new, CrawlRun.updated, CrawlRun.unchanged,
        CrawlRun.duplicates, CrawlRun.errors,
    ).order_by(CrawlRun.id)
    with archive.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def test_a_run_is_recorded_from_start_to_finish(archive: Archive, clock: Any) -> None:
    run_id = archive.start_run("example-en")
    assert _runs(archive) == [(run_id, "example-en", T0, None, "running", 0, 0, 0, 0, 0, 0)]
    clock.advance(minutes=3)
    counts = RunCounts(pages_fetched=40, new=7, updated=2, unchanged=30, duplicates=1, errors=3)
    archive.finish_run(run_id, "ok", counts)
    assert _runs(archive) == [
        (run_id, "example-en", T0, T0 + timedelta(minutes=3), "ok", 40, 7, 2, 30, 1, 3)
    ]


def test_run_counts_default_to_zero() -> None:
    assert RunCounts() == RunCounts(0, 0, 0, 0, 0, 0)


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
        SourceSummary("imported", 1, None, None, None, None, T0, 0)
    ]


def test_an_empty_archive_has_no_source_summaries(archive: Archive) -> None:
    assert archive.source_summaries() == []
