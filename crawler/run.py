"""Running a crawl: several sources, one Scrapy process, one archive handle."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

from scrapy.crawler import Crawler, CrawlerProcess

from crawler.claims import RedisClaims
from crawler.config import Source
from crawler.parse_pool import ParsePool
from crawler.settings import BASE_SETTINGS, scrapy_settings
from crawler.spiders.press import PressSpider
from storage import RunCounts, open_archive


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What one source's crawl did."""

    source: str
    status: str
    counts: RunCounts
    seconds: float


def run_crawl(
    sources: tuple[Source, ...] | list[Source],
    db_url: str,
    *,
    full: bool = False,
    log_level: str = "WARNING",
    progress: TextIO | None = None,
) -> list[SourceReport]:
    """Crawl `sources` concurrently into the archive at `db_url` and report per source.

    Opens the archive (running migrations) before anything is fetched, so an
    unreachable database fails fast with `storage.ArchiveError` (and an unreachable
    Redis, when `redis_url` is set, with `crawler.claims.ClaimsUnavailable`). Can run once per
    process (Twisted's reactor does not restart).
    """
    archive = open_archive(db_url)
    started = time.monotonic()
    parser = ParsePool(max((s.crawl.parse_workers for s in sources), default=0))
    try:
        claims = {s.name: connect_claims(s) for s in sources}
        process = CrawlerProcess({**BASE_SETTINGS, "LOG_LEVEL": log_level})
        crawlers = [_schedule(process, s, archive, full, claims[s.name], parser, log_level) for s in sources]
        if progress is not None:
            _show_progress(crawlers, progress)
        process.start()
    finally:
        parser.close()
        archive.close()
    seconds = time.monotonic() - started
    return [_report(c, seconds) for c in crawlers]


def connect_claims(source: Source) -> RedisClaims | None:
    """The source's Redis claims when `redis_url` is set (raises ClaimsUnavailable)."""
    if not source.crawl.redis_url:
        return None
    return RedisClaims.connect(source.crawl.redis_url, source.crawl.claim_ttl)


def _schedule(
    process: CrawlerProcess, source: Source, archive: Any, full: bool, claims: RedisClaims | None,
    parser: ParsePool, log_level: str,
) -> Crawler:
    spider_class = type(
        f"PressSpider_{source.name.replace('-', '_')}",
        (PressSpider,),
        {"custom_settings": scrapy_settings(source.crawl, log_level)},
    )
    crawler = process.create_crawler(spider_class)
    process.crawl(crawler, source=source, archive=archive, full=full, claims=claims, parser=parser)
    return crawler


def _report(crawler: Crawler, seconds: float) -> SourceReport:
    spider: PressSpider = crawler.spider  # type: ignore[assignment]
    reason = crawler.stats.get_value("finish_reason", "failed")
    status = {"finished": "ok", "shutdown": "interrupted"}.get(reason, "failed")
    elapsed = crawler.stats.get_value("elapsed_time_seconds", seconds)
    return SourceReport(spider.source.name, status, spider.counts(), float(elapsed))


def _show_progress(crawlers: list[Crawler], out: TextIO) -> None:
    """A one-line live summary on a terminal, redrawn every half second."""
    from twisted.internet import task

    def draw() -> None:
        parts = [_progress_text(c) for c in crawlers if c.spider is not None]
        out.write("\r\033[K" + " | ".join(parts))
        out.flush()

    def clear() -> None:
        if loop.running:
            loop.stop()
        out.write("\r\033[K")

    loop = task.LoopingCall(draw)
    loop.start(0.5, now=False)
    from twisted.internet import reactor

    reactor.addSystemEventTrigger("before", "shutdown", clear)  # type: ignore[arg-type]


def _progress_text(crawler: Crawler) -> str:
    counts = crawler.spider.counts()  # type: ignore[union-attr]
    return f"{crawler.spider.name}: {counts.pages_fetched} pages, {counts.new} new, {counts.errors} errors"  # type: ignore[union-attr]


def progress_stream() -> TextIO | None:
    """stderr when it is a terminal, else None (no progress noise in logs and pipes)."""
    return sys.stderr if sys.stderr.isatty() else None

