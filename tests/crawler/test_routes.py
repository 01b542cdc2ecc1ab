"""Routed origins (`crawler.routes`): requests to a fixed name go to a local server as to a proxy."""
from __future__ import annotations

import pytest
from scrapy import Request

from presswatch.crawler.routes import Routes, origin_of


@pytest.mark.parametrize(("url", "origin"), [
    ("http://demo.presswatch.test/a/b?c=1", "http://demo.presswatch.test"),
    ("HTTP://Demo.PressWatch.test:80/", "http://demo.presswatch.test"),
    ("http://demo.presswatch.test:8080/x", "http://demo.presswatch.test:8080"),
    ("https://example.org:443/", "https://example.org"),
])
def test_an_origin_is_scheme_host_and_a_port_other_than_the_default(url: str, origin: str) -> None:
    assert origin_of(url) == origin


def test_only_requests_to_a_routed_origin_get_its_server_as_proxy() -> None:
    routes = Routes({"http://demo.presswatch.test/": "http://127.0.0.1:43121/"})
    routed = Request("http://demo.presswatch.test/gov-press/en/news")
    other_port = Request("http://demo.presswatch.test:8080/gov-press/en/news")
    elsewhere = Request("https://example.org/news")
    for request in (routed, other_port, elsewhere):
        assert routes.process_request(request) is None
    assert [r.meta.get("proxy") for r in (routed, other_port, elsewhere)] == ["http://127.0.0.1:43121", None, None]
    assert routed.url == "http://demo.presswatch.test/gov-press/en/news"  # the URL crawled and stored stays the same
