"""The guards: requests and redirects that leave a source's hosts or HTTP(S) are refused by name."""
from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from presswatch.crawler.guards import OffsiteGuard, RedirectGuard, Refused, host_allowed


class Wire(Spider):
    name = "wire"
    allowed_domains = ["wire.example"]


def crawler_with_spider():  # type: ignore[no-untyped-def]
    crawler = get_crawler(Wire)
    crawler.spider = Wire()
    return crawler


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://wire.example/a", True),
        ("https://news.wire.example/a", True),
        ("https://WIRE.example/a", True),
        ("https://wire.example.evil.test/a", False),
        ("https://evilwire.example/a", False),
        ("http://localhost:8000/a", False),
    ],
)
def test_host_allowed_takes_subdomains_only(url: str, allowed: bool) -> None:
    assert host_allowed(url, ["wire.example"]) is allowed


@pytest.mark.parametrize(
    ("url", "meta", "kind"),
    [
        ("file:///etc/passwd", {}, "unsafe_url"),
        ("data:text/html,hi", {}, "unsafe_url"),
        ("ftp://wire.example/a", {}, "unsafe_url"),
        ("https://other.example/a", {}, "offsite"),
        ("https://other.example/a", {"redirect_urls": ["https://wire.example/a"]}, "offsite_redirect"),
    ],
)
def test_offsite_guard_refuses_by_name(url: str, meta: dict, kind: str) -> None:
    guard = OffsiteGuard.from_crawler(crawler_with_spider())
    with pytest.raises(Refused) as refused:
        guard.process_request(Request(url, meta=meta))
    assert refused.value.kind == kind


def test_offsite_guard_lets_allowed_hosts_through() -> None:
    guard = OffsiteGuard.from_crawler(crawler_with_spider())
    assert guard.process_request(Request("https://www.wire.example/news")) is None


def redirect(request: Request, location: str, status: int = 302) -> Response:
    return Response(request.url, status=status, headers={"Location": location}, request=request)


@pytest.mark.parametrize(
    ("location", "kind"),
    [
        ("file:///etc/passwd", "unsafe_redirect"),
        ("javascript:alert(1)", "unsafe_redirect"),
        ("https://other.example/moved", "offsite_redirect"),
        ("//other.example/moved", "offsite_redirect"),
        ("/news/a", "redirect_loop"),
        ("https://wire.example/news/start", "redirect_loop"),
    ],
)
def test_redirect_guard_refuses_with_the_status(location: str, kind: str) -> None:
    guard = RedirectGuard.from_crawler(crawler_with_spider())
    request = Request("https://wire.example/news/a", meta={"redirect_urls": ["https://wire.example/news/start"]})
    with pytest.raises(Refused) as refused:
        guard.process_response(request, redirect(request, location, 301))
    assert (refused.value.kind, refused.value.status) == (kind, 301)


def test_redirect_guard_passes_ordinary_redirects_and_responses() -> None:
    guard = RedirectGuard.from_crawler(crawler_with_spider())
    request = Request("https://wire.example/news/a")
    moved = redirect(request, "/news/b")
    assert guard.process_response(request, moved) is moved
    ok = Response(request.url, status=200, request=request)
    assert guard.process_response(request, ok) is ok
