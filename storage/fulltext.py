"""Full-text search over headlines and bodies, on SQLite FTS5 and PostgreSQL tsvector.

The index is ``articles_fts`` (created by migration 0003; on SQLite declared with
``content="articles"`` since 0008, so Datasette finds it), kept in step with
``articles`` by triggers on every insert, update and delete:
- SQLite: an FTS5 table with external content (``articles`` holds the text once),
  tokenizer ``porter unicode61 remove_diacritics 2``, scored by BM25 with the
  headline weighted 5× the body; snippets by FTS5 ``snippet()``.
- PostgreSQL: one weighted ``tsvector`` per article (headline A, body B) built
  with the text search configuration of the article's language (ISO 639-1 →
  ``presswatch_english``, ``presswatch_russian``, …; ``presswatch_simple`` when
  unknown: pg_catalog's configurations with ``unaccent`` before the stemmer,
  migration 0010; a gap between headline and body, so no phrase spans them), a GIN
  index, scored by ``ts_rank``; snippets by ``ts_headline``.

One meaning on both (README, "Full-text search: what a query matches"; the
parity tests run one corpus on both databases):
- Query syntax: every word must occur, ``"a phrase"`` as written, ``a OR b``
  either (OR binds closer than the words around it: ``a OR b c`` is (a or b)
  and c), ``-word`` excludes. ``parse_terms`` reads it once; each engine's query
  is built from that parse (on PostgreSQL not by ``websearch_to_tsquery``, whose
  OR binds looser). An English stop word on its own is left out (as PostgreSQL's
  english configuration does), and so is a possessive 's ending a lone word
  (``Brandt's`` is ``Brandt``); inside a phrase both stay.
- Case and accents are folded; apostrophes and hyphens separate words (a
  hyphenated word is also found as written); CJK runs without spaces are one word.
- Order: articles whose headline holds any searched phrase first, then the
  body-only matches; within each, the engine's score, then the id. An explicit
  key, so "a headline match outranks a body match" holds whatever BM25 says.
- Snippet: from the body when the body holds a searched phrase, else the headline
  shown whole; matched words in ``[brackets]``.
Where the engines differ, by design or by what they can do: stemming beyond
English (PostgreSQL stems each article in its own language, SQLite English only);
``unaccent`` also folds ё, ß, œ, æ (SQLite keeps them); SQLite splits ``1.5`` into
1 and 5; snippet texts differ in detail (PostgreSQL brackets each word of a phrase
and drops the punctuation that ends a snippet).

The two engines' SQL differs entirely, so it lives here, chosen by
``storage.dialect.fulltext_dialect`` (the one place that knows the dialect).
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, bindparam, text

from presswatch.storage.columns import UtcDateTime
from presswatch.storage.dialect import fulltext_dialect
from presswatch.storage.records import ArticleFilter, SearchHit
from presswatch.storage.search_syntax import Terms, parse_terms

#: ISO 639-1 code -> PostgreSQL text search configuration (as in migration 0003).
TS_CONFIGS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "da": "danish",
    "nl": "dutch", "en": "english", "fi": "finnish", "fr": "french", "de": "german",
    "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian",
    "nn": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}
#: Migration 0010's copies of pg_catalog's configurations, words passed through ``unaccent``.
FOLDED_CONFIG_PREFIX = "presswatch_"
SNIPPET_START, SNIPPET_STOP, SNIPPET_ELLIPSIS = "[", "]", "…"
#: Words in a snippet, and the most FTS5's snippet() can show.
SNIPPET_WORDS, SNIPPET_MAX_WORDS = 24, 64
_COLUMNS = "a.id, a.url, a.headline, a.published_at, a.source_name, a.publisher"


def ts_config(language: str | None) -> str:
    """The PostgreSQL text search configuration for an ISO 639-1 code
    (``en-GB`` → ``presswatch_english``: pg_catalog's ``english`` with accents folded)."""
    code = re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]
    return FOLDED_CONFIG_PREFIX + TS_CONFIGS.get(code, "simple")


def search(
    connection: Connection, terms: str, where: ArticleFilter, limit: int
) -> list[SearchHit]:
    parsed = parse_terms(terms)
    if limit < 1 or parsed is None:  # nothing to find (no word, or only "-word"s)
        return []
    if fulltext_dialect(connection) == "fts5":
        return _search_fts5(connection, parsed, where, limit)
    return _search_tsvector(connection, parsed, where, limit)


