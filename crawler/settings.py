"""Scrapy settings from presswatch's crawl settings: the one place they meet."""
from __future__ import annotations

from typing import Any

from presswatch.crawler.config import CrawlSettings

BASE_SETTINGS: dict[str, Any] = {
    # No listening ports the user did not ask for (DESIGN §9).
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "ITEM_PIPELINES": {"presswatch.crawler.pipelines.ArchivePipeline": 300},
    "COOKIES_ENABLED": False,
    # Scrapy starts this many asyncio tasks for every callback's output; an article page
    # yields one item, so the default 100 costs ~200 task switches per page for nothing.
    "CONCURRENT_ITEMS": 4,
    "LOGSTATS_INTERVAL": 0,
    "LOG_INSTALL_ROOT_HANDLER": True,
    "HTTPERROR_ALLOW_ALL": False,
    "REDIRECT_MAX_TIMES": 5,
    "DEPTH_LIMIT": 0,
    "DOWNLOAD_WARNSIZE": 0,
    "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
    # Only HTTP(S) is ever fetched: no file://, data:, ftp:// or s3:// handlers at all.
    "DOWNLOAD_HANDLERS": {"file": None, "data": None, "ftp": None, "s3": None},
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
        "presswatch.crawler.guards.OffsiteGuard": 50,
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "presswatch.crawler.politeness.RetryAfterMiddleware": 550,
        "presswatch.crawler.guards.RedirectGuard": 610,  # sees 3xx responses before RedirectMiddleware (600)
        # Innermost: politeness and the request cap shared by every run of the process.
        "presswatch.crawler.host_gate.SharedPoliteness": 990,
    },
    "EXTENSIONS": {
        "presswatch.crawler.archive_run.ArchiveRun": 100,  # the run's archive work (not configured without a RunContext)
        "presswatch.crawler.politeness.CrawlDelay": 500,
        "presswatch.crawler.guards.SizeWatch": 500,
        # A long-lived worker watches its own memory (recycling); a per-crawler timer adds nothing.
        "scrapy.extensions.memusage.MemoryUsage": None,
    },
    # The stats dump is formatted whether or not INFO is logged: costly for a check that finds nothing.
    "STATS_DUMP": False,
    "DOWNLOAD_FAIL_ON_DATALOSS": True,
}


def scrapy_settings(crawl: CrawlSettings, log_level: str = "WARNING", *, shared_gate: bool = True) -> dict[str, Any]:
    """Per-source Scrapy settings.

    With a `shared_gate` (every crawl presswatch runs has one: `crawler.host_gate`), the
    delays between requests to a host are the gate's to keep, across all runs of the
    process: the crawler's own download slots then run without delay or AutoThrottle.
    """
    settings = {
        **BASE_SETTINGS,
        "LOG_LEVEL": log_level,
        "STATS_DUMP": log_level in ("INFO", "DEBUG"),
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_per_domain,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if crawl.download_delay > 0 else 0,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.5),
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "USER_AGENT": crawl.user_agent,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "RETRY_TIMES": crawl.retry_times,
        "PRESSWATCH_MAX_RETRY_AFTER": crawl.max_retry_after,
        "PRESSWATCH_DOWNLOAD_DELAY": crawl.download_delay,
        "PRESSWATCH_AUTOTHROTTLE": crawl.autothrottle,
        "PRESSWATCH_MAX_CRAWL_DELAY": crawl.max_crawl_delay,
    }
    if shared_gate:
        settings.update({"DOWNLOAD_DELAY": 0, "DOWNLOAD_DELAY_JITTER": 0, "AUTOTHROTTLE_ENABLED": False})
    return settings
