"""Item pipeline: parsed pages into the archive, outcomes counted in the crawl stats."""
from __future__ import annotations

import logging
from collections import deque
from concurrent.futures import Future
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler

from crawler.items import PageItem
from crawler.parsing.article import Article
from crawler.records import archive_record
from storage import Archive, ArticleIn, SaveOutcome, SaveResult

logger = logging.getLogger(__name__)

OUTCOME_STATS = {
    SaveOutcome.NEW: "new",
    SaveOutcome.UNCHANGED: "unchanged",
    SaveOutcome.REVISED: "updated",
    SaveOutcome.DUPLICATE: "duplicates",
}


class ArchivePipeline:
    """Saves every `PageItem` through the spider's archive handle.

    Pages are queued (`Archive.queue_article`): the archive's writer thread saves them in
    batches while the crawl goes on. Outcomes are counted as saves complete, in order, and
    all of them before the spider closes (its run record is written from these counts).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.saving: deque[tuple[ArticleIn, Future[SaveResult]]] = deque()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        record = to_archive_record(item)
        self.saving.append((record, self.archive().queue_article(record)))
        self.count_saved()
        return item

    def close_spider(self) -> None:
        if self.saving:
            self.archive().flush()
        self.count_saved()

    def archive(self) -> Archive:
        return self.crawler.spider.archive  # type: ignore[union-attr, no-any-return]

    def count_saved(self) -> None:
        """Count the outcomes of the saves finished so far (a failed save is an error)."""
        stats = self.crawler.stats
        assert stats is not None
        while self.saving and self.saving[0][1].done():
            record, future = self.saving.popleft()
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - one page lost, named, counted and recorded
                self.save_failed(record, exc)
                continue
            stats.inc_value(f"presswatch/{OUTCOME_STATS[result.outcome]}")
            logger.debug("%s: %s %s", record.source_name, result.outcome.value, record.url)

    def save_failed(self, record: ArticleIn, exc: Exception) -> None:
        """Record the lost page as the spider records any failure (when the database lets us)."""
        message = f"{type(exc).__name__}: {exc}"
        try:
            self.crawler.spider.record_failure(record.url, "save_failed", None, message)  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - the database that failed the save may fail this too
            logger.exception("%s: save_failed %s (%s), and recording it failed", record.source_name, record.url, message)


def to_archive_record(item: PageItem) -> ArticleIn:
    return archive_record(
        item.article,
        url=archive_url(item.article, item.fetched_url),
        fetched_url=item.fetched_url,
        source_name=item.source_name,
        html=item.html or None,
        aliases=tuple(item.redirect_urls),
        prepared=item.prepared,
    )


def archive_url(article: Article, fetched_url: str) -> str:
    """The page's rel=canonical when it stays on the fetched host and names a page, else the fetched URL."""
    canonical = article.canonical_url
    if not canonical:
        return fetched_url
    wanted, fetched = urlsplit(canonical), urlsplit(fetched_url)
    if wanted.scheme not in ("http", "https") or wanted.hostname != fetched.hostname:
        return fetched_url
    if wanted.path in ("", "/"):
        return fetched_url
    return canonical
