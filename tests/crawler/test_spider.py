"""The spider on its own: responses in, requests and failures out, no database anywhere.

What earlier runs left arrives as a `RunPlan` and a known-URL lookup; here both are plain
Python values, as `ArchiveRun` would hand them over.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import regex
import scrapy
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionRefusedError
from twisted.python.failure import Failure

from presswatch.crawler.archive_run import run_status
from presswatch.crawler.config import Source
from presswatch.crawler.spiders.press import PressSpider, RunPlan, page_failed
from presswatch.storage import Validators

BASE = "https://wire.example"
SOURCE = Source(
    name="wire",
    publisher="Wire",
    start_urls=(f"{BASE}/en/news",),
    feeds=(f"{BASE}/en/rss",),
    article_pattern=regex.compile(r"/en/news/[a-z0-9-]+-\d+"),
    listing_pattern=regex.compile(r"/en/news\?page=\d+$"),
    allowed_domains=("wire.example",),
)
LISTING = """<html><body>
<a href="/en/news/minister-meets-envoy-101">Minister meets envoy</a>
<a href="/en/news/bank-keeps-rate-102?utm_source=x">Bank keeps rate</a>
<a href="/en/news?page=2">next</a>
</body></html>""".encode()


def spider_for(plan: RunPlan | None = None, known: set[str] | None = None, full: bool = False) -> PressSpider:
    crawler = get_crawler(PressSpider)
    spider = PressSpider.from_crawler(crawler, source=SOURCE, full=full)
    crawler.spider = spider
    crawler.stats.open_spider()
    if plan is not None:
        spider.plan = plan
    if known is not None:
        async def lookup(urls: list[str]) -> set[str]:
            return {url for url in urls if url.split("?")[0] in known}

        spider.lookup = lookup
    return spider


def entry_response(url: str, body: bytes = b"", status: int = 200, headers: dict[str, str] | None = None) -> HtmlResponse:
    request = Request(url, meta={"presswatch_entry": True, "presswatch_depth": 0})
    return HtmlResponse(url, status=status, body=body, headers=headers or {}, request=request, encoding="utf-8")


def collect(outputs: AsyncIterator[Any]) -> list[Any]:
    async def gather() -> list[Any]:
        return [item async for item in outputs]

    return asyncio.run(gather())


def urls(requests: list[scrapy.Request]) -> list[str]:
    return [request.url for request in requests]


def test_a_listing_page_gives_its_unarchived_articles_and_the_next_page() -> None:
    spider = spider_for(known={f"{BASE}/en/news/minister-meets-envoy-101"})
    found = collect(spider.parse_listing(entry_response(f"{BASE}/en/news", LISTING)))
    assert urls(found) == [f"{BASE}/en/news/bank-keeps-rate-102?utm_source=x", f"{BASE}/en/news?page=2"]
    assert found[0].callback == spider.parse_article_page
    assert found[1].callback == spider.parse_listing and found[1].meta["presswatch_depth"] == 1


def test_an_incremental_run_stops_paginating_where_every_article_is_archived() -> None:
    known = {f"{BASE}/en/news/minister-meets-envoy-101", f"{BASE}/en/news/bank-keeps-rate-102"}
    assert collect(spider_for(known=known).parse_listing(entry_response(f"{BASE}/en/news", LISTING))) == []
    resumed = spider_for(plan=RunPlan(resuming=True), known=known)  # the last run stopped part-way
    assert urls(collect(resumed.parse_listing(entry_response(f"{BASE}/en/news", LISTING)))) == [f"{BASE}/en/news?page=2"]


def test_without_an_archive_every_link_is_new() -> None:
    found = collect(spider_for().parse_listing(entry_response(f"{BASE}/en/news", LISTING)))
    assert len(found) == 3


def test_entry_requests_are_conditional_when_the_plan_holds_validators_and_revisits_follow() -> None:
    plan = RunPlan(validators={f"{BASE}/en/news": Validators('"abc"', None)},
                   revisits=(f"{BASE}/en/news/old-release-7",))
    spider = spider_for(plan=plan)
    requests = collect(spider.start())
    assert urls(requests) == [f"{BASE}/en/news", f"{BASE}/en/rss", f"{BASE}/en/news/old-release-7"]
    assert requests[0].headers.get("If-None-Match") == b'"abc"'
    assert requests[1].headers.get("If-None-Match") is None
    assert requests[2].meta["presswatch_revisit"] is True
    assert spider.crawler.stats.get_value("presswatch/entries") == 2


def test_a_304_entry_page_is_answered_and_costs_nothing_more() -> None:
    spider = spider_for()
    assert collect(spider.parse_feed(entry_response(f"{BASE}/en/rss", status=304))) == []
    stats = spider.crawler.stats
    assert (stats.get_value("presswatch/not_modified"), stats.get_value("presswatch/entries_answered")) == (1, 1)


def test_an_entry_page_that_answers_records_its_validators_for_the_next_run() -> None:
    spider = spider_for()
    collect(spider.parse_listing(entry_response(f"{BASE}/en/news", LISTING, headers={"ETag": '"v2"'})))
    assert spider.fresh_validators == {f"{BASE}/en/news": Validators('"v2"', None)}


def test_failures_are_counted_logged_and_signalled_and_a_source_whose_every_entry_failed_is_failed() -> None:
    spider = spider_for()
    signalled: list[dict[str, Any]] = []
    spider.crawler.signals.connect(lambda **kw: signalled.append(kw), signal=page_failed, weak=False)
    for url in spider.entry_urls():
        request = spider.entry_request(url, spider.parse_listing)
        failure = Failure(ConnectionRefusedError("refused"))
        failure.request = request  # type: ignore[attr-defined]
        spider.on_error(failure)
    stats = spider.crawler.stats
    assert [(s["url"], s["kind"]) for s in signalled] == [
        (f"{BASE}/en/news", "connection_refused"), (f"{BASE}/en/rss", "connection_refused"),
    ]
    assert stats.get_value("presswatch/errors/connection_refused") == 2
    assert run_status("finished", stats) == "failed"
    stats.inc_value("presswatch/entries_answered")  # had one entry page answered, the run would be ok
    assert run_status("finished", stats) == "ok"
    assert run_status("shutdown", stats) == "interrupted"
    assert run_status("run_timeout", stats) == "failed"


def test_a_run_that_lost_a_page_to_the_archive_is_failed() -> None:
    spider = spider_for()
    stats = spider.crawler.stats
    stats.inc_value("presswatch/entries")
    stats.inc_value("presswatch/entries_answered")
    assert run_status("finished", stats) == "ok"
    spider.record_failure(f"{BASE}/en/news/x-1", "save_failed", None, "OperationalError: disk full")
    assert run_status("finished", stats) == "failed"


def test_a_page_that_is_not_html_is_recorded_not_parsed() -> None:
    spider = spider_for()
    binary = scrapy.http.Response(f"{BASE}/en/news/a-1", body=b"\x89PNG", request=Request(f"{BASE}/en/news/a-1"))
    assert collect(spider.parse_article_page(binary)) == []
    assert spider.crawler.stats.get_value("presswatch/errors/not_html") == 1


def test_an_article_page_becomes_one_item_with_its_parsed_article() -> None:
    spider = spider_for()
    url = f"{BASE}/en/news/bank-keeps-rate-102"
    html = (b"<html lang='en'><head><title>Bank keeps rate - Wire</title></head><body><article>"
            b"<h1>Bank keeps rate</h1><p>The central bank kept its refinancing rate unchanged on Monday, "
            b"citing stable prices and steady growth in the non-oil economy.</p>"
            b"<p>The next meeting of the board is due in six weeks, the bank said in a statement.</p>"
            b"</article></body></html>")
    [item] = collect(spider.parse_article_page(HtmlResponse(url, body=html, request=Request(url), encoding="utf-8")))
    assert (item.fetched_url, item.source_name, item.article.headline) == (url, "wire", "Bank keeps rate")
    assert item.article.body.startswith("The central bank kept its refinancing rate unchanged")
