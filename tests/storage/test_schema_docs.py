"""One text for every table and column: the README's archive section is storage.schema_docs."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from presswatch.storage import upgrade_archive
from presswatch.storage.schema_docs import TABLES, columns_markdown

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
ARCHIVE_SECTION = README.split("## The archive\n", 1)[1].split("\n## ", 1)[0]
#: FTS5 keeps its index in these shadow tables; nobody reads them.
FTS5_SHADOW_TABLES = {f"articles_fts_{part}" for part in ("config", "data", "docsize", "idx")}


def readme_bullets() -> dict[str, str]:
    """`table` (or `a`, `b`) — text: the archive section's table bullets, whitespace collapsed."""
    bullets: dict[str, str] = {}
    for match in re.finditer(r"^- ((?:`\w+`(?:, )?)+) — (.*?)(?=\n- |\n\n|\Z)", ARCHIVE_SECTION, re.M | re.S):
        text = " ".join(match.group(2).split())
        for name in re.findall(r"`(\w+)`", match.group(1)):
            bullets[name] = text
    return bullets


def test_every_table_description_is_the_readme_bullet_for_it() -> None:
    documented = {name: " ".join(doc.description.split()) for name, doc in TABLES.items() if doc.in_readme}
    assert readme_bullets() == documented


def test_the_readme_column_block_is_generated_from_schema_docs() -> None:
    start = ARCHIVE_SECTION.index("<!-- columns:")
    end = ARCHIVE_SECTION.index("<!-- /columns -->") + len("<!-- /columns -->")
    assert ARCHIVE_SECTION[start:end] == columns_markdown(), "run: python -m storage.schema_docs"


def test_every_column_of_the_archive_is_described(archive_url: str) -> None:
    upgrade_archive(archive_url)
    engine = create_engine(archive_url)
    try:
        schema = inspect(engine)
        relations = set(schema.get_table_names()) - FTS5_SHADOW_TABLES | set(schema.get_view_names())
        actual = {table: [c["name"] for c in schema.get_columns(table)] for table in relations}
        if "articles_fts" not in actual:  # SQLite's FTS5 table: a virtual table the inspector skips
            actual["articles_fts"] = ["headline", "body"]
    finally:
        engine.dispose()
    assert set(actual) == set(TABLES)
    for table, columns in actual.items():
        undescribed = [column for column in columns if column not in TABLES[table].columns]
        assert undescribed == [], f"{table}: describe {undescribed} in storage/schema_docs.py"
        if table != "articles_fts":  # it lists both databases' columns
            assert list(TABLES[table].columns) == columns, f"{table}: describe the columns in table order"


def test_postgresql_carries_the_descriptions_as_comments(pg_url: str) -> None:
    upgrade_archive(pg_url)
    engine = create_engine(pg_url)
    try:
        with engine.connect() as connection:
            table = connection.scalar(text("SELECT obj_description('articles'::regclass, 'pg_class')"))
            view = connection.scalar(text("SELECT obj_description('releases'::regclass, 'pg_class')"))
            view_column = connection.scalar(text(
                "SELECT col_description('releases'::regclass, 5)"))  # credited_source
            columns: dict[str, str] = dict(connection.execute(text(  # type: ignore[arg-type]
                "SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute AS a "
                "WHERE a.attrelid = 'crawl_runs'::regclass AND a.attnum > 0 AND NOT a.attisdropped"
            )).all())
            undescribed = connection.execute(text(
                "SELECT c.relname, a.attname FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid "
                "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v') "
                "AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL"
            )).all()
    finally:
        engine.dispose()
    assert table == (
        "One row per canonical URL: id, url, headline, labels (JSON list, e.g. [\"PHOTO\",\"UPDATED\"]; "
        "jsonb on PostgreSQL), published_at, modified_at, source (the agency or office the text credits; "
        "the publisher when it credits none), publisher, body, language, authors (JSON list), content_hash, body_hash, "
        "first_seen_at, updated_at, last_seen_at, duplicate_group_id, source_name (the config source), "
        "and the date's provenance: date_raw, date_precision, date_method, plus source_evidence."
    )
    assert view == (
        "A view: each article under plain names, the place to start reading the archive with SQL. "
        "credited_source is who the text credits, e.g. Azertag for \"…, Azertag reports\" (articles.source); "
        "configured_source is the sources.toml entry that crawled it (articles.source_name, crawl_runs.source). "
        "Columns: id, published_at, headline, labels, credited_source, publisher, configured_source, language, "
        "authors, url, body, duplicate_group_id, first_seen_at, updated_at."
    )
    assert view_column == (
        "articles.source: the credited agency or office (the attribution); the publisher when the text credits none"
    )
    assert columns["source"] == "the configured source crawled (sources.toml name; articles.source_name)"
    assert columns["started_at"] == "when the run started (UTC, YYYY-MM-DD HH:MM:SS.ffffff on SQLite)"
    assert undescribed == []


def test_a_comment_may_hold_quotes_and_percent_signs(pg_url: str) -> None:
    from presswatch.storage.dialect import comment_on_schema

    upgrade_archive(pg_url)
    engine = create_engine(pg_url)
    try:
        with engine.begin() as connection:
            comment_on_schema(connection, {"url_aliases": ("it's 100% \"quoted\" :name", {"url": "%s; DROP"})})
            table = connection.scalar(text("SELECT obj_description('url_aliases'::regclass, 'pg_class')"))
            column = connection.scalar(text("SELECT col_description('url_aliases'::regclass, 1)"))
    finally:
        engine.dispose()
    assert (table, column) == ("it's 100% \"quoted\" :name", "%s; DROP")
