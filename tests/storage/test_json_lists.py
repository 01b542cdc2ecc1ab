"""`articles.labels` and `authors`: `jsonb` on PostgreSQL, JSON text on SQLite, read alike (#16).

The same three releases go into a SQLite and a PostgreSQL archive; `presswatch query`, the
README's SQL examples, watches' label filters and schema upgrades and downgrades must give
the same answers on both.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, select

from presswatch.crawler.config import parse_config
from presswatch.scheduler.alerts import rules
from presswatch.storage import Archive, open_archive, run_readonly_query, upgrade_archive
from presswatch.storage.columns import UtcDateTime
from presswatch.storage.models import Alert, ArticleRow
from tests.e2e.helpers import run_presswatch
from tests.faults.helpers import rows
from tests.storage.conftest import MakeArticle
from tests.storage.helpers import at_revision
from tests.storage.reader_roles import reader_role
from tests.storage.test_alerts_outbox import crawled_before

T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
#: labels and authors of the three releases, in id order.
LISTS = [
    (("PHOTO", "UPDATED"), ("Əli Həsənov", "Jane O'Neill")),
    ((), ()),
    (("UPDATED",), ('Anna "Ann" Lee',)),
]
#: How both databases print them: the JSON text SQLite stores.
LABELS_TEXT = ['["PHOTO", "UPDATED"]', "[]", '["UPDATED"]']
AUTHORS_TEXT = ['["Əli Həsənov", "Jane O\'Neill"]', "[]", '["Anna \\"Ann\\" Lee"]']


def fill(url: str, make_article: MakeArticle) -> str:
    with open_archive(url) as archive:
        for n, (labels, authors) in enumerate(LISTS, start=1):
            archive.save_article(make_article(
                url=f"https://news.example.az/en/release-{n}", headline=f"Release {n}",
                body=f"Release number {n} says something of its own. " * 8, labels=labels, authors=authors,
            ), seen_at=T1)
    return url


@pytest.fixture
def filled_pair(sqlite_url: str, pg_url: str, make_article: MakeArticle) -> Iterator[dict[str, str]]:
    """Both archives filled alike: the SQLite URL and the PostgreSQL reader role's URL."""
    fill(sqlite_url, make_article)
    fill(pg_url, make_article)
    with reader_role(pg_url) as reader:
        yield {"sqlite": sqlite_url, "postgresql": reader}


def column_types(url: str) -> dict[str, str]:
    sql = ("SELECT name, type FROM pragma_table_info('articles')" if url.startswith("sqlite") else
           "SELECT column_name, data_type FROM information_schema.columns "
           "WHERE table_schema = current_schema() AND table_name = 'articles'")
    return {name: kind for name, kind in rows(url, sql) if name in ("labels", "authors")}


def test_the_lists_are_jsonb_on_postgresql_and_json_text_on_sqlite(sqlite_url: str, pg_url: str) -> None:
    upgrade_archive(sqlite_url)
    upgrade_archive(pg_url)
    assert column_types(sqlite_url) == {"labels": "TEXT", "authors": "TEXT"}
    assert column_types(pg_url) == {"labels": "jsonb", "authors": "jsonb"}


def test_the_archive_reads_back_the_lists_it_saved(archive_url: str, make_article: MakeArticle) -> None:
    fill(archive_url, make_article)
    with open_archive(archive_url) as archive, archive.engine.connect() as connection:
        stored = connection.execute(select(ArticleRow.labels, ArticleRow.authors).order_by(ArticleRow.id)).all()
    assert [tuple(row) for row in stored] == LISTS


CSV = (
    'id,labels,authors\n'
    '1,"[""PHOTO"", ""UPDATED""]","[""Əli Həsənov"", ""Jane O\'Neill""]"\n'
    '2,[],[]\n'
    '3,"[""UPDATED""]","[""Anna \\""Ann\\"" Lee""]"\n'
)
ROWS = [{"id": n, "labels": labels, "authors": authors}
        for n, (labels, authors) in enumerate(zip(LABELS_TEXT, AUTHORS_TEXT, strict=True), start=1)]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "table"])
def test_query_prints_the_lists_as_the_same_json_text_on_both_databases(
    filled_pair: dict[str, str], fmt: str
) -> None:
    printed = {}
    for database, url in filled_pair.items():
        result = run_presswatch("query", "SELECT id, labels, authors FROM articles ORDER BY id",
                                "--db", url, "--format", fmt)
        assert (result.returncode, result.stderr) == (0, ""), database
        printed[database] = result.stdout
    assert printed["postgresql"] == printed["sqlite"]
    shown = printed["sqlite"]
    if fmt == "csv":
        assert shown == CSV
    elif fmt == "json":
        assert json.loads(shown) == ROWS
    elif fmt == "jsonl":
        assert [json.loads(line) for line in shown.splitlines()] == ROWS
    else:
        assert shown.splitlines()[2].startswith('1   ["PHOTO", "UPDATED"]  ["Əli Həsənov", "Jane O\'Neill"]')


