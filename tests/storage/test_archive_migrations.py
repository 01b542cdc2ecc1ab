"""Opening an archive: migrations from code, idempotence, and errors that say what to do."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select, text

from presswatch.storage import ArchiveError, neardup, open_archive, upgrade_archive
from presswatch.storage.migrate import alembic_config, head_revision
from presswatch.storage.models import ArticleRow, ArticleLsh, ArticleSignature, Base

ARCHIVE_TABLES = {
    "alembic_version",
    "alert_events",
    "alert_deliveries",
    "alerts",
    "watches",
    "articles",
    "article_lsh",
    "article_revisions",
    "article_signatures",
    "articles_fts",
    "crawl_runs",
    "crawl_errors",
    "duplicate_groups",
    "page_validators",
    "raw_pages",
    "url_aliases",
}
#: FTS5 keeps its index in shadow tables next to the virtual table.
FTS5_SHADOW_TABLES = {f"articles_fts_{part}" for part in ("config", "data", "docsize", "idx")}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ARTICLE_COLUMNS = [
    "id", "url", "source_name", "headline", "labels", "published_at", "modified_at",
    "source", "publisher", "body", "language", "authors", "content_hash", "body_hash",
    "date_raw", "date_precision", "date_method", "source_evidence", "first_seen_at",
    "updated_at", "last_seen_at", "duplicate_group_id",
]


def _table_names(url: str) -> set[str]:
    """The archive's tables, FTS5 shadow tables left out."""
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - FTS5_SHADOW_TABLES
    finally:
        engine.dispose()


def test_sqlite_full_text_index_is_fts5_with_its_shadow_tables(sqlite_url: str) -> None:
    open_archive(sqlite_url).close()
    engine = create_engine(sqlite_url)
    try:
        names = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            sql = connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE name = 'articles_fts'")
            )
            triggers = set(connection.scalars(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ))
    finally:
        engine.dispose()
    assert FTS5_SHADOW_TABLES <= names
    # content="articles" (double quotes, schema 0008): how Datasette recognises the index
    assert "USING fts5" in sql and 'content="articles"' in sql
    assert triggers == {"articles_fts_insert", "articles_fts_update", "articles_fts_delete"}


def test_migrations_create_exactly_the_archive_tables(archive_url: str) -> None:
    open_archive(archive_url).close()
    assert _table_names(archive_url) == ARCHIVE_TABLES


def test_articles_table_has_the_contract_columns_in_order(archive_url: str) -> None:
    open_archive(archive_url).close()
    engine = create_engine(archive_url)
    try:
        columns = [column["name"] for column in inspect(engine).get_columns("articles")]
        indexes = {index["name"] for index in inspect(engine).get_indexes("articles")}
        uniques = inspect(engine).get_unique_constraints("articles")
    finally:
        engine.dispose()
    assert columns == ARTICLE_COLUMNS
    assert {
        "ix_articles_published_at", "ix_articles_source_name", "ix_articles_source",
        "ix_articles_body_hash", "ix_articles_duplicate_group_id",
    } <= indexes
    assert [(u["name"], u["column_names"]) for u in uniques] == [("uq_articles_url", ["url"])]


def test_models_match_the_migrations(archive_url: str) -> None:
    open_archive(archive_url).close()
    engine = create_engine(archive_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "include_name": _not_full_text_index,
            })
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def _not_full_text_index(name: str | None, kind: str, _parent: object) -> bool:
    # articles_fts is dialect-specific DDL (storage.fulltext), deliberately not a model.
    return not (kind == "table" and (name or "").startswith("articles_fts"))


def test_opening_an_archive_twice_is_idempotent(archive_url: str) -> None:
    with open_archive(archive_url) as archive:
        run_id = archive.start_run("example-en")
    with open_archive(archive_url) as archive:
        assert archive.start_run("example-en") == run_id + 1
    upgrade_archive(archive_url)
    engine = create_engine(archive_url)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            runs = connection.execute(text("SELECT count(*) FROM crawl_runs")).scalar_one()
    finally:
        engine.dispose()
    assert versions == [(head_revision(),)]
    assert runs == 2


def test_upgrade_archive_creates_the_schema(archive_url: str) -> None:
    upgrade_archive(archive_url)
    assert _table_names(archive_url) == ARCHIVE_TABLES


