"""`presswatch reparse`: read the archive's stored pages again with the current parser.

Each raw page is parsed with its configured source's profile and saved back onto
its own article (the archived URL, whatever the page's rel=canonical says now):
changed text becomes a revision, changed metadata is refreshed in place, and
the page records the parser version that read it. ``last_seen_at`` stays: the
page was not fetched again. Pages of sources missing from the config are
skipped (their hints — time zone, selectors — are unknown), and pages the
parser cannot read are counted and logged, never saved.
"""
from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TextIO

from presswatch.crawler.config import Source
from presswatch.crawler.parse_pool import ParsedPage, parse_many_for_archive
from presswatch.crawler.parsing import PARSER_VERSION
from presswatch.crawler.parsing.article import ParseProfile
from presswatch.crawler.records import archive_record
from presswatch.storage import Archive, ArticleFilter, ArticleIn, SaveOutcome, StoredPage

logger = logging.getLogger(__name__)
BATCH = 200


@dataclass(slots=True)
class ReparseReport:
    """What a reparse did, page by page."""

    pages: int = 0
    revised: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0

    def summary(self) -> str:
        return (
            f"reparsed {self.pages} stored page{'s' if self.pages != 1 else ''} with parser "
            f"{PARSER_VERSION}: {self.revised} revised, {self.unchanged} unchanged, "
            f"{self.failed} failed, {self.skipped} skipped (source not configured)"
        )


def reparse(
    archive: Archive,
    sources: Mapping[str, Source],
    where: ArticleFilter | None = None,
    *,
    progress: TextIO | None = None,
) -> ReparseReport:
    """Re-extract the stored pages ``where`` selects; see the module docstring."""
    where = where or ArticleFilter()
    report = ReparseReport()
    total = archive.count_stored_pages(where) if progress is not None else 0
    batches = _batches(archive.stored_pages(where), sources, report)
    for results in archive.save_batches(batches, seen=False):
        for result in results:
            if result.outcome is SaveOutcome.REVISED:
                report.revised += 1
            else:
                report.unchanged += 1
        if progress is not None:
            progress.write(f"\r\033[Kreparse: {report.pages}/{total} pages")
            progress.flush()
    if progress is not None:
        progress.write("\r\033[K")
    return report


def _batches(
    pages: Iterator[StoredPage], sources: Mapping[str, Source], report: ReparseReport
) -> Iterator[list[ArticleIn]]:
    batch: list[ArticleIn] = []
    for page, parsed in _parsed(pages, sources, report):
        if parsed.article.error:
            report.failed += 1
            logger.warning("reparse: %s: %s", page.fetched_url, parsed.article.error)
            continue
        batch.append(to_record(parsed, page))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _parsed(
    pages: Iterator[StoredPage], sources: Mapping[str, Source], report: ReparseReport
) -> Iterator[tuple[StoredPage, ParsedPage]]:
    """Each page of a configured source with its article, parsed by worker processes."""
    profiles = {name: source.profile() for name, source in sources.items()}
    kept: deque[StoredPage] = deque()  # the pages whose articles are still on their way

    def configured() -> Iterator[tuple[bytes, str, ParseProfile]]:
        for page in pages:
            report.pages += 1
            profile = profiles.get(page.source_name)
            if profile is None:
                report.skipped += 1
                continue
            if page.damaged:
                report.failed += 1
                logger.warning("reparse: %s: the stored page cannot be read (%s); left as it is",
                               page.fetched_url, page.damaged)
                continue
            kept.append(page)
            yield page.html, page.fetched_url, profile

    for parsed in parse_many_for_archive(configured(), compress=False):  # stored already
        yield kept.popleft(), parsed


def to_record(parsed: ParsedPage, page: StoredPage) -> ArticleIn:
    """The archive record of a re-parsed page, keyed by its archived URL."""
    return archive_record(
        parsed.article, url=page.article_url, fetched_url=page.fetched_url,
        source_name=page.source_name, html=page.html, prepared=parsed.prepared,
    )
