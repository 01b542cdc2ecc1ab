"""Schema 0008: SQLite's FTS5 table is declared with content="articles", which Datasette recognises.

The index is made again in place: what was archived stays searchable, and the triggers of
0003 keep it in step with later writes.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, text

from presswatch.storage import ArticleIn, open_archive, upgrade_archive
from presswatch.storage.migrate import alembic_config
from presswatch.storage.readonly import run_readonly_query

MakeArticle = Callable[..., ArticleIn]
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: Datasette's own test for "this table has a full-text index" (datasette.utils.detect_fts_sql).
DATASETTE_DETECTS_FTS = """
    SELECT name FROM sqlite_master WHERE rootpage = 0
    AND (sql LIKE '%VIRTUAL TABLE%USING FTS%content="articles"%'
         OR sql LIKE '%VIRTUAL TABLE%USING FTS%content=[articles]%')
"""


def _rows(url: str, sql: str) -> list[tuple]:
    return [tuple(row) for row in run_readonly_query(url, sql).rows]


def _save(url: str, make_article: MakeArticle, slug: str, headline: str) -> int:
    article = make_article(url=f"https://news.example.az/en/{slug}", headline=headline,
                           body=f"{headline}. The ministry said so on Monday.")
    with open_archive(url) as archive:
        return archive.save_article(article, seen_at=T1).article_id


def _search(url: str, terms: str) -> list[int]:
    with open_archive(url) as archive:
        return [hit.article_id for hit in archive.search(terms)]


def _downgrade_to_0007(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0007")
    finally:
        engine.dispose()


def test_datasette_detects_the_full_text_index_of_a_new_archive(sqlite_url: str) -> None:
    upgrade_archive(sqlite_url)
    assert _rows(sqlite_url, DATASETTE_DETECTS_FTS) == [("articles_fts",)]


def test_upgrading_from_0007_keeps_the_index_and_its_triggers(
    sqlite_url: str, make_article: MakeArticle
) -> None:
    hydrogen = _save(sqlite_url, make_article, "hydrogen", "Hydrogen plant opens")
    _downgrade_to_0007(sqlite_url)
    assert _rows(sqlite_url, DATASETTE_DETECTS_FTS) == []  # content='articles': not recognised
    (declaration,) = _rows(sqlite_url, "SELECT sql FROM sqlite_master WHERE name = 'articles_fts'")[0]
    assert "content='articles'" in declaration

    upgrade_archive(sqlite_url)

    assert _rows(sqlite_url, DATASETTE_DETECTS_FTS) == [("articles_fts",)]
    assert _search(sqlite_url, "hydrogen") == [hydrogen]
    wind = _save(sqlite_url, make_article, "wind", "Wind farm approved")  # the insert trigger
    assert _search(sqlite_url, "wind") == [wind]
    _save(sqlite_url, make_article, "hydrogen", "Hydrogen plant delayed")  # the update trigger
    assert _search(sqlite_url, "delayed") == [hydrogen]
    assert _search(sqlite_url, "opens") == []
    with open_archive(sqlite_url) as archive, archive.engine.begin() as connection:
        connection.execute(text("DELETE FROM articles WHERE id = :id"), {"id": wind})  # the delete trigger
    assert _search(sqlite_url, "wind") == []
    assert _rows(sqlite_url, "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'hydrogen'") == [(1,)]


def test_the_bm25_weights_survive_the_upgrade(sqlite_url: str, make_article: MakeArticle) -> None:
    upgrade_archive(sqlite_url)
    assert _rows(sqlite_url, "SELECT v FROM articles_fts_config WHERE k = 'rank'") == [("bm25(5.0, 1.0)",)]
