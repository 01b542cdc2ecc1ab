"""Each way a request fails has a name in crawl_errors.kind."""
from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from presswatch.crawler.failures import classify_failure, failure_status
from presswatch.crawler.guards import Refused


def failed(exc: BaseException) -> Failure:
    try:
        raise exc
    except BaseException:
        return Failure()


def http_error(status: int, **headers: str) -> HttpError:
    request = Request("https://wire.example/a")
    return HttpError(Response(request.url, status=status, headers=headers, request=request), "bad status")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (http_error(404), "http_status"),
        (DownloadTimeoutError("took longer than 2.0 seconds"), "timeout"),
        (CannotResolveHostError("no such host"), "dns"),
        (DownloadConnectionRefusedError("refused"), "connection_refused"),
        (ResponseDataLossError(), "connection_lost"),
        (DownloadFailedError("reset"), "connection_lost"),
        (DownloadCancelledError("Expected to receive 20971520 bytes which is larger than download max size (8000000)"), "too_large"),
        (IgnoreRequest("Ignored response because its body exceeded DOWNLOAD_MAXSIZE (8000000 B) during decompression."), "too_large"),
        (IgnoreRequest("max redirections reached"), "too_many_redirects"),
        (IgnoreRequest("Forbidden by robots.txt"), "robots"),
        (IgnoreRequest("something else"), "ignored"),
        (Refused("redirect_loop", "a -> b -> a", 302), "redirect_loop"),
        (ValueError("surprise"), "other"),
    ],
)
def test_every_failure_gets_a_kind(exc: BaseException, kind: str) -> None:
    assert classify_failure(failed(exc))[0] == kind


def test_the_message_says_what_happened() -> None:
    assert classify_failure(failed(http_error(429, **{"Retry-After": "3600"}))) == ("http_status", "HTTP 429 (Retry-After: 3600)")
    assert classify_failure(failed(ResponseDataLossError()))[1].startswith("ResponseDataLossError: ")
    assert len(classify_failure(failed(ResponseDataLossError()))[1]) > len("ResponseDataLossError: ")


def test_the_status_comes_from_the_response_or_the_refusal() -> None:
    assert failure_status(failed(http_error(503))) == 503
    assert failure_status(failed(Refused("offsite_redirect", "x", 301))) == 301
    assert failure_status(failed(DownloadTimeoutError("t"))) is None
