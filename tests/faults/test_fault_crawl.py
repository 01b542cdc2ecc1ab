"""A crawl of the fault site (`tests/faults/site.py`), once per database.

It must finish and exit 0, store every good article exactly once and correctly, record
every failure (URL, kind, status) in `crawl_errors` and in the log, store nothing wrong,
and stay under 500 MB of resident memory.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.faults import site
from tests.faults.helpers import Measured, assert_no_garbage, database, instant, rows, run_measured
from tests.faults.server import FaultServer


@dataclass(frozen=True)
class FaultCrawl:
    server: FaultServer
    db_url: str
    result: Measured
    seconds: float

    def url(self, path: str) -> str:
        return self.server.base_url + path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crawl(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultCrawl]:
    root = tmp_path_factory.mktemp("faults")
    with database(request, root, request.param) as db_url:
        server = site.fault_server()
        try:
            config = site.write_config(root / "sources.toml", server)
            started = time.monotonic()
            result = run_measured("crawl", "--config", str(config), "--db", db_url)
            yield FaultCrawl(server, db_url, result, time.monotonic() - started)
        finally:
            server.stop()


def test_the_crawl_finishes_and_exits_0(crawl: FaultCrawl) -> None:
    assert crawl.result.returncode == 0, crawl.result.stderr
    stored, failed = len(site.STORED) + 1, len(site.FAILED) + 1  # + the followed redirect, + the trap limit
    assert f"3 source(s): {stored} new, 0 updated, 0 duplicates, {failed} errors" in crawl.result.stdout


def test_every_good_article_is_stored_once_with_its_fields(crawl: FaultCrawl) -> None:
    expected = {crawl.url(s.path): s for s in site.STORED}
    moved = site.STORED_OFFSITE
    expected[crawl.server.other_host_url + moved.path] = moved
    stored = rows(crawl.db_url, "SELECT url, headline, published_at, body FROM articles")
    assert sorted(url for url, *_ in stored) == sorted(expected)
    for url, headline, published_at, body in stored:
        want = expected[url]
        assert headline == want.headline, url
        when = instant(published_at)
        assert (when.isoformat() if when else None) == (want.published_at and want.published_at + "+00:00"), url
        assert want.body_contains in body, url
        assert_no_garbage(body + (headline or ""))


def test_a_tracking_parameter_twin_is_the_same_row_and_not_fetched_twice(crawl: FaultCrawl) -> None:
    assert rows(crawl.db_url, "SELECT count(*) FROM articles WHERE url LIKE '%plain-good-article%'") == [(1,)]
    assert crawl.server.count("/news/plain-good-article?utm_source=newsletter&utm_medium=email") == 0


def test_a_numeric_date_on_a_russian_source_is_day_first(crawl: FaultCrawl) -> None:
    [(published_at, precision, raw)] = rows(
        crawl.db_url, "SELECT published_at, date_precision, date_raw FROM articles WHERE url = :u",
        u=crawl.url("/ru/news/numeric-date"),
    )
    assert instant(published_at) == datetime.fromisoformat("2023-04-10T00:00:00+03:00")
    assert (precision, raw) == ("day", "10.04.2023")


def test_every_failure_is_recorded_with_url_kind_and_status(crawl: FaultCrawl) -> None:
    recorded = rows(crawl.db_url, "SELECT url, kind, status FROM crawl_errors WHERE kind <> 'limit_reached'")
    expected = [(crawl.url(f.path), f.kind, f.status) for f in site.FAILED]
    assert sorted(recorded) == sorted(expected)


def test_every_failure_is_in_the_log_with_its_kind_and_url(crawl: FaultCrawl) -> None:
    for failure in site.FAILED:
        status = failure.status or "-"
        assert f"{failure.kind} {crawl.url(failure.path)} ({status})" in crawl.result.stderr, failure


def test_nothing_failed_is_stored(crawl: FaultCrawl) -> None:
    urls = {url for (url,) in rows(crawl.db_url, "SELECT url FROM articles")}
    assert not urls & {crawl.url(f.path) for f in site.FAILED}
    assert all(urlsplit(u).scheme == "http" for u in urls)
    assert not [u for u in urls if "redirect-target" in u or "offsite-article" in u]


def test_retries_happen_as_often_as_configured(crawl: FaultCrawl) -> None:
    counts = {path: crawl.server.count(path) for path in site.REQUEST_COUNTS}
    assert counts == site.REQUEST_COUNTS


def test_a_429_retry_waits_for_retry_after(crawl: FaultCrawl) -> None:
    first, second = crawl.server.hits_on("/news/rate-limited-429")
    assert second.at - first.at >= site.RETRY_AFTER * 0.95


def test_endless_pagination_and_calendar_traps_are_bounded(crawl: FaultCrawl) -> None:
    listing = [h.path for h in crawl.server.hits if site.PAGINATION.match(h.path) or site.CALENDAR.match(h.path)]
    assert 0 < len(listing) <= site.MAX_LISTING_PAGES - 1  # the start page counts too
    pages = [int(m.group(1)) for p in listing if (m := site.PAGINATION.match(p))]
    assert max(pages) <= site.MAX_DEPTH + 1  # /news is depth 0, ?page=2 depth 1
    [(kind, message)] = rows(crawl.db_url, "SELECT kind, message FROM crawl_errors WHERE kind = 'limit_reached'")
    assert message.startswith(("max_listing_pages = 12 reached", "max_depth = 6 reached"))


def test_no_link_leaves_the_allowed_hosts_or_http(crawl: FaultCrawl) -> None:
    other = urlsplit(crawl.server.other_host_url).netloc
    on_other_host = sorted({h.path for h in crawl.server.hits if h.host == other})
    assert on_other_host == ["/robots.txt", "/ru/news/moved-here"]  # only where faults-ru allows it
    assert crawl.server.count(site.OFFSITE_ARTICLE) == 0
    assert crawl.server.count("/elsewhere/news/redirect-target") == 0
    assert not [h for h in crawl.server.hits if "ftp-article" in h.path or "injected" in h.path]
    stored_text = json.dumps(rows(crawl.db_url, "SELECT url, body FROM articles"), default=str)
    assert "root:x:0:0" not in stored_text and "injected" not in stored_text


def test_each_source_has_a_finished_run(crawl: FaultCrawl) -> None:
    runs = rows(crawl.db_url, "SELECT source, status, new, errors FROM crawl_runs ORDER BY source")
    assert runs == [("faults", "ok", 10, 14), ("faults-ru", "ok", 4, 0), ("faults-slow", "ok", 0, 1)]


def test_each_run_counts_its_failures_by_kind(crawl: FaultCrawl) -> None:
    by_kind: Counter[str] = Counter()
    for (kinds,) in rows(crawl.db_url, "SELECT error_kinds FROM crawl_runs WHERE error_kinds IS NOT NULL"):
        by_kind.update(json.loads(kinds))
    assert by_kind == Counter(f.kind for f in site.FAILED) + Counter({"limit_reached": 1})


def test_peak_memory_stays_under_500_mb(crawl: FaultCrawl) -> None:
    assert crawl.result.peak_rss_mb < 500, crawl.result.peak_rss_mb


def test_a_second_crawl_adds_nothing(crawl: FaultCrawl, tmp_path: Path) -> None:
    config = site.write_config(tmp_path / "sources.toml", crawl.server)
    before = rows(crawl.db_url, "SELECT url, content_hash FROM articles ORDER BY url")
    result = run_measured("crawl", "--config", str(config), "--db", crawl.db_url)
    assert result.returncode == 0, result.stderr
    assert rows(crawl.db_url, "SELECT url, content_hash FROM articles ORDER BY url") == before
    assert rows(crawl.db_url, "SELECT count(*) FROM article_revisions") == [(0,)]
