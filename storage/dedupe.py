"""Duplicate groups: the same release under several URLs (DESIGN §6, levels 2 and 3).

Level 1 (same canonical URL) is a unique key, handled in ``storage.saving``.
Levels 2 and 3 are answered by one SQL query per new article (``find_matches``):
- level 2: an exact match on ``articles.body_hash`` (the normalised body only, so
  a release republished under another headline still matches);
- level 3: MinHash signatures (``storage.neardup``) whose 16 LSH band keys are
  rows of ``article_lsh``; the articles sharing a key are the candidates, and
  their stored signatures (``article_signatures``) decide, with their headline
  and opening words when one text is mostly inside the other.
Writers lock the body hash and band keys they touch (``lock_keys``), so
concurrent writers of copies on PostgreSQL still meet. Grouping, merging groups
and choosing the first copy are shared by both levels.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    LargeBinary,
    Text,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    null,
    select,
    union_all,
    update,
)

from presswatch.storage import neardup
from presswatch.storage.dialect import bulk_insert, rows_where_in
from presswatch.storage.models import ArticleLsh, ArticleRow, ArticleSignature, DuplicateGroup
from presswatch.storage.neardup import Opening

#: A candidate's opening as the archive returns it (headline, the body's first characters),
#: or as a new article of the same batch has it.
StoredOpening = tuple[str | None, str | None]
Candidate = tuple[int, bytes | tuple[int, ...] | None, Opening | StoredOpening]


@dataclass(frozen=True, slots=True)
class NewArticle:
    """What dedupe looks at: an article's id and its text keys."""

    id: int
    body_hash: str | None
    duplicate_candidate: bool
    minhashes: tuple[int, ...] | None
    band_keys: tuple[int, ...] = ()
    opening: Opening = field(default_factory=Opening)

    @classmethod
    def signed(
        cls,
        article_id: int,
        body_hash: str | None,
        candidate: bool,
        minhashes: tuple[int, ...] | None,
        opening: Opening | None = None,
    ) -> NewArticle:
        keys = tuple(sorted(set(neardup.band_keys(minhashes)))) if minhashes is not None else ()
        return cls(article_id, body_hash, candidate, minhashes, keys, opening or Opening())

    @property
    def exact_key(self) -> str | None:
        """The body hash when the body is long enough for level 2, else None."""
        return self.body_hash if self.duplicate_candidate else None


def lock_keys(article: NewArticle) -> list[str]:
    """The lock names a writer of this text takes before looking for its copies."""
    return _text_lock_names(article.exact_key, article.band_keys)


def _text_lock_names(body_hash: str | None, band_keys: Sequence[int]) -> list[str]:
    keys = [f"presswatch:body:{body_hash}"] if body_hash is not None else []
    keys.extend(f"presswatch:lsh:{key}" for key in band_keys)
    return keys


def find_matches(connection: Connection, article: NewArticle) -> list[int]:
    """Ids of other articles with the same body (level 2) or a similar one (level 3)."""
    exact, signed = article.exact_key is not None, article.minhashes is not None
    if not exact and not signed:
        return []
    rows = connection.execute(_MATCH_QUERIES[exact, signed], {
        "own_id": article.id, "body_hash": article.exact_key, "band_keys": list(article.band_keys),
    }).all()
    same = sorted((article_id for article_id, packed, *_ in rows if packed is None), reverse=True)
    similar: list[Candidate] = sorted(
        ((a, p, (headline, start)) for a, p, headline, start in rows if p is not None), reverse=True
    )
    matches = set(same[:MAX_MATCHES])
    _verify(article, similar[: MAX_CANDIDATES_PER_KEY * len(article.band_keys)], matches, set())
    return sorted(matches)


#: Linking to a few members of a group puts an article in the whole group, so the
#: search stops after this many matches, and looks at the newest this-many
#: candidates of any one band key: a flood of near-identical pages (daily rates,
#: weather) costs a bounded amount per article instead of growing with the flood.
MAX_MATCHES = 8
MAX_CANDIDATES_PER_KEY = 32


