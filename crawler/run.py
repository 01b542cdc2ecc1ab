"""`presswatch crawl`: several sources crawled at once in this process, then the reactor stops.

The same runtime as a long-lived crawl worker (`crawler.runtime`), started for one round:
every source's run goes on at once in one reactor, sharing one archive handle, the parse
workers and per-host politeness.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Any, TextIO

from presswatch.crawler.archive_run import TIMEOUT_REASON, SourceReport
from presswatch.crawler.config import Source
from presswatch.crawler.runtime import CrawlRuntime, install_reactor, the_reactor
from presswatch.storage import open_archive

__all__ = ["SourceReport", "progress_stream", "run_crawl"]

logger = logging.getLogger(__name__)


def run_crawl(
    sources: tuple[Source, ...] | list[Source],
    db_url: str,
    *,
    full: bool = False,
    log_level: str = "WARNING",
    progress: TextIO | None = None,
    max_time: float | None = None,
) -> list[SourceReport]:
    """Crawl `sources` concurrently into the archive at `db_url`; one report per source, in order.

    Opens the archive (running migrations) before anything is fetched, so an
    unreachable database fails fast with `storage.ArchiveError`. Can run once per
    process (Twisted's reactor does not restart). SIGINT/SIGTERM close the runs (each
    `interrupted`); a second one stops at once. After `max_time` seconds the runs still
    going are closed as `failed` with a `run_timeout` failure (the next crawl carries on).
    """
    archive = open_archive(db_url)
    try:
        archive.require_writable()  # a read-only or full archive is found before anything is fetched
    except BaseException:
        archive.close()
        raise
    from scrapy.utils.log import configure_logging

    configure_logging({"LOG_LEVEL": log_level})
    install_reactor()
    reactor = the_reactor()
    runtime = CrawlRuntime(
        archive, parse_workers=max((s.crawl.parse_workers for s in sources), default=0), log_level=log_level,
    )
    reports: list[SourceReport] = []
    cut_off: dict[str, SourceReport] = {}  # runs recorded closed at --max-time while a download hangs

    async def crawl_all() -> None:
        tasks = {s.name: asyncio.ensure_future(runtime.run(s, full=full)) for s in sources}
        while pending := [t for name, t in tasks.items() if not t.done() and name not in cut_off]:
            await asyncio.wait(pending, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
        reports.extend(cut_off.get(s.name) or tasks[s.name].result() for s in sources)

    async def stop_at_max_time() -> None:
        logger.warning("--max-time (%g s) reached: closing the runs still going", max_time)
        for key in runtime.running():
            report = await runtime.close_run(key, TIMEOUT_REASON)
            if report is not None:
                cut_off[key] = report

    def start() -> None:
        done = asyncio.ensure_future(crawl_all())
        done.add_done_callback(lambda _: reactor.stop())
        if max_time is not None:
            reactor.callLater(max_time, lambda: asyncio.ensure_future(stop_at_max_time()))

    _handle_shutdown_signals(runtime)
    if progress is not None:
        _show_progress(runtime, progress)
    reactor.callWhenRunning(start)
    try:
        reactor.run(installSignalHandlers=False)
    finally:
        runtime.close()
    return reports


def _handle_shutdown_signals(runtime: CrawlRuntime) -> None:
    """First SIGINT/SIGTERM: close every run (interrupted, recorded); a second one: stop now."""
    reactor = the_reactor()

    def first(signum: int, _: Any) -> None:
        signal.signal(signal.SIGINT, second)
        signal.signal(signal.SIGTERM, second)
        reactor.callFromThread(_stop_runs, runtime, signal.Signals(signum).name)

    def second(signum: int, _: Any) -> None:
        reactor.callFromThread(reactor.stop)

    signal.signal(signal.SIGINT, first)
    signal.signal(signal.SIGTERM, first)


def _stop_runs(runtime: CrawlRuntime, name: str) -> None:
    logger.warning("%s received: closing the runs (send it again to stop at once)", name)
    asyncio.ensure_future(runtime.stop())


def _show_progress(runtime: CrawlRuntime, out: TextIO) -> None:
    """A one-line live summary on a terminal, redrawn every half second."""
    from twisted.internet import task

    def draw() -> None:
        parts = [f"{name}: {c.pages_fetched} pages, {c.new} new, {c.errors} errors" for name, c in runtime.progress()]
        out.write("\r\033[K" + " | ".join(parts))
        out.flush()

    def clear() -> None:
        if loop.running:
            loop.stop()
        out.write("\r\033[K")

    loop = task.LoopingCall(draw)
    loop.start(0.5, now=False)
    the_reactor().addSystemEventTrigger("before", "shutdown", clear)


def progress_stream() -> TextIO | None:
    """stderr when it is a terminal, else None (no progress noise in logs and pipes)."""
    return sys.stderr if sys.stderr.isatty() else None
