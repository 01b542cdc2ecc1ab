"""Write use-case: save parsed pages (dedupe levels 1–3, revisions, raw pages).

Each page is normalised once (``prepared.PreparedContent``, possibly in a parse
worker); its text hashes and near-duplicate signature come from that. Saving is idempotent
for concurrent writers: on PostgreSQL a writer first takes advisory locks on
every URL, body hash and band key of its pages (one statement, one global
order), then relies on ``ON CONFLICT`` for the rest; SQLite writers hold the
database's write lock for the whole transaction.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from presswatch.storage.dedupe import (
    NewArticle,
    find_matches,
    find_matches_many,
    leave_group,
    link_duplicates,
    link_many,
    lock_keys,
    refresh_groups,
    refresh_signature,
    store_signatures,
    text_keys_of_stored,
)
from presswatch.storage.dialect import bulk_insert, insert_ignore, lock, rows_where_in
from presswatch.storage.models import ArticleRevision, ArticleRow, RawPage, UrlAlias
from presswatch.storage.prepared import RAW_COMPRESSION, PageKeys, PreparedContent, compressed_html
from presswatch.storage.records import ArticleIn, SaveOutcome, SaveResult

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
    fetched_url: str
    aliases: tuple[str, ...]
    content: PreparedContent
    text: NewArticle  # with a placeholder id until the row exists

    @classmethod
    def of(cls, article: ArticleIn, keys: PageKeys | None = None) -> _Page:
        """``keys``: the page's ``PageKeys`` when worked out elsewhere (else now)."""
        keys = keys or PageKeys.of(article)
        content = keys.content
        return cls(
            article=article,
            url=keys.url,
            fetched_url=keys.fetched_url,
            aliases=keys.aliases,
            content=content,
            text=NewArticle(
                0, content.body_hash, content.duplicate_candidate, content.minhashes, keys.band_keys, keys.opening
            ),
        )

    @property
    def content_hash(self) -> str:
        return self.content.content_hash

    @property
    def body_hash(self) -> str | None:
        return self.content.body_hash

    @property
    def html_sha256(self) -> str | None:
        return self.content.html_sha256

    def html_compressed(self) -> bytes:
        """The raw page compressed (now, if whoever prepared the page left that for later)."""
        if self.content.html_compressed is not None:
            return self.content.html_compressed
        assert self.article.html is not None
        return compressed_html(self.article.html)

    def new_article(self, article_id: int) -> NewArticle:
        return replace(self.text, id=article_id)

    def lock_keys(self) -> list[str]:
        return [*(f"presswatch:url:{url}" for url in self.aliases), *lock_keys(self.text)]


class PreparedBatch:
    """Pages with every key worked out (normalised text, hashes, signature; compressed HTML
    unless left for later): pure CPU work, done before the write transaction, possibly in
    another process (``keys``: ``PageKeys``, one per article), partly in a parse worker
    (``ArticleIn.prepared``), or here."""

    def __init__(self, articles: Sequence[ArticleIn], keys: Sequence[PageKeys] | None = None) -> None:
        given = keys if keys is not None else [None] * len(articles)
        self.pages = [_Page.of(article, page) for article, page in zip(articles, given, strict=True)]

    def __len__(self) -> int:
        return len(self.pages)


def save_articles(
    connection: Connection, articles: Sequence[ArticleIn] | PreparedBatch, now: datetime,
    *, seen: bool = True,
) -> list[SaveResult]:
    """Save inside the caller's write transaction, in order; idempotent for concurrent writers.

    ``seen=False`` (re-parsing stored pages) leaves ``last_seen_at`` alone.
    """
    batch = articles if isinstance(articles, PreparedBatch) else PreparedBatch(articles)
    pages = batch.pages
    if connection.dialect.name == "postgresql":
        lock(connection, *(key for page in pages for key in page.lock_keys()))
    archived = _archived_aliases(connection, {url for page in pages for url in page.aliases})
    fresh: list[int] = []
    later: list[int] = []
    claimed: set[str] = set()
    for n, page in enumerate(pages):
        if archived.isdisjoint(page.aliases) and claimed.isdisjoint(page.aliases):
            claimed.update(page.aliases)
            fresh.append(n)
        else:
            later.append(n)  # archived, or a URL met earlier in this batch
    results: dict[int, SaveResult] = {}
    if fresh:
        inserted = _insert_new(connection, [pages[n] for n in fresh], now)
        results.update(zip(fresh, inserted, strict=True))
    for n in later:
        results[n] = _save(connection, pages[n], now, seen)
    return [results[n] for n in range(len(pages))]


