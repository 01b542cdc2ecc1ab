"""Fixtures for the archive tests: an article builder, a controllable clock, an archive."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from presswatch.storage import Archive, ArticleIn, open_archive

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BAKU = timezone(timedelta(hours=4))

RELEASE_BODY = (
    "The Ministry of Economy announced on Monday a new programme of support for small "
    "businesses in the regions.\n\nThe programme opens for applications on 1 April."
)

BASE_ARTICLE = ArticleIn(
    url="https://news.example.az/en/economy/support-programme",
    source_name="example-en",
    headline="Ministry announces support for small businesses",
    labels=(),
    published_at=datetime(2026, 3, 2, 12, 30, tzinfo=BAKU),
    modified_at=None,
    source="Ministry of Economy",
    publisher="Example News",
    body=RELEASE_BODY,
    language="en",
    authors=("A. Aliyev",),
    date_raw="02 March 2026, 12:30",
    date_precision="minute",
    date_method="json-ld",
    source_evidence="byline",
)

MakeArticle = Callable[..., ArticleIn]


class FakeClock:
    """A clock the test moves by hand; every call returns the current time."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def make_article() -> MakeArticle:
    """Build an ArticleIn: the base release with some fields replaced."""

    def build(**changes: Any) -> ArticleIn:
        return replace(BASE_ARTICLE, **changes)

    return build


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def archive(archive_url: str, clock: FakeClock) -> Iterator[Archive]:
    """A freshly migrated archive on each database, with the fake clock."""
    with open_archive(archive_url, clock=clock) as opened:
        yield opened
