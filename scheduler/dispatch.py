"""Which due run goes to which crawl worker, and when (pure bookkeeping, no processes).

- **One run per source at a time.** A source whose previous run is still waiting or going
  on is not queued again: the due check is skipped (and counted), as APScheduler's
  `coalesce`/`max_instances=1` would for a job that ran in the scheduler itself.
- **A host's sources share one worker slot** (by a stable hash of the host of the source's
  first URL), so the worker's shared politeness gate (`crawler.host_gate`) sees every
  request the service makes to that host.
- **Capacity.** A worker takes at most `runs_per_worker` runs at once; the rest wait, first
  due first served.
"""
from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any
from urllib.parse import urlsplit

from presswatch.crawler.config import Source


@dataclass(slots=True)
class Run:
    """A due run of a source, from the moment it is due until its worker reports it finished."""

    key: int
    source: Source
    timeout: float
    due_at: float  # monotonic seconds
    slot: int
    sent_at: float | None = None  # handed to a worker
    run_id: int | None = None  # its crawl_runs row, once the worker wrote it
    cancel_sent_at: float | None = None  # told to stop (past its timeout)
    worker_pid: int | None = field(default=None, repr=False)
    scheduled_for: datetime | None = None  # the due time it serves (`serve --broker`)
    sole: bool = False  # the source's cluster-wide run lock is held (`serve --broker`)
    #: Told the run's result once it is over, and whether it was lost (its worker died or
    #: stopped before finishing it): `on_done(result, lost)`.
    on_done: Callable[[Any, bool], None] | None = field(default=None, repr=False)


def host_of(source: Source) -> str:
    """The host whose politeness the source's runs share: that of its first start URL, feed or sitemap."""
    first = (source.start_urls + source.feeds + source.sitemaps)[0]
    return (urlsplit(first).hostname or "").lower()


def slot_for(source: Source, slots: int) -> int:
    """The worker slot of the source's host (stable across restarts and reloads)."""
    return zlib.crc32(host_of(source).encode()) % slots


class RunQueue:
    """Due runs waiting for their slot's worker, at most one per source waiting or running."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.waiting: list[deque[Run]] = [deque() for _ in range(slots)]
        self.busy: set[str] = set()  # sources with a run waiting or going on
        self._keys = count(1)

    def add(self, source: Source, timeout: float, now: float, **details: Any) -> Run | None:
        """Queue a due run; None (nothing queued) when the source's last run has not finished.

        `details`: the `Run` fields of a run that came from a job engine (`scheduled_for`,
        `sole`, `on_done`).
        """
        if source.name in self.busy:
            return None
        run = Run(next(self._keys), source, timeout, now, slot_for(source, self.slots), **details)
        self.busy.add(source.name)
        self.waiting[run.slot].append(run)
        return run

    def requeue(self, run: Run) -> None:
        """A run handed to a worker that died before starting it: first in line again."""
        run.sent_at = run.worker_pid = None
        self.waiting[run.slot].appendleft(run)

    def take(self, slot: int, room: int) -> list[Run]:
        """Up to `room` of the slot's waiting runs, oldest first."""
        queue, taken = self.waiting[slot], list[Run]()
        while queue and len(taken) < room:
            taken.append(queue.popleft())
        return taken

    def done(self, run: Run) -> None:
        """The run is over (finished, interrupted, or dropped): its source may be queued again."""
        self.busy.discard(run.source.name)

    def drop_waiting(self) -> list[Run]:
        """Empty the queue (the service is stopping); the runs that never went to a worker."""
        dropped = [run for queue in self.waiting for run in queue]
        for queue in self.waiting:
            queue.clear()
        for run in dropped:
            self.done(run)
        return dropped

    def waiting_count(self) -> int:
        return sum(len(queue) for queue in self.waiting)
