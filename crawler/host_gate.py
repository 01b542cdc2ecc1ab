"""Politeness shared by every crawl run of one process, and a cap on its requests in flight.

Scrapy keeps its download slots (per-domain concurrency, `download_delay`, AutoThrottle)
per crawler: two runs in one process that fetch from the same host would each be polite
on their own and together twice as hard on the host. `HostGate` is one per process (a
crawl worker, or one `presswatch crawl`); every request passes it last, just before
Scrapy's download slot, and it holds the request until

- the host has fewer requests in flight, from all runs, than the request's run allows
  (`concurrent_per_domain`),
- enough time has passed since the last request to the host started, from any run: the
  run's `download_delay`, the host's robots.txt `Crawl-delay`, or (with `autothrottle`)
  the host's recent response time, whichever is longest, and
- the process has fewer requests in flight than its cap (`[service]
  requests_per_worker`), so a worker running many sources at once stays within bounds.

The gate owns the delays: a crawler that has one runs its own slots without delay or
AutoThrottle (`crawler.settings.scrapy_settings`), so a request leaves the moment the gate
lets it through and the spacing the gate keeps is the spacing the host sees. Waiting
requests are served first come, first served, except that a request for a host that is
not ready does not hold up requests for other hosts. `SharedPoliteness` is the downloader
middleware that puts each request through the gate of its crawler's process.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

#: A host's state is dropped once it has been idle this long (it only remembers the last start).
FORGET_AFTER_SECONDS = 600.0
#: AutoThrottle: the delay before a host has answered (Scrapy's AUTOTHROTTLE_START_DELAY as we set it) ...
THROTTLE_START_SECONDS = 0.5
#: ... and the longest it grows to for a slow host (Scrapy's AUTOTHROTTLE_MAX_DELAY).
THROTTLE_MAX_SECONDS = 60.0


@dataclass(slots=True)
class _Host:
    in_flight: int = 0
    last_start: float = float("-inf")
    min_delay: float = 0.0  # robots.txt Crawl-delay
    throttle: float = THROTTLE_START_SECONDS  # AutoThrottle's delay: follows the host's response time


@dataclass(slots=True)
class _Waiter:
    host: str
    concurrency: int
    delay: float
    autothrottle: bool
    order: int = 0  # arrival: who goes first when the process cap frees a place
    future: asyncio.Future[None] | None = field(default=None, repr=False)


class HostGate:
    """`await gate.acquire(host, concurrency, delay)` before a request, `gate.release(host)` after it.

    Waiting requests queue per host, so a request that ends wakes only its own host's queue
    (all hosts' queues, oldest first, when the process cap was what held them).
    """

    def __init__(self, max_in_flight: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self._clock = clock
        self._hosts: dict[str, _Host] = {}
        self._queues: dict[str, deque[_Waiter]] = {}
        self._arrivals = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = float("inf")
        self._swept_at = clock()

    def set_min_delay(self, host: str, seconds: float) -> None:
        """The host asked (robots.txt Crawl-delay) for at least `seconds` between requests."""
        self._host(host).min_delay = max(0.0, seconds)

    def acquire(
        self, host: str, concurrency: int, delay: float, autothrottle: bool = False
    ) -> asyncio.Future[None] | None:
        """None when the request may start now (and it is counted as started); else a future
        that completes when it may. Cancelling the future gives up the place in the queue."""
        waiter = _Waiter(host, max(1, concurrency), delay, autothrottle)
        if host not in self._queues and self._admissible(waiter, self._clock()):
            self._start(host)
            return None
        self._arrivals += 1
        waiter.order = self._arrivals
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter.future = future
        self._queues.setdefault(host, deque()).append(waiter)
        self._wake([host])
        return future

    def release(self, host: str, latency: float | None = None) -> None:
        """A request admitted for `host` is done (answered, failed or dropped); `latency`, when
        it was answered, tunes the host's AutoThrottle delay as Scrapy's AutoThrottle would."""
        state = self._hosts.get(host)
        if state is None or state.in_flight <= 0:
            return
        capped = self.max_in_flight is not None and self.in_flight >= self.max_in_flight
        state.in_flight -= 1
        self.in_flight -= 1
        if latency is not None:
            target = max(latency, 0.0)  # one request at a time, at the host's own pace
            state.throttle = min(max(target, (state.throttle + target) / 2), THROTTLE_MAX_SECONDS)
        if capped:
            self._wake(list(self._queues))
        elif host in self._queues:
            self._wake([host])

    def waiting(self) -> int:
        return sum(1 for queue in self._queues.values() for w in queue if w.future and not w.future.done())

    # -- internals ---------------------------------------------------------------------------
    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host()
        return state

    def _ready_at(self, waiter: _Waiter) -> float:
        state = self._hosts.get(waiter.host)
        if state is None:
            return float("-inf")
        throttle = state.throttle if waiter.autothrottle else 0.0
        return state.last_start + max(waiter.delay, state.min_delay, throttle)

    def _admissible(self, waiter: _Waiter, now: float) -> bool:
        if self.max_in_flight is not None and self.in_flight >= self.max_in_flight:
            return False
        state = self._hosts.get(waiter.host)
        if state is None:
            return True
        return state.in_flight < waiter.concurrency and now >= self._ready_at(waiter)

    def _start(self, host: str) -> None:
        state = self._host(host)
        state.in_flight += 1
        state.last_start = self._clock()
        self.in_flight += 1

    def _wake(self, hosts: list[str]) -> None:
        """Start the waiting requests of `hosts` that may start now, oldest first; set a timer
        for the earliest one held only by a delay."""
        now = self._clock()
        earliest = float("inf")
        for host in sorted(hosts, key=self._first_arrival):
            ready_at = self._admit(host, now)
            if ready_at > now:
                earliest = min(earliest, ready_at)
        self._schedule(earliest, now)
        if now - self._swept_at > FORGET_AFTER_SECONDS:
            self._forget_idle_hosts(now)

    def _first_arrival(self, host: str) -> int:
        queue = self._queues.get(host)
        return queue[0].order if queue else 0

    def _admit(self, host: str, now: float) -> float:
        """Start the host's waiting requests in order while they may; when one may not, the
        time its delay is over (-inf when something else holds it: a release will wake it)."""
        queue = self._queues.get(host)
        held_until = float("-inf")
        while queue:
            waiter = queue[0]
            if waiter.future is None or waiter.future.done():  # cancelled: its crawl was closed while it waited
                queue.popleft()
                continue
            if not self._admissible(waiter, now):
                held_until = self._ready_at(waiter)
                break
            queue.popleft()
            self._start(host)
            waiter.future.set_result(None)
        if queue is not None and not queue:
            del self._queues[host]
        return held_until

    def _schedule(self, at: float, now: float) -> None:
        if at == float("inf") or at >= self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = asyncio.get_running_loop().call_later(max(0.0, at - now), self._on_timer)

    def _on_timer(self) -> None:
        self._timer, self._timer_at = None, float("inf")
        self._wake(list(self._queues))

    def _forget_idle_hosts(self, now: float) -> None:
        self._swept_at = now
        for host, state in list(self._hosts.items()):
            idle = state.in_flight == 0 and now - state.last_start > FORGET_AFTER_SECONDS
            if idle and host not in self._queues and not state.min_delay:
                del self._hosts[host]


class SharedPoliteness:
    """Downloader middleware: each request passes its process's `HostGate` (innermost, just
    before Scrapy's download slot). Not configured for a crawler without a run context."""

    def __init__(self, crawler: Crawler, gate: HostGate) -> None:
        self.gate = gate
        settings = crawler.settings
        self.concurrency = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.delay = settings.getfloat("PRESSWATCH_DOWNLOAD_DELAY", settings.getfloat("DOWNLOAD_DELAY"))
        self.autothrottle = settings.getbool("PRESSWATCH_AUTOTHROTTLE")
        self.held: dict[Request, tuple[str, float]] = {}
        crawler.signals.connect(self.release_all, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPoliteness:
        gate = getattr(getattr(crawler, "run", None), "gate", None)
        if gate is None:
            raise NotConfigured("no shared HostGate for this crawler")
        return cls(crawler, gate)

    def process_request(self, request: Request, spider: Any = None) -> Any:
        host = urlparse_cached(request).hostname or ""
        waiting = self.gate.acquire(host, self.concurrency, self.delay, self.autothrottle)
        if waiting is None:
            self.held[request] = (host, time.monotonic())
            return None
        return self._admitted(request, host, waiting)

    async def _admitted(self, request: Request, host: str, waiting: asyncio.Future[None]) -> None:
        try:
            await waiting
        except asyncio.CancelledError:
            if waiting.done() and not waiting.cancelled():  # admitted just as its crawl was closed
                self.gate.release(host)
            raise
        self.held[request] = (host, time.monotonic())

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        held = self.held.pop(request, None)
        if held is not None:
            host, started = held
            self.gate.release(host, time.monotonic() - started if response.status < 400 else None)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        held = self.held.pop(request, None)
        if held is not None:
            self.gate.release(held[0])

    def release_all(self) -> None:
        """At the end of the run: whatever it still holds (downloads cut off by a close) is freed."""
        for host, _ in self.held.values():
            self.gate.release(host)
        self.held.clear()
