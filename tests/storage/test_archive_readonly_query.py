"""`presswatch query`: answers SELECTs, refuses anything that writes, on both databases.

On PostgreSQL the queries run as a reader role made by `create_reader_role` (what
`presswatch db reader` makes): a superuser connection is refused outright.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from presswatch.storage import readonly
from presswatch.storage import (
    ArchiveError,
    ArticleIn,
    QueryResult,
    ReadOnlyQueryError,
    open_archive,
    run_readonly_query,
)
from presswatch.storage.errors import QueryError
from tests.storage.reader_roles import reader_role

MakeArticle = Callable[..., ArticleIn]
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _fill(url: str, make_article: MakeArticle) -> str:
    """Put two articles and one run in the archive at ``url``."""
    with open_archive(url) as archive:
        archive.save_article(make_article(), seen_at=T1)
        archive.save_article(
            make_article(url="https://news.example.az/en/second", headline="Second release",
                         body="Another release body, long enough to be a release."),
            seen_at=T1,
        )
        archive.start_run("example-en")
    return url


@pytest.fixture
def filled_url(archive_url: str, make_article: MakeArticle) -> Iterator[str]:
    """A filled archive; on PostgreSQL, the URL of its reader role."""
    _fill(archive_url, make_article)
    if archive_url.startswith("sqlite"):
        yield archive_url
        return
    with reader_role(archive_url) as url:
        yield url


@pytest.fixture
def filled_sqlite_url(sqlite_url: str, make_article: MakeArticle) -> str:
    return _fill(sqlite_url, make_article)


@pytest.fixture
def filled_pg_admin_url(pg_url: str, make_article: MakeArticle) -> str:
    """A filled PostgreSQL archive, as the superuser that made it."""
    return _fill(pg_url, make_article)


@pytest.fixture
def filled_pg_url(filled_pg_admin_url: str) -> Iterator[str]:
    """A filled PostgreSQL archive, as its reader role."""
    with reader_role(filled_pg_admin_url) as url:
        yield url


def _snapshot(url: str) -> dict[str, Any]:
    """Everything a write could change: tables, columns, row counts, article rows."""
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        tables = sorted(inspector.get_table_names())
        with engine.connect() as connection:
            return {
                "tables": tables,
                "columns": {t: [c["name"] for c in inspector.get_columns(t)] for t in tables},
                "counts": {
                    t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                    for t in tables
                },
                "articles": connection.execute(
                    text("SELECT id, url, headline, body FROM articles ORDER BY id")
                ).all(),
            }
    finally:
        engine.dispose()


def test_select_answers_with_exact_rows(filled_url: str) -> None:
    result = run_readonly_query(
        filled_url, "SELECT id, url, headline, labels FROM articles ORDER BY id"
    )
    assert result == QueryResult(
        columns=["id", "url", "headline", "labels"],
        rows=[
            (1, "https://news.example.az/en/economy/support-programme",
             "Ministry announces support for small businesses", "[]"),
            (2, "https://news.example.az/en/second", "Second release", "[]"),
        ],
    )


def test_select_takes_named_parameters(filled_url: str) -> None:
    result = run_readonly_query(
        filled_url,
        "SELECT headline FROM articles WHERE url = :url AND id > CAST(:min_id AS integer)",
        {"url": "https://news.example.az/en/second", "min_id": 0},
    )
    assert result == QueryResult(columns=["headline"], rows=[("Second release",)])


def test_select_with_percent_signs_and_a_trailing_semicolon(filled_url: str) -> None:
    result = run_readonly_query(
        filled_url,
        "-- releases about support\nSELECT count(*) AS n FROM articles WHERE url LIKE '%support%';",
    )
    assert result == QueryResult(columns=["n"], rows=[(1,)])


WRITES = {
    "insert": "INSERT INTO url_aliases (url, article_id) VALUES ('https://x.example/', 1)",
    "update": "UPDATE articles SET headline = 'hacked'",
    "delete": "DELETE FROM articles",
    "drop": "DROP TABLE articles",
    "create": "CREATE TABLE notes (id integer)",
    "create-temp": "CREATE TEMP TABLE notes (id integer)",
    "alter": "ALTER TABLE articles ADD COLUMN notes text",
    "truncate": "TRUNCATE articles",
    "attach": "ATTACH DATABASE '/tmp/presswatch-attached.db' AS other",
    "detach": "DETACH DATABASE other",
    "pragma-write": "PRAGMA user_version = 7",
    "pragma-journal": "PRAGMA journal_mode = DELETE",
    "lower-case-with-comment": "/* tidy */ delete from articles where id = 1",
    "select-then-delete": "SELECT 1; DELETE FROM articles",
    "select-then-commit-then-delete": "SELECT 1; COMMIT; DELETE FROM articles",
    "cte-delete": "WITH gone AS (SELECT 1) DELETE FROM articles",
    "vacuum-into": "VACUUM INTO '/tmp/presswatch-copy.db'",
}


@pytest.mark.parametrize("statement", list(WRITES.values()), ids=list(WRITES))
def test_writing_statements_are_refused_and_change_nothing(filled_url: str, statement: str) -> None:
    before = _snapshot(filled_url)
    with pytest.raises(ReadOnlyQueryError) as raised:
        run_readonly_query(filled_url, statement)
    message = str(raised.value)
    assert message.startswith("presswatch query is read-only: ") and message.endswith(" refused")
    assert _snapshot(filled_url) == before


STANDARD_WRITES = {
    name: WRITES[name]
    for name in ("insert", "update", "delete", "drop", "create", "create-temp", "alter")
}
SQLITE_WRITES = {
    "attach": WRITES["attach"],
    "pragma-write": WRITES["pragma-write"],
    "pragma-journal": WRITES["pragma-journal"],
    "vacuum-into": WRITES["vacuum-into"],
    "replace": "REPLACE INTO url_aliases (url, article_id) VALUES ('https://x.example/', 1)",
}
POSTGRESQL_WRITES = {
    "cte-delete-returning": (
        "WITH gone AS (DELETE FROM articles RETURNING id) SELECT count(*) FROM gone"
    ),
    "sequence": "SELECT nextval('crawl_runs_id_seq')",
    "select-for-update": "SELECT id FROM articles FOR UPDATE",
    "explain-analyze-delete": "EXPLAIN ANALYZE DELETE FROM articles",
    "truncate": WRITES["truncate"],
}


def _assert_database_refuses(url: str, statement: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the keyword check switched off, the database's own guard must refuse."""
    monkeypatch.setattr(readonly, "refuse_writing_statement", lambda sql: None)
    before = _snapshot(url)
    with pytest.raises(ReadOnlyQueryError, match=r"^presswatch query is read-only: .* refused$"):
        run_readonly_query(url, statement)
    assert _snapshot(url) == before


