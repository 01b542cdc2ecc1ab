"""Fixtures for the archive commands: small archives on both databases, built through storage."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from presswatch.storage import ArticleIn, open_archive

T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def article(slug: str, headline: str, body: str, *, source_name: str = "gov-press",
            published_at: datetime | None = None, **changes: object) -> ArticleIn:
    fields: dict[str, object] = {
        "url": f"https://gov.example/en/press/{slug}", "source_name": source_name,
        "headline": headline, "labels": (), "published_at": published_at, "modified_at": None,
        "source": "Ministry of Energy", "publisher": "Gov Press", "body": body, "language": "en",
        "authors": (), "date_raw": None, "date_precision": None, "date_method": None,
        "source_evidence": None,
    }
    fields.update(changes)
    return ArticleIn(**fields)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SmallArchive:
    url: str
    ids: dict[str, int]


@pytest.fixture
def small_archive(archive_url: str) -> SmallArchive:
    """Three releases of two sources, saved at T1."""
    articles = {
        "hydrogen": article(
            "hydrogen", "Government adopts hydrogen strategy",
            "The strategy sets out how green hydrogen will be produced by 2030.",
            published_at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC), labels=("PHOTO",),
        ),
        "week": article(
            "energy-week", "Energy week opens",
            "Delegates discussed hydrogen exports and wind power.",
            published_at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC),
        ),
        "harvest": article(
            "harvest", "Grain harvest grows", "The harvest grew by four percent.",
            source_name="agri-news", published_at=datetime(2026, 2, 20, 10, 0, tzinfo=UTC),
        ),
    }
    with open_archive(archive_url) as archive:
        ids = {name: archive.save_article(a, seen_at=T1).article_id for name, a in articles.items()}
    return SmallArchive(archive_url, ids)
