"""A source's recent articles: what the revisit policy re-reads and adaptive cadence measures."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, func, select

from presswatch.storage.models import ArticleRow, RawPage


def appeared() -> ColumnElement[datetime]:
    """When an article appeared: its publication time, or when it was first seen if it has none."""
    return func.coalesce(ArticleRow.published_at, ArticleRow.first_seen_at)


def due_for_revisit(
    connection: Connection, source_name: str, published_since: datetime, seen_before: datetime, limit: int
) -> list[str]:
    """The source's articles published since `published_since` and last fetched before `seen_before`.

    Each as the URL its page was fetched from when a raw page is stored (a
    rel=canonical may name another host), else the canonical URL; newest first.
    """
    when = appeared()
    query = (
        select(func.coalesce(RawPage.url, ArticleRow.url))
        .select_from(ArticleRow)
        .outerjoin(RawPage, RawPage.article_id == ArticleRow.id)
        .where(ArticleRow.source_name == source_name, when >= published_since, ArticleRow.last_seen_at < seen_before)
        .order_by(when.desc(), ArticleRow.id.desc())
        .limit(limit)
    )
    return list(connection.scalars(query))


def publication_times(connection: Connection, source_name: str, since: datetime, now: datetime) -> list[datetime]:
    """When the source's articles published in [since, now] appeared (first seen, for undated ones)."""
    when = appeared()
    query = select(when).where(ArticleRow.source_name == source_name, when >= since, when <= now)
    return sorted(connection.scalars(query))
