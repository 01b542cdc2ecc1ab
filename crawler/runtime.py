"""Many crawl runs in one process, one reactor: what a crawl worker and `presswatch crawl` share.

`CrawlRuntime` holds what a process opens once and every run shares: the archive (one
writer thread), the archive threads, the parse workers, the politeness gate and the bound
on queued saves. `await runtime.run(source)` runs one source's crawl as its own Scrapy
crawler (`RunCrawler`: one crawler per run, through Scrapy's `AsyncCrawlerRunner`) and
returns its `SourceReport`; many runs go on at once. A run can be stopped early
(`cancel`, e.g. past its timeout) and all of them at shutdown (`stop`).

The reactor (Twisted's asyncio reactor) is the caller's: `install_reactor()` before
anything imports `twisted.internet.reactor`, then run it.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from scrapy.crawler import AsyncCrawlerRunner, Crawler
from scrapy.settings import Settings

from presswatch.crawler.archive_run import STATUS_BY_REASON, ArchiveRun, SourceReport, error_kinds, run_counts
from presswatch.crawler.config import Source
from presswatch.crawler.host_gate import HostGate
from presswatch.crawler.parse_pool import ParsePool
from presswatch.crawler.run_context import MAX_QUEUED_PAGES, ArchiveThreads, RunContext, SaveRoom
from presswatch.crawler.settings import BASE_SETTINGS, scrapy_settings
from presswatch.crawler.spiders.press import PressSpider
from presswatch.storage import Archive, RunCounts

logger = logging.getLogger(__name__)

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
#: Seconds a run being closed (stopped, or past its timeout) gets before it is recorded as
#: closed without waiting for Scrapy's engine, which waits for every download in flight.
ABANDON_AFTER = 5.0


def the_reactor() -> Any:
    """Twisted's installed reactor (typed loosely: its interfaces are not what mypy sees on the class)."""
    from twisted.internet import reactor

    return reactor


def install_reactor() -> None:
    """Install Twisted's asyncio reactor (once per process) and Scrapy's caching DNS resolver."""
    from scrapy.utils.reactor import install_reactor as scrapy_install_reactor
    from scrapy.utils.reactor import is_reactor_installed

    if not is_reactor_installed():
        scrapy_install_reactor(ASYNCIO_REACTOR)
    from scrapy.resolver import CachingThreadedResolver

    reactor = the_reactor()
    settings = Settings(BASE_SETTINGS)
    resolver = CachingThreadedResolver(
        reactor, cache_size=settings.getint("DNSCACHE_SIZE"), timeout=settings.getfloat("DNS_TIMEOUT"),
    )
    resolver.install_on_reactor()
    reactor.getThreadPool().adjustPoolsize(maxthreads=settings.getint("REACTOR_THREADPOOL_MAXSIZE"))


class RunCrawler(Crawler):
    """A Scrapy crawler for one run of one source, carrying the process's shared handles."""

    def __init__(self, source: Source, context: RunContext, log_level: str) -> None:
        super().__init__(PressSpider, scrapy_settings(source.crawl, log_level))
        self.run = context


