"""The archive side of one crawl run, as a Scrapy extension: the run's row, its failures, its plan.

`ArchiveRun` is built for every crawler that carries a `RunContext` (see
`crawler.run_context`). Through the crawler's signals it

- opens the run: reads what the source's earlier runs left (`plan_run`), the entry
  pages' validators and the articles due for a revisit, writes the `running` row, and
  hands the spider its `RunPlan` and an archive lookup for known URLs;
- records each `page_failed` the spider (or the pipeline) signals;
- closes the run: decides its status (`run_status`), writes the row's end and, after a
  clean run, the entry pages' validators, and keeps the run's `SourceReport`.

Every archive call runs on the context's archive threads, never on the reactor thread,
so a slow database slows only the runs waiting for it.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

from presswatch.crawler.config import Source
from presswatch.crawler.run_context import RunContext, run_context
from presswatch.crawler.spiders.press import PressSpider, RunPlan, page_failed
from presswatch.storage import RunCounts, RunState

logger = logging.getLogger(__name__)

# Sitemap entries changed this long before the last successful run are skipped
# (a margin for clock skew and for sites that set lastmod late).
SITEMAP_MARGIN = timedelta(days=1)
#: Close reasons of Scrapy's engine, and the run status each gives.
STATUS_BY_REASON = {"finished": "ok", "shutdown": "interrupted"}
#: The close reason of a run stopped for taking longer than its timeout.
TIMEOUT_REASON = "run_timeout"
#: The close reason of a run whose row the archive could not write, or that lost a page to it.
ARCHIVE_ERROR_REASON = "archive_error"
#: Failures that mean pages or links may be lost: the run is `failed` whatever else it did
#: (the archive refused a page; the spider's or the pipeline's own code broke on a page).
LOSING_KINDS = ("save_failed", "spider_error", "pipeline_error")


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What one source's run did."""

    source: str
    status: str
    counts: RunCounts
    seconds: float
    error_kinds: dict[str, int] = field(default_factory=dict)
    run_id: int | None = None


def previous_run_unfinished(previous: RunState) -> bool:
    """True when the source's last run was killed, failed, interrupted or lost pages.

    Incremental crawling stops at the first listing page whose articles are all
    archived, asks for entry pages conditionally and skips old sitemap entries;
    after a run that stopped part-way or whose article fetches failed, older
    articles can be missing while newer ones are archived, so the next run must
    walk every listing page and sitemap entry once.
    """
    if previous.last_status is None:  # never crawled
        return False
    return previous.last_status != "ok" or bool(previous.last_errors)


def run_counts(stats: StatsCollector) -> RunCounts:
    """The run's counters, from its crawler's stats."""
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


def error_kinds(stats: StatsCollector) -> dict[str, int]:
    """The run's failures counted by kind (see `PressSpider.record_failure`)."""
    prefix = "presswatch/errors/"
    return {key[len(prefix):]: int(n) for key, n in stats.get_stats().items() if key.startswith(prefix)}


def database_reason(exc: BaseException) -> str:
    """The database's own words for a failed call (not SQLAlchemy's wrapping and links)."""
    original = getattr(exc, "orig", None)
    return f"{type(original).__name__}: {original}" if original is not None else f"{type(exc).__name__}: {exc}"


def run_status(reason: str, stats: StatsCollector) -> str:
    """`ok`, `failed` or `interrupted`, from the engine's close reason and what the run saw.

    A run that finished is still `failed` when every start page, feed and sitemap failed
    (a dead or unreachable source: refused, DNS, timeout, 4xx/5xx, robots), and when a page
    may be lost (`LOSING_KINDS`: the archive refused it, or our own code broke on it): a
    run that lost pages never says `ok`.
    """
    status = STATUS_BY_REASON.get(reason, "failed")
    if status != "ok":
        return status
    entries = int(stats.get_value("presswatch/entries", 0))
    if entries and not int(stats.get_value("presswatch/entries_answered", 0)):
        return "failed"
    if any(int(stats.get_value(f"presswatch/errors/{kind}", 0)) for kind in LOSING_KINDS):
        return "failed"
    return "ok"


