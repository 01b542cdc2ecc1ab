"""Datasette metadata for `presswatch browse`: descriptions, facets, search, canned queries (pure).

The table and column texts come from ``storage.schema_docs`` (the README's words). The
canned queries are SQLite SQL over the archive schema; ``:name`` placeholders become
Datasette's form fields, and an empty field means "all" where that makes sense.
"""
from __future__ import annotations

from typing import Any

from presswatch.scheduler.health import MAX_CONSECUTIVE_FAILURES
from presswatch.storage.schema_docs import TABLES, UTC_NOTE, inline_html, plain, sentence

#: The archive's name in Datasette's URLs: http://HOST:PORT/archive/articles
DATABASE = "archive"
TITLE = "presswatch archive"
DESCRIPTION = (
    "Press releases and news that presswatch crawled, stored once per canonical URL, with their "
    f"revisions, reprints and the crawl runs that found them. Times are {UTC_NOTE}. Read-only."
)
#: Tables Datasette lists but nobody browses.
HIDDEN = ("alembic_version", "article_signatures", "article_lsh")

LATEST_RELEASES = """
SELECT a.id, a.published_at, a.headline, a.source AS agency, a.publisher,
       a.source_name AS configured_source, a.language, a.labels, a.url,
       a.duplicate_group_id AS cluster,
       (SELECT count(*) FROM article_revisions AS r WHERE r.article_id = a.id) AS revisions
FROM articles AS a
ORDER BY a.published_at IS NULL, a.published_at DESC, a.id DESC
LIMIT 100
"""

AGENCY_RELEASES = """
SELECT a.id, a.published_at, a.headline, a.publisher, a.source_name AS configured_source,
       a.url, a.duplicate_group_id AS cluster
FROM articles AS a
WHERE a.source = :agency
ORDER BY a.published_at IS NULL, a.published_at DESC, a.id DESC
"""

REPRINT_CLUSTERS = """
SELECT a.duplicate_group_id AS cluster, g.size,
       CASE WHEN g.first_article_id = a.id THEN 'original' ELSE 'copy' END AS role,
       a.published_at, a.first_seen_at, a.publisher, a.source AS agency, a.headline, a.url, a.id
FROM articles AS a JOIN duplicate_groups AS g ON g.id = a.duplicate_group_id
WHERE coalesce(:group, '') = '' OR a.duplicate_group_id = :group
ORDER BY g.id, a.published_at IS NULL, a.published_at, a.first_seen_at, a.id
"""

REVISIONS_OF_ARTICLE = """
WITH versions AS (
    SELECT revision AS version, headline, body, replaced_at
    FROM article_revisions WHERE article_id = :article
    UNION ALL
    SELECT (SELECT count(*) FROM article_revisions WHERE article_id = :article) + 1,
           headline, body, NULL
    FROM articles WHERE id = :article
), changes AS (
    SELECT version, replaced_at, headline AS headline_before, body AS body_before,
           lead(headline) OVER (ORDER BY version) AS headline_after,
           lead(body) OVER (ORDER BY version) AS body_after
    FROM versions
)
SELECT version AS revision, replaced_at,
       CASE WHEN headline_before IS headline_after THEN 'body'
            WHEN body_before IS body_after THEN 'headline'
            ELSE 'headline, body' END AS changed,
       headline_before, headline_after, body_before, body_after
FROM changes
WHERE replaced_at IS NOT NULL
ORDER BY version
"""

SOURCES_HEALTH = f"""
WITH per_source AS (
    SELECT source, count(*) AS runs, max(id) AS last_id,
           max(CASE WHEN status = 'ok' THEN id END) AS last_ok_id
    FROM crawl_runs GROUP BY source
), streaks AS (
    SELECT p.*, (SELECT count(*) FROM crawl_runs AS f
                 WHERE f.source = p.source AND f.status = 'failed'
                   AND f.id > coalesce(p.last_ok_id, 0)) AS consecutive_failures
    FROM per_source AS p
)
SELECT s.source AS configured_source,
       CASE WHEN s.consecutive_failures >= {MAX_CONSECUTIVE_FAILURES} THEN 'UNHEALTHY' ELSE 'ok' END
           AS health,
       last.started_at AS last_run, last.status AS last_status, s.consecutive_failures,
       (SELECT started_at FROM crawl_runs WHERE id = s.last_ok_id) AS last_ok_run,
       last.new AS last_new, last.errors AS last_errors, last.error_kinds AS errors_by_kind, s.runs
FROM streaks AS s JOIN crawl_runs AS last ON last.id = s.last_id
ORDER BY s.consecutive_failures DESC, s.source
"""

