"""Parsing pages in worker processes, so the reactor keeps fetching while pages are read.

Parsing is pure CPU work (lxml, trafilatura, dateparser); in the crawl process it
competes with Scrapy and the archive writes for one core. `ParsePool` hands each
page to `parse_workers` spawned processes and awaits the `Article`, with the page's
save keys worked out there too (`storage.PreparedContent`); with 0 workers pages are
parsed inline. `parse_many_for_archive` does the same for bulk work (`presswatch
reparse`): an ordered stream of parsed pages from a stream of pages.
"""
from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import NamedTuple

from presswatch.crawler.parsing import Article, ParseProfile, parse_article
from presswatch.crawler.processes import die_with_parent
from presswatch.storage import PreparedContent

logger = logging.getLogger(__name__)
Page = tuple[bytes, str, ParseProfile | None]  # what parse_article takes
POOL_THRESHOLD = 24  # pages: below this a worker pool costs more than it saves
IN_FLIGHT_PER_WORKER = 16
MAX_BULK_WORKERS = 4


def _init_worker(parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawl process's to handle
    die_with_parent(parent_pid)


class ParsedPage(NamedTuple):
    """A page's article and, when a worker parsed it, what saving it needs worked out."""

    article: Article
    prepared: PreparedContent | None = None


def parse_for_archive(page: bytes, url: str, profile: ParseProfile | None, *,
                      compress: bool = True) -> ParsedPage:
    """``parse_article``, then (in the worker, off the crawl process) the page's save keys.

    ``compress=False`` leaves compressing the HTML to the archive, which does it only if the
    page must be stored (a reparse reads pages the archive already holds)."""
    article = parse_article(page, url, profile)
    if article.error:
        return ParsedPage(article)
    return ParsedPage(article, PreparedContent.of(article.headline, article.body, page, compress=compress))


class ParsePool:
    """`await pool.parse(page, url, profile)`: a ParsedPage, parsed in a worker or inline.

    Inline (no workers) the save keys are left to the archive's writer thread."""

    def __init__(self, workers: int) -> None:
        self.executor: ProcessPoolExecutor | None = None
        if workers > 0:
            self.executor = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker, initargs=(os.getpid(),),
            )

    async def parse(self, page: bytes, url: str, profile: ParseProfile) -> ParsedPage:
        if self.executor is None:
            return ParsedPage(parse_article(page, url, profile))
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.executor, parse_for_archive, page, url, profile)
        except BrokenProcessPool:
            logger.error("a parse worker died (killed or out of memory); parsing in the crawl process from now on")
            broken, self.executor = self.executor, None
            if broken is not None:
                broken.shutdown(wait=False, cancel_futures=True)
            return ParsedPage(parse_article(page, url, profile))

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)


def bulk_workers() -> int:
    """Worker processes for bulk parsing: the CPUs this process may use, at most 4."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cpus or 1, MAX_BULK_WORKERS)


def parse_many_for_archive(pages: Iterable[Page], workers: int | None = None, *,
                           compress: bool = True) -> Iterator[ParsedPage]:
    """``parse_for_archive`` of each page, in order: in worker processes when there are enough
    pages, else in this process (the save keys then left to the archive).

    Pages are handed over a few at a time (``IN_FLIGHT_PER_WORKER`` each), so memory stays
    flat however many pages the iterable yields.
    """
    workers = bulk_workers() if workers is None else workers
    pages = iter(pages)
    head = list(itertools.islice(pages, POOL_THRESHOLD))
    if workers <= 1 or len(head) < POOL_THRESHOLD:
        yield from (ParsedPage(parse_article(*page)) for page in itertools.chain(head, pages))
        return
    parse = functools.partial(parse_for_archive, compress=compress)
    context = multiprocessing.get_context("spawn")  # the caller may hold threads and connections
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(os.getpid(),)) as executor:
        pending: deque[Future[ParsedPage]] = deque()
        for page in itertools.chain(head, pages):
            pending.append(executor.submit(parse, *page))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
