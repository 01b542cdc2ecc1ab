"""In a crawl, the HTTP Content-Type charset reaches the parser (issue #18, item 6).

The spider hands the parser the response's raw bytes; the charset its header names goes with
them through ``ParseProfile.served_as``, so a UTF-8 page with one stray byte and little UTF-8
text is read as the server said, not guessed (the crawl's ``cafĂŠ``).
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from presswatch.crawler.config import Source
from presswatch.crawler.spiders.press import PressSpider

BASE = "https://verona.example"
SOURCE = Source(name="verona", publisher="Verona News", start_urls=(f"{BASE}/news",),
                article_pattern=re.compile(r"/news/[a-z-]+"), allowed_domains=("verona.example",))
PAGE = (
    "<html><head><title>Café Verona reopens after the storm</title></head><body><article>"
    "<h1>Café Verona reopens after the storm</h1>"
    "<p>The owners said the terrace will open again on Monday after repairs to the roof and the "
    "kitchen were finished, and the staff is back at work.</p>"
    "</article><footer>Photo: city archive STRAY</footer></body></html>"
).encode().replace(b"STRAY", b"\xff")


def _spider() -> PressSpider:
    crawler = get_crawler(PressSpider)
    spider = PressSpider.from_crawler(crawler, source=SOURCE, full=True)
    crawler.spider = spider
    crawler.stats.open_spider()
    return spider


def _items(spider: PressSpider, response: HtmlResponse) -> list[Any]:
    async def gather(outputs: AsyncIterator[Any]) -> list[Any]:
        return [item async for item in outputs]

    return asyncio.run(gather(spider.parse_article_page(response)))


def _served(content_type: str) -> HtmlResponse:
    url = f"{BASE}/news/cafe-verona-reopens"
    return HtmlResponse(url, body=PAGE, headers={"Content-Type": content_type}, request=Request(url))


def test_a_page_served_as_utf8_is_read_as_utf8_despite_a_stray_byte() -> None:
    [item] = _items(_spider(), _served("text/html; charset=utf-8"))
    assert item.article.headline == "Café Verona reopens after the storm"  # without the header: "CafĂŠ"
    assert item.html == PAGE  # the archive keeps the bytes as served

