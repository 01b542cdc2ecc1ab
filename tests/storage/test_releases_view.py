"""The view `releases` (schema 0011): the same rows under plain names on both databases, readable by
the reader role, and kept by later migrations that rebuild or alter `articles`
(``storage.migrations.dependents``)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import op
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import DBAPIError

from presswatch.storage import open_archive, run_readonly_query
from presswatch.storage.dialect import create_archive_engine, parse_url, schema_transaction, write_transaction
from presswatch.storage.migrations.dependents import dependents_set_aside
from presswatch.storage.reader_role import create_reader_role
from tests.e2e.helpers import run_presswatch
from tests.faults.helpers import rows
from tests.storage.conftest import MakeArticle
from tests.storage.helpers import at_revision
from tests.storage.reader_roles import drop_role, reader_role, unique_role_name

T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AZERTAG = "https://news.example.az/en/azertag-release"
#: The first release as `presswatch query --format json` prints the view's row, on both databases.
FIRST_RELEASE = {
    "id": 1,
    "published_at": "2026-03-02T08:30:00+00:00",
    "headline": "Ministry announces support for small businesses",
    "labels": '["UPDATED"]',
    "credited_source": "Azertag",
    "publisher": "Example News",
    "configured_source": "example-en",
    "language": "en",
    "authors": '["A. Aliyev"]',
    "url": AZERTAG,
    "body": "The Ministry of Economy announced on Monday a new programme of support for small "
            "businesses in the regions.\n\nThe programme opens for applications on 1 April.",
    "duplicate_group_id": None,
    "first_seen_at": "2026-03-02T09:00:00+00:00",
    "updated_at": "2026-03-02T09:00:00+00:00",
}


def fill(url: str, make_article: MakeArticle) -> str:
    with open_archive(url) as archive:
        archive.save_article(make_article(url=AZERTAG, source="Azertag", labels=("UPDATED",)), seen_at=T1)
        archive.save_article(make_article(
            url="https://news.example.az/en/second", headline="Second release", source=None,
            body="Another release body, long enough to be a release of its own.", authors=(),
        ), seen_at=T1)
    return url


def test_the_view_answers_the_same_rows_on_both_databases(
    sqlite_url: str, pg_url: str, make_article: MakeArticle
) -> None:
    fill(sqlite_url, make_article)
    fill(pg_url, make_article)
    printed = {}
    with reader_role(pg_url) as reader:
        for database, url in (("sqlite", sqlite_url), ("postgresql", reader)):
            result = run_presswatch("query", "SELECT * FROM releases ORDER BY id", "--db", url, "--format", "json")
            assert (result.returncode, result.stderr) == (0, ""), database
            printed[database] = result.stdout
    assert printed["postgresql"] == printed["sqlite"]
    first, second = json.loads(printed["sqlite"])
    assert first == FIRST_RELEASE
    assert (second["id"], second["credited_source"], second["configured_source"], second["authors"]) == (
        2, None, "example-en", "[]")


def test_a_reader_role_made_before_the_view_reads_it_after_the_upgrade(pg_url: str, make_article: MakeArticle) -> None:
    at_revision(pg_url, "0010")
    name = unique_role_name()
    try:
        made = create_reader_role(parse_url(pg_url), name)
        assert "releases" not in made.tables
        fill(pg_url, make_article)  # upgrades to 0011
        answer = run_readonly_query(made.url.render_as_string(hide_password=False),
                                    "SELECT credited_source, labels FROM releases ORDER BY id")
    finally:
        drop_role(pg_url, name)
    assert answer.rows == [("Azertag", '["UPDATED"]'), (None, "[]")]


# --- later migrations: storage.migrations.dependents ------------------------------------------


def run_migration(url: str, operations: Callable[[], None], *, enforce_foreign_keys: bool = False) -> None:
    """``operations`` as a migration would run them (``op``), in the transaction ``storage.migrate`` uses."""
    engine = create_archive_engine(parse_url(url))
    transaction = write_transaction if enforce_foreign_keys else schema_transaction
    try:
        with transaction(engine) as connection:
            context = MigrationContext.configure(connection, opts={"render_as_batch": True})
            with Operations.context(context):
                operations()
    finally:
        engine.dispose()


def rebuild_articles() -> None:
    """Alembic's batch mode on SQLite: copy ``articles``, drop it, rename the copy."""
    with op.batch_alter_table("articles", recreate="always") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))


