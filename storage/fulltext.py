"""Full-text search over headlines and bodies, on SQLite FTS5 and PostgreSQL tsvector.

The index is ``articles_fts`` (created by migration 0003; on SQLite declared with
``content="articles"`` since 0008, so Datasette finds it), kept in step with
``articles`` by triggers on every insert, update and delete:
- SQLite: an FTS5 table with external content (``articles`` holds the text once),
  tokenizer ``porter unicode61 remove_diacritics 2``, ranked by BM25 with the
  headline weighted 5× the body; snippets by FTS5 ``snippet()``.
- PostgreSQL: one weighted ``tsvector`` per article (headline A, body B) built
  with the text search configuration of the article's language (ISO 639-1 →
  ``english``, ``russian``, ``german``, …; ``simple`` when unknown), a GIN
  index, ranked by ``ts_rank``; snippets by ``ts_headline``.

Query syntax (both databases, that of PostgreSQL's ``websearch_to_tsquery``):
words must all occur, ``"a phrase"`` must occur as written, ``a OR b`` needs
either, ``-word`` excludes. On PostgreSQL each document meets the terms as its
own language's configuration parses (and stems) them.

The two engines' SQL differs entirely, so it lives here, chosen by
``storage.dialect.fulltext_dialect`` (the one place that knows the dialect).
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, bindparam, text

from storage.columns import UtcDateTime
from storage.dialect import fulltext_dialect
from storage.records import ArticleFilter, SearchHit

#: ISO 639-1 code -> PostgreSQL text search configuration (as in migration 0003).
TS_CONFIGS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "da": "danish",
    "nl": "dutch", "en": "english", "fi": "finnish", "fr": "french", "de": "german",
    "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian",
    "nn": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}
SNIPPET_START, SNIPPET_STOP, SNIPPET_ELLIPSIS = "[", "]", "…"
_TOKEN = re.compile(r'-?"[^"]*"?|\S+')
_COLUMNS = "a.id, a.url, a.headline, a.published_at, a.source_name, a.publisher"


def ts_config(language: str | None) -> str:
    """The PostgreSQL text search configuration for an ISO 639-1 code (``en-GB`` → english)."""
    code = re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]
    return TS_CONFIGS.get(code, "simple")


def search(
    connection: Connection, terms: str, where: ArticleFilter, limit: int
) -> list[SearchHit]:
    if limit < 1 or fts5_query(terms) is None:  # nothing to find (no word, or only "-word"s)
        return []
    if fulltext_dialect(connection) == "fts5":
        return _search_fts5(connection, terms, where, limit)
    return _search_tsvector(connection, terms, where, limit)


def filter_sql(where: ArticleFilter, alias: str = "a") -> tuple[str, list[Any]]:
    """``AND ...`` conditions on ``articles`` (as ``alias``) and their bound parameters."""
    sql, params = "", list[Any]()
    if where.source_name is not None:
        sql += f" AND {alias}.source_name = :source_name"
        params.append(bindparam("source_name", where.source_name))
    for name, op in (("since", ">="), ("until", "<")):
        value = getattr(where, name)
        if value is not None:
            sql += f" AND coalesce({alias}.published_at, {alias}.first_seen_at) {op} :{name}"
            params.append(bindparam(name, value, type_=UtcDateTime))
    return sql, params


# --- SQLite FTS5 ------------------------------------------------------------------------


def fts5_query(terms: str) -> str | None:
    """Web-search syntax as an FTS5 query (every term quoted); None when nothing to find."""
    clauses: list[str] = []
    excluded: list[str] = []
    join_next = False
    for token in _TOKEN.findall(terms):
        if token == "OR":
            join_next = bool(clauses)
            continue
        negative = token.startswith("-") and len(token) > 1
        phrase = token[1:] if negative else token
        phrase = phrase.strip('"')
        if not re.search(r"\w", phrase):
            continue
        quoted = '"' + phrase.replace('"', '""') + '"'
        if negative:
            excluded.append(quoted)
        elif join_next:
            clauses[-1] = f"{clauses[-1]} OR {quoted}"
        else:
            clauses.append(quoted)
        join_next = False
    if not clauses:
        return None
    query = " AND ".join(f"({clause})" for clause in clauses)
    return query + "".join(f" NOT {term}" for term in excluded)


def _search_fts5(
    connection: Connection, terms: str, where: ArticleFilter, limit: int
) -> list[SearchHit]:
    query = fts5_query(terms)
    if query is None:
        return []
    conditions, params = filter_sql(where)
    statement = text(
        f"SELECT {_COLUMNS}, -articles_fts.rank AS score, "
        f"snippet(articles_fts, -1, :start, :stop, :ellipsis, 16) AS snippet "
        "FROM articles_fts JOIN articles AS a ON a.id = articles_fts.rowid "
        f"WHERE articles_fts MATCH :query{conditions} "
        "ORDER BY articles_fts.rank, a.id LIMIT :limit"
    ).bindparams(*params).columns(published_at=UtcDateTime)
    rows = connection.execute(statement, {
        "query": query, "limit": limit, "start": SNIPPET_START, "stop": SNIPPET_STOP,
        "ellipsis": SNIPPET_ELLIPSIS,
    })
    return [_hit(row) for row in rows]


# --- PostgreSQL tsvector ------------------------------------------------------------------

_HEADLINE_OPTIONS = (
    f"StartSel={SNIPPET_START}, StopSel={SNIPPET_STOP}, MaxWords=24, MinWords=10, "
    f'MaxFragments=2, FragmentDelimiter=" {SNIPPET_ELLIPSIS} "'
)


def _tsquery(connection: Connection, terms: str) -> str | None:
    """The terms parsed by every configuration, OR-ed, as tsquery text (None: nothing)."""
    configs = sorted({*TS_CONFIGS.values(), "simple"})
    found: str | None = connection.scalar(
        text(
            "SELECT string_agg(DISTINCT '(' || q::text || ')', ' | ') FROM ("
            "SELECT websearch_to_tsquery(CAST(c AS regconfig), :terms) AS q "
            "FROM unnest(CAST(:configs AS text[])) AS c) parsed WHERE q::text <> ''"
        ),
        {"terms": terms, "configs": configs},
    )
    return found


def _search_tsvector(
    connection: Connection, terms: str, where: ArticleFilter, limit: int
) -> list[SearchHit]:
    tsquery = _tsquery(connection, terms)
    if not tsquery:
        return []
    conditions, params = filter_sql(where)
    # The OR of every configuration's parse finds candidates through the GIN index;
    # each document is then held to the terms as parsed in its own configuration
    # (so "-word" excludes every form of the word in that language).
    statement = text(
        "SELECT id, url, headline, published_at, source_name, publisher, score, "
        "ts_headline(config, coalesce(nullif(body, ''), headline, ''), own, :options) AS snippet "
        f"FROM (SELECT {_COLUMNS}, a.body, f.config, own, ts_rank(f.document, own) AS score "
        "FROM articles_fts AS f JOIN articles AS a ON a.id = f.article_id, "
        "CAST(:tsquery AS tsquery) AS candidates, "
        "LATERAL websearch_to_tsquery(f.config, :terms) AS own "
        f"WHERE f.document @@ candidates AND f.document @@ own{conditions} "
        "ORDER BY score DESC, a.id LIMIT :limit) AS hits ORDER BY score DESC, id"
    ).bindparams(*params).columns(published_at=UtcDateTime)
    rows = connection.execute(
        statement,
        {"tsquery": tsquery, "terms": terms, "limit": limit, "options": _HEADLINE_OPTIONS},
    )
    return [_hit(row) for row in rows]


def _hit(row: Any) -> SearchHit:
    return SearchHit(
        article_id=row.id,
        url=row.url,
        headline=row.headline,
        published_at=row.published_at,
        source_name=row.source_name,
        publisher=row.publisher,
        score=round(float(row.score), 6),
        snippet=" ".join((row.snippet or "").split()),
    )