def _archived_aliases(connection: Connection, urls: set[str]) -> set[str]:
    aliases = rows_where_in(connection, [UrlAlias.url], UrlAlias.url, urls)
    articles = rows_where_in(connection, [ArticleRow.url], ArticleRow.url, urls)
    return {url for (url,) in (*aliases, *articles)}


def _ids_by_url(connection: Connection, urls: list[str]) -> dict[str, int]:
    rows = rows_where_in(connection, [ArticleRow.url, ArticleRow.id], ArticleRow.url, urls)
    return {url: article_id for url, article_id in rows}


def _insert_new(connection: Connection, pages: list[_Page], now: datetime) -> list[SaveResult]:
    """Insert pages none of whose URLs is archived: a few statements for the whole batch."""
    bulk_insert(connection, ArticleRow, [_new_row(page, now) for page in pages])
    # Not RETURNING: SQLite cannot return the ids of a multi-row insert in order.
    by_url = _ids_by_url(connection, [page.url for page in pages])
    ids = [by_url[page.url] for page in pages]
    bulk_insert(connection, UrlAlias, [
        {"url": url, "article_id": article_id}
        for page, article_id in zip(pages, ids, strict=True) for url in page.aliases
    ], ["url"])
    raw_rows = [
        {"article_id": article_id, **_raw_values(page, now)}
        for page, article_id in zip(pages, ids, strict=True) if page.html_sha256 is not None
    ]
    bulk_insert(connection, RawPage, raw_rows)
    news = [page.new_article(article_id) for page, article_id in zip(pages, ids, strict=True)]
    all_matches = find_matches_many(connection, news)
    store_signatures(connection, news)
    groups = link_many(connection, [(n.id, m) for n, m in zip(news, all_matches, strict=True)], now)
    return [
        SaveResult(
            outcome=SaveOutcome.NEW if group_id is None else SaveOutcome.DUPLICATE,
            article_id=new.id,
            group_id=group_id,
        )
        for new, group_id in zip(news, groups, strict=True)
    ]


def _save(connection: Connection, page: _Page, now: datetime, seen: bool) -> SaveResult:
    article_id = find_article_id(connection, page.aliases)
    if article_id is None:
        new_id = insert_ignore(connection, ArticleRow, _new_row(page, now), ["url"])
        if new_id is not None:
            return _after_insert(connection, new_id, page, now)
        article_id = find_article_id(connection, (page.url,))  # a writer without locks won
        assert article_id is not None, f"conflict on {page.url} but no row"
    return _save_existing(connection, article_id, page, now, seen)


def find_article_id(connection: Connection, urls: tuple[str, ...]) -> int | None:
    """The article stored under one of these canonical URLs (every article is its own alias)."""
    by_alias = connection.scalar(
        select(UrlAlias.article_id).where(UrlAlias.url.in_(urls)).limit(1)
    )
    if by_alias is not None:
        return by_alias
    return connection.scalar(select(ArticleRow.id).where(ArticleRow.url.in_(urls)).limit(1))


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
    _store_raw_page(connection, article_id, page, now, stored_sha256=None)
    new = page.new_article(article_id)
    matches = find_matches(connection, new)
    store_signatures(connection, [new])
    group_id = link_duplicates(connection, new, now, matches)
    outcome = SaveOutcome.NEW if group_id is None else SaveOutcome.DUPLICATE
    return SaveResult(outcome=outcome, article_id=article_id, group_id=group_id)