def filter_sql(where: ArticleFilter, alias: str = "a") -> tuple[str, list[Any]]:
    """``AND ...`` conditions on ``articles`` (as ``alias``) and their bound parameters."""
    sql, params = "", list[Any]()
    if where.source_name is not None:
        sql += f" AND {alias}.source_name = :source_name"
        params.append(bindparam("source_name", where.source_name))
    if where.agency is not None:
        sql += f" AND {alias}.source = :agency"
        params.append(bindparam("agency", where.agency))
    for name, op in (("since", ">="), ("until", "<")):
        value = getattr(where, name)
        if value is not None:
            sql += f" AND coalesce({alias}.published_at, {alias}.first_seen_at) {op} :{name}"
            params.append(bindparam(name, value, type_=UtcDateTime))
    return sql, params


# --- Query terms (both engines) ---------------------------------------------------------


def snippet_words(parsed: Terms) -> int:
    """How many words a snippet shows: 24, more for a long phrase (so it is never cut), at most 64."""
    longest = max(len(re.findall(r"\w+", phrase)) for phrase in parsed.phrases)
    return min(SNIPPET_MAX_WORDS, max(SNIPPET_WORDS, longest + 8))


# --- SQLite FTS5 ------------------------------------------------------------------------


def _quoted(phrase: str) -> str:
    return '"' + phrase.replace('"', '""') + '"'


def fts5_query(terms: str) -> str | None:
    """Web-search syntax as an FTS5 query (every term quoted); None when nothing to find."""
    parsed = parse_terms(terms)
    return None if parsed is None else _fts5_match(parsed)


def _fts5_match(parsed: Terms) -> str:
    query = " AND ".join(
        "(" + " OR ".join(_quoted(phrase) for phrase in clause) + ")" for clause in parsed.clauses
    )
    return query + "".join(f" NOT {_quoted(phrase)}" for phrase in parsed.excluded)


def _fts5_any(parsed: Terms, column: str) -> str:
    """FTS5: ``column`` holds any phrase the query looks for."""
    return f"{column} : (" + " OR ".join(_quoted(phrase) for phrase in parsed.phrases) + ")"


def _search_fts5(
    connection: Connection, parsed: Terms, where: ArticleFilter, limit: int
) -> list[SearchHit]:
    # Ranked first (BM25 and where the match is: every match's, no text read), then the
    # snippets of only the `limit` best (each reads and tokenizes its article again): in one
    # statement the snippets were made for every match before the sort.
    conditions, params = filter_sql(where)
    snippet = f"snippet(articles_fts, {{0}}, :start, :stop, :ellipsis, {snippet_words(parsed)})"
    statement = text(
        "WITH best AS ("
        "SELECT articles_fts.rowid AS id, articles_fts.rank AS rank, articles_fts.rowid IN "
        "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH :in_headline) AS headline_hit "
        "FROM articles_fts JOIN articles AS a ON a.id = articles_fts.rowid "
        f"WHERE articles_fts MATCH :query{conditions} "
        "ORDER BY headline_hit DESC, articles_fts.rank, articles_fts.rowid LIMIT :limit) "
        f"SELECT {_COLUMNS}, -best.rank AS score, best.headline_hit, "
        "CASE WHEN EXISTS (SELECT 1 FROM articles_fts AS f WHERE f.rowid = best.id "
        f"AND f.articles_fts MATCH :in_body) THEN {snippet.format(1)} ELSE {snippet.format(0)} END AS snippet "
        "FROM best JOIN articles_fts ON articles_fts.rowid = best.id JOIN articles AS a ON a.id = best.id "
        "WHERE articles_fts MATCH :query "
        "ORDER BY best.headline_hit DESC, best.rank, best.id"
    ).bindparams(*params).columns(published_at=UtcDateTime)
    rows = connection.execute(statement, {
        "query": _fts5_match(parsed), "in_headline": _fts5_any(parsed, "headline"),
        "in_body": _fts5_any(parsed, "body"), "limit": limit,
        "start": SNIPPET_START, "stop": SNIPPET_STOP, "ellipsis": SNIPPET_ELLIPSIS,
    })
    return [_hit(row) for row in rows]


# --- PostgreSQL tsvector ------------------------------------------------------------------


def _headline_options(words: int) -> str:
    return (
        f"StartSel={SNIPPET_START}, StopSel={SNIPPET_STOP}, MaxWords={words}, MinWords=10, "
        f'ShortWord=0, MaxFragments=2, FragmentDelimiter=" {SNIPPET_ELLIPSIS} "'
    )