def rebuild_articles_with_its_dependents_set_aside() -> None:
    with dependents_set_aside("articles"):
        rebuild_articles()


SNAPSHOT = {
    "releases": "SELECT id, headline, credited_source, configured_source, labels FROM releases ORDER BY id",
    "aliases": "SELECT url, article_id FROM url_aliases ORDER BY url",
    "signatures": "SELECT article_id FROM article_signatures ORDER BY article_id",
    "band keys": "SELECT count(*) FROM article_lsh",
    "triggers": "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
}


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    return {name: rows(url, sql) for name, sql in SNAPSHOT.items()}


@pytest.fixture
def filled_sqlite(sqlite_url: str, make_article: MakeArticle) -> Iterator[str]:
    yield fill(sqlite_url, make_article)


def test_sqlite_cannot_rebuild_articles_while_the_view_names_it(filled_sqlite: str) -> None:
    with pytest.raises(DBAPIError, match="error in view releases: no such table: main.articles"):
        run_migration(filled_sqlite, rebuild_articles)


def test_a_rebuild_of_articles_keeps_the_view_the_search_triggers_and_every_referring_row(
    filled_sqlite: str, make_article: MakeArticle
) -> None:
    before = snapshot(filled_sqlite)
    assert before["triggers"] == [("articles_fts_delete",), ("articles_fts_insert",), ("articles_fts_update",)]

    run_migration(filled_sqlite, rebuild_articles_with_its_dependents_set_aside)

    assert snapshot(filled_sqlite) == before
    assert ("note",) in rows(filled_sqlite, "SELECT name FROM pragma_table_info('articles')")
    with open_archive(filled_sqlite) as archive:  # the triggers keep the full-text index in step
        assert [hit.url for hit in archive.search("programme")] == [AZERTAG]
        archive.save_article(make_article(url=AZERTAG, source="Azertag", labels=("UPDATED",),
                                          body="The ministry now backs exporters instead."), seen_at=T1)
        assert archive.search("programme") == []
        assert [hit.url for hit in archive.search("exporters")] == [AZERTAG]


def test_the_helper_refuses_a_rebuild_that_would_delete_the_referring_rows(filled_sqlite: str) -> None:
    before = snapshot(filled_sqlite)
    with pytest.raises(RuntimeError, match="rebuilding articles with foreign keys enforced deletes every row"):
        run_migration(filled_sqlite, rebuild_articles_with_its_dependents_set_aside, enforce_foreign_keys=True)
    assert snapshot(filled_sqlite) == before


def test_without_the_helper_a_rebuild_with_foreign_keys_on_deletes_the_referring_rows(
    filled_sqlite: str,
) -> None:
    """Why upgrades run with foreign keys off (``schema_transaction``): SQLite's DROP TABLE deletes
    first, and ON DELETE CASCADE takes the aliases, signatures, ... with it."""
    def rebuild_without_the_view() -> None:
        op.execute("DROP VIEW releases")
        rebuild_articles()

    run_migration(filled_sqlite, rebuild_without_the_view, enforce_foreign_keys=True)
    assert rows(filled_sqlite, "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM url_aliases)") == [(2, 0)]


def test_postgresql_alters_a_column_the_view_reads_only_with_the_helper(
    pg_url: str, make_article: MakeArticle
) -> None:
    fill(pg_url, make_article)

    def shorten_publisher() -> None:  # a column the view reads (and no trigger: headline's is fixed too)
        op.alter_column("articles", "publisher", type_=sa.String(500), existing_nullable=True)

    with pytest.raises(DBAPIError, match="cannot alter type of a column used by a view or rule"):
        run_migration(pg_url, shorten_publisher)
    with reader_role(pg_url) as reader:
        def shorten_publisher_with_the_view_set_aside() -> None:
            with dependents_set_aside("articles"):
                shorten_publisher()

        run_migration(pg_url, shorten_publisher_with_the_view_set_aside)
        answer = run_readonly_query(reader, "SELECT id, publisher, credited_source FROM releases ORDER BY id")
    assert answer.rows == [(1, "Example News", "Azertag"), (2, "Example News", None)]
