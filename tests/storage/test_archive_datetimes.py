"""Times are aware, and UTC at the storage boundary: naive datetimes are refused."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import StatementError

from presswatch.storage import Archive, ArticleIn
from presswatch.storage.columns import NaiveDatetimeError, UtcDateTime
from presswatch.storage.models import ArticleRow, CrawlRun

MakeArticle = Callable[..., ArticleIn]
NAIVE = datetime(2026, 3, 2, 12, 30)


def test_utc_column_rejects_a_naive_datetime(archive: Archive) -> None:
    row = {"source": "example-en", "started_at": NAIVE, "status": "running"}
    with pytest.raises(StatementError) as raised, archive.engine.begin() as connection:
        connection.execute(insert(CrawlRun).values(**row))
    assert isinstance(raised.value.orig, NaiveDatetimeError)
    assert "naive datetime '2026-03-02T12:30:00' refused" in str(raised.value.orig)


def test_utc_column_type_refuses_naive_and_converts_aware_values() -> None:
    column = UtcDateTime()
    with pytest.raises(NaiveDatetimeError):
        column.process_bind_param(NAIVE, dialect=None)  # type: ignore[arg-type]
    baku = datetime(2026, 3, 2, 12, 30, tzinfo=timezone(timedelta(hours=4)))
    stored = column.process_bind_param(baku, dialect=None)  # type: ignore[arg-type]
    assert stored == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert stored is not None and stored.utcoffset() == timedelta(0)


def test_article_with_a_naive_publication_time_is_refused(make_article: MakeArticle) -> None:
    with pytest.raises(NaiveDatetimeError, match="naive published_at"):
        make_article(published_at=NAIVE)
    with pytest.raises(NaiveDatetimeError, match="naive modified_at"):
        make_article(modified_at=NAIVE)


def test_saving_with_a_naive_seen_at_is_refused(
    archive: Archive, make_article: MakeArticle
) -> None:
    with pytest.raises(NaiveDatetimeError, match="naive seen_at"):
        archive.save_article(make_article(), seen_at=NAIVE)
    assert archive.known_urls([make_article().url]) == set()


def test_datetimes_are_stored_in_utc_and_read_back_aware(
    archive: Archive, make_article: MakeArticle
) -> None:
    baku = timezone(timedelta(hours=4))
    seen = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    article = make_article(published_at=datetime(2026, 3, 2, 12, 30, tzinfo=baku))
    archive.save_article(article, seen_at=seen)
    with archive.engine.connect() as connection:
        published, first_seen = connection.execute(
            select(ArticleRow.published_at, ArticleRow.first_seen_at)
        ).one()
        raw = connection.execute(text("SELECT published_at FROM articles")).scalar_one()
    assert published == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert published.tzinfo == UTC
    assert first_seen == seen and first_seen.tzinfo == UTC
    if archive.engine.dialect.name == "sqlite":
        assert raw == "2026-03-02 08:30:00.000000"
    else:
        assert raw == published and raw.utcoffset() == timedelta(0)
