"""What one crawl run gets from the process that runs it: the shared archive and helpers.

A process running crawls (a long-lived crawl worker, or one `presswatch crawl`) opens the
archive, the parse workers and the politeness gate once and shares them between all its
runs; each run's crawler carries a `RunContext` naming them (`RunCrawler.run`). The
archive extension, the pipeline and the politeness middleware find them there.
"""
from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from scrapy.crawler import Crawler

from presswatch.crawler.host_gate import HostGate
from presswatch.crawler.parse_pool import ParsePool
from presswatch.storage import Archive

T = TypeVar("T")
#: Threads that make archive calls for a process's runs (SQLite serialises writers anyway).
ARCHIVE_THREADS = 4
#: Pages a process may have queued for saving, all its runs together (then the runs wait).
MAX_QUEUED_PAGES = 200


class ArchiveThreads:
    """Archive calls off the reactor thread: `await threads.call(archive.known_urls, urls)`.

    A slow database then slows only the runs waiting for it; every other run's downloads
    and parsing go on.
    """

    def __init__(self, threads: int = ARCHIVE_THREADS) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="presswatch-db")

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.wrap_future(self._pool.submit(function, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class SaveRoom:
    """A bound on the pages a process has queued for saving, shared by all its runs.

    `take()` is None when there is room (one place taken) or a future that completes when
    a place is free; `give_back()` may be called from any thread (the archive's writer
    thread calls it as saves complete). The reactor never blocks on a full queue.
    """

    def __init__(self, places: int) -> None:
        self.free = places
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.loop: asyncio.AbstractEventLoop | None = None

    def take(self) -> asyncio.Future[None] | None:
        self.loop = asyncio.get_running_loop()
        if self.free > 0 and not self.waiting:
            self.free -= 1
            return None
        future: asyncio.Future[None] = self.loop.create_future()
        self.waiting.append(future)
        return future

    def give_back(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._freed)

    def _freed(self) -> None:
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_result(None)  # the place passes straight to the next waiter
                return
        self.free += 1


@dataclass(slots=True)
class RunContext:
    """The process's shared handles, and what this run was asked to do."""

    archive: Archive
    threads: ArchiveThreads
    parser: ParsePool
    gate: HostGate | None = None
    full: bool = False
    save_room: SaveRoom = field(default_factory=lambda: SaveRoom(MAX_QUEUED_PAGES))
    on_started: Callable[[int], None] | None = None  # told the run's `crawl_runs.id` once its row exists
    due_at: datetime | None = None  # the scheduled time the run serves (`serve --broker`)
    sole: bool = False  # the source's cluster-wide run lock is held: its `running` rows anywhere are abandoned


def run_context(crawler: Crawler) -> RunContext | None:
    """The context of a crawler started by `crawler.runtime` (None for any other crawler)."""
    context = getattr(crawler, "run", None)
    return context if isinstance(context, RunContext) else None
