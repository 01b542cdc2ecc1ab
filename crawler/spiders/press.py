"""The one generic spider: a source declaration in, article pages out.

It walks a source's listing pages (newest first, with pagination), feeds and
sitemaps, requests the article pages it has not archived yet, and hands each
page to the pure parser. It holds no archive: what it needs to know of earlier runs
arrives as a `RunPlan` and a `KnownUrls` lookup (set by `crawler.archive_run.ArchiveRun`
when the run opens), failures leave as `page_failed` signals, and articles as items
for `crawler.pipelines`. Without them (a unit test with `HtmlResponse` objects) it
crawls as a first run would: nothing archived, nothing to revisit.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from presswatch.crawler.config import Source
from presswatch.crawler.discovery import (
    FeedError,
    LinkRefused,
    article_links,
    feed_links,
    listing_links,
    sitemap_links,
    unpack_sitemap,
)
from presswatch.crawler.failures import classify_failure, failure_status
from presswatch.crawler.items import PageItem
from presswatch.crawler.parse_pool import ParsedPage, ParsePool
from presswatch.storage import Validators, canonical_url

logger = logging.getLogger(__name__)

#: Signal sent for every failure of a run: url, kind, status, message (see crawler.failures).
page_failed = object()
#: Of `urls`, those already archived (aliases included).
KnownUrls = Callable[[list[str]], Awaitable[set[str]]]


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What this run takes from the ones before it (see `crawler.archive_run.plan_run`)."""

    resuming: bool = False  # the last run stopped part-way or lost pages: walk every listing page once
    sitemap_since: datetime | None = None  # skip sitemap entries changed before this
    validators: dict[str, Validators] = field(default_factory=dict)  # sent as If-None-Match / If-Modified-Since
    revisits: tuple[str, ...] = ()  # recent articles to fetch again (the revisit policy)


def conditional_headers(validators: Validators | None) -> dict[str, str]:
    if validators is None:
        return {}
    headers = {"If-None-Match": validators.etag, "If-Modified-Since": validators.last_modified}
    return {name: value for name, value in headers.items() if value}


def response_validators(response: Response) -> Validators | None:
    etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    if not (etag or modified):
        return None
    return Validators(etag.decode("latin-1") if etag else None, modified.decode("latin-1") if modified else None)