def test_archive_with_a_newer_schema_is_refused(archive_url: str) -> None:
    open_archive(archive_url).close()
    engine = create_engine(archive_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    with pytest.raises(ArchiveError) as raised:
        open_archive(archive_url)
    message = str(raised.value)
    assert "'9999_future', newer than this presswatch knows" in message
    assert "upgrade presswatch" in message


def test_unreachable_postgresql_is_an_archive_error_without_the_password() -> None:
    url = "postgresql+psycopg://reader:s3cret-pw@127.0.0.1:1/archive"
    with pytest.raises(ArchiveError) as raised:
        open_archive(url)
    message = str(raised.value)
    assert "s3cret-pw" not in message
    shown = "postgresql+psycopg://reader:***@127.0.0.1:1/archive"
    assert f"cannot connect to the archive at {shown}: " in message
    assert "check that PostgreSQL is running" in message
    driver_error = raised.value.__cause__
    assert driver_error is not None and "s3cret-pw" not in repr(driver_error.__cause__)


@pytest.mark.parametrize(
    "url", ["not a url", "mysql+pymysql://user@localhost/db", "sqlite+aiosqlite:///x.db"]
)
def test_bad_url_is_an_archive_error_naming_the_expected_forms(url: str) -> None:
    with pytest.raises(ArchiveError, match=r"expected sqlite:///path/to/archive\.db or postgresql"):
        open_archive(url)


def test_plain_postgresql_url_uses_psycopg(pg_url: str) -> None:
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with open_archive(plain) as archive:
        assert archive.engine.url.drivername == "postgresql+psycopg"


def test_a_sqlite_archive_in_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "archive.db"
    with pytest.raises(ArchiveError) as refused:
        open_archive(f"sqlite:///{path}")
    assert str(refused.value) == (
        f"cannot create the archive at {path}: its folder {path.parent} does not exist; "
        f"create it (mkdir -p {path.parent}) or give another --db"
    )
    assert list(tmp_path.iterdir()) == []


def test_sqlite_archive_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with open_archive(f"sqlite:///{path}") as archive, archive.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    assert path.is_file()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}


def test_a_file_that_is_not_a_database_is_an_archive_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("this is not SQLite\n" * 200)
    with pytest.raises(ArchiveError, match=f"cannot open the SQLite archive at {path}"):
        open_archive(f"sqlite:///{path}")
    assert path.read_text().startswith("this is not SQLite")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT 1 FROM sqlite_master").fetchall()


def test_storage_imports_nothing_of_the_project_or_scrapy() -> None:
    code = (
        "import sys, storage, storage.migrate, storage.readonly\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'crawler', 'scheduler', 'scrapy', 'twisted'})\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "[]"


def test_concurrent_first_opens_create_the_schema_once(archive_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_it() -> None:
        try:
            barrier.wait()
            open_archive(archive_url).close()
        except BaseException as exc:  # collected and asserted in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _table_names(archive_url) == ARCHIVE_TABLES


def test_upgrading_an_archive_signs_and_indexes_the_articles_it_already_holds(archive_url: str) -> None:
    engine = create_engine(archive_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0001")
            connection.execute(insert(ArticleRow).values(
                url="https://news.example.az/en/old", source_name="example-en", labels=(),
                authors=(), content_hash="0" * 64, body=" ".join(["word"] * 60 + ["end"]),
                first_seen_at=T0, updated_at=T0, last_seen_at=T0,
            ))
    finally:
        engine.dispose()
    with open_archive(archive_url) as archive, archive.engine.connect() as connection:
        signatures = connection.execute(select(ArticleSignature.minhashes)).scalars().all()
        keys = connection.execute(select(ArticleLsh.bucket).order_by(ArticleLsh.bucket)).all()
        found = connection.execute(text(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'word'"
            if connection.dialect.name == "sqlite" else
            "SELECT count(*) FROM articles_fts WHERE document @@ to_tsquery('simple', 'word')"
        )).scalar_one()
    expected = neardup.signature(" ".join(["word"] * 60 + ["end"]))
    assert expected is not None
    assert [neardup.decode(s) for s in signatures] == [expected]
    assert [key for (key,) in keys] == sorted(set(neardup.band_keys(expected)))
    assert found == 1  # and the full-text index holds what was archived before it existed


def test_opening_a_current_archive_does_not_wait_for_a_writer(sqlite_url: str) -> None:
    with open_archive(sqlite_url) as writer_archive, writer_archive.engine.connect() as writer:
        writer.execution_options(presswatch_write=True)
        with writer.begin():
            writer.execute(text("UPDATE crawl_runs SET status = 'ok'"))  # holds the write lock
            open_archive(sqlite_url).close()  # needing the write lock would end in 'database is locked'
