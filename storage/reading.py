"""Read use-cases that stream: `export` rows and the raw pages `reparse` reads.

Both walk the archive in primary-key order, one chunk per short read
transaction (keyset pagination), so memory stays constant however large the
archive is, and a long export never holds a snapshot open on SQLite.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, func, select

from presswatch.storage.models import ArticleRow, CrawlRun, DuplicateGroup, RawPage
from presswatch.storage.recency import appeared
from presswatch.storage.records import ArticleFilter, StoredPage

CHUNK = 500
#: The columns `presswatch export` writes, in order.
EXPORT_COLUMNS = (
    "id", "url", "headline", "labels", "published_at", "modified_at", "source", "publisher",
    "source_name", "language", "authors", "body", "content_hash", "first_seen_at",
    "updated_at", "duplicate_group_id", "first_published_by",
)
_DECOMPRESS = {"zlib": zlib.decompress}


def article_conditions(where: ArticleFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.source_name is not None:
        conditions.append(ArticleRow.source_name == where.source_name)
    published = appeared()
    if where.since is not None:
        conditions.append(published >= where.since)
    if where.until is not None:
        conditions.append(published < where.until)
    return conditions


def export_articles(engine: Engine, where: ArticleFilter) -> Iterator[dict[str, Any]]:
    first = ArticleRow.__table__.alias("first_copy")
    query = (
        select(
            *(getattr(ArticleRow, name) for name in EXPORT_COLUMNS[:-1]),
            first.c.url.label("first_published_by"),
        )
        .outerjoin(DuplicateGroup, DuplicateGroup.id == ArticleRow.duplicate_group_id)
        .outerjoin(first, first.c.id == DuplicateGroup.first_article_id)
        .where(*article_conditions(where))
    )
    for rows in _chunks(engine, query, ArticleRow.id):
        for row in rows:
            yield dict(row._mapping)


def stored_pages(engine: Engine, where: ArticleFilter) -> Iterator[StoredPage]:
    for rows in _chunks(engine, _pages_query(where), RawPage.article_id):
        for row in rows:
            html, damaged = _stored_html(row.compression, row.html)
            yield StoredPage(
                article_id=row.article_id,
                article_url=row.article_url,
                fetched_url=row.url,
                source_name=row.source_name,
                fetched_at=row.fetched_at,
                parser_version=row.parser_version,
                html=html,
                damaged=damaged,
            )


def _stored_html(compression: str, data: bytes) -> tuple[bytes, str | None]:
    """The page's HTML, or (b"", why) when the stored bytes cannot be read back (a damaged archive)."""
    decompress = _DECOMPRESS.get(compression)
    if decompress is None:
        return b"", f"unknown compression {compression!r}"
    try:
        return decompress(data), None
    except (zlib.error, TypeError, ValueError) as exc:
        return b"", f"{type(exc).__name__}: {exc}"


def count_stored_pages(connection: Connection, where: ArticleFilter) -> int:
    query = _pages_query(where).with_only_columns(func.count())
    return int(connection.scalar(query) or 0)


def _pages_query(where: ArticleFilter) -> Select[*tuple[Any, ...]]:
    conditions: list[ColumnElement[bool]] = []
    if where.source_name is not None:
        conditions.append(ArticleRow.source_name == where.source_name)
    if where.since is not None:
        conditions.append(RawPage.fetched_at >= where.since)
    if where.until is not None:
        conditions.append(RawPage.fetched_at < where.until)
    query: Select[*tuple[Any, ...]] = (
        select(
            RawPage.article_id, ArticleRow.url.label("article_url"), RawPage.url,
            ArticleRow.source_name, RawPage.fetched_at, RawPage.parser_version,
            RawPage.compression, RawPage.html,
        )
        .join(ArticleRow, ArticleRow.id == RawPage.article_id)
        .where(*conditions)
    )
    return query


def _chunks(engine: Engine, query: Select[*tuple[Any, ...]], key: Any) -> Iterator[list[Any]]:
    last: int | None = None
    while True:
        page = query if last is None else query.where(key > last)
        with engine.connect() as connection:
            rows = list(connection.execute(page.order_by(key).limit(CHUNK)).all())
        if not rows:
            return
        yield rows
        last = rows[-1][0]
        if len(rows) < CHUNK:
            return


LATEST_COLUMNS = ("published_at", "source", "publisher", "headline")


def latest_articles(connection: Connection, limit: int) -> list[tuple[Any, ...]]:
    """The latest published articles (newest first; undated ones last), as `LATEST_COLUMNS`."""
    query = (
        select(ArticleRow.published_at, ArticleRow.source, ArticleRow.publisher, ArticleRow.headline)
        .order_by(ArticleRow.published_at.desc().nulls_last(), ArticleRow.id.desc())
        .limit(limit)
    )
    return [tuple(row) for row in connection.execute(query)]


def source_names(engine: Engine) -> list[str]:
    """Every configured source the archive knows: of its articles or of its runs, sorted."""
    query = select(ArticleRow.source_name).union(select(CrawlRun.source))
    with engine.connect() as connection:
        return sorted(name for (name,) in connection.execute(query) if name is not None)
