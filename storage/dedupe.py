"""Duplicate groups: the same release under several URLs (DESIGN §6, levels 2 and 3).

Level 1 (same canonical URL) is a unique key, handled in ``storage.saving``.
Each later level is a ``DuplicateFinder`` in ``FINDERS``: it gets the freshly
inserted article and returns the ids of the articles it matches; grouping,
merging groups and choosing the first copy are shared.
- level 2, ``same_body``: an exact match on ``articles.body_hash``;
- level 3, ``similar_body``: MinHash signatures (``storage.neardup``) stored as
  LSH bands in ``article_signatures``; an indexed lookup finds the candidates,
  the full signatures decide. Writers lock the band buckets they touch, so
  concurrent writers of near-duplicates on PostgreSQL still meet.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from storage import neardup
from storage.dialect import lock
from storage.hashing import is_duplicate_candidate
from storage.models import Article, ArticleSignature, DuplicateGroup


@dataclass(frozen=True, slots=True)
class NewArticle:
    """What a finder may look at: the freshly inserted row's id and text."""

    id: int
    body: str | None
    body_hash: str | None


DuplicateFinder = Callable[[Connection, NewArticle], Sequence[int]]


def same_body(connection: Connection, article: NewArticle) -> Sequence[int]:
    """Level 2: other articles whose normalised body is identical."""
    if article.body_hash is None or not is_duplicate_candidate(article.body):
        return []
    query = select(Article.id).where(
        Article.body_hash == article.body_hash, Article.id != article.id
    )
    return list(connection.scalars(query))


def similar_body(connection: Connection, article: NewArticle) -> Sequence[int]:
    """Level 3: other articles whose body is nearly the same (MinHash over word 5-grams)."""
    minhashes = neardup.signature(article.body)
    if minhashes is None:
        return []
    bands = neardup.bands(minhashes)
    for bucket in sorted({band.bucket for band in bands}):  # sorted: no lock cycles
        lock(connection, f"presswatch:band:{bucket}")
    _store_signature(connection, article.id, bands)
    shares_a_band = or_(
        *(and_(ArticleSignature.band == b.band, ArticleSignature.bucket == b.bucket) for b in bands)
    )
    candidates = connection.scalars(
        select(ArticleSignature.article_id)
        .where(shares_a_band, ArticleSignature.article_id != article.id)
        .distinct()
    ).all()
    return [
        candidate
        for candidate, theirs in _signatures(connection, candidates).items()
        if neardup.similarity(minhashes, theirs) >= neardup.THRESHOLD
    ]


FINDERS: tuple[DuplicateFinder, ...] = (same_body, similar_body)


def refresh_signature(connection: Connection, article_id: int, body: str | None) -> None:
    """Replace an article's stored signature after its body changed."""
    connection.execute(delete(ArticleSignature).where(ArticleSignature.article_id == article_id))
    minhashes = neardup.signature(body)
    if minhashes is not None:
        _store_signature(connection, article_id, neardup.bands(minhashes))


def _store_signature(connection: Connection, article_id: int, bands: list[neardup.Band]) -> None:
    rows = [
        {"article_id": article_id, "band": band.band, "bucket": band.bucket,
         "minhashes": neardup.encode(band.minhashes)}
        for band in bands
    ]
    connection.execute(insert(ArticleSignature), rows)


def _signatures(connection: Connection, article_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
    """Full signatures of these articles, reassembled from their bands."""
    if not article_ids:
        return {}
    rows = connection.execute(
        select(ArticleSignature.article_id, ArticleSignature.minhashes)
        .where(ArticleSignature.article_id.in_(article_ids))
        .order_by(ArticleSignature.article_id, ArticleSignature.band)
    )
    signatures: dict[int, tuple[int, ...]] = {}
    for article_id, minhashes in rows:
        signatures[article_id] = signatures.get(article_id, ()) + neardup.decode(minhashes)
    return signatures


def link_duplicates(connection: Connection, article: NewArticle, now: datetime) -> int | None:
    """Put ``article`` and its matches in one duplicate group; return the group id."""
    matches = sorted({match for finder in FINDERS for match in finder(connection, article)})
    if not matches:
        return None
    members = [article.id, *matches]
    group_id = _merge_groups(connection, members) or _create_group(connection, article.id, now)
    connection.execute(
        update(Article).where(Article.id.in_(members)).values(duplicate_group_id=group_id)
    )
    refresh_group(connection, group_id)
    return group_id


def _merge_groups(connection: Connection, members: list[int]) -> int | None:
    """Fold every group the members already belong to into the oldest one."""
    in_groups = select(Article.duplicate_group_id).where(
        Article.id.in_(members), Article.duplicate_group_id.is_not(None)
    )
    groups = sorted({group for group in connection.scalars(in_groups) if group is not None})
    if not groups:
        return None
    keep, *others = groups
    if others:
        connection.execute(
            update(Article)
            .where(Article.duplicate_group_id.in_(others))
            .values(duplicate_group_id=keep)
        )
        connection.execute(delete(DuplicateGroup).where(DuplicateGroup.id.in_(others)))
    return keep


def _create_group(connection: Connection, first_article_id: int, now: datetime) -> int:
    statement = insert(DuplicateGroup).values(
        first_article_id=first_article_id, size=1, created_at=now
    )
    return connection.execute(statement.returning(DuplicateGroup.id)).scalar_one()


def refresh_group(connection: Connection, group_id: int) -> None:
    """Recount a group; its first copy is the earliest published (then first seen)."""
    first_and_size = connection.execute(
        select(Article.id, func.count().over())
        .where(Article.duplicate_group_id == group_id)
        .order_by(
            Article.published_at.asc().nulls_last(), Article.first_seen_at.asc(), Article.id
        )
        .limit(1)
    ).one()
    connection.execute(
        update(DuplicateGroup)
        .where(DuplicateGroup.id == group_id)
        .values(first_article_id=first_and_size[0], size=first_and_size[1])
    )
