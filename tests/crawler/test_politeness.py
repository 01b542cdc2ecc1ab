"""Retry-After parsing for the retry middleware."""
from __future__ import annotations

from email.utils import formatdate

import pytest

from presswatch.crawler.politeness import retry_after_seconds

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (b"120", 120.0),
        ("0", 0.0),
        (" 5 ", 5.0),
        (formatdate(NOW + 30, usegmt=True), 30.0),
        (formatdate(NOW - 30, usegmt=True), 0.0),  # a date in the past: retry now
        (b"soon", None),
        ("-5", None),
        (None, None),
    ],
)
def test_retry_after_takes_seconds_or_an_http_date(value: bytes | str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds
