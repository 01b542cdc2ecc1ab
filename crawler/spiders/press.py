"""The one generic spider: a source declaration in, article pages out.

It walks a source's listing pages (newest first, with pagination), feeds and
sitemaps, requests the article pages it has not archived yet, and hands each
page to the pure parser. Storage happens in `crawler.pipelines`.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.claims import RedisClaims
from crawler.config import Source
from crawler.discovery import FeedError, feed_links, is_article_url, listing_links, sitemap_links
from crawler.failures import classify_failure, failure_status
from crawler.items import PageItem
from crawler.parse_pool import ParsedPage, ParsePool
from storage import Archive, RunCounts, SourceSummary, Validators, canonical_url

logger = logging.getLogger(__name__)


# Sitemap entries changed this long before the last successful run are skipped
# (a margin for clock skew and for sites that set lastmod late).
SITEMAP_MARGIN = timedelta(days=1)


def previous_run_unfinished(previous: SourceSummary) -> bool:
    """True when the source's last run was killed, failed, interrupted or lost pages.

    Incremental crawling stops at the first listing page whose articles are all
    archived, asks for entry pages conditionally and skips old sitemap entries;
    after a run that stopped part-way or whose article fetches failed, older
    articles can be missing while newer ones are archived, so the next run must
    walk every listing page and sitemap entry once.
    """
    if previous.last_run_status is None:  # never crawled
        return False
    return previous.last_run_status != "ok" or bool(previous.last_run_errors)


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
    """Crawls one source into `archive` (opened and closed by whoever runs the crawl)."""

    name = "press"

    def __init__(
        self, source: Source, archive: Archive, full: bool = False, claims: RedisClaims | None = None,
        parser: ParsePool | None = None, **kwargs: Any,
    ) -> None:
        super().__init__(name=source.name, **kwargs)
        self.source = source
        self.archive = archive
        self.full = full
        self.profile = source.profile()
        self.allowed_domains = list(source.allowed_domains)
        self.run_id: int | None = None
        self.claims = claims
        self.parser = parser or ParsePool(0)
        self.listings: set[str] = set()  # listing pages and nested sitemaps requested
        self.requested: set[str] = set()  # canonical URLs of article pages requested
        self.limits_hit: set[str] = set()
        self.resuming = False
        self.sitemap_since: datetime | None = None
        self.stored_validators: dict[str, Validators] = {}  # sent as If-None-Match / If-Modified-Since
        self.revisits: list[str] = []  # recent articles to fetch again (the revisit policy)
        self.revisit_requests = 0  # of `requested`: not counted against max_articles
        self.fresh_validators: dict[str, Validators] = {}  # what the entry pages answered this run
        crawl = source.crawl
        self.max_depth = crawl.max_depth or crawl.max_listing_pages

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PressSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    # -- lifecycle -------------------------------------------------------------------------
    def on_opened(self, spider: scrapy.Spider) -> None:
        previous = self.archive.source_summary(self.source.name)
        self.resuming = not self.full and previous_run_unfinished(previous)
        if self.resuming:
            logger.info("%s: the previous run did not complete or lost pages; walking every listing page", self.name)
        if not (self.full or self.resuming):
            if previous.last_success_at:
                self.sitemap_since = previous.last_success_at - SITEMAP_MARGIN
            self.stored_validators = self.archive.validators(self.entry_urls())
        if not self.full:  # a full crawl fetches every article anyway
            self.revisits = self.due_for_revisit()
        self.run_id = self.archive.start_run(self.source.name)

    def due_for_revisit(self) -> list[str]:
        """Recent articles not fetched for `revisit_every`: re-read to catch edits ("UPDATED" releases).

        Articles published within `revisit_within` ("0h" turns the policy off),
        newest first, at most `max_articles`. A changed page becomes a revision.
        """
        crawl = self.source.crawl
        if not crawl.revisit_within_seconds:
            return []
        now = datetime.now(UTC)
        return self.archive.due_for_revisit(
            self.source.name,
            published_since=now - timedelta(seconds=crawl.revisit_within_seconds),
            seen_before=now - timedelta(seconds=crawl.revisit_every_seconds),
            limit=crawl.max_articles,
        )

    def entry_urls(self) -> tuple[str, ...]:
        """The pages every run starts from: where conditional GET pays."""
        return self.source.start_urls + self.source.feeds + self.source.sitemaps

    def on_closed(self, spider: scrapy.Spider, reason: str) -> None:
        status = {"finished": "ok", "shutdown": "interrupted"}.get(reason, "failed")
        counts = self.counts()
        if self.run_id is not None:
            self.archive.finish_run(self.run_id, status, counts, self.error_kinds())
        if status == "ok" and counts.errors == 0 and self.fresh_validators:
            # Only after a clean run: a page whose articles were not all archived must
            # be fetched in full next time, not answered 304.
            self.archive.save_validators(self.source.name, self.fresh_validators)
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
            not_modified=value("not_modified"),
            revisited=value("revisited"),
        )

    def error_kinds(self) -> dict[str, int]:
        """The run's failures counted by kind (see `record_failure`)."""
        prefix = "presswatch/errors/"
        stats = self.crawler.stats.get_stats()
        return {key[len(prefix):]: int(n) for key, n in stats.items() if key.startswith(prefix)}

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
        for key, url in self.unrequested(self.revisits).items():
            self.requested.add(key)
            self.revisit_requests += 1
            yield self.request(url, self.parse_article_page, meta={"presswatch_revisit": True})

    def entry_request(self, url: str, callback: Any) -> scrapy.Request:
        """A start URL, feed or sitemap request: conditional when the page told us its validators."""
        headers = conditional_headers(self.stored_validators.get(url))
        meta = {"handle_httpstatus_list": [304], "presswatch_entry": True}
        return self.request(url, callback, depth=0, headers=headers, meta=meta)

    def unchanged_entry(self, response: Response) -> bool:
        """True for a 304 (nothing to do); otherwise remember the entry page's validators."""
        if response.status == 304:
            self.crawler.stats.inc_value("presswatch/not_modified")
            return True
        if response.meta.get("presswatch_entry") and response.status == 200:
            validators = response_validators(response)
            if validators is not None:
                self.fresh_validators[response.url] = validators
        return False

    def request(self, url: str, callback: Any, depth: int = 0, **kwargs: Any) -> scrapy.Request:
        meta = {**kwargs.pop("meta", {}), "presswatch_depth": depth}
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        if self.unchanged_entry(response):
            return
        links = listing_links(response.body, response.url, self.source)
        fresh = self.unarchived(links.articles)
        yield from self.article_requests_for(fresh)
        if links.articles and not fresh and not (self.full or self.resuming):
            logger.debug("%s: every article on %s is archived; not paginating further", self.name, response.url)
            return
        yield from self.follow(links.listings, response, self.parse_listing)

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
        self.crawler.stats.inc_value(f"presswatch/limit_reached/{key}")
        if key in self.limits_hit:
            return
        self.limits_hit.add(key)
        self.record_failure(url, "limit_reached", None, f"{key} = {value} reached: this and further pages not followed")

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        if self.unchanged_entry(response):
            return
        problems: list[str] = []
        try:
            urls = feed_links(response.body, response.url, problems)
        except FeedError as exc:
            self.record_failure(response.url, "bad_feed", response.status, str(exc))
            return
        for problem in problems:
            self.record_failure(response.url, "bad_feed", response.status, problem)
        yield from self.article_requests_for(self.unarchived(u for u in urls if is_article_url(u, self.source)))

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request]:
        if self.unchanged_entry(response):
            return
        problems: list[str] = []
        try:
            pages, nested = sitemap_links(response.body, response.url, problems, since=self.sitemap_since)
        except FeedError as exc:
            self.record_failure(response.url, "bad_sitemap", response.status, str(exc))
            return
        for problem in problems:
            self.record_failure(response.url, "bad_sitemap", response.status, problem)
        yield from self.follow(nested, response, self.parse_sitemap)
        yield from self.article_requests_for(self.unarchived(u for u in pages if is_article_url(u, self.source)))

    def unarchived(self, urls: Iterable[str]) -> list[str]:
        urls = list(urls)
        if self.full or not urls:
            return urls
        known = self.archive.known_urls(urls)
        return [u for u in urls if u not in known]

    def unrequested(self, urls: Iterable[str]) -> dict[str, str]:
        """{canonical URL: link} of `urls` not yet requested in this run nor claimed by another process.

        Two links to one page (say, with and without `?utm_source=`) are one request.
        """
        fresh: dict[str, str] = {}
        for url in urls:
            key = canonical_url(url)
            if key not in self.requested:
                fresh.setdefault(key, url)
        if self.claims is not None and fresh:
            granted = set(self.claims.claim(list(fresh.values())))
            fresh = {key: url for key, url in fresh.items() if url in granted}
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
            self.crawler.stats.inc_value("presswatch/revisited")
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
            parsed = await self.parser.parse(response.body, response.url, self.profile)
        except Exception as exc:  # the parser must never take the crawl down with it
            logger.exception("%s: the parser failed on %s", self.name, response.url)
            self.record_failure(response.url, "parse_error", response.status, f"{type(exc).__name__}: {exc}")
            return None
        article = parsed.article
        if article.error:
            self.record_failure(response.url, "unparseable", response.status, article.error)
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
        asked_for = (request.meta.get("redirect_urls") or [request.url])[0]  # the URL the crawl wanted
        self.record_failure(asked_for, kind, failure_status(failure), message)

    def record_failure(self, url: str, kind: str, status: int | None, message: str) -> None:
        self.crawler.stats.inc_value("presswatch/errors")
        self.crawler.stats.inc_value(f"presswatch/errors/{kind}")
        logger.warning("%s: %s %s (%s): %s", self.name, kind, url, status or "-", message)
        if self.run_id is not None:
            self.archive.record_failure(self.run_id, url, kind, status, message)
