"""Incremental crawling against a live newsroom: fetch what is new, re-read what is recent, nothing else.

Each crawl is a real `presswatch crawl` process (the code path of every `serve` run).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.pool import NullPool

from presswatch.storage.models import ArticleRow
from tests.e2e.helpers import run_presswatch
from tests.faults.helpers import rows
from tests.service.newsroom import Newsroom, sources_toml


@pytest.fixture()
def site() -> Iterator[Newsroom]:
    with Newsroom() as newsroom:
        yield newsroom


def crawl(config: Path, db_url: str) -> str:
    result = run_presswatch("crawl", "--config", str(config), "--db", db_url)
    assert result.returncode == 0, result.stderr
    return result.stdout


def fetched_an_hour_earlier(db_url: str) -> None:
    """Every article was last fetched an hour before it was: the archive as an hour later would find it
    (explicit times rather than waiting out `revisit_every`)."""
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for article_id, seen in connection.execute(select(ArticleRow.id, ArticleRow.last_seen_at)).all():
                connection.execute(
                    update(ArticleRow).where(ArticleRow.id == article_id).values(last_seen_at=seen - timedelta(hours=1))
                )
    finally:
        engine.dispose()


def last_run(db_url: str) -> tuple[object, ...]:
    return rows(db_url, "SELECT status, pages_fetched, not_modified, revisited, new, updated, unchanged, errors "
                        "FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]


def test_two_new_releases_cost_exactly_their_two_article_pages(site: Newsroom, tmp_path: Path) -> None:
    site.publish(14, age=timedelta(days=3))  # two listing pages
    config = tmp_path / "sources.toml"
    config.write_text(sources_toml(site), encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    assert "14 new" in crawl(config, db_url)

    site.clear_hits()
    new = site.publish(2, age=timedelta(hours=30))
    assert "2 new" in crawl(config, db_url)
    assert sorted(site.article_hits()) == sorted(new)
    # page 1 held new releases, so page 2 was read too; it held none, so the walk stopped there
    assert site.listing_hits() == ["/news", "/news?page=2"]
    assert last_run(db_url) == ("ok", 5, 0, 0, 2, 0, 0, 0)  # robots.txt, 2 listings, 2 articles

    site.clear_hits()
    assert "0 new" in crawl(config, db_url)
    assert site.article_hits() == []
    assert site.listing_hits() == ["/news"]  # answered 304
    assert last_run(db_url) == ("ok", 2, 1, 0, 0, 0, 0, 0)
    assert rows(db_url, "SELECT count(*) FROM articles") == [(16,)]


def test_recent_releases_are_re_read_and_an_edit_becomes_a_revision(site: Newsroom, tmp_path: Path) -> None:
    old = site.publish(3, age=timedelta(days=3))
    recent = site.publish(2, age=timedelta(hours=2))
    config = tmp_path / "sources.toml"
    config.write_text(sources_toml(site, revisit_within="24h", revisit_every="30m"), encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    assert "5 new" in crawl(config, db_url)

    site.edit(recent[0], "UPDATED: Ministry release number 4", "The ministry later added a correction.")
    fetched_an_hour_earlier(db_url)  # longer ago than revisit_every
    site.clear_hits()
    crawl(config, db_url)
    assert sorted(site.article_hits()) == sorted(recent)  # the old ones are not re-read
    assert not set(site.article_hits()) & set(old)
    assert last_run(db_url) == ("ok", 4, 1, 2, 0, 1, 1, 0)  # robots, listing (304), 2 revisits
    [(headline, labels, revisions)] = rows(
        db_url,
        "SELECT a.headline, a.labels, (SELECT count(*) FROM article_revisions r WHERE r.article_id = a.id) "
        f"FROM articles a WHERE a.url = '{site.base_url}{recent[0]}'",
    )
    assert (headline, labels, revisions) == ("Ministry release number 4", '["UPDATED"]', 1)


def test_revisits_can_be_turned_off(site: Newsroom, tmp_path: Path) -> None:
    site.publish(2, age=timedelta(hours=1))
    config = tmp_path / "sources.toml"
    config.write_text(sources_toml(site, revisit_within="0h", revisit_every="30m"), encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    crawl(config, db_url)
    fetched_an_hour_earlier(db_url)  # they would be due, were revisits on
    site.clear_hits()
    crawl(config, db_url)
    assert site.article_hits() == []
