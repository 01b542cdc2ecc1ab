"""A long-lived crawl worker: many sources' runs at once in one reactor, fed by `presswatch serve`.

    python -m crawler.worker --fd N --parent-pid PID [--parse-workers N] [--max-requests N]

(started by the service, never by hand: the archive URL comes in `$PRESSWATCH_DB`, the
orders over the socket `--fd`, see `crawler.worker_protocol`). The worker opens the archive,
the parse workers and the politeness gate once; each `RunOrder` becomes one crawler in the
shared reactor (`crawler.runtime`), so a check that finds nothing costs a few requests and
two small writes, not a Python and Scrapy start-up. It exits when told to stop, when the
service's socket closes, or on SIGTERM (running runs closed as `interrupted`, recorded);
SIGINT is the service's to handle. Exit status: 0, or 3 when the archive cannot be opened.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

from presswatch.crawler.archive_run import SourceReport
from presswatch.crawler.processes import die_with_parent
from presswatch.crawler.runtime import ABANDON_AFTER, CrawlRuntime, install_reactor, the_reactor
from presswatch.crawler.worker_protocol import (
    CancelRun,
    FromWorker,
    RunFinished,
    RunOrder,
    RunStarted,
    StopWorker,
    WorkerReady,
)
from presswatch.storage import ArchiveError, RunCounts, open_archive

logger = logging.getLogger("presswatch.worker")
DB_VARIABLE = "PRESSWATCH_DB"


class Worker:
    """Takes orders from the service's socket, runs them in the reactor, reports back."""

    def __init__(self, connection: Connection, runtime: CrawlRuntime) -> None:
        self.connection = connection
        self.runtime = runtime
        self.tasks: dict[int, asyncio.Task[SourceReport]] = {}
        self.stopping = False
        self.send_lock = threading.Lock()

    def serve(self) -> None:
        reactor = the_reactor()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C reaches the whole group: the service decides
        signal.signal(signal.SIGTERM, lambda *_: reactor.callFromThread(self.stop, 0.0))
        threading.Thread(target=self.read_orders, name="presswatch-orders", daemon=True).start()
        reactor.callWhenRunning(self.send, WorkerReady(os.getpid()))
        reactor.run(installSignalHandlers=False)

    def read_orders(self) -> None:
        """On its own thread: every order is handed to the reactor; a closed socket means stop."""
        reactor = the_reactor()
        while True:
            try:
                order = self.connection.recv()
            except (EOFError, OSError):
                reactor.callFromThread(self.stop, 0.0)
                return
            reactor.callFromThread(self.handle, order)

    def send(self, message: FromWorker) -> None:
        with self.send_lock:
            try:
                self.connection.send(message)
            except (OSError, ValueError):
                pass  # the service is gone: its death signal stops this worker

    def handle(self, order: Any) -> None:
        if isinstance(order, RunOrder):
            self.start(order)
        elif isinstance(order, CancelRun):
            asyncio.ensure_future(self.cancel(order.key, order.reason))
        elif isinstance(order, StopWorker):
            self.stop(order.grace)
        else:
            logger.error("worker %d: unknown order %r ignored", os.getpid(), order)

    def start(self, order: RunOrder) -> None:
        if self.stopping or order.key in self.tasks:
            return
        task = asyncio.ensure_future(self.run(order))
        self.tasks[order.key] = task
        task.add_done_callback(lambda done: self.finished(order, done))

    async def run(self, order: RunOrder) -> SourceReport:
        return await self.runtime.run(
            order.source, key=order.key, full=order.full,
            on_started=lambda run_id: self.send(RunStarted(order.key, run_id)), due_at=order.due_at, sole=order.sole,
        )

    async def cancel(self, key: int, reason: str) -> None:
        """Close a run early; if its close hangs, it is recorded closed anyway and reported now."""
        report = await self.runtime.close_run(key, reason)
        if report is not None and self.tasks.pop(key, None) is not None:
            self.send(RunFinished(key, report))  # its crawler ends when its download does

    async def abandon(self, key: int, reason: str) -> None:
        """Report a run whose close hangs as closed for `reason`; its crawler ends when its download does."""
        if self.tasks.pop(key, None) is None:
            return
        report = await self.runtime.abandon(key, reason)
        if report is not None:
            self.send(RunFinished(key, report))

    def finished(self, order: RunOrder, task: asyncio.Task[SourceReport]) -> None:
        if self.tasks.pop(order.key, None) is None:
            return  # abandoned: already reported
        if task.cancelled() or task.exception() is not None:
            logger.error("source=%s the run broke: %r", order.source.name, None if task.cancelled() else task.exception())
            report = SourceReport(order.source.name, "failed", RunCounts(), 0.0)
        else:
            report = task.result()
        self.send(RunFinished(order.key, report))

    def stop(self, grace: float) -> None:
        """No new runs; running ones get `grace` seconds, then are closed (interrupted); then exit."""
        if self.stopping:
            return
        self.stopping = True
        asyncio.ensure_future(self.wind_down(grace))

    async def wind_down(self, grace: float) -> None:
        reactor = the_reactor()
        if self.tasks and grace > 0:
            await asyncio.wait(list(self.tasks.values()), timeout=grace)
        if self.tasks:
            asyncio.ensure_future(self.runtime.stop())
            await asyncio.wait(list(self.tasks.values()), timeout=ABANDON_AFTER)
        for key in list(self.tasks):
            await self.abandon(key, "shutdown")
        reactor.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.worker", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fd", type=int, required=True, help="the socket to the service")
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--parse-workers", type=int, default=1)
    parser.add_argument("--max-requests", type=int, default=None, help="requests in flight, all runs together")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--orphaned", choices=("close", "die"), default="close",
                        help="when the parent dies: close the runs as interrupted (serve), or die at once "
                             "(presswatch worker: the job engine has already handed the runs to another host)")
    args = parser.parse_args(argv)
    die_with_parent(args.parent_pid, signal.SIGTERM if args.orphaned == "close" else signal.SIGKILL)
    from scrapy.utils.log import configure_logging

    # As `presswatch crawl` does: Scrapy's and Twisted's messages at `--log-level` and up, to stderr
    # (the service's log), in the service's format.
    configure_logging({"LOG_LEVEL": args.log_level, "LOG_FORMAT": "%(asctime)s %(levelname)s %(message)s",
                       "LOG_DATEFORMAT": None})
    connection = Connection(args.fd)
    try:
        archive = open_archive(os.environ[DB_VARIABLE])
        archive.require_writable()
    except (ArchiveError, KeyError) as exc:
        logger.error("worker %d: cannot open the archive: %s", os.getpid(), exc)
        return 3
    install_reactor()
    runtime = CrawlRuntime(archive, parse_workers=args.parse_workers, max_requests=args.max_requests,
                           log_level=args.log_level)
    try:
        Worker(connection, runtime).serve()
    finally:
        runtime.close()
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
