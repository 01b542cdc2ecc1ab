"""Fixed host names answered by a local server: how `presswatch demo` keeps its URLs port-free.

`PRESSWATCH_ROUTES` maps an origin (`http://demo.presswatch.test`) to the address of an HTTP
server that answers for it (`http://127.0.0.1:43121`). A request to that origin is sent to
the server the way a request goes to a forward proxy (the whole URL on the request line,
the origin's name in `Host`), over real HTTP; the URL the crawl sees, follows and stores is
the origin's. Requests to any other origin are left alone. Not configured (no middleware)
when the setting is empty, which it is for every configured source.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

ROUTES_SETTING = "PRESSWATCH_ROUTES"


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-cased, without a default port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(scheme)
    port = f":{parts.port}" if parts.port is not None and parts.port != default else ""
    return f"{scheme}://{host}{port}"


class Routes:
    """Downloader middleware: requests to a routed origin go to its local server."""

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = {origin_of(origin): server.rstrip("/") for origin, server in routes.items()}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Routes:
        routes = crawler.settings.getdict(ROUTES_SETTING)
        if not routes:
            raise NotConfigured
        return cls(routes)

    def process_request(self, request: Request, spider: Any = None) -> None:
        server = self.routes.get(origin_of(request.url))
        if server is not None:
            request.meta["proxy"] = server  # read by Scrapy's HttpProxyMiddleware (750), after this one