def _opening_columns(article_id: Any) -> list[Any]:
    """The headline and the body's first ``LEAD_CHARS`` characters of the article ``article_id``
    names (correlated subqueries: one primary-key probe each)."""
    where = ArticleRow.id == article_id
    return [
        select(ArticleRow.headline).where(where).scalar_subquery(),
        select(func.substr(ArticleRow.body, 1, neardup.LEAD_CHARS)).where(where).scalar_subquery(),
    ]


#: What the candidate queries read of an archived signed article.
_SIGNED_COLUMNS = [
    ArticleSignature.article_id, ArticleSignature.minhashes,
    *_opening_columns(ArticleSignature.article_id),
]


def _match_query(exact: bool, signed: bool) -> Any:
    """``find_matches``' one statement (built once: only its parameters change): the articles
    with the body hash ``:body_hash`` (``exact``), and the signed articles holding any of the
    ``:band_keys`` (``signed``) with their signatures and openings; never ``:own_id``."""
    queries: list[Any] = []
    if exact:
        queries.append(
            select(ArticleRow.id, cast(null(), LargeBinary), cast(null(), Text), cast(null(), Text))
            .where(ArticleRow.body_hash == bindparam("body_hash"), ArticleRow.id != bindparam("own_id"))
        )
    if signed:
        sharing_a_band = select(ArticleLsh.article_id).where(
            ArticleLsh.bucket.in_(bindparam("band_keys", expanding=True))
        )
        queries.append(
            select(*_SIGNED_COLUMNS).where(
                ArticleSignature.article_id.in_(sharing_a_band),
                ArticleSignature.article_id != bindparam("own_id"),
            )
        )
    return queries[0] if len(queries) == 1 else union_all(*queries)


_MATCH_QUERIES = {
    (exact, signed): _match_query(exact, signed) for exact in (False, True) for signed in (False, True)
    if exact or signed
}


def _verify(
    article: NewArticle,
    candidates: Sequence[Candidate],
    matches: set[int],
    checked: set[int],
) -> None:
    """Add to ``matches`` the candidates that are the same release (up to the cap)."""
    for other_id, theirs, opening in candidates:
        if len(matches) >= MAX_MATCHES:
            return
        if other_id in checked or other_id in matches or other_id == article.id:
            continue
        checked.add(other_id)
        if _same_release(article.minhashes, theirs, article.opening, opening):
            matches.add(other_id)


def find_matches_many(connection: Connection, batch: Sequence[NewArticle]) -> list[list[int]]:
    """``find_matches`` for a batch of freshly inserted articles, in four queries.

    As if saved one after another: an article matches archived ones and the
    members of the batch before it, never those after it. Call before the
    batch's signatures are stored.
    """
    position = {article.id: n for n, article in enumerate(batch)}
    same_body = _same_body(connection, {a.exact_key for a in batch if a.exact_key is not None})
    archived = _archived_signatures(connection, {key for a in batch for key in a.band_keys})
    in_batch: dict[int, list[NewArticle]] = {}
    results = []
    for n, article in enumerate(batch):
        exact = [
            other for other in reversed(same_body.get(article.exact_key or "", ()))
            if position.get(other, -1) < n and other != article.id
        ]
        matches = set(exact[:MAX_MATCHES])
        checked: set[int] = set()
        for key in article.band_keys:
            earlier = in_batch.setdefault(key, [])
            stored = archived.get(key)
            if earlier or stored:  # most keys are nobody else's: nothing to verify
                newest: list[Candidate] = [
                    (b.id, b.minhashes, b.opening) for b in reversed(earlier[-MAX_CANDIDATES_PER_KEY:])
                ]
                newest += (stored or [])[: MAX_CANDIDATES_PER_KEY - len(newest)]
                _verify(article, newest, matches, checked)
            earlier.append(article)
        results.append(sorted(matches))
    return results