RECENT_ERRORS = """
SELECT e.occurred_at, r.source AS configured_source, e.kind, e.status, e.url, e.message, e.run_id
FROM crawl_errors AS e JOIN crawl_runs AS r ON r.id = e.run_id
WHERE e.occurred_at >= strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 day')
ORDER BY e.occurred_at DESC, e.id DESC
"""

QUERIES: dict[str, dict[str, str]] = {
    "latest_releases": {
        "title": "Latest releases",
        "description": "The 100 newest articles by publication time, with their reprint cluster "
                       "and number of revisions.",
        "sql": LATEST_RELEASES,
    },
    "agency_releases": {
        "title": "Releases of one agency",
        "description": "Every article that credits this agency or office (articles.source, exact "
                       "spelling as in the source facet), newest first.",
        "sql": AGENCY_RELEASES,
    },
    "reprint_clusters": {
        "title": "Reprint clusters",
        "description": "A release and every copy of it (one duplicate group), the original first, "
                       "then the copies as they were published, with their publishers. "
                       "Leave the group empty for every cluster.",
        "sql": REPRINT_CLUSTERS,
    },
    "revisions_of_article": {
        "title": "Revisions of an article",
        "description": "What changed each time the article's headline or body changed: the "
                       "headline and body before and after.",
        "sql": REVISIONS_OF_ARTICLE,
    },
    "sources_health": {
        "title": "Sources health",
        "description": "Each configured source's last run and status, its failed runs in a row "
                       f"({MAX_CONSECUTIVE_FAILURES} or more: UNHEALTHY, as in presswatch sources) "
                       "and its last run's errors by kind.",
        "sql": SOURCES_HEALTH,
    },
    "recent_errors": {
        "title": "Crawl errors of the last day",
        "description": "Every page that failed in the last 24 hours, newest first.",
        "sql": RECENT_ERRORS,
    },
}

ARTICLE_FACETS: list[Any] = [
    "source", "publisher", "source_name", "language", {"array": "labels"}, "date_precision",
]
#: The view `releases`: the same facets under its plain names.
RELEASE_FACETS: list[Any] = ["credited_source", "publisher", "configured_source", "language", {"array": "labels"}]
#: Newest first, searchable through the articles' full-text index, headlines as row labels.
NEWEST_SEARCHABLE = {"sort_desc": "published_at", "fts_table": "articles_fts", "fts_pk": "id", "label_column": "headline"}


def table_metadata(name: str) -> dict[str, Any]:
    doc = TABLES[name]
    meta: dict[str, Any] = {
        "description_html": inline_html(sentence(doc.description)),
        "columns": {column: plain(text) for column, text in doc.columns.items()},
    }
    if name in HIDDEN:
        meta["hidden"] = True
    return meta


def browse_metadata() -> dict[str, Any]:
    """Datasette's metadata for an archive served as ``DATABASE``."""
    tables = {name: table_metadata(name) for name in TABLES}
    tables["articles"].update({"facets": ARTICLE_FACETS, **NEWEST_SEARCHABLE})
    tables["releases"].update({"facets": RELEASE_FACETS, **NEWEST_SEARCHABLE})
    tables["crawl_runs"].update({"facets": ["source", "status"], "sort_desc": "started_at"})
    tables["crawl_errors"].update({"facets": ["kind", "status"], "sort_desc": "occurred_at"})
    tables["article_revisions"]["sort_desc"] = "replaced_at"
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "databases": {
            DATABASE: {
                "description": DESCRIPTION,
                "tables": tables,
                "queries": QUERIES,
            },
        },
    }