class CrawlRuntime:
    """Runs sources' crawls in the running reactor, many at once, sharing one archive."""

    def __init__(
        self, archive: Archive, *, parse_workers: int = 0, max_requests: int | None = None,
        log_level: str = "WARNING",
    ) -> None:
        self.archive = archive
        self.threads = ArchiveThreads()
        self.parser = ParsePool(parse_workers)
        self.gate = HostGate(max_requests)
        self.save_room = SaveRoom(MAX_QUEUED_PAGES)
        self.log_level = log_level
        self.runner = AsyncCrawlerRunner(Settings(BASE_SETTINGS))
        self.crawlers: dict[Any, RunCrawler] = {}
        self.ended: dict[Any, asyncio.Event] = {}

    async def run(
        self, source: Source, *, key: Any = None, full: bool = False,
        on_started: Callable[[int], None] | None = None, due_at: datetime | None = None, sole: bool = False,
    ) -> SourceReport:
        """Crawl `source` once; its report (a run that could not even start is `failed`).

        `due_at` and `sole` come from `serve --broker` (see `crawler.run_context.RunContext`).
        """
        context = RunContext(
            archive=self.archive, threads=self.threads, parser=self.parser, gate=self.gate, full=full,
            save_room=self.save_room, on_started=on_started, due_at=due_at, sole=sole,
        )
        crawler = RunCrawler(source, context, self.log_level)
        key = source.name if key is None else key
        self.crawlers[key] = crawler
        ended = self.ended[key] = asyncio.Event()
        started = asyncio.get_running_loop().time()
        try:
            await self.runner.crawl(crawler, source=source, full=full, parser=self.parser)
        except Exception:  # noqa: BLE001 - one broken run is reported, the process goes on
            logger.exception("%s: the crawl failed to run", source.name)
        finally:
            self.crawlers.pop(key, None)
            self.ended.pop(key, None)
            ended.set()
        return self.report(crawler, source, asyncio.get_running_loop().time() - started)

    @staticmethod
    def report(crawler: RunCrawler, source: Source, seconds: float) -> SourceReport:
        extension = crawler.get_extension(ArchiveRun) if crawler._extensions is not None else None  # noqa: SLF001
        if extension is not None and extension.report is not None:
            return extension.report
        if crawler._stats is None:  # noqa: SLF001 - never got as far as its settings
            return SourceReport(source.name, "failed", RunCounts(), seconds)
        stats = crawler.stats
        return SourceReport(source.name, "failed", run_counts(stats), seconds, error_kinds(stats))

    def running(self) -> list[Any]:
        """The keys of the runs going on now."""
        return list(self.crawlers)

    def progress(self) -> list[tuple[str, RunCounts]]:
        """(source, counts so far) of each run going on, for a progress line."""
        return [
            (crawler.spider.name, run_counts(crawler.stats))
            for crawler in list(self.crawlers.values()) if crawler.spider is not None and crawler._stats is not None  # noqa: SLF001
        ]

    async def cancel(self, key: Any, reason: str) -> bool:
        """Close the run `key` early (its status follows `reason`); False when it is not running."""
        crawler = self.crawlers.get(key)
        if crawler is None or crawler._engine is None or crawler.spider is None:  # noqa: SLF001
            return False
        await crawler.engine.close_spider_async(reason=reason)
        return True

    async def close_run(self, key: Any, reason: str, patience: float = ABANDON_AFTER) -> SourceReport | None:
        """Close the run `key` early for `reason`; if Scrapy has not closed it after `patience`
        seconds (a download that never ends), record it closed anyway (`abandon`): the report
        then, else None (the run ends normally and reports itself)."""
        ended = self.ended.get(key)
        if ended is None:
            return None
        closing = asyncio.ensure_future(self.cancel(key, reason))
        try:
            await asyncio.wait_for(ended.wait(), timeout=patience)
        except TimeoutError:
            closing.cancel()
            return await self.abandon(key, reason)
        return None

    async def abandon(self, key: Any, reason: str) -> SourceReport | None:
        """Record the run `key` as closed for `reason` now, without waiting for Scrapy's engine.

        For a run whose close hangs on a download that never ends (a wedged server with a
        long `download_timeout`): its row and report are written from its counts so far;
        the crawler itself is left to end when its download does. None when not running.
        """
        crawler = self.crawlers.pop(key, None)
        if crawler is None or crawler.spider is None or crawler._extensions is None:  # noqa: SLF001
            return None
        extension = crawler.get_extension(ArchiveRun)
        if extension is None:
            return None
        logger.warning("%s: the run did not close (a download still hangs); recorded as %s", crawler.spider.name,
                       STATUS_BY_REASON.get(reason, "failed"))
        return await extension.close(crawler.spider, reason)  # type: ignore[arg-type]

    async def stop(self) -> None:
        """Close every run going on (each becomes `interrupted`) and wait until they are closed."""
        crawlers = list(self.crawlers.values())
        if crawlers:
            await asyncio.gather(*(c.stop_async() for c in crawlers), return_exceptions=True)

    def close(self) -> None:
        """After the reactor stopped: parse workers, archive threads and the archive itself."""
        self.parser.close()
        self.threads.close()
        self.archive.close()
