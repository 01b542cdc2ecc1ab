"""The whole path: demo sites on loopback → `presswatch crawl` → archive → SQL.

Runs against a temp SQLite file and a fresh PostgreSQL database (`archive_url`, `crawled_demo`).
"""
from __future__ import annotations

import hashlib
import json
import zlib
from datetime import datetime, timezone
from pathlib import Path
from urllib.request import urlopen

from sqlalchemy import create_engine, text

from presswatch.storage.hashing import Fingerprint
from tests.e2e.helpers import run_presswatch

SEED_PATH = "/caspian-post/en/news/politics/president-aliyev-azerbaijan-kazakhstan-reaching-qualitatively-new-level-of-interaction-alliance-2548871"


def rows(db_url: str, sql: str) -> list[tuple]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def crawl(config: Path, db_url: str, *extra: str) -> None:
    result = run_presswatch("crawl", "--config", str(config), "--db", db_url, *extra)
    assert result.returncode == 0, result.stderr
    return result


def by_path(truth: list[dict], base_url: str) -> dict[str, dict]:
    return {base_url + t["path"]: t for t in truth}


def instant(value: object) -> datetime:
    """A stored time as an aware instant (SQLite hands back naive UTC text, PostgreSQL aware values)."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def listed(value: object) -> object:
    """A stored JSON list (SQLite hands back its JSON text, PostgreSQL's jsonb a list)."""
    return value if isinstance(value, list) else json.loads(str(value))


def test_demo_crawl_archives_every_article_exactly_as_published(crawled_demo, truth) -> None:
    expected = by_path(truth, crawled_demo.server.base_url)

    stored = rows(crawled_demo.db_url, "SELECT url, headline, labels, published_at, source, publisher, body, language, authors FROM articles")
    assert len(stored) == len(truth)
    for url, headline, labels, published_at, source, publisher, body, language, authors in stored:
        t = expected[url]
        assert (headline, listed(labels), source, publisher, body, language, listed(authors)) == (
            t["headline"], t["labels"], t["source"], t["publisher"], t["body"], t["language"], t["authors"]
        ), url
        assert instant(published_at) == datetime.fromisoformat(t["published_at"]), url
    assert f"4 source(s): {len(truth) - 1} new, 0 updated, 1 duplicates, 0 errors" in crawled_demo.stdout


def test_the_seed_article_is_stored_field_for_field(crawled_demo) -> None:
    [(headline, labels, published_at, source, publisher, language)] = rows(
        crawled_demo.db_url,
        "SELECT headline, labels, published_at, source, publisher, language FROM articles "
        f"WHERE url = '{crawled_demo.server.base_url}{SEED_PATH}'",
    )
    assert headline == "President Aliyev: Azerbaijan, Kazakhstan reaching qualitatively new level of interaction, alliance"
    assert listed(labels) == ["PHOTO", "UPDATED"]
    assert instant(published_at) == datetime.fromisoformat("2023-04-10T20:01:00+04:00")
    assert (source, publisher, language) == ("Azertag", "Caspian Post", "en")


def test_the_republished_release_is_linked_as_a_duplicate(crawled_demo, truth) -> None:
    base = crawled_demo.server.base_url
    [copy] = [t for t in truth if t.get("republished_from")]
    urls = (base + copy["republished_from"], base + copy["path"])
    linked = rows(
        crawled_demo.db_url,
        "SELECT a.url, a.publisher, g.size, f.url FROM articles a JOIN duplicate_groups g ON g.id = a.duplicate_group_id "
        "JOIN articles f ON f.id = g.first_article_id ORDER BY a.published_at",
    )
    original = next(t for t in truth if t["path"] == copy["republished_from"])
    assert linked == [
        (urls[0], original["publisher"], 2, urls[0]),
        (urls[1], copy["publisher"], 2, urls[0]),
    ]


def test_a_second_crawl_adds_nothing_and_fetches_no_article(demo_site, demo_config, truth, archive_url) -> None:
    server, _ = demo_site
    crawl(demo_config, archive_url)
    server.clear_requests()
    crawl(demo_config, archive_url)
    assert rows(archive_url, "SELECT count(*) FROM articles") == [(len(truth),)]
    assert rows(archive_url, "SELECT count(*) FROM article_revisions") == [(0,)]
    second = rows(archive_url, "SELECT new, updated, duplicates FROM crawl_runs ORDER BY id DESC LIMIT 4")
    assert second == [(0, 0, 0)] * 4
    article_paths = {t["path"] for t in truth}
    assert [r.path for r in server.requests if r.path in article_paths] == []
    # every start page, feed and sitemap answered 304 Not Modified to the conditional GET
    entry_statuses = {r.status for r in server.requests if not r.path.endswith("robots.txt")}
    assert entry_statuses == {304}
    assert rows(archive_url, "SELECT not_modified FROM crawl_runs ORDER BY id DESC LIMIT 4") == [(3,)] * 4


def test_a_changed_page_adds_one_revision(demo_site, demo_config, truth, archive_url) -> None:
    server, root = demo_site
    crawl(demo_config, archive_url)
    target = next(t for t in truth if t["site"] == "gov-press" and not t.get("republished_from"))
    page = root / (target["path"].lstrip("/") + ".html")
    first_paragraph = target["body"].split("\n\n")[0]
    html = page.read_text(encoding="utf-8")
    assert first_paragraph in html
    page.write_text(html.replace(first_paragraph, first_paragraph + " The figures were revised on Friday."), encoding="utf-8")

    crawl(demo_config, archive_url, "--full")

    url = server.base_url + target["path"]
    assert rows(archive_url, "SELECT count(*) FROM articles") == [(len(truth),)]
    [(old_body,)] = rows(
        archive_url,
        f"SELECT r.body FROM article_revisions r JOIN articles a ON a.id = r.article_id WHERE a.url = '{url}'",
    )
    assert old_body == target["body"]
    [(new_body,)] = rows(archive_url, f"SELECT body FROM articles WHERE url = '{url}'")
    assert new_body.startswith(first_paragraph + " The figures were revised on Friday.")
    assert rows(archive_url, "SELECT count(*) FROM article_revisions") == [(1,)]


def test_an_article_that_failed_is_fetched_by_the_next_run_wherever_it_is_listed(
    demo_site, demo_config, truth, sqlite_url
) -> None:
    server, root = demo_site
    oldest = [t for t in truth if t["site"] == "trend-wire"][-1]  # on the last listing page, not in the feed
    page = root / (oldest["path"].lstrip("/") + ".html")
    saved = page.read_bytes()
    page.unlink()  # a 404 in the first run
    crawl(demo_config, sqlite_url, "--source", "trend-wire")
    assert rows(sqlite_url, "SELECT count(*) FROM page_validators") == [(0,)]  # not a clean run

    page.write_bytes(saved)
    server.clear_requests()
    crawl(demo_config, sqlite_url, "--source", "trend-wire")
    assert [r.path for r in server.requests if r.status == 304] == []
    assert rows(sqlite_url, f"SELECT count(*) FROM articles WHERE url = '{server.base_url}{oldest['path']}'") == [(1,)]
    assert rows(sqlite_url, "SELECT count(*) FROM page_validators") == [(3,)]  # clean now


def test_raw_pages_and_text_keys_worked_out_in_the_parse_worker_are_exact(crawled_demo) -> None:
    """The crawl's parse worker prepares each page for saving; what lands must equal the page
    as served and the keys the archive itself would compute."""
    stored = rows(
        crawled_demo.db_url,
        "SELECT a.url, a.headline, a.body, a.content_hash, a.body_hash, r.compression, r.html_sha256, r.html "
        "FROM articles a JOIN raw_pages r ON r.article_id = a.id",
    )
    assert len(stored) >= 10
    for url, headline, body, content_hash, body_hash, compression, sha256, html in stored:
        served = urlopen(url).read()  # noqa: S310 - the loopback demo server
        assert compression == "zlib"
        assert zlib.decompress(html) == served, url
        assert sha256 == hashlib.sha256(served).hexdigest(), url
        keys = Fingerprint.of(headline, body)
        assert (content_hash, body_hash) == (keys.content_hash, keys.body_hash), url
