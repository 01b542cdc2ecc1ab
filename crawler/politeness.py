"""Being polite where Scrapy is not: `Retry-After` and robots.txt `Crawl-delay`.

- `RetryAfterMiddleware` replaces Scrapy's RetryMiddleware (and wraps one). Retries are the
  same, but a 429 or 503 that carries `Retry-After` is retried only after the time the
  server asked for. A wait longer than `max_retry_after` is not retried at all (the
  server is telling us to come back later; the next run will): the response goes
  on to be recorded as an `http_status` failure with its Retry-After.
- `CrawlDelay` reads `Crawl-delay` from each robots.txt Scrapy fetches (through
  Scrapy's Protego robots parser), at most `max_crawl_delay` (a robots.txt asking for an
  hour would stall every run of the host), and hands it to the process's shared `HostGate`, so
  every run of the process keeps requests to that host at least that far apart; a
  crawler without a gate has its own download slot kept that far apart instead.
"""
from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

logger = logging.getLogger(__name__)

RETRY_AFTER_STATUSES = (429, 503)


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date), or None."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    """Scrapy's RetryMiddleware, waiting out a 429/503's Retry-After (up to a bound).

    It wraps a RetryMiddleware rather than extending it: its `process_response` is a
    coroutine (Scrapy awaits coroutine middleware methods), which is not the synchronous
    method the parent declares. Exceptions are retried by the wrapped middleware as they are.
    """

    def __init__(self, crawler: Crawler, retries: RetryMiddleware) -> None:
        self.crawler = crawler
        self.retries = retries
        self.max_retry_after = crawler.settings.getfloat("PRESSWATCH_MAX_RETRY_AFTER", 30.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler, RetryMiddleware.from_crawler(crawler))  # NotConfigured when RETRY_ENABLED is off

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retries.retry_http_codes:
            return response
        reason = response_status_message(response.status)
        delay = None
        if response.status in RETRY_AFTER_STATUSES:
            delay = retry_after_seconds(response.headers.get("Retry-After"))
        if delay is not None and delay > self.max_retry_after:
            self.crawler.stats.inc_value("presswatch/retry_after_too_long")
            logger.info(
                "Not retrying %s: Retry-After %.0f s is longer than max_retry_after (%.0f s)",
                request.url, delay, self.max_retry_after,
            )
            return response
        retry = self._retry_request(request, reason)
        if retry is None:
            return response
        if delay:
            self.crawler.stats.inc_value("presswatch/retry_after_waits")
            await sleep(delay)
        return retry

    def process_exception(
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        return self.retries.process_exception(request, exception)

    def _retry_request(self, request: Request, reason: str) -> Request | None:
        """The retry of `request`, or None when its retries are used up: what RetryMiddleware
        does, through Scrapy's public `get_retry_request` (a request's meta may override
        the limits, as there)."""
        assert self.crawler.spider is not None  # a response came: the spider is open
        return get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.retries.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.retries.priority_adjust),
            give_up_log_level=request.meta.get("give_up_log_level", self.retries.give_up_log_level),
        )


class CrawlDelay:
    """Keeps each host's download slot at least its robots.txt `Crawl-delay` apart."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT", "")
        self.delays: dict[str, float] = {}
        self.max_delay = crawler.settings.getfloat("PRESSWATCH_MAX_CRAWL_DELAY", 60.0)
        self.gate = getattr(getattr(crawler, "run", None), "gate", None)  # the process's shared HostGate
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelay:
        return cls(crawler)

    def response_downloaded(self, response: Response, request: Request, spider: Any = None) -> None:
        netloc = urlsplit(request.url).netloc
        if request.meta.get("dont_obey_robotstxt") and urlsplit(request.url).path == "/robots.txt":
            self.read_robots(netloc, response)
        delay = self.delays.get(netloc)
        if delay and self.gate is None:  # with a gate, the gate keeps it
            self.enforce(request.meta.get("download_slot"), delay)

    def read_robots(self, netloc: str, response: Response) -> None:
        if response.status != 200:
            return
        parser = ProtegoRobotParser.from_crawler(self.crawler, response.body)
        delay = parser.rp.crawl_delay(self.user_agent)
        if delay:
            delay = float(delay)
            if delay > self.max_delay:
                logger.warning("%s: robots.txt asks for Crawl-delay %g s; keeping %g s (max_crawl_delay)",
                               netloc, delay, self.max_delay)
                delay = self.max_delay
            self.delays[netloc] = delay
            logger.info("%s: robots.txt asks for Crawl-delay %s s", netloc, delay)
            if self.gate is not None:  # every run of this process keeps it, not only this one
                self.gate.set_min_delay(urlsplit(response.url).hostname or "", float(delay))

    def enforce(self, slot_key: str | None, delay: float) -> None:
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(slot_key) if engine is not None and slot_key else None
        if slot is not None and slot.delay < delay:
            slot.delay = delay
            slot.jitter = 0.0  # Crawl-delay is a minimum: no random shortening
