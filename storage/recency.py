"""A source's recent articles: what the revisit policy re-reads and adaptive cadence measures."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, func, select

from storage.models import Article, RawPage


def appeared() -> ColumnElement[datetime]:
    """When an article appeared: its publication time, or when it was first seen if it has none."""
    return func.coalesce(Article.published_at, Article.first_seen_at)


def due_for_revisit(
    connection: Connection, source_name: str, published_since: datetime, seen_before: datetime, limit: int
) -> list[str]:
    """The source's articles published since `published_since` and last fetched before `seen_before`.

    Each as the URL its page was fetched from when a raw page is stored (a
    rel=canonical may name another host), else the canonical URL; newest first.
    """
    when = appeared()
    query = (
        select(func.coalesce(RawPage.url, Article.url))
        .select_from(Article)
        .outerjoin(RawPage, RawPage.article_id == Article.id)
        .where(Article.source_name == source_name, when >= published_since, Article.last_seen_at < seen_before)
        .order_by(when.desc(), Article.id.desc())
        .limit(limit)
    )
    return list(connection.scalars(query))


def publication_times(connection: Connection, source_name: str, since: datetime, now: datetime) -> list[datetime]:
    """When the source's articles published in [since, now] appeared (first seen, for undated ones)."""
    when = appeared()
    query = select(when).where(Article.source_name == source_name, when >= since, when <= now)
    return sorted(connection.scalars(query))
