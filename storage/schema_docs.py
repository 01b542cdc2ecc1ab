"""What each archive table, view and column means: one text for the README and for `presswatch browse`.

``TABLES`` is the source of truth (tables and the view ``releases`` alike). A table's
description is the README's bullet for it in "The archive" (markdown); the README's "Every
table and column" block is ``columns_markdown()``; Datasette's metadata
(``scheduler.browse_metadata``) shows both. PostgreSQL archives carry them as table, view and
column comments (``comments()``, applied by ``storage.migrate`` after each upgrade).
``tests/storage/test_schema_docs.py`` keeps them equal and checks that every column of a
migrated archive is described. Regenerate the README block with ``python -m presswatch.storage.schema_docs``.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

#: How timestamps read in every table.
UTC_NOTE = "UTC"


@dataclass(frozen=True)
class TableDoc:
    description: str  # markdown: `code` spans
    columns: dict[str, str]  # column -> plain text
    in_readme: bool = True  # the README's archive section has a bullet for it


def _when(what: str) -> str:
    return f"{what} ({UTC_NOTE}, `YYYY-MM-DD HH:MM:SS.ffffff` on SQLite)"


#: One README bullet for both tables of near-duplicate detection.
NEAR_DUPLICATES = (
    "near-duplicate detection: each body's MinHash signature, and its 16 band keys, the index "
    "that finds candidates."
)

#: The articles table's columns, in table order.
ARTICLE_COLUMNS: dict[str, str] = {
    "id": "the article's number (FTS rowid too)",
    "url": "the canonical URL: one row per URL",
    "source_name": "the configured source that crawled it (sources.toml `name`; crawl_runs.source)",
    "headline": "the headline, clean: no site name, no PHOTO/VIDEO/UPDATED markers",
    "labels": "the headline's markers, a JSON list such as [\"PHOTO\", \"UPDATED\"] (jsonb on PostgreSQL)",
    "published_at": _when("when the page says it was published"),
    "modified_at": _when("when the page says it was last modified"),
    "source": "the credited agency or office (the attribution); the publisher when the text credits none",
    "publisher": "who publishes the site (the config's `publisher`)",
    "body": "the text: paragraphs separated by one blank line",
    "language": "ISO 639-1 code of the text",
    "authors": "the people credited, a JSON list (jsonb on PostgreSQL)",
    "content_hash": "SHA-256 of headline and body: a change makes a revision",
    "body_hash": "SHA-256 of the normalised body: equal bodies join one duplicate group",
    "date_raw": "the string the publication date was read from",
    "date_precision": "how precise that date is: day, minute or second",
    "date_method": "where the date was found: json-ld, meta, time, text, selector or url",
    "source_evidence": "the text that credits the source, e.g. a dateline",
    "first_seen_at": _when("when presswatch first archived it"),
    "updated_at": _when("when its text or its labels (e.g. `UPDATED`) last changed"),
    "last_seen_at": _when("when a crawl last fetched it"),
    "duplicate_group_id": "its duplicate group: the same release on other URLs or outlets",
}

#: The view ``releases`` (schema 0011): its columns, in order, and the ``articles`` column each is.
RELEASES_VIEW = {
    "id": "id", "published_at": "published_at", "headline": "headline", "labels": "labels",
    "credited_source": "source", "publisher": "publisher", "configured_source": "source_name",
    "language": "language", "authors": "authors", "url": "url", "body": "body",
    "duplicate_group_id": "duplicate_group_id", "first_seen_at": "first_seen_at", "updated_at": "updated_at",
}

TABLES: dict[str, TableDoc] = {
    "articles": TableDoc(
        "one row per canonical URL: `id`, `url`, `headline`, `labels` (JSON list, "
        "e.g. `[\"PHOTO\",\"UPDATED\"]`; `jsonb` on PostgreSQL), `published_at`, `modified_at`, "
        "`source` (the agency or office the text credits; the publisher when it credits none), "
        "`publisher`, `body`, `language`, `authors` (JSON list), `content_hash`, `body_hash`, "
        "`first_seen_at`, `updated_at`, `last_seen_at`, `duplicate_group_id`, `source_name` (the "
        "config source), and the date's provenance: `date_raw`, `date_precision`, `date_method`, "
        "plus `source_evidence`.",
        ARTICLE_COLUMNS,
    ),
    "releases": TableDoc(
        "a view: each article under plain names, the place to start reading the archive with SQL. "
        "`credited_source` is who the text credits, e.g. Azertag for \"…, Azertag reports\" "
        "(`articles.source`); `configured_source` is the sources.toml entry that crawled it "
        "(`articles.source_name`, `crawl_runs.source`). Columns: `id`, `published_at`, `headline`, "
        "`labels`, `credited_source`, `publisher`, `configured_source`, `language`, `authors`, "
        "`url`, `body`, `duplicate_group_id`, `first_seen_at`, `updated_at`.",
        {view: ARTICLE_COLUMNS[column] if view == column else f"articles.{column}: {ARTICLE_COLUMNS[column]}"
         for view, column in RELEASES_VIEW.items()},
    ),
    "article_revisions": TableDoc(
        "the earlier versions of an article whose content changed, with the time each was "
        "replaced. A new label such as UPDATED alone is not a revision (it does move `updated_at`).",
        {
            "id": "the revision's number",
            "article_id": "the article it is an earlier version of",
            "revision": "1 for the first version, then 2, 3, …",
            "headline": "the headline of this version",
            "body": "the body of this version",
            "published_at": _when("the publication time this version gave"),
            "source": "the credited source of this version",
            "content_hash": "SHA-256 of this version's headline and body",
            "replaced_at": _when("when the next version replaced it"),
        },
    ),
    "duplicate_groups": TableDoc(
        "the same release on several URLs or outlets: `first_article_id` (the earliest copy: "
        "earliest published, then first seen) and `size`. Groups follow edits (crawls and `reparse` "
        "alike): an article whose text changes leaves the group of its old text and joins the group "
        "of its new one, if any; the group's first copy and size follow, a group that the article "
        "held together splits, a group of one dissolves. A corrected publication time moves the "
        "first copy too.",
        {
            "id": "the group's number (articles.duplicate_group_id)",
            "first_article_id": "the earliest copy: earliest published, then first seen",
            "size": "how many articles the group holds",
            "created_at": _when("when the second copy made the group"),
        },
    ),
    "url_aliases": TableDoc(
        "every URL seen (canonical, fetched, redirected from), canonicalised, mapped to its article.",
        {
            "url": "a URL seen for the article, canonicalised",
            "article_id": "the article it leads to",
        },
    ),
    "raw_pages": TableDoc(
        "the fetched HTML of each article's latest version, zlib-compressed (`html`, "
        "`compression`, `html_sha256`), with the fetched `url`, `fetched_at` and the "
        "`parser_version` that read it: what `presswatch reparse` reads.",
        {
            "article_id": "the article the page holds",
            "url": "the URL it was fetched from",
            "fetched_at": _when("when it was fetched"),
            "parser_version": "the parser version that read it",
            "compression": "how `html` is compressed (zlib)",
            "html_sha256": "SHA-256 of the uncompressed HTML",
            "html": "the compressed HTML bytes",
        },
    ),
    "articles_fts": TableDoc(
        "the full-text index, kept in step with `articles` by triggers. SQLite: an FTS5 table "
        "(`SELECT ... FROM articles_fts WHERE articles_fts MATCH 'hydrogen'`, rowid = article id). "
        "PostgreSQL: `article_id`, `config` (the text search configuration of the article's "
        "language, accents folded: `presswatch_english`, `presswatch_russian`, "
        "`presswatch_german`, …, `presswatch_simple` when unknown) and a weighted `document` "
        "tsvector with a GIN index.",
        {
            "headline": "SQLite: the article's headline, indexed (rowid = articles.id)",
            "body": "SQLite: the article's body, indexed",
            "article_id": "PostgreSQL: the article indexed",
            "config": "PostgreSQL: the text search configuration of the article's language "
            "(accents folded)",
            "document": "PostgreSQL: headline (weight A) and body (weight B) as a tsvector",
        },
    ),
    "article_signatures": TableDoc(
        NEAR_DUPLICATES,
        {
            "article_id": "the article signed",
            "minhashes": "its packed one-permutation MinHash signature",
        },
    ),
    "article_lsh": TableDoc(
        NEAR_DUPLICATES,
        {
            "bucket": "one band key of the article's signature",
            "article_id": "the article",
        },
    ),
    "crawl_runs": TableDoc(
        "one row per run per source: `source`, `started_at`, `finished_at`, "
        "`status` (`running`, `ok`, `failed`, `interrupted`), `pages_fetched`, `not_modified` (304 answers), "
        "`revisited` (recent articles fetched again), `new`, `updated`, `unchanged`, `duplicates`, `errors`, "
        "`error_kinds` (the errors by kind, a JSON object such as `{\"http_status\": 2}`), and `host`/`pid` "
        "of the crawling process. `failed`: every start page, feed and sitemap failed, the archive "
        "refused a page (`save_failed`), or the run passed its timeout; `interrupted`: stopped by a "
        "shutdown, or its process died — `serve` marks the runs of a dead worker at once, and a run left "
        "`running` by a killed `presswatch crawl` is marked when the source's next run starts on that "
        "host. A source checked every minute adds 1,440 rows a day.",
        {
            "id": "the run's number",
            "source": "the configured source crawled (sources.toml `name`; articles.source_name)",
            "started_at": _when("when the run started"),
            "finished_at": _when("when it ended; empty while running"),
            "status": "running, ok, failed or interrupted",
            "pages_fetched": "pages downloaded",
            "new": "articles archived for the first time",
            "updated": "articles whose content changed (a revision each)",
            "unchanged": "articles fetched again with the same content",
            "duplicates": "new articles that joined a duplicate group",
            "errors": "failed pages (crawl_errors rows)",
            "not_modified": "start pages, feeds and sitemaps that answered 304 Not Modified",
            "revisited": "recent articles fetched again to catch updates",
            "error_kinds": "the errors by kind, a JSON object such as {\"http_status\": 2}",
            "host": "the host of the crawling process",
            "pid": "the process id of the crawling process",
            "due_at": _when("the scheduled time a run of `serve --broker` served"),
        },
    ),
    "page_validators": TableDoc(
        "the ETag / Last-Modified each start page, feed and sitemap last answered with "
        "(sent back as If-None-Match / If-Modified-Since).",
        {
            "url": "the start page, feed or sitemap",
            "source_name": "the configured source it belongs to",
            "etag": "the ETag it last answered with",
            "last_modified": "the Last-Modified it last answered with",
            "checked_at": _when("when it last answered"),
        },
    ),
    "crawl_errors": TableDoc(
        "each failure of a run: `url`, `kind`, HTTP `status`, `message`. Kinds: "
        "`http_status`, `timeout`, `connection_lost`, `connection_refused`, `dns`, `too_large`, "
        "`redirect_loop`, `too_many_redirects`, `offsite_redirect`, `unsafe_redirect`, `robots`, "
        "`not_html`, `unparseable` (binary), `empty` (no article text), `parse_error`, `save_failed` "
        "(the archive refused the page), `run_timeout` (the run passed its timeout), `bad_feed`, "
        "`bad_sitemap` (the readable part is still used), `limit_reached` (a trap bound stopped "
        "discovery; the first URL left out), `url_too_long` (a link of the site longer than 2,083 "
        "characters, not followed), `pattern_timeout` (the source's `article_pattern` or "
        "`listing_pattern` took longer than 1 s on a link: a backtracking pattern cannot hang a "
        "crawl), `spider_error` and `pipeline_error` (the crawler's own code broke on a page: the run "
        "is `failed`). `too_large` covers a body that passes `max_page_bytes` while it streams (no "
        "Content-Length) as well. Each failure is also logged as a warning with its URL.",
        {
            "id": "the error's number",
            "run_id": "the run it happened in",
            "url": "the page that failed",
            "kind": "why, as a kind (http_status, timeout, dns, …)",
            "status": "the HTTP status, when there was an answer",
            "message": "what happened, in words",
            "occurred_at": _when("when it happened"),
        },
    ),
    "alert_events": TableDoc(
        "each article archived or revised, recorded in the same transaction as the save and "
        "deleted once matched against the watches: `article_id`, `kind` (`new` or `revised`), "
        "`revision`, `backfill` (saved by a source's first crawl, which alerts nothing).",
        {
            "id": "the event's number",
            "article_id": "the article archived or revised",
            "kind": "new or revised",
            "revision": "the revision number for revised (article_revisions.revision), 0 for new",
            "backfill": "saved while the source had no completed run yet: alerts nothing",
            "created_at": _when("when it was saved"),
        },
    ),
    "watches": TableDoc(
        "each configured watch (sources.toml `[[watches]]`) and when it was first seen: "
        "articles archived before that never alert it.",
        {
            "name": "the watch's name",
            "created_at": _when("when presswatch first saw the watch"),
        },
    ),
    "alerts": TableDoc(
        "one row per story (a duplicate group counts once) or revision a watch matched: `watch`, "
        "`article_id` (the first copy matched), `kind` (`story` or `revision`), `revision`.",
        {
            "id": "the alert's number",
            "watch": "the watch that matched (watches.name)",
            "article_id": "the article that matched first; its duplicate group's copies go in the message",
            "kind": "story or revision",
            "revision": "the revision that alerted (kind revision), else 0",
            "created_at": _when("when it matched"),
        },
    ),
    "alert_deliveries": TableDoc(
        "one row per alert and notification channel: `status` (`pending`, `sent`, `failed`), "
        "`attempts`, `last_error`, `next_attempt_at`, `sent_at`; `channel` is a hash of the "
        "notification URL as written (its secrets are never stored), `idempotency_key` "
        "(watch × story × channel) is unique, so a sent alert is never sent again.",
        {
            "id": "the delivery's number",
            "alert_id": "the alert delivered",
            "channel": "the notification URL's SHA-256 (16 hex digits) as written in the config, ${VARS} unexpanded",
            "idempotency_key": "watch, story and channel: one delivery each",
            "status": "pending, sent or failed (attempts used up; `presswatch alerts retry` tries again)",
            "attempts": "how many times sending was tried",
            "last_error": "what the channel answered the last time it failed",
            "next_attempt_at": _when("when it is due (again): retries back off"),
            "claimed_by": "host:pid of the process sending it now (empty when none)",
            "sent_at": _when("when the channel took it"),
            "created_at": _when("when the alert was recorded"),
        },
    ),
    "alembic_version": TableDoc(
        "the archive's schema revision (Alembic); hidden in `presswatch browse`.",
        {"version_num": "the revision the schema is at"},
        in_readme=False,
    ),
}


def inline_html(markdown: str) -> str:
    """Markdown's `code` spans as <code>, the rest escaped (descriptions hold nothing else)."""
    parts = re.split(r"`([^`]*)`", markdown)
    return "".join(
        f"<code>{html.escape(part)}</code>" if n % 2 else html.escape(part)
        for n, part in enumerate(parts)
    )


def plain(markdown: str) -> str:
    """A description without markdown's code-span backticks."""
    return markdown.replace("`", "")


def sentence(markdown: str) -> str:
    """A description as a sentence of its own: its first letter upper-case."""
    return markdown[:1].upper() + markdown[1:]


def comments() -> dict[str, tuple[str, dict[str, str]]]:
    """Every table's, view's and column's description as plain text (PostgreSQL's COMMENTs)."""
    return {
        table: (plain(sentence(doc.description)), {column: plain(text) for column, text in doc.columns.items()})
        for table, doc in TABLES.items()
    }


COLUMNS_START = (
    "<!-- columns: generated from storage/schema_docs.py by `python -m presswatch.storage.schema_docs`; "
    "a test keeps them equal -->"
)
COLUMNS_END = "<!-- /columns -->"


def columns_markdown() -> str:
    """The README's "Every table and column" block, markers included."""
    lines = [COLUMNS_START, "<details><summary>Every table and column</summary>", "",
             "| table | column | meaning |", "|---|---|---|"]
    for table, doc in TABLES.items():
        for column, meaning in doc.columns.items():
            lines.append(f"| `{table}` | `{column}` | {meaning} |")
    lines += ["", "</details>", COLUMNS_END]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(columns_markdown())
