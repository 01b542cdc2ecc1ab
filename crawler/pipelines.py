"""Item pipeline: parsed pages into the archive, outcomes counted in the crawl stats."""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler

from crawler.items import PageItem
from crawler.parsing.article import Article
from crawler.records import archive_record
from storage import ArticleIn, SaveOutcome

logger = logging.getLogger(__name__)

OUTCOME_STATS = {
    SaveOutcome.NEW: "new",
    SaveOutcome.UNCHANGED: "unchanged",
    SaveOutcome.REVISED: "updated",
    SaveOutcome.DUPLICATE: "duplicates",
}


class ArchivePipeline:
    """Saves every `PageItem` through the spider's archive handle."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        spider = self.crawler.spider
        record = to_archive_record(item)
        result = spider.archive.save_article(record)  # type: ignore[union-attr]
        self.crawler.stats.inc_value(f"presswatch/{OUTCOME_STATS[result.outcome]}")  # type: ignore[union-attr]
        logger.debug("%s: %s %s", item.source_name, result.outcome.value, record.url)
        return item


def to_archive_record(item: PageItem) -> ArticleIn:
    return archive_record(
        item.article,
        url=archive_url(item.article, item.fetched_url),
        fetched_url=item.fetched_url,
        source_name=item.source_name,
        html=item.html or None,
        aliases=tuple(item.redirect_urls),
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
