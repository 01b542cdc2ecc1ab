"""Human summaries of crawls and sources."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from crawler.config import Config, Source
from crawler.run import SourceReport
from scheduler.cadence import LOOKBACK, adaptive_interval, describe_interval
from scheduler.health import error_kinds_text, health_problems, missing_text
from scheduler.output import print_rows

CRAWL_COLUMNS = (
    "source", "status", "pages", "not_modified", "revisited", "new", "updated", "unchanged", "duplicates",
    "errors", "seconds",
)
SOURCE_COLUMNS = (
    "source", "publisher", "interval", "articles", "last_run", "last_status",
    "last_success", "last_new_article", "consecutive_failures", "last_errors", "missing", "health",
)


def crawl_rows(reports: Sequence[SourceReport]) -> list[tuple[Any, ...]]:
    return [
        (r.source, r.status, r.counts.pages_fetched, r.counts.not_modified, r.counts.revisited, r.counts.new,
         r.counts.updated, r.counts.unchanged, r.counts.duplicates, r.counts.errors, f"{r.seconds:.1f}")
        for r in reports
    ]


def print_crawl_summary(reports: Sequence[SourceReport], out: TextIO) -> None:
    print_rows(CRAWL_COLUMNS, crawl_rows(reports), "table", out)
    totals = {k: sum(getattr(r.counts, k) for r in reports) for k in ("new", "updated", "duplicates", "errors")}
    out.write(
        f"{len(reports)} source(s): {totals['new']} new, {totals['updated']} updated, "
        f"{totals['duplicates']} duplicates, {totals['errors']} errors\n"
    )


def source_rows(config: Config, db_url: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """One row per configured source: its schedule, last runs, what recent pages lack, and its health."""
    from storage import archive_exists, open_archive

    if not archive_exists(db_url):  # never crawled: don't create an archive just to list sources
        return SOURCE_COLUMNS, [_never_crawled(source) for source in config.sources]
    rows = []
    now = datetime.now(UTC)
    with open_archive(db_url) as archive:
        summaries = {s.source_name: s for s in archive.source_summaries()}
        for source in config.sources:
            s = summaries.get(source.name)
            if s is None:
                rows.append(_never_crawled(source))
                continue
            interval = source.interval
            if source.adaptive:
                seconds = adaptive_interval(
                    archive.publication_times(source.name, now - LOOKBACK), now, *source.crawl.interval_bounds
                )
                interval = f"auto ({describe_interval(seconds)})"
            problems = health_problems(s)
            rows.append((
                source.name, source.publisher, interval, s.articles,
                _when(s.last_run_started_at), s.last_run_status or "-", _when(s.last_success_at),
                _when(s.last_new_article_at) if s.last_new_article_at else "-",
                s.consecutive_failures, error_kinds_text(s.last_run_error_kinds), missing_text(s),
                "UNHEALTHY: " + "; ".join(problems) if problems else "ok",
            ))
    return SOURCE_COLUMNS, rows


def _never_crawled(source: Source) -> tuple[Any, ...]:
    interval = f"auto ({describe_interval(source.crawl.interval_bounds[1])})" if source.adaptive else source.interval
    return (source.name, source.publisher, interval, 0, "never", "-", "never", "-", 0, "-", "-", "never crawled")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"