class ArchiveRun:
    """Owns one run's archive work: opening, failures, closing (see the module's docstring)."""

    def __init__(self, crawler: Crawler, context: RunContext) -> None:
        self.crawler = crawler
        self.context = context
        self.run_id: int | None = None
        self.writes: list[asyncio.Future[Any]] = []
        self.report: SourceReport | None = None
        self.closing: asyncio.Future[SourceReport] | None = None
        self.opened_at = asyncio.get_event_loop().time()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.page_failed, signal=page_failed)
        crawler.signals.connect(self.callback_failed, signal=signals.spider_error)
        crawler.signals.connect(self.item_failed, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveRun:
        context = run_context(crawler)
        if context is None:
            raise NotConfigured("the crawler has no archive (no RunContext)")
        return cls(crawler, context)

    def call(self, function: Any, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        """`function(*args)` on the archive threads."""
        return self.context.threads.call(function, *args, **kwargs)

    # -- opening ---------------------------------------------------------------------------
    async def spider_opened(self, spider: PressSpider) -> None:
        archive, source = self.context.archive, spider.source
        try:
            previous = await self.call(archive.run_state, source.name)
            plan = await self.plan(source, previous)
            self.run_id = await self.call(
                archive.start_run, source.name, due_at=self.context.due_at, sole=self.context.sole
            )
        except Exception as exc:  # noqa: BLE001 - nothing fetched: the run fails, named
            logger.error("%s: the archive could not open the run: %s", spider.name, database_reason(exc))
            raise CloseSpider(ARCHIVE_ERROR_REASON) from exc
        spider.plan = plan
        spider.lookup = self.known_urls
        if plan.resuming:
            logger.info("%s: the previous run did not complete or lost pages; walking every listing page", spider.name)
        if self.context.on_started is not None:
            self.context.on_started(self.run_id)

    async def plan(self, source: Source, previous: RunState) -> RunPlan:
        """What this run takes from earlier ones: resume or not, validators, sitemap cut-off, revisits."""
        full = self.context.full
        resuming = not full and previous_run_unfinished(previous)
        validators: dict[str, Any] = {}
        since = None
        if not (full or resuming):
            if previous.last_success_at is not None:
                since = previous.last_success_at - SITEMAP_MARGIN
            entries = source.start_urls + source.feeds + source.sitemaps
            validators = await self.call(self.context.archive.validators, entries)
        revisits: list[str] = [] if full else await self.due_for_revisit(source)
        return RunPlan(resuming=resuming, sitemap_since=since, validators=validators, revisits=tuple(revisits))

    async def due_for_revisit(self, source: Source) -> list[str]:
        """Recent articles not fetched for `revisit_every`: re-read to catch edits ("UPDATED" releases).

        Articles published within `revisit_within` ("0h" turns the policy off),
        newest first, at most `max_articles`. A changed page becomes a revision.
        """
        crawl = source.crawl
        if not crawl.revisit_within_seconds:
            return []
        now = datetime.now(UTC)
        urls: list[str] = await self.call(
            self.context.archive.due_for_revisit,
            source.name,
            published_since=now - timedelta(seconds=crawl.revisit_within_seconds),
            seen_before=now - timedelta(seconds=crawl.revisit_every_seconds),
            limit=crawl.max_articles,
        )
        return urls

    async def known_urls(self, urls: list[str]) -> set[str]:
        known: set[str] = await self.call(self.context.archive.known_urls, urls)
        return known

    # -- during the run --------------------------------------------------------------------
    def page_failed(self, url: str, kind: str, status: int | None, message: str) -> None:
        if self.run_id is None:
            return  # the run's row could not be written: the failure is still counted and logged
        write = self.call(self.context.archive.record_failure, self.run_id, url, kind, status, message)
        self.writes.append(asyncio.ensure_future(write))

    def callback_failed(self, failure: Failure, response: Response, spider: PressSpider) -> None:
        """An exception in one of the spider's callbacks: recorded, and the run is not `ok`."""
        error = failure.value
        spider.record_failure(response.url, "spider_error", response.status, f"{type(error).__name__}: {error}")

    def item_failed(self, item: Any, response: Response | None, spider: PressSpider, failure: Failure) -> None:
        """An exception in the item pipeline (not a refused save, which the pipeline records)."""
        error = failure.value
        url = response.url if response is not None else spider.entry_urls()[0]
        spider.record_failure(url, "pipeline_error", None, f"{type(error).__name__}: {error}")

    # -- closing ---------------------------------------------------------------------------
    async def spider_closed(self, spider: PressSpider, reason: str) -> None:
        await self.close(spider, reason)

    async def close(self, spider: PressSpider, reason: str) -> SourceReport:
        """Close the run once (a second call waits for the first): its row, validators, report.

        Called when the engine closes the spider, or earlier by `abandon` for a run whose
        close cannot finish (a download that never ends keeps Scrapy's engine waiting)."""
        if self.closing is None:
            self.closing = asyncio.ensure_future(self._close(spider, reason))
        return await asyncio.shield(self.closing)

    async def _close(self, spider: PressSpider, reason: str) -> SourceReport:
        stats = self.crawler.stats
        if reason == TIMEOUT_REASON:
            message = "the run took longer than its timeout and was stopped"
            spider.record_failure(spider.entry_urls()[0], "run_timeout", None, message)
        await self.wait_for_writes()
        status, counts, kinds = run_status(reason, stats), run_counts(stats), error_kinds(stats)
        try:
            await self.finish(spider, status, counts, kinds)
        except Exception as exc:  # noqa: BLE001 - the database failed: the run is reported, not lost silently
            logger.error("%s: could not record the end of run %s: %s", spider.name, self.run_id, database_reason(exc))
            status = "failed"
        seconds = asyncio.get_event_loop().time() - self.opened_at
        self.report = SourceReport(spider.source.name, status, counts, seconds, kinds, self.run_id)
        return self.report

    async def finish(self, spider: PressSpider, status: str, counts: RunCounts, kinds: Mapping[str, int]) -> None:
        archive = self.context.archive
        if self.run_id is not None:
            await self.call(archive.finish_run, self.run_id, status, counts, dict(kinds))
        if status == "ok" and counts.errors == 0 and spider.fresh_validators:
            # Only after a clean run: a page whose articles were not all archived must
            # be fetched in full next time, not answered 304.
            await self.call(archive.save_validators, spider.source.name, spider.fresh_validators)

    async def wait_for_writes(self) -> None:
        """Every failure of the run recorded (or, when the archive refused, said so once: each
        failure was logged with its URL as it happened)."""
        writes, self.writes = self.writes, []
        refused = [o for o in await asyncio.gather(*writes, return_exceptions=True) if isinstance(o, Exception)]
        if refused:
            logger.error("run %s: %d failure(s) could not be recorded in crawl_errors (%s); their URLs are "
                         "in this log", self.run_id, len(refused), database_reason(refused[0]))
