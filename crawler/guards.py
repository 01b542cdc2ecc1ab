"""Downloader middlewares that keep a crawl on its source's hosts and on HTTP(S).

Scrapy drops an offsite redirect silently when it is scheduled (no errback, nothing
to record) and answers a redirect to `file://` by handing the 3xx to the spider. These
guards refuse such requests with a named reason instead, so each one lands in
`crawl_errors`:

- `OffsiteGuard` (in place of Scrapy's OffsiteMiddleware): any request — a redirect
  target or a meta-refresh included — that leaves the spider's `allowed_domains` or
  is not http(s) is refused before anything is sent, robots.txt included.
- `RedirectGuard` (just outside RedirectMiddleware): a 3xx pointing off the allowed
  hosts, to a non-HTTP(S) scheme, or back to a URL already in its redirect chain is
  refused there, with the response's status.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from presswatch.crawler.origins import origin_allowed

SAFE_SCHEMES = ("http", "https")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
#: Set on a request whose body passed the size limit while streaming: the limit, in bytes.
TOO_LARGE_META = "presswatch_too_large"


class Refused(IgnoreRequest):
    """A request the crawler will not make, with the `crawl_errors.kind` that says why."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


def host_allowed(url: str, allowed_domains: list[str] | tuple[str, ...]) -> bool:
    """True when the URL's origin (host and port) is allowed (see `crawler.origins`)."""
    return origin_allowed(url, allowed_domains)


class _Guard:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    def allowed_domains(self) -> list[str]:
        return list(getattr(self.crawler.spider, "allowed_domains", None) or [])

    def refuse(self, kind: str, message: str, status: int | None = None) -> Refused:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"presswatch/refused/{kind}")
        return Refused(kind, message, status)


class OffsiteGuard(_Guard):
    """Refuses requests to non-HTTP(S) URLs and to hosts outside `allowed_domains`."""

    def process_request(self, request: Request, spider: Any = None) -> None:
        scheme = urlsplit(request.url).scheme.lower()
        if scheme not in SAFE_SCHEMES:
            raise self.refuse("unsafe_url", f"not fetching a {scheme}: URL")
        domains = self.allowed_domains()
        if domains and not host_allowed(request.url, domains):
            kind = "offsite_redirect" if request.meta.get("redirect_urls") else "offsite"
            raise self.refuse(kind, f"{request.url} is outside allowed_domains ({', '.join(domains)})")


class RedirectGuard(_Guard):
    """Refuses redirects that leave the allowed hosts, leave HTTP(S), or loop."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        location = response.headers.get("Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        self.check(request, target, response.status)
        return response

    def check(self, request: Request, target: str, status: int) -> None:
        parts = urlsplit(target)
        if parts.scheme.lower() not in SAFE_SCHEMES:
            raise self.refuse("unsafe_redirect", f"redirect to a {parts.scheme}: URL not followed", status)
        domains = self.allowed_domains()
        if domains and not host_allowed(target, domains):
            raise self.refuse(
                "offsite_redirect", f"redirect to {target} (outside allowed_domains) not followed", status
            )
        chain = [*request.meta.get("redirect_urls", ()), request.url]
        if parts._replace(fragment="").geturl() in chain:
            hops = " -> ".join([*chain, target])
            raise self.refuse("redirect_loop", f"redirect loop: {hops}", status)


class SizeWatch:
    """Extension: notes on a request when its body passed the download size limit while it
    streamed (a chunked answer has no Content-Length to refuse up front), so the cancelled
    download is recorded as `too_large`, not as an anonymous cancellation."""

    def __init__(self, crawler: Crawler) -> None:
        self.limit = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SizeWatch:
        return cls(crawler)

    def bytes_received(self, data: bytes, request: Request, spider: Any = None) -> None:
        received = request.meta.get("presswatch_received", 0) + len(data)
        request.meta["presswatch_received"] = received
        limit = request.meta.get("download_maxsize", self.limit)
        if limit and received > limit:
            request.meta[TOO_LARGE_META] = limit