def _same_body(connection: Connection, hashes: set[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for body_hash, article_id in rows_where_in(
        connection, [ArticleRow.body_hash, ArticleRow.id], ArticleRow.body_hash, hashes
    ):
        found.setdefault(body_hash or "", []).append(article_id)
    for ids in found.values():
        ids.sort()
    return found


def _archived_signatures(
    connection: Connection, keys: set[int]
) -> dict[int, list[Candidate]]:
    """For each band key, the archived articles holding it (newest first), with signatures
    and openings.

    Two plain index lookups (keys, then signatures) rather than one join: planners
    tend to answer the join by scanning every signature.
    """
    holders: dict[int, list[int]] = {}
    rows = rows_where_in(connection, [ArticleLsh.bucket, ArticleLsh.article_id], ArticleLsh.bucket, keys)
    for bucket, article_id in rows:
        holders.setdefault(bucket, []).append(article_id)
    for ids in holders.values():
        ids.sort(reverse=True)
        del ids[MAX_CANDIDATES_PER_KEY:]
    wanted = {article_id for ids in holders.values() for article_id in ids}
    found: list[Any] = rows_where_in(connection, _SIGNED_COLUMNS, ArticleSignature.article_id, wanted)
    signed: dict[int, Candidate] = {row[0]: (row[0], row[1], (row[2], row[3])) for row in found}
    return {
        bucket: [signed[a] for a in ids if a in signed] for bucket, ids in holders.items()
    }


def store_signatures(connection: Connection, batch: Sequence[NewArticle]) -> None:
    """``store_signature`` for a batch: two executions in all."""
    signed = [a for a in batch if a.minhashes is not None]
    if not signed:
        return
    bulk_insert(connection, ArticleSignature, [
        {"article_id": a.id, "minhashes": neardup.encode(a.minhashes)}
        for a in signed if a.minhashes is not None
    ])
    bulk_insert(connection, ArticleLsh, [
        {"bucket": key, "article_id": a.id} for a in signed for key in a.band_keys
    ])


def _same_release(
    mine: bytes | tuple[int, ...] | None, theirs: bytes | tuple[int, ...] | None,
    my_opening: Opening | StoredOpening, their_opening: Opening | StoredOpening,
) -> bool:
    """``neardup.same_release`` of two signed texts; their openings read only if needed."""
    assert mine is not None and theirs is not None

    def needs() -> float | None:
        return _opening(my_opening).needs(_opening(their_opening))

    return neardup.same_release(_unpacked(mine), _unpacked(theirs), needs)


def _unpacked(minhashes: bytes | tuple[int, ...]) -> tuple[int, ...]:
    return minhashes if isinstance(minhashes, tuple) else neardup.decode(minhashes)


def _opening(value: Opening | StoredOpening) -> Opening:
    return value if isinstance(value, Opening) else Opening.of(*value)


def refresh_signature(connection: Connection, article: NewArticle) -> None:
    """Replace an article's stored signature after its body changed."""
    article_id = article.id
    old = connection.scalar(
        select(ArticleSignature.minhashes).where(ArticleSignature.article_id == article_id)
    )
    if old is not None:
        old_keys = sorted(set(neardup.band_keys(neardup.decode(old))))
        connection.execute(
            delete(ArticleLsh).where(
                ArticleLsh.bucket.in_(old_keys), ArticleLsh.article_id == article_id
            )
        )
        connection.execute(
            delete(ArticleSignature).where(ArticleSignature.article_id == article_id)
        )
    store_signatures(connection, [article])


def link_duplicates(
    connection: Connection, article: NewArticle, now: datetime, matches: Sequence[int]
) -> int | None:
    """Put ``article`` and its ``matches`` in one duplicate group; return the group id."""
    return link_many(connection, [(article.id, matches)], now)[0]


def link_many(
    connection: Connection, links: Sequence[tuple[int, Sequence[int]]], now: datetime
) -> list[int | None]:
    """Group each article with its matches, for a whole batch in a handful of statements.

    ``links`` holds (article id, matching ids); the result is each article's group
    (None for an article without matches). Articles linked directly or through
    each other, and the groups they already belong to, end up in one group: the
    oldest of those groups, or a new one (created with the smallest member as its
    first copy until ``refresh_groups`` decides).
    """
    linked = [(article_id, list(matches)) for article_id, matches in links if matches]
    if not linked:
        return [None] * len(links)
    components = _Components()  # nodes: article ids, and -group id for existing groups
    for article_id, matches in linked:
        for match in matches:
            components.union(article_id, match)
    current = _current_groups(connection, [node for node in components.parent if node > 0])
    for article_id, group_id in current.items():
        components.union(article_id, -group_id)
    final: dict[int, int] = {}
    for nodes in components.groups().values():
        members = sorted(node for node in nodes if node > 0)
        groups = sorted(-node for node in nodes if node < 0)
        keep = groups[0] if groups else _create_group(connection, members[0], now)
        if groups[1:]:
            _fold(connection, keep, groups[1:])
        final.update(dict.fromkeys(members, keep))
    moved = {a: group for a, group in final.items() if current.get(a) != group}
    if moved:
        connection.execute(
            update(ArticleRow)
            .where(ArticleRow.id.in_(sorted(moved)))
            .values(duplicate_group_id=case(moved, value=ArticleRow.id))
        )
    refresh_groups(connection, sorted(set(final.values())))
    return [final.get(article_id) if matches else None for article_id, matches in links]


class _Components:
    """Union-find over article ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        root = self.parent.setdefault(item, item)
        while root != self.parent[root]:
            root = self.parent[root]
        self.parent[item] = root
        return root

    def union(self, first: int, second: int) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self.parent[max(a, b)] = min(a, b)

    def groups(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for item in list(self.parent):
            found.setdefault(self.find(item), []).append(item)
        return found


def _current_groups(connection: Connection, ids: list[int]) -> dict[int, int]:
    """The groups those of these articles that have one belong to now."""
    rows = connection.execute(
        select(ArticleRow.id, ArticleRow.duplicate_group_id).where(
            ArticleRow.id.in_(ids), ArticleRow.duplicate_group_id.is_not(None)
        )
    )
    return {article_id: group_id for article_id, group_id in rows if group_id is not None}


def _fold(connection: Connection, keep: int, others: list[int]) -> None:
    """Fold groups ``others`` into ``keep``."""
    connection.execute(
        update(ArticleRow)
        .where(ArticleRow.duplicate_group_id.in_(others))
        .values(duplicate_group_id=keep)
    )
    connection.execute(delete(DuplicateGroup).where(DuplicateGroup.id.in_(others)))


def _create_group(connection: Connection, first_article_id: int, now: datetime) -> int:
    statement = insert(DuplicateGroup).values(
        first_article_id=first_article_id, size=1, created_at=now
    )
    return connection.execute(statement.returning(DuplicateGroup.id)).scalar_one()


def refresh_groups(connection: Connection, group_ids: Sequence[int]) -> None:
    """Recount groups; a group's first copy is the earliest published (then first seen)."""
    member = ArticleRow.__table__.alias("member")
    in_group = member.c.duplicate_group_id == DuplicateGroup.id
    # Ordered by an expression first (undated copies last), so that databases find
    # the members through the group index and sort them, instead of walking the
    # whole published_at index until a member turns up.
    first = (
        select(member.c.id).where(in_group)
        .order_by(
            member.c.published_at.is_(None), member.c.published_at, member.c.first_seen_at,
            member.c.id,
        )
        .limit(1)
        .scalar_subquery()
    )
    size = select(func.count()).select_from(member).where(in_group).scalar_subquery()
    connection.execute(
        update(DuplicateGroup)
        .where(DuplicateGroup.id.in_(group_ids))
        .values(first_article_id=first, size=size)
    )


def refresh_group(connection: Connection, group_id: int) -> None:
    refresh_groups(connection, [group_id])


#: A group larger than this stays whole when a member leaves (its pairs are not re-checked).
SPLIT_CHECK_LIMIT = 100


def leave_group(connection: Connection, article_id: int, group_id: int, now: datetime) -> None:
    """Take an article whose text changed out of its group; the rest of the group follows.

    The remaining members are regrouped by what still links them (the same body, or
    similar signatures): a group whose link was the article splits (in groups of up to
    `SPLIT_CHECK_LIMIT` members), the part with its oldest member keeps the group (and
    its id), other parts of two or more get groups of their own, and a member left
    alone leaves too. First copies and sizes are recounted.
    """
    # Writers change one group at a time: on PostgreSQL its row is the lock.
    connection.execute(select(DuplicateGroup.id).where(DuplicateGroup.id == group_id).with_for_update())
    connection.execute(update(ArticleRow).where(ArticleRow.id == article_id).values(duplicate_group_id=None))
    rest = connection.execute(
        select(ArticleRow.id, ArticleRow.body_hash, ArticleSignature.minhashes, ArticleRow.headline,
               func.substr(ArticleRow.body, 1, neardup.LEAD_CHARS))
        .outerjoin(ArticleSignature, ArticleSignature.article_id == ArticleRow.id)
        .where(ArticleRow.duplicate_group_id == group_id)
        .order_by(ArticleRow.id)
    ).all()
    if len(rest) > SPLIT_CHECK_LIMIT:  # a flood's group: it stays one (each pair is not re-checked)
        refresh_groups(connection, [group_id])
        return
    signatures = [neardup.decode(packed) if packed is not None else None for _, _, packed, *_ in rest]
    openings = [Opening.of(headline, start) for *_, headline, start in rest]
    parts = _Components()
    for n, (first, first_hash, *_) in enumerate(rest):
        parts.find(first)
        for m in range(n + 1, len(rest)):
            second, second_hash, *_ = rest[m]
            same_body = first_hash is not None and first_hash == second_hash
            if same_body or (signatures[n] is not None and signatures[m] is not None
                             and _same_release(signatures[n], signatures[m],
                                               openings[n], openings[m])):
                parts.union(first, second)
    components = sorted((sorted(members) for members in parts.groups().values()), key=lambda m: m[0])
    alone = [members[0] for members in components if len(members) == 1]
    grouped = [members for members in components if len(members) > 1]
    if alone:
        connection.execute(update(ArticleRow).where(ArticleRow.id.in_(alone)).values(duplicate_group_id=None))
    if not grouped:
        connection.execute(delete(DuplicateGroup).where(DuplicateGroup.id == group_id))
        return
    kept = [group_id]
    for members in grouped[1:]:
        new_group = _create_group(connection, members[0], now)
        connection.execute(
            update(ArticleRow).where(ArticleRow.id.in_(members)).values(duplicate_group_id=new_group)
        )
        kept.append(new_group)
    refresh_groups(connection, kept)


def text_keys_of_stored(connection: Connection, article_id: int) -> list[str]:
    """The lock names of an archived article's current text (its body hash and band keys)."""
    row = connection.execute(
        select(ArticleRow.body_hash, ArticleSignature.minhashes)
        .outerjoin(ArticleSignature, ArticleSignature.article_id == ArticleRow.id)
        .where(ArticleRow.id == article_id)
    ).one_or_none()
    if row is None:
        return []
    body_hash, packed = row
    bands = sorted(set(neardup.band_keys(neardup.decode(packed)))) if packed is not None else []
    return _text_lock_names(body_hash, bands)