class PressSpider(scrapy.Spider):
    """Crawls one source; discovery and parsing only (the archive is `ArchiveRun`'s)."""

    name = "press"

    def __init__(
        self, source: Source, full: bool = False, parser: ParsePool | None = None, **kwargs: Any,
    ) -> None:
        super().__init__(name=source.name, **kwargs)
        self.source = source
        self.full = full
        self.profile = source.profile()
        self.allowed_domains = list(source.allowed_domains)
        self.parser = parser or ParsePool(0)
        self.plan = RunPlan()
        self.lookup: KnownUrls | None = None
        self.listings: set[str] = set()  # listing pages and nested sitemaps requested
        self.requested: set[str] = set()  # canonical URLs of article pages requested
        self.limits_hit: set[str] = set()
        self.refused_links: set[str] = set()
        self.revisit_requests = 0  # of `requested`: not counted against max_articles
        self.fresh_validators: dict[str, Validators] = {}  # what the entry pages answered this run
        crawl = source.crawl
        self.max_depth = crawl.max_depth or crawl.max_listing_pages

    @property
    def resuming(self) -> bool:
        return not self.full and self.plan.resuming

    def entry_urls(self) -> tuple[str, ...]:
        """The pages every run starts from: where conditional GET pays."""
        return self.source.start_urls + self.source.feeds + self.source.sitemaps

    def stat(self, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"presswatch/{key}", count)

    # -- discovery -------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            self.listings.add(url)
            yield self.entry_request(url, self.parse_listing)
        for url in self.source.feeds:
            yield self.entry_request(url, self.parse_feed)
        for url in self.source.sitemaps:
            self.listings.add(url)
            yield self.entry_request(url, self.parse_sitemap)
        for key, url in self.unrequested(self.plan.revisits).items():
            self.requested.add(key)
            self.revisit_requests += 1
            yield self.request(url, self.parse_article_page, meta={"presswatch_revisit": True})

    def entry_request(self, url: str, callback: Any) -> scrapy.Request:
        """A start URL, feed or sitemap request: conditional when the page told us its validators."""
        self.stat("entries")
        headers = conditional_headers(self.plan.validators.get(url))
        meta = {"handle_httpstatus_list": [304], "presswatch_entry": True}
        return self.request(url, callback, depth=0, headers=headers, meta=meta)

    def unchanged_entry(self, response: Response) -> bool:
        """True for a 304 (nothing to do); otherwise remember the entry page's validators."""
        if response.status == 304:
            self.answered(response)
            self.stat("not_modified")
            return True
        if response.meta.get("presswatch_entry") and response.status == 200:
            validators = response_validators(response)
            if validators is not None:
                self.fresh_validators[response.url] = validators
        return False

    def answered(self, response: Response) -> None:
        """An entry page gave something usable (a page, a readable feed or sitemap, a 304).

        A run none of whose entry pages did is a failed run (a dead or broken source)."""
        if response.meta.get("presswatch_entry"):
            self.stat("entries_answered")

    def request(self, url: str, callback: Any, depth: int = 0, **kwargs: Any) -> scrapy.Request:
        meta = {**kwargs.pop("meta", {}), "presswatch_depth": depth}
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    async def parse_listing(self, response: Response) -> AsyncIterator[scrapy.Request]:
        if self.unchanged_entry(response):
            return
        self.answered(response)
        links = listing_links(response.body, response.url, self.source)
        self.record_refused(links.refused)
        fresh = await self.unarchived(links.articles)
        for request in self.article_requests_for(fresh):
            yield request
        if links.articles and not fresh and not (self.full or self.resuming):
            logger.debug("%s: every article on %s is archived; not paginating further", self.name, response.url)
            return
        for request in self.follow(links.listings, response, self.parse_listing):
            yield request

    def follow(self, urls: Iterable[str], response: Response, callback: Any) -> Iterable[scrapy.Request]:
        """Requests for listing pages or nested sitemaps, within the page and depth limits."""
        depth = int(response.meta.get("presswatch_depth", 0)) + 1
        for url in urls:
            if url in self.listings:
                continue
            if depth > self.max_depth:
                self.limit_reached("max_depth", self.max_depth, url)
                return
            if len(self.listings) >= self.source.crawl.max_listing_pages:
                self.limit_reached("max_listing_pages", self.source.crawl.max_listing_pages, url)
                return
            self.listings.add(url)
            yield self.request(url, callback, depth=depth)

    def limit_reached(self, key: str, value: int, url: str) -> None:
        """Count every stop; record the first per limit and run (with the first URL left out)."""
        self.stat(f"limit_reached/{key}")
        if key in self.limits_hit:
            return
        self.limits_hit.add(key)
        self.record_failure(url, "limit_reached", None, f"{key} = {value} reached: this and further pages not followed")

    async def parse_feed(self, response: Response) -> AsyncIterator[scrapy.Request]:
        if self.unchanged_entry(response):
            return
        problems: list[str] = []
        try:
            urls = feed_links(response.body, response.url, problems)
        except FeedError as exc:
            self.record_failure(response.url, "bad_feed", response.status, str(exc))
            return
        self.answered(response)
        for problem in problems:
            self.record_failure(response.url, "bad_feed", response.status, problem)
        refused: list[LinkRefused] = []
        fresh = await self.unarchived(article_links(urls, self.source, refused))
        self.record_refused(refused)
        for request in self.article_requests_for(fresh):
            yield request

    async def parse_sitemap(self, response: Response) -> AsyncIterator[scrapy.Request]:
        if self.unchanged_entry(response):
            return
        problems: list[str] = []
        since = None if self.full or self.resuming else self.plan.sitemap_since
        try:
            body = unpack_sitemap(response.body, response.url, self.source.crawl.max_page_bytes)
            pages, nested = sitemap_links(body, response.url, problems, since=since)
        except FeedError as exc:
            self.record_failure(response.url, "bad_sitemap", response.status, str(exc))
            return
        self.answered(response)
        for problem in problems:
            self.record_failure(response.url, "bad_sitemap", response.status, problem)
        for request in self.follow(nested, response, self.parse_sitemap):
            yield request
        refused: list[LinkRefused] = []
        fresh = await self.unarchived(article_links(pages, self.source, refused))
        self.record_refused(refused)
        for request in self.article_requests_for(fresh):
            yield request

    def record_refused(self, refused: Iterable[LinkRefused]) -> None:
        """Links of the site not followed (too long, pattern too slow): recorded, each once a run."""
        for link in refused:
            if link.url not in self.refused_links:
                self.refused_links.add(link.url)
                self.record_failure(link.url, link.kind, None, link.message)

    async def unarchived(self, urls: Iterable[str]) -> list[str]:
        """Those of `urls` the archive does not hold yet (all of them on a full crawl)."""
        urls = list(urls)
        if self.full or not urls or self.lookup is None:
            return urls
        known = await self.lookup(urls)
        return [u for u in urls if u not in known]

    def unrequested(self, urls: Iterable[str]) -> dict[str, str]:
        """{canonical URL: link} of `urls` not yet requested in this run.

        Two links to one page (say, with and without `?utm_source=`) are one request.
        """
        fresh: dict[str, str] = {}
        for url in urls:
            key = canonical_url(url)
            if key not in self.requested:
                fresh.setdefault(key, url)
        return fresh

    def article_requests_for(self, urls: list[str]) -> Iterable[scrapy.Request]:
        """Requests for newly discovered article pages, at most `max_articles` per run."""
        limit = self.source.crawl.max_articles
        for key, url in self.unrequested(urls).items():
            if len(self.requested) - self.revisit_requests >= limit:
                self.limit_reached("max_articles", limit, url)
                return
            self.requested.add(key)
            yield self.request(url, self.parse_article_page)

    # -- articles --------------------------------------------------------------------------
    async def parse_article_page(self, response: Response) -> AsyncIterator[PageItem]:
        if not isinstance(response, scrapy.http.TextResponse):
            self.record_failure(response.url, "not_html", response.status, "response is not text/HTML")
            return
        if response.meta.get("presswatch_revisit"):
            self.stat("revisited")
        parsed = await self.read_article(response)
        if parsed is None:
            return
        yield PageItem(
            article=parsed.article,
            fetched_url=response.url,
            source_name=self.source.name,
            html=response.body,
            redirect_urls=tuple(response.meta.get("redirect_urls", ())),
            prepared=parsed.prepared,
        )

    async def read_article(self, response: Response) -> ParsedPage | None:
        """The page's article, or None (the reason recorded) when there is none to store."""
        try:
            parsed = await self.parser.parse(response.body, response.url,
                                             self.profile.served_as(response.headers.get("Content-Type")))
        except Exception as exc:  # the parser must never take the crawl down with it
            logger.exception("%s: the parser failed on %s", self.name, response.url)
            self.record_failure(response.url, "parse_error", response.status, f"{type(exc).__name__}: {exc}")
            return None
        article = parsed.article
        if article.error:
            self.record_failure(response.url, "unparseable", response.status, article.error)
            return None
        if article.listing:  # an index of other articles at an article-like URL
            self.stat("listings_skipped")
            logger.info("%s: %s lists other articles; not stored as an article", self.name, response.url)
            return None
        body = (article.body or "").strip()
        if len(body) < self.source.crawl.min_body_chars:
            reason = f"no article text found ({len(body)} characters; JavaScript-only, blank or an error page)"
            self.record_failure(response.url, "empty", response.status, reason)
            return None
        return parsed

    # -- failures --------------------------------------------------------------------------
    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        kind, message = classify_failure(failure)
        if request.meta.get("presswatch_entry"):
            self.stat("entries_failed")
        asked_for = (request.meta.get("redirect_urls") or [request.url])[0]  # the URL the crawl wanted
        self.record_failure(asked_for, kind, failure_status(failure), message)

    def record_failure(self, url: str, kind: str, status: int | None, message: str) -> None:
        """Count the failure, log it with its URL, and tell whoever records the run (`page_failed`)."""
        self.stat("errors")
        self.stat(f"errors/{kind}")
        logger.warning("%s: %s %s (%s): %s", self.name, kind, url, status or "-", message)
        self.crawler.signals.send_catch_log(page_failed, url=url, kind=kind, status=status, message=message)
