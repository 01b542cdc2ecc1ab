"""Parsing pages in worker processes, so the reactor keeps fetching while pages are read.

Parsing is pure CPU work (lxml, trafilatura, dateparser); in the crawl process it
competes with Scrapy and the archive writes for one core. `ParsePool` hands each
page to `parse_workers` spawned processes and awaits the `Article`; with 0 workers
pages are parsed inline.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawler.parsing import Article, ParseProfile, parse_article
from crawler.processes import die_with_parent

logger = logging.getLogger(__name__)


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawl process's to handle
    die_with_parent()


class ParsePool:
    """`await pool.parse(page, url, profile)`: an Article, parsed in a worker or inline."""

    def __init__(self, workers: int) -> None:
        self.executor: ProcessPoolExecutor | None = None
        if workers > 0:
            self.executor = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker
            )

    async def parse(self, page: bytes, url: str, profile: ParseProfile) -> Article:
        if self.executor is None:
            return parse_article(page, url, profile)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.executor, parse_article, page, url, profile)
        except BrokenProcessPool:
            logger.error("a parse worker died (killed or out of memory); parsing in the crawl process from now on")
            broken, self.executor = self.executor, None
            if broken is not None:
                broken.shutdown(wait=False, cancel_futures=True)
            return parse_article(page, url, profile)

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