def _record_aliases(connection: Connection, article_id: int, urls: tuple[str, ...]) -> None:
    for url in urls:
        insert_ignore(connection, UrlAlias, {"url": url, "article_id": article_id}, ["url"])


def _save_existing(
    connection: Connection, article_id: int, page: _Page, now: datetime, seen: bool
) -> SaveResult:
    if connection.dialect.name == "postgresql":
        # A text that changes leaves its copies: writers of copies of the old text wait for this one.
        stored_hash = connection.scalar(select(ArticleRow.body_hash).where(ArticleRow.id == article_id))
        if stored_hash != page.body_hash:
            lock(connection, *text_keys_of_stored(connection, article_id))
    stored: Row[*tuple[Any, ...]] = connection.execute(
        select(ArticleRow, RawPage.html_sha256, RawPage.parser_version)
        .outerjoin(RawPage, RawPage.article_id == ArticleRow.id)
        .where(ArticleRow.id == article_id)
        .with_for_update(of=ArticleRow.__table__)
    ).one()
    _record_aliases(connection, article_id, page.aliases)
    raw_state = (stored.html_sha256, stored.parser_version)
    _store_raw_page(connection, article_id, page, now, stored_sha256=raw_state)
    values = _refreshed_metadata(stored, page.article)
    if "labels" in values:  # the publisher marked it (UPDATED, ...): the article was updated
        values["updated_at"] = now
    if seen:
        values["last_seen_at"] = now
    group_id = stored.duplicate_group_id
    if stored.content_hash == page.content_hash:
        outcome = SaveOutcome.UNCHANGED
    else:
        _store_revision(connection, stored, now)
        values.update(_new_text(page), updated_at=now)
        outcome = SaveOutcome.REVISED
    if values:
        connection.execute(update(ArticleRow).where(ArticleRow.id == article_id).values(**values))
    if outcome is SaveOutcome.REVISED and stored.body_hash != page.body_hash:
        # Another text: out of the group of the old one, into the group of the new one (if any).
        if group_id is not None:
            leave_group(connection, article_id, group_id, now)
        new = page.new_article(article_id)
        refresh_signature(connection, new)
        group_id = link_duplicates(connection, new, now, find_matches(connection, new))
    elif group_id is not None and "published_at" in values:
        refresh_groups(connection, [group_id])  # the group's first copy may have changed
    return SaveResult(outcome, article_id, group_id)


def _store_raw_page(
    connection: Connection,
    article_id: int,
    page: _Page,
    now: datetime,
    stored_sha256: tuple[str | None, str | None] | None,
) -> None:
    """Keep the page's HTML (compressed) and parser version; rewrite only what changed."""
    version = page.article.parser_version
    if page.html_sha256 is None:
        return
    if stored_sha256 is not None and stored_sha256[0] is not None:
        if stored_sha256[0] == page.html_sha256:
            if stored_sha256[1] != version:
                connection.execute(
                    update(RawPage).where(RawPage.article_id == article_id)
                    .values(parser_version=version)
                )
            return
        connection.execute(
            update(RawPage).where(RawPage.article_id == article_id).values(
                **_raw_values(page, now)
            )
        )
        return
    connection.execute(insert(RawPage).values(article_id=article_id, **_raw_values(page, now)))


def _raw_values(page: _Page, now: datetime) -> dict[str, Any]:
    return {
        "url": page.fetched_url,
        "fetched_at": now,
        "parser_version": page.article.parser_version,
        "compression": RAW_COMPRESSION,
        "html_sha256": page.html_sha256,
        "html": page.html_compressed(),
    }


def _refreshed_metadata(stored: Row[*tuple[Any, ...]], article: ArticleIn) -> dict[str, Any]:
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


def _store_revision(connection: Connection, stored: Row[*tuple[Any, ...]], now: datetime) -> None:
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