@pytest.mark.parametrize("statement", list(STANDARD_WRITES.values()), ids=list(STANDARD_WRITES))
def test_the_database_itself_refuses_writes_that_pass_the_keyword_check(
    filled_url: str, statement: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _assert_database_refuses(filled_url, statement, monkeypatch)


@pytest.mark.parametrize("statement", list(SQLITE_WRITES.values()), ids=list(SQLITE_WRITES))
def test_sqlite_itself_refuses_attach_pragma_writes_and_vacuum(
    filled_sqlite_url: str, statement: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _assert_database_refuses(filled_sqlite_url, statement, monkeypatch)
    assert not Path("/tmp/presswatch-copy.db").exists()
    assert not Path("/tmp/presswatch-attached.db").exists()


@pytest.mark.parametrize(
    "statement", list(POSTGRESQL_WRITES.values()), ids=list(POSTGRESQL_WRITES)
)
def test_postgresql_itself_refuses_writes_hidden_in_reads(
    filled_pg_url: str, statement: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _assert_database_refuses(filled_pg_url, statement, monkeypatch)


@pytest.mark.parametrize(
    ("statement", "first_row"),
    [
        ("PRAGMA table_info(articles)", (0, "id", "INTEGER", 1, None, 1)),
        ("SELECT name FROM pragma_table_info('articles') WHERE name = 'url'", ("url",)),
        ("PRAGMA user_version", (0,)),
        ("SELECT name FROM sqlite_master WHERE name = 'articles'", ("articles",)),
    ],
)
def test_sqlite_schema_can_be_read(
    filled_sqlite_url: str, statement: str, first_row: tuple[object, ...]
) -> None:
    assert run_readonly_query(filled_sqlite_url, statement).rows[0] == first_row


def test_postgresql_schema_can_be_read(filled_pg_url: str) -> None:
    result = run_readonly_query(
        filled_pg_url,
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'articles' AND column_name = 'url'",
    )
    assert result == QueryResult(columns=["column_name"], rows=[("url",)])


def test_a_bad_query_is_a_query_error_naming_the_problem(filled_url: str) -> None:
    with pytest.raises(QueryError, match=r"^query failed: .*no_such_table") as raised:
        run_readonly_query(filled_url, "SELECT * FROM no_such_table")
    assert isinstance(raised.value, ArchiveError)  # what callers caught before QueryError
    assert not isinstance(raised.value, ReadOnlyQueryError)


def test_missing_sqlite_archive_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(ArchiveError, match=f"no archive at {path}; run presswatch crawl first"):
        run_readonly_query(f"sqlite:///{path}", "SELECT 1")
    assert list(tmp_path.iterdir()) == []


def test_unreachable_postgresql_query_hides_the_password() -> None:
    with pytest.raises(ArchiveError) as raised:
        run_readonly_query("postgresql+psycopg://reader:s3cret-pw@127.0.0.1:1/archive", "SELECT 1")
    assert "reader:***@127.0.0.1:1/archive" in str(raised.value)
    assert "s3cret-pw" not in str(raised.value)


def test_sqlite_readers_see_committed_rows_while_a_writer_holds_the_lock(
    sqlite_url: str, make_article: MakeArticle
) -> None:
    with open_archive(sqlite_url) as archive:
        archive.save_article(make_article(), seen_at=T1)
        engine = archive.engine
        with engine.connect() as writer:
            writer.execution_options(presswatch_write=True)
            with writer.begin():
                writer.execute(text("UPDATE articles SET headline = 'uncommitted'"))
                result = run_readonly_query(sqlite_url, "SELECT headline FROM articles")
    assert result.rows == [("Ministry announces support for small businesses",)]


PG_PRIVILEGED = {
    "read a server file": "SELECT pg_read_file('/etc/hostname')",
    "list a server directory": "SELECT pg_ls_dir('/tmp')",
    "write a server file": "SELECT lo_export(lo_from_bytea(0, 'x'), '/tmp/presswatch-must-not-exist')",
    "kill other sessions": "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()",
    "change a server setting": "SELECT set_config('log_statement', 'all', false)",
}


@pytest.mark.parametrize("statement", list(PG_PRIVILEGED.values()), ids=list(PG_PRIVILEGED))
def test_the_reader_role_queries_without_superuser_powers(filled_pg_url: str, statement: str) -> None:
    with pytest.raises(ReadOnlyQueryError, match="a privileged operation"):
        run_readonly_query(filled_pg_url, statement)
    assert not Path("/tmp/presswatch-must-not-exist").exists()
    assert run_readonly_query(filled_pg_url, "SELECT count(*) AS n FROM articles").rows == [(2,)]


@pytest.mark.parametrize("statement", list(PG_PRIVILEGED.values()), ids=list(PG_PRIVILEGED))
def test_a_superuser_connection_is_refused_before_the_statement_runs(
    filled_pg_admin_url: str, statement: str
) -> None:
    admin = make_url(filled_pg_admin_url)
    reader = admin.set(username="presswatch_reader", password=None)
    with pytest.raises(ReadOnlyQueryError) as raised:
        run_readonly_query(filled_pg_admin_url, statement)
    assert str(raised.value) == (
        f"presswatch query is read-only and will not run as {admin.username} (a superuser), "
        "whose powers a statement could take: create a read-only role with "
        "`presswatch db reader --db URL` and query with "
        f"--db {reader.render_as_string(hide_password=True)}"
    )
    assert not Path("/tmp/presswatch-must-not-exist").exists()
