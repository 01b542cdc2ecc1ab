"""Names for the ways a request can fail, as stored in `crawl_errors.kind`.

| kind | what happened |
|---|---|
| `http_status` | the server answered 4xx/5xx (after retries, for 5xx and 429) |
| `timeout` | no complete answer within `download_timeout` (after retries) |
| `connection_lost` | the connection was reset or closed before the body was complete |
| `connection_refused`, `dns` | the host could not be reached |
| `too_large` | the body (or its decompressed form) exceeds `max_page_bytes` |
| `redirect_loop`, `too_many_redirects` | redirects that go round in circles or on and on |
| `offsite_redirect` | a redirect to a host outside `allowed_domains` (not followed) |
| `unsafe_redirect` | a redirect to a non-HTTP(S) URL such as `file://` (not followed) |
| `robots` | forbidden by robots.txt |
| `not_html`, `unparseable`, `empty` | a page with no article in it (binary, JavaScript-only, blank) |
| `bad_feed`, `bad_sitemap` | a malformed feed or sitemap (its readable part is still used) |
| `limit_reached` | a per-source bound (`max_listing_pages`, `max_depth`, `max_articles`) stopped discovery |
"""
from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from presswatch.crawler.guards import TOO_LARGE_META, Refused

FAILURE_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (HttpError, "http_status"),
    (DownloadTimeoutError, "timeout"),
    (TimeoutError, "timeout"),
    (TCPTimedOutError, "timeout"),
    (CannotResolveHostError, "dns"),
    (DNSLookupError, "dns"),
    (DownloadConnectionRefusedError, "connection_refused"),
    (ConnectionRefusedError, "connection_refused"),
    (ResponseDataLossError, "connection_lost"),
    (DownloadFailedError, "connection_lost"),
    (ConnectionLost, "connection_lost"),
    (ConnectionDone, "connection_lost"),
    (ResponseFailed, "connection_lost"),
    (ResponseNeverReceived, "connection_lost"),
)

#: Scrapy's own IgnoreRequest / cancel messages, by the words that tell them apart.
IGNORED_MESSAGES: tuple[tuple[str, str], ...] = (
    ("DOWNLOAD_MAXSIZE", "too_large"),
    ("larger than download max size", "too_large"),
    ("max redirections reached", "too_many_redirects"),
    ("Forbidden by robots.txt", "robots"),
    ("Filtered offsite request", "offsite_redirect"),
)


def classify_failure(failure: Failure) -> tuple[str, str]:
    """(kind, human message) for a Scrapy request failure."""
    value = failure.value
    if isinstance(value, Refused):
        return value.kind, str(value)
    request = getattr(failure, "request", None)
    limit = request.meta.get(TOO_LARGE_META) if request is not None else None
    if limit:  # a streamed body cut off at the limit (Scrapy cancels it without saying why)
        return "too_large", f"body larger than max_page_bytes ({limit} bytes): download stopped"
    for exc_type, kind in FAILURE_KINDS:
        if failure.check(exc_type):
            return kind, _message(value)
    if isinstance(value, (IgnoreRequest, DownloadCancelledError)):
        text = str(value)
        for words, kind in IGNORED_MESSAGES:
            if words in text:
                return kind, _message(value)
        return "ignored", _message(value)
    return "other", _message(value)


def failure_status(failure: Failure) -> int | None:
    """The HTTP status behind a failure, when there was a response."""
    value = failure.value
    if isinstance(value, HttpError):
        return int(value.response.status)
    if isinstance(value, Refused):
        return value.status
    return None


def _message(value: BaseException) -> str:
    if isinstance(value, HttpError):
        response = value.response
        retry_after = response.headers.get("Retry-After")
        suffix = f" (Retry-After: {retry_after.decode('latin-1')})" if retry_after else ""
        return f"HTTP {response.status}{suffix}"
    detail = str(value) or (type(value).__doc__ or "").strip().split("\n")[0]
    return f"{type(value).__name__}: {detail}".strip()[:500]
