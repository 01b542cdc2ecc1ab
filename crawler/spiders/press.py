"""The one generic spider: a source declaration in, article pages out.

It walks a source's listing pages (newest first, with pagination), feeds and
sitemaps, requests the article pages it has not archived yet, and hands each
page to the pure parser. Storage happens in `crawler.pipelines`.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.claims import RedisClaims
from crawler.config import Source
from crawler.discovery import FeedError, feed_links, is_article_url, listing_links, sitemap_links
from crawler.failures import classify_failure
from crawler.items import PageItem
from crawler.parsing import parse_article
from storage import Archive, RunCounts

logger = logging.getLogger(__name__)


class PressSpider(scrapy.Spider):
    """Crawls one source into `archive` (opened and closed by whoever runs the crawl)."""

    name = "press"

    def __init__(
        self, source: Source, archive: Archive, full: bool = False, claims: RedisClaims | None = None, **kwargs: Any
    ) -> None:
        super().__init__(name=source.name, **kwargs)
        self.source = source
        self.archive = archive
        self.full = full
        self.profile = source.profile()
        self.allowed_domains = list(source.allowed_domains)
        self.run_id: int | None = None
        self.claims = claims
        self.listings: set[str] = set()
        self.requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PressSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    # -- lifecycle -------------------------------------------------------------------------
    def on_opened(self, spider: scrapy.Spider) -> None:
        self.run_id = self.archive.start_run(self.source.name)

    def on_closed(self, spider: scrapy.Spider, reason: str) -> None:
        status = {"finished": "ok", "shutdown": "interrupted"}.get(reason, "failed")
        if self.run_id is not None:
            self.archive.finish_run(self.run_id, status, self.counts())
        if self.claims is not None:
            self.claims.release_all()

    def counts(self) -> RunCounts:
        stats = self.crawler.stats
        value = lambda key: int(stats.get_value(f"presswatch/{key}", 0))  # noqa: E731
        return RunCounts(
            pages_fetched=int(stats.get_value("response_received_count", 0)),
            new=value("new"),
            updated=value("updated"),
            unchanged=value("unchanged"),
            duplicates=value("duplicates"),
            errors=value("errors"),
        )

    # -- discovery -------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            self.listings.add(url)
            yield self.request(url, self.parse_listing)
        for url in self.source.feeds:
            yield self.request(url, self.parse_feed)
        for url in self.source.sitemaps:
            yield self.request(url, self.parse_sitemap)

    def request(self, url: str, callback: Any, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.on_error, **kwargs)

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        links = listing_links(response.body, response.url, self.source)
        fresh = self.unarchived(links.articles)
        yield from self.article_requests_for(fresh)
        if links.articles and not fresh and not self.full:
            logger.debug("%s: every article on %s is archived; not paginating further", self.name, response.url)
            return
        for url in links.listings:
            if url in self.listings:
                continue
            if len(self.listings) >= self.source.crawl.max_listing_pages:
                self.crawler.stats.inc_value("presswatch/listing_limit_reached")
                return
            self.listings.add(url)
            yield self.request(url, self.parse_listing)

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        try:
            urls = feed_links(response.body, response.url)
        except FeedError as exc:
            self.record_failure(response.url, "bad_feed", response.status, str(exc))
            return
        yield from self.article_requests_for(self.unarchived(u for u in urls if is_article_url(u, self.source)))

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request]:
        try:
            pages, nested = sitemap_links(response.body, response.url)
        except FeedError as exc:
            self.record_failure(response.url, "bad_sitemap", response.status, str(exc))
            return
        for url in nested:
            yield self.request(url, self.parse_sitemap)
        yield from self.article_requests_for(self.unarchived(u for u in pages if is_article_url(u, self.source)))

    def unarchived(self, urls: Iterable[str]) -> list[str]:
        urls = list(urls)
        if self.full or not urls:
            return urls
        known = self.archive.known_urls(urls)
        return [u for u in urls if u not in known]

    def article_requests_for(self, urls: list[str]) -> Iterable[scrapy.Request]:
        """Requests for article pages not yet requested in this run nor claimed by another process."""
        urls = [u for u in urls if u not in self.requested]
        if self.claims is not None and urls:
            urls = self.claims.claim(urls)
        for url in urls:
            if len(self.requested) >= self.source.crawl.max_articles:
                self.crawler.stats.inc_value("presswatch/article_limit_reached")
                return
            self.requested.add(url)
            yield self.request(url, self.parse_article_page)

    # -- articles --------------------------------------------------------------------------
    def parse_article_page(self, response: Response) -> Iterable[PageItem]:
        if not isinstance(response, scrapy.http.TextResponse):
            self.record_failure(response.url, "not_html", response.status, "response is not text/HTML")
            return
        article = parse_article(response.body, response.url, self.profile)
        if article.error or not (article.body or "").strip():
            reason = article.error or "no article text found (JavaScript-only or empty page)"
            self.record_failure(response.url, "empty", response.status, reason)
            return
        yield PageItem(
            article=article,
            fetched_url=response.url,
            source_name=self.source.name,
            html=response.body,
            redirect_urls=tuple(response.meta.get("redirect_urls", ())),
        )

    # -- failures --------------------------------------------------------------------------
    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        status = failure.value.response.status if failure.check(HttpError) else None
        kind, message = classify_failure(failure)
        self.record_failure(request.url, kind, status, message)

    def record_failure(self, url: str, kind: str, status: int | None, message: str) -> None:
        self.crawler.stats.inc_value("presswatch/errors")
        self.crawler.stats.inc_value(f"presswatch/errors/{kind}")
        logger.warning("%s: %s %s (%s): %s", self.name, kind, url, status or "-", message)
        if self.run_id is not None:
            self.archive.record_failure(self.run_id, url, kind, status, message)
