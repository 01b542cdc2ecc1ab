"""Preparing bulk loads in another process: what ``Archive.save_batches`` streams through.

Preparing a page (canonical URLs, normalising, hashing, MinHash-signing and LSH keys,
compressing its HTML: ``prepared.PageKeys``) is pure CPU work, about as much as writing it. In a thread
it only takes turns with the writer for the interpreter lock; a worker process runs it on
another core while this one writes. The worker is started once per archive (``spawn``:
it imports only ``storage.prepared``, no SQLAlchemy, and inherits no connection or
thread of this process) and kept until the archive is closed.

The pages go to the worker and only their keys come back (a page that carries its
``PreparedContent`` from a parse worker keeps it: only its URLs and LSH keys are worked out).
On a machine with a single core, or where no process can be started (or the worker dies),
the work stays in a thread of this process, as before. As
for any spawned worker, a script calling ``save_batches`` must keep its top-level code
under ``if __name__ == "__main__":`` (the worker imports the main module; without the
guard the worker fails to start, and the thread takes over).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from presswatch.storage.prepared import PageKeys
from presswatch.storage.records import ArticleIn

logger = logging.getLogger(__name__)

#: A batch's keys, one per page.
Contents = list[PageKeys]


def prepare_pages(batch: Sequence[ArticleIn]) -> Contents:
    """``PageKeys.of`` each page: what the worker runs."""
    return [PageKeys.of(article) for article in batch]


PR_SET_PDEATHSIG = 1


def _init_worker(parent_pid: int) -> None:
    """In the worker: Ctrl-C is the saving process's to handle, and the worker ends with it,
    even when it is killed (Linux: SIGTERM on the parent's death; elsewhere its shutdown)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass
    if os.getppid() != parent_pid:  # orphaned before the signal was armed
        os._exit(0)


def here(batch: Sequence[ArticleIn]) -> Future[Contents]:
    """``batch``'s keys, worked out in this thread (when the future's result is asked for)."""
    return _Deferred(batch)


class _Deferred(Future[Contents]):
    def __init__(self, batch: Sequence[ArticleIn]) -> None:
        super().__init__()
        self._batch = batch

    def result(self, timeout: float | None = None) -> Contents:
        if not self.done():
            self.set_result(prepare_pages(self._batch))
        return super().result(timeout)


class BatchPreparer:
    """``submit(batch) -> Future[Contents]``, prepared in a worker process (or thread)."""

    def __init__(self, *, processes: bool | None = None) -> None:
        if processes is None:
            processes = (os.cpu_count() or 1) > 1
        self._executor = self._start(processes)
        self._executor.submit(prepare_pages, [])  # start the worker now: it takes a moment

    @staticmethod
    def _start(processes: bool) -> Executor:
        if processes:
            try:
                return ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker, initargs=(os.getpid(),),
                )
            except (OSError, NotImplementedError) as exc:  # no process for us: a thread does it
                logger.warning("cannot start a process to prepare batches (%s); preparing in a thread", exc)
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="presswatch-prepare")

    @property
    def uses_processes(self) -> bool:
        return isinstance(self._executor, ProcessPoolExecutor)

    def submit(self, batch: Sequence[ArticleIn]) -> Future[Contents]:
        try:
            return self._executor.submit(prepare_pages, list(batch))
        except BrokenProcessPool:  # the worker died (killed, or could not start): a thread goes on
            logger.warning("the process preparing batches died; preparing in a thread")
            self._executor.shutdown(wait=False)
            self._executor = self._start(processes=False)
            return self._executor.submit(prepare_pages, list(batch))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