def tsquery_sql(parsed: Terms, config: str, *, part: str = "all") -> str:
    """SQL building the terms' tsquery as ``config`` (an SQL expression) parses them.

    Built here, not by ``websearch_to_tsquery``, so that ``OR`` binds as on SQLite
    (``a OR b c`` is (a or b) and c; PostgreSQL's web-search parser reads a or (b and c)).
    Each phrase is ``phraseto_tsquery`` of the bound parameter ``:phrase_<i>`` (i: its
    place in ``phrases + excluded``). ``part``: ``"all"`` the whole query, ``"positive"``
    without its exclusions (for ranking), ``"any"`` any one of its phrases.
    """
    def phrase(i: int) -> str:
        return f"phraseto_tsquery({config}, :phrase_{i})"

    if part == "any":
        return "(" + " || ".join(phrase(i) for i in range(len(parsed.phrases))) + ")"
    clauses, i = [], 0
    for clause in parsed.clauses:
        clauses.append("(" + " || ".join(phrase(i + k) for k in range(len(clause))) + ")")
        i += len(clause)
    if part == "all":
        clauses += [f"!!{phrase(i + k)}" for k in range(len(parsed.excluded))]
    return "(" + " && ".join(clauses) + ")"


def _phrase_params(parsed: Terms) -> dict[str, str]:
    return {f"phrase_{i}": p for i, p in enumerate((*parsed.phrases, *parsed.excluded))}


def _candidates(connection: Connection, parsed: Terms) -> str | None:
    """The terms parsed by every configuration, OR-ed, as tsquery text (None: nothing)."""
    configs = sorted({ts_config(code) for code in TS_CONFIGS} | {ts_config(None)})
    found: str | None = connection.scalar(
        text(
            "SELECT string_agg(DISTINCT '(' || q::text || ')', ' | ') FROM ("
            f"SELECT {tsquery_sql(parsed, 'CAST(c AS regconfig)')} AS q "
            "FROM unnest(CAST(:configs AS text[])) AS c) parsed WHERE q::text <> ''"
        ),
        {**_phrase_params(parsed), "configs": configs},
    )
    return found


def _search_tsvector(
    connection: Connection, parsed: Terms, where: ArticleFilter, limit: int
) -> list[SearchHit]:
    candidates = _candidates(connection, parsed)
    if not candidates:
        return []
    conditions, params = filter_sql(where)
    # The OR of every configuration's parse finds candidates through the GIN index;
    # each document is then held to the terms as parsed in its own configuration
    # (so "-word" excludes every form of the word in that language). ts_filter keeps
    # the headline's (A) or the body's (B) words: where a match is. A headline is shown
    # whole, as FTS5's snippet() shows a text shorter than its window.
    statement = text(
        "SELECT id, url, headline, published_at, source_name, publisher, score, headline_hit, "
        "CASE WHEN body_hit THEN ts_headline(config, body, own, :options) "
        "ELSE ts_headline(config, coalesce(headline, ''), own, :whole) END AS snippet "
        f"FROM (SELECT {_COLUMNS}, a.body, f.config, own, "
        "ts_rank(f.document, positive) AS score, "
        "ts_filter(f.document, '{a}') @@ any_phrase AS headline_hit, "
        "ts_filter(f.document, '{b}') @@ any_phrase AS body_hit "
        "FROM articles_fts AS f JOIN articles AS a ON a.id = f.article_id, "
        "CAST(:candidates AS tsquery) AS candidates, "
        f"LATERAL (SELECT {tsquery_sql(parsed, 'f.config')} AS own, "
        f"{tsquery_sql(parsed, 'f.config', part='positive')} AS positive, "
        f"{tsquery_sql(parsed, 'f.config', part='any')} AS any_phrase) AS q "
        f"WHERE f.document @@ candidates AND f.document @@ own{conditions} "
        "ORDER BY headline_hit DESC, score DESC, a.id LIMIT :limit) AS hits "
        "ORDER BY headline_hit DESC, score DESC, id"
    ).bindparams(*params).columns(published_at=UtcDateTime)
    rows = connection.execute(statement, {
        **_phrase_params(parsed), "candidates": candidates, "limit": limit,
        "options": _headline_options(snippet_words(parsed)),
        "whole": f"StartSel={SNIPPET_START}, StopSel={SNIPPET_STOP}, HighlightAll=true",
    })
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
