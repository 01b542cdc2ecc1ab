"""Human summaries of crawls and sources."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from presswatch.crawler.config import Config, Source
from presswatch.crawler.run import SourceReport
from presswatch.scheduler.cadence import LOOKBACK, adaptive_interval, describe_interval
from presswatch.scheduler.cli_common import EXIT_ALL_FAILED, EXIT_DATABASE, EXIT_MAX_TIME
from presswatch.scheduler.health import error_kinds_text, health_problems, missing_shares, missing_text
from presswatch.scheduler.output import print_rows

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


def crawl_outcome(reports: Sequence[SourceReport]) -> tuple[str, int] | None:
    """Why a finished `presswatch crawl` must not exit 0, and its exit code; None when it may.

    Pages the archive refused come first (a run that lost pages never exits 0), then pages
    our own code broke on (exit 5, as when every source fails), then runs cut off by
    `--max-time`, then every source failing (a dead site, no network).
    """
    lost = {r.source: r.error_kinds.get("save_failed", 0) for r in reports if r.error_kinds.get("save_failed")}
    if lost:
        pages = ", ".join(f"{source} {count}" for source, count in lost.items())
        return (f"the archive refused pages ({pages}): they were not saved and are in crawl_errors where the "
                f"archive allowed it; check the disk and the archive's permissions, then crawl again", EXIT_DATABASE)
    broken = [r.source for r in reports if r.error_kinds.get("spider_error") or r.error_kinds.get("pipeline_error")]
    if broken:
        return (f"a page broke the crawler in {', '.join(broken)}: its links or article may be missing "
                f"(see crawl_errors, kinds spider_error and pipeline_error)", EXIT_ALL_FAILED)
    cut = [r.source for r in reports if r.error_kinds.get("run_timeout")]
    if cut:
        return f"--max-time reached: {', '.join(cut)} cut off (their next crawl carries on)", EXIT_MAX_TIME
    if reports and all(r.status == "failed" for r in reports):
        names = ", ".join(r.source for r in reports)
        return f"every source's run failed ({names}): see crawl_errors or run with -v", EXIT_ALL_FAILED
    return None


def source_rows(config: Config, db_url: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """One row per configured source: its schedule, last runs, what recent pages lack, and its health.

    Typed values (what `--format json` prints): times are aware datetimes or None, `articles`
    and `consecutive_failures` numbers, `last_errors` a {kind: count} dict, `missing` a
    {field: share 0..1} dict (a field without recent pages to judge left out). `display_row`
    turns a row into the table's text.
    """
    from presswatch.storage import archive_exists, open_archive

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
                s.last_run_started_at, s.last_run_status, s.last_success_at, s.last_new_article_at,
                s.consecutive_failures, dict(s.last_run_error_kinds), missing_shares(s),
                "UNHEALTHY: " + "; ".join(problems) if problems else "ok",
            ))
    return SOURCE_COLUMNS, rows


def display_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A `source_rows` row as the table and CSV show it: ISO 8601 times, 'never', '-'."""
    (name, publisher, interval, articles, last_run, last_status, last_success, last_new,
     failures, errors, missing, health) = row
    return (
        name, publisher, interval, articles, iso_time(last_run, "never"), last_status or "-",
        iso_time(last_success, "never"), iso_time(last_new, "-"), failures, error_kinds_text(errors),
        missing_text(missing), health,
    )


def _never_crawled(source: Source) -> tuple[Any, ...]:
    interval = f"auto ({describe_interval(source.crawl.interval_bounds[1])})" if source.adaptive else source.interval
    return (source.name, source.publisher, interval, 0, None, None, None, None, 0, {}, {}, "never crawled")


def iso_time(value: datetime | None, absent: str) -> str:
    """An aware time as ISO 8601 with its offset, to the second (`absent` for None)."""
    return value.isoformat(timespec="seconds") if value is not None else absent
