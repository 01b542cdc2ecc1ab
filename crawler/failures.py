"""Names for the ways a request can fail, as stored in `crawl_errors.kind`."""
from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

FAILURE_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (HttpError, "http_status"),
    (DNSLookupError, "dns"),
    (TimeoutError, "timeout"),
    (TCPTimedOutError, "timeout"),
    (ConnectionRefusedError, "connection_refused"),
    (ConnectionLost, "connection_lost"),
    (ResponseFailed, "connection_lost"),
    (ResponseNeverReceived, "connection_lost"),
    (IgnoreRequest, "ignored"),
)


def classify_failure(failure: Failure) -> tuple[str, str]:
    """(kind, human message) for a Scrapy request failure."""
    for exc_type, kind in FAILURE_KINDS:
        if failure.check(exc_type):
            return kind, _message(failure)
    return "other", _message(failure)


def _message(failure: Failure) -> str:
    value = failure.value
    if isinstance(value, HttpError):
        return f"HTTP {value.response.status}"
    return f"{type(value).__name__}: {value}".strip()[:500]
