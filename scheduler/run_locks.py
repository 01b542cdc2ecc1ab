"""One run per source and one worker process per site, cluster-wide (`presswatch worker`).

A worker host holds, for each run it executes, two advisory locks (`storage.locks`) on
its one lock session:

- `source:<name>`: nobody else runs the source. A due run whose source is already being
  run, here or elsewhere, is skipped, as `serve` skips a check while the source's last run
  goes on. A fresh one is skipped at once when the run is here, after `source_wait`
  seconds when it is elsewhere (the other run may be a dead worker's whose session
  PostgreSQL has not ended yet); a run delivered again waits as long as a run may last
  (`take(..., source_wait=)`): it may be the only one left of its due time.
- `site:<host>`: the site (the host of the source's first URL, as `scheduler.dispatch`
  groups them) is crawled from this worker host only, where all its sources share one
  crawl worker and so one politeness gate (`crawler.host_gate`). Advisory locks count
  per session, so this host's runs of one site take it side by side; another host's run
  of the site waits for it (at most the run's timeout).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from presswatch.crawler.config import Source
from presswatch.scheduler.dispatch import host_of
from presswatch.storage.locks import AdvisoryLocks

SOURCE_WAIT_SECONDS = 15.0
POLL_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class Held:
    """The locks one run holds."""

    source: str
    site: str


class RunLocks:
    """Takes and gives back the locks of runs (thread-safe; see the module docstring)."""

    def __init__(
        self, locks: AdvisoryLocks, stopping: threading.Event, source_wait: float = SOURCE_WAIT_SECONDS,
    ) -> None:
        self.locks = locks
        self.stopping = stopping
        self.source_wait = source_wait
        self.guard = threading.Lock()
        self.here: set[str] = set()  # sources this host is running now

    def take(self, source: Source, site_wait: float, source_wait: float | None = None) -> Held | str:
        """The run's locks, or why the run cannot go ahead ("running here", "running elsewhere", ...).

        `source_wait`: how long to wait for the source (default: the `RunLocks`' own).
        """
        held = Held(f"source:{source.name}", f"site:{host_of(source)}")
        wait = self.source_wait if source_wait is None else source_wait
        here_wait = 0.0 if source_wait is None else wait  # this host knows at once what it runs itself
        if not self._wait_until_not_here(source, here_wait):
            return "its last run is still going on here"
        try:
            # Most often both are free: one round trip takes both. Otherwise the source's lock
            # (if taken) is kept and the site's (if taken) given back, and each is waited for.
            source_free, site_free = self.locks.try_lock_many([held.source, held.site])
            if source_free and site_free:
                return held
            if site_free:
                self.locks.unlock(held.site)
            if not source_free and not self._wait_for(held.source, wait):
                self._forget(source)
                return "its last run is still going on on another host"
            if not self._wait_for(held.site, site_wait):
                self.locks.unlock(held.source)
                self._forget(source)
                return f"another host kept crawling {host_of(source)} for {site_wait:g}s"
        except BaseException:
            self._forget(source)
            raise
        return held

    def give_back(self, source: Source, held: Held) -> None:
        try:
            self.locks.unlock_many([held.site, held.source])
        finally:
            self._forget(source)

    def _wait_until_not_here(self, source: Source, seconds: float) -> bool:
        """Claim the source for this host once no run of it goes on here (False: still after `seconds`)."""
        def claim() -> bool:
            with self.guard:
                if source.name in self.here:
                    return False
                self.here.add(source.name)
                return True

        return self._poll(claim, seconds)

    def _wait_for(self, name: str, seconds: float) -> bool:
        return self._poll(lambda: self.locks.try_lock(name), seconds)

    def _poll(self, attempt: Callable[[], bool], seconds: float) -> bool:
        """Try `attempt` every POLL_SECONDS until it succeeds; False after `seconds` or once stopping."""
        deadline = time.monotonic() + seconds
        while not attempt():
            if time.monotonic() > deadline or self.stopping.is_set():
                return False
            self.stopping.wait(POLL_SECONDS)
        return True

    def _forget(self, source: Source) -> None:
        with self.guard:
            self.here.discard(source.name)