def readme_sql_examples() -> dict[str, tuple[str, str]]:
    """The README's "Where the SQL differs" table: what -> (SQLite, PostgreSQL)."""
    block = README.split("<!-- json-sql -->\n", 1)[1].split("<!-- /json-sql -->", 1)[0]
    examples = {}
    for line in block.splitlines()[2:]:
        what, sqlite_sql, postgresql_sql = re.findall(r"\| ([^|]+?) (?=\|)", line + " ")
        examples[what] = (sqlite_sql.strip("`"), postgresql_sql.strip("`"))
    return examples


README_ANSWERS = {
    "articles labelled UPDATED": [(1,), (3,)],
    "one row per author": [(1, "Əli Həsənov"), (1, "Jane O'Neill"), (3, 'Anna "Ann" Lee')],
    "articles per label": [("PHOTO", 1), ("UPDATED", 2)],
    "how many authors": [(1, 2), (2, 0), (3, 1)],
}


def test_the_readme_sql_examples_answer_alike_on_both_databases(filled_pair: dict[str, str]) -> None:
    examples = readme_sql_examples()
    assert set(examples) == set(README_ANSWERS)
    for what, (sqlite_sql, postgresql_sql) in examples.items():
        on_sqlite = run_readonly_query(filled_pair["sqlite"], sqlite_sql)
        on_postgresql = run_readonly_query(filled_pair["postgresql"], postgresql_sql)
        assert on_sqlite.rows == on_postgresql.rows == README_ANSWERS[what], what
        assert on_sqlite.columns == on_postgresql.columns, what


def test_a_watch_label_filter_finds_the_labelled_releases(archive: Archive, make_article: MakeArticle) -> None:
    config = parse_config({
        "sources": [{"name": "example-en", "start_urls": ["https://news.example.az/en/news"]}],
        "watches": [{"name": "updates", "labels": ["updated"], "notify": ["json://127.0.0.1/hook"]}],
    })
    crawled_before(archive)
    archive.register_watches(["updates"])
    saved = [archive.save_article(make_article(
        url=f"https://news.example.az/en/release-{n}", body=f"Release number {n} of its own. " * 8,
        labels=labels, authors=authors)) for n, (labels, authors) in enumerate(LISTS, start=1)]
    assert archive.match_alerts(rules(config.watches)) == 2
    with archive.engine.connect() as connection:
        alerted = connection.execute(select(Alert.article_id).order_by(Alert.article_id)).scalars().all()
    assert alerted == [saved[0].article_id, saved[2].article_id]


# --- schema 0011: from text to jsonb and back ------------------------------------------------

_OLD_ARTICLES = sa.table(
    "articles", sa.column("url", sa.Text), sa.column("source_name", sa.Text), sa.column("headline", sa.Text),
    sa.column("labels", sa.Text), sa.column("authors", sa.Text), sa.column("content_hash", sa.Text),
    sa.column("first_seen_at", UtcDateTime()), sa.column("updated_at", UtcDateTime()),
    sa.column("last_seen_at", UtcDateTime()),
)


def test_upgrading_from_0010_keeps_the_lists_and_a_downgrade_gives_their_text_back(archive_url: str) -> None:
    at_revision(archive_url, "0010")
    engine = create_engine(archive_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(_OLD_ARTICLES), [
                {"url": f"https://news.example.az/en/old-{n}", "source_name": "example-en", "headline": f"Old {n}",
                 "labels": labels, "authors": authors, "content_hash": str(n) * 64,
                 "first_seen_at": T1, "updated_at": T1, "last_seen_at": T1}
                for n, (labels, authors) in enumerate(zip(LABELS_TEXT, AUTHORS_TEXT, strict=True), start=1)
            ])
    finally:
        engine.dispose()

    upgrade_archive(archive_url)
    with open_archive(archive_url) as archive, archive.engine.connect() as connection:
        lists = [tuple(row) for row in connection.execute(select(ArticleRow.labels, ArticleRow.authors).order_by(ArticleRow.id))]
    assert lists == LISTS
    view = rows(archive_url, "SELECT id, headline, configured_source FROM releases ORDER BY id")
    assert view == [(1, "Old 1", "example-en"), (2, "Old 2", "example-en"), (3, "Old 3", "example-en")]

    at_revision(archive_url, "0010", downgrade=True)
    assert set(column_types(archive_url).values()) == {"TEXT" if archive_url.startswith("sqlite") else "text"}
    assert rows(archive_url, "SELECT labels, authors FROM articles ORDER BY id") == list(
        zip(LABELS_TEXT, AUTHORS_TEXT, strict=True))
    engine = create_engine(archive_url)
    try:
        assert "releases" not in sa.inspect(engine).get_view_names()
    finally:
        engine.dispose()

    upgrade_archive(archive_url)  # and up again
    with open_archive(archive_url) as archive, archive.engine.connect() as connection:
        again = [tuple(row) for row in connection.execute(select(ArticleRow.labels, ArticleRow.authors).order_by(ArticleRow.id))]
    assert again == LISTS
