"""Item pipeline: parsed pages into the archive, outcomes counted in the crawl stats."""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from concurrent.futures import Future
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from presswatch.crawler.archive_run import ARCHIVE_ERROR_REASON, database_reason
from presswatch.crawler.items import PageItem
from presswatch.crawler.parsing.article import Article
from presswatch.crawler.records import archive_record
from presswatch.crawler.run_context import SaveRoom, run_context
from presswatch.storage import Archive, ArticleIn, SaveOutcome, SaveResult

logger = logging.getLogger(__name__)

OUTCOME_STATS = {
    SaveOutcome.NEW: "new",
    SaveOutcome.UNCHANGED: "unchanged",
    SaveOutcome.REVISED: "updated",
    SaveOutcome.DUPLICATE: "duplicates",
}


class ArchivePipeline:
    """Saves every `PageItem` through the run's archive (owned by the `ArchiveRun` extension).

    Pages are queued (`Archive.queue_article`): the archive's writer thread saves them in
    batches while the crawl goes on. Outcomes are counted as saves complete, in order, and
    all of them before the spider closes (its run record is written from these counts);
    waiting for them never blocks the reactor, which other runs share.
    """

    def __init__(self, crawler: Crawler, archive: Archive, room: SaveRoom) -> None:
        self.crawler = crawler
        self.archive = archive
        self.room = room
        self.saving: deque[tuple[ArticleIn, Future[SaveResult]]] = deque()
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        context = run_context(crawler)
        if context is None:
            raise NotConfigured("the crawler has no archive (no RunContext)")
        return cls(crawler, context.archive, context.save_room)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        waiting = self.room.take()
        if waiting is None:
            self.queue(item)
            return item
        return self._queue_when_room(item, waiting)

    async def _queue_when_room(self, item: PageItem, waiting: asyncio.Future[None]) -> PageItem:
        await waiting
        self.queue(item)
        return item

    def queue(self, item: PageItem) -> None:
        record = to_archive_record(item)
        future = self.archive.queue_article(record)
        future.add_done_callback(lambda _: self.room.give_back())
        self.saving.append((record, future))
        self.count_saved()

    async def close_spider(self) -> None:
        """Every page of the run saved (or failed) and counted, before the run is closed."""
        waiting = [asyncio.wrap_future(future) for _, future in self.saving if not future.done()]
        await asyncio.gather(*waiting, return_exceptions=True)  # a refused save is counted below, not raised
        self.count_saved()

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
        """Record the lost page as the spider records any failure (the run is then `failed`),
        and stop the run: with the archive refusing pages (a full disk, a read-only file),
        fetching more would only lose more. The next run fetches the lost pages again."""
        message = database_reason(exc)
        self.crawler.spider.record_failure(record.url, "save_failed", None, message)  # type: ignore[union-attr]
        if not self.stopping:
            self.stopping = True
            logger.error("%s: the archive refused a page (%s); stopping the run", record.source_name, message)
            asyncio.ensure_future(self.stop_run())

    async def stop_run(self) -> None:
        engine = self.crawler.engine
        if engine.spider is not None:  # not closed (or closing) already
            await engine.close_spider_async(reason=ARCHIVE_ERROR_REASON)


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
