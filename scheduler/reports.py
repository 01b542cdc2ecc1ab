"""Human summaries of crawls and sources."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.engine import make_url

from crawler.config import Config
from crawler.run import SourceReport
from scheduler.output import print_rows

CRAWL_COLUMNS = ("source", "status", "pages", "not_modified", "new", "updated", "unchanged", "duplicates", "errors", "seconds")
SOURCE_COLUMNS = (
    "source", "publisher", "interval", "articles", "last_run", "last_status",
    "last_success", "last_new_article", "consecutive_failures",
)


def crawl_rows(reports: Sequence[SourceReport]) -> list[tuple[Any, ...]]:
    return [
        (r.source, r.status, r.counts.pages_fetched, r.counts.not_modified, r.counts.new, r.counts.updated,
         r.counts.unchanged, r.counts.duplicates, r.counts.errors, f"{r.seconds:.1f}")
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
    summaries = {s.source_name: s for s in _summaries(db_url)}
    rows = []
    for source in config.sources:
        s = summaries.get(source.name)
        rows.append((
            source.name, source.publisher, source.interval,
            s.articles if s else 0,
            _when(s.last_run_started_at) if s else "never",
            (s.last_run_status or "-") if s else "-",
            _when(s.last_success_at) if s else "never",
            _when(s.last_new_article_at) if s else "-",
            s.consecutive_failures if s else 0,
        ))
    return SOURCE_COLUMNS, rows


def _summaries(db_url: str) -> list[Any]:
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return []  # never crawled: don't create an archive just to list sources
    from storage import open_archive

    with open_archive(db_url) as archive:
        return archive.source_summaries()


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"
