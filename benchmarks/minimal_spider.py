"""The baseline for the throughput benchmark: the least a Scrapy crawl of the corpus can do.

    .venv/bin/scrapy runspider benchmarks/minimal_spider.py -a config=SOURCES.toml \\
        [-a summary=SUMMARY.json] -s CONCURRENT_REQUESTS=32 ...

Reads the same sources TOML as ``presswatch crawl`` (``start_urls``, ``article_pattern``,
``listing_pattern`` of each source), starts at the listing pages, follows pagination and
article links, and yields ``{"url", "title"}`` for each article page: no parsing, no
storage. When ``summary`` is given, writes the item/page counts and finish reason there as
JSON on close, so the benchmark can read them without parsing logs.
"""
from __future__ import annotations

import json
import re
import tomllib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response


class MinimalSpider(scrapy.Spider):
    name = "minimal"
    custom_settings = {
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "COOKIES_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "LOGSTATS_INTERVAL": 0,
    }

    def __init__(self, config: str, summary: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        sources = tomllib.loads(Path(config).read_text(encoding="utf-8"))["sources"]
        self.listing_start = [url for source in sources for url in source.get("start_urls", [])]
        self.article_patterns = [re.compile(s["article_pattern"]) for s in sources if "article_pattern" in s]
        self.listing_patterns = [re.compile(s["listing_pattern"]) for s in sources if "listing_pattern" in s]
        self.summary_path = Path(summary) if summary else None

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.listing_start:
            yield scrapy.Request(url, callback=self.parse_listing)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if any(p.search(url) for p in self.article_patterns):
                yield scrapy.Request(url, callback=self.parse_article)
            elif any(p.search(url) for p in self.listing_patterns):
                yield scrapy.Request(url, callback=self.parse_listing)

    def parse_article(self, response: Response) -> Iterator[dict[str, str | None]]:
        yield {"url": response.url, "title": response.css("title::text").get()}

    def closed(self, reason: str) -> None:
        if self.summary_path is None:
            return
        stats = self.crawler.stats
        summary = {
            "finish_reason": reason,
            "items": int(stats.get_value("item_scraped_count", 0)),
            "responses": int(stats.get_value("response_received_count", 0)),
            "errors": int(stats.get_value("log_count/ERROR", 0)),
        }
        self.summary_path.write_text(json.dumps(summary), encoding="utf-8")
