"""Write use-case: save one parsed page (dedupe levels 1 and 2, revisions)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from storage.dedupe import NewArticle, link_duplicates, refresh_signature
from storage.dialect import insert_ignore, lock
from storage.hashing import body_hash, content_hash, is_duplicate_candidate
from storage.models import Article, ArticleRevision, UrlAlias
from storage.records import ArticleIn, SaveOutcome, SaveResult
from storage.urls import canonical_url

#: Fields refreshed in place when the text is unchanged (no revision): a newer
#: non-empty value wins, an empty one never erases what was stored.
_METADATA = (
    "published_at", "modified_at", "source", "publisher", "language",
    "date_raw", "date_precision", "date_method", "source_evidence",
)


@dataclass(frozen=True, slots=True)
class _Page:
    """An ArticleIn with its keys worked out."""

    article: ArticleIn
    url: str
    aliases: tuple[str, ...]
    content_hash: str
    body_hash: str | None

    @classmethod
    def of(cls, article: ArticleIn) -> _Page:
        url = canonical_url(article.url)
        fetched = canonical_url(article.fetched_url) if article.fetched_url else url
        return cls(
            article=article,
            url=url,
            aliases=tuple(dict.fromkeys((url, fetched))),
            content_hash=content_hash(article.headline, article.body),
            body_hash=body_hash(article.body),
        )


def save_article(connection: Connection, article: ArticleIn, now: datetime) -> SaveResult:
    """Save inside the caller's write transaction; idempotent for concurrent writers."""
    page = _Page.of(article)
    article_id = find_article_id(connection, page.aliases)
    if article_id is None:
        if page.body_hash is not None and is_duplicate_candidate(article.body):
            lock(connection, f"presswatch:body:{page.body_hash}")
        new_id = insert_ignore(connection, Article, _new_row(page, now), ["url"])
        if new_id is not None:
            return _after_insert(connection, new_id, page, now)
        article_id = find_article_id(connection, (page.url,))  # a concurrent writer won
        assert article_id is not None, f"conflict on {page.url} but no row"
    return _save_existing(connection, article_id, page, now)


def find_article_id(connection: Connection, urls: tuple[str, ...]) -> int | None:
    """The article stored under one of these canonical URLs, directly or as an alias."""
    by_url = connection.scalar(select(Article.id).where(Article.url.in_(urls)).limit(1))
    if by_url is not None:
        return by_url
    return connection.scalar(select(UrlAlias.article_id).where(UrlAlias.url.in_(urls)).limit(1))


def _new_row(page: _Page, now: datetime) -> dict[str, Any]:
    a = page.article
    return {
        "url": page.url,
        "source_name": a.source_name,
        "headline": a.headline,
        "labels": a.labels,
        "body": a.body,
        "authors": a.authors,
        "content_hash": page.content_hash,
        "body_hash": page.body_hash,
        "first_seen_at": now,
        "updated_at": now,
        "last_seen_at": now,
        **{name: getattr(a, name) for name in _METADATA},
    }


def _after_insert(
    connection: Connection, article_id: int, page: _Page, now: datetime
) -> SaveResult:
    _record_aliases(connection, article_id, page.aliases)
    new = NewArticle(id=article_id, body=page.article.body, body_hash=page.body_hash)
    group_id = link_duplicates(connection, new, now)
    outcome = SaveOutcome.NEW if group_id is None else SaveOutcome.DUPLICATE
    return SaveResult(outcome=outcome, article_id=article_id, group_id=group_id)


def _record_aliases(connection: Connection, article_id: int, urls: tuple[str, ...]) -> None:
    for url in urls:
        insert_ignore(connection, UrlAlias, {"url": url, "article_id": article_id}, ["url"])


def _save_existing(
    connection: Connection, article_id: int, page: _Page, now: datetime
) -> SaveResult:
    stored = connection.execute(
        select(Article).where(Article.id == article_id).with_for_update()
    ).one()
    _record_aliases(connection, article_id, page.aliases)
    values = _refreshed_metadata(stored, page.article)
    values["last_seen_at"] = now
    if stored.content_hash == page.content_hash:
        outcome = SaveOutcome.UNCHANGED
    else:
        _store_revision(connection, stored, now)
        refresh_signature(connection, article_id, page.article.body)
        values.update(_new_text(page), updated_at=now)
        outcome = SaveOutcome.REVISED
    connection.execute(update(Article).where(Article.id == article_id).values(**values))
    return SaveResult(outcome, article_id, stored.duplicate_group_id)


def _refreshed_metadata(stored: Row[Any], article: ArticleIn) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: getattr(article, name)
        for name in _METADATA
        if getattr(article, name) is not None and getattr(article, name) != getattr(stored, name)
    }
    if tuple(article.labels) != tuple(stored.labels):
        values["labels"] = article.labels
    if article.authors and tuple(article.authors) != tuple(stored.authors):
        values["authors"] = article.authors
    return values


def _new_text(page: _Page) -> dict[str, Any]:
    return {
        "headline": page.article.headline,
        "body": page.article.body,
        "content_hash": page.content_hash,
        "body_hash": page.body_hash,
    }


def _store_revision(connection: Connection, stored: Row[Any], now: datetime) -> None:
    latest = connection.scalar(
        select(func.max(ArticleRevision.revision)).where(ArticleRevision.article_id == stored.id)
    )
    connection.execute(
        insert(ArticleRevision).values(
            article_id=stored.id,
            revision=(latest or 0) + 1,
            headline=stored.headline,
            body=stored.body,
            published_at=stored.published_at,
            source=stored.source,
            content_hash=stored.content_hash,
            replaced_at=now,
        )
    )

