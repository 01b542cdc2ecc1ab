"""`kill -9` a crawl at about 40 % of a 300-article site, crawl again: all there, once each."""
from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import SQLAlchemyError

from tests.faults import bigsite
from tests.faults.helpers import database, popen_presswatch, rows, run_measured, sqlite_integrity
from tests.faults.server import FaultServer


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request, tmp_path, request.param) as url:
        yield url


@pytest.fixture()
def wire() -> Iterator[FaultServer]:
    server = bigsite.big_site(article_delay=0.03)
    yield server
    server.stop()


def stored_count(db_url: str) -> int:
    try:
        return int(rows(db_url, "SELECT count(*) FROM articles")[0][0])
    except SQLAlchemyError:  # the schema is not there yet
        return 0


def kill_when_stored(db_url: str, args: list[str], at_least: int, timeout: float = 60) -> int:
    """Start a crawl, SIGKILL it once `at_least` articles are stored; the count at the kill."""
    process = popen_presswatch(*args)
    deadline = time.monotonic() + timeout
    try:
        while (count := stored_count(db_url)) < at_least:
            assert process.poll() is None, f"the crawl ended before it could be killed: {process.communicate()}"
            assert time.monotonic() < deadline, "the crawl did not get far enough in time"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(10)
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
    assert process.returncode == -signal.SIGKILL
    return count


def test_a_crawl_killed_at_40_percent_then_rerun_stores_every_article_exactly_once(
    wire: FaultServer, db_url: str, tmp_path: Path
) -> None:
    config = bigsite.write_config(tmp_path / "sources.toml", wire)
    args = ["crawl", "--config", str(config), "--db", db_url]

    at_kill = kill_when_stored(db_url, args, at_least=int(bigsite.ARTICLES * 0.4))
    after_kill = stored_count(db_url)
    assert at_kill <= after_kill < bigsite.ARTICLES  # really killed part-way

    hits_before = len(wire.hits)
    result = run_measured(*args)
    assert result.returncode == 0, result.stderr
    assert result.peak_rss_mb < 500

    urls = [url for (url,) in rows(db_url, "SELECT url FROM articles ORDER BY url")]
    assert urls == bigsite.all_urls(wire)  # every article, each once
    if db_url.startswith("sqlite"):
        assert sqlite_integrity(db_url) == "ok"
    runs = rows(db_url, "SELECT status, new FROM crawl_runs ORDER BY id")
    assert runs == [("interrupted", 0), ("ok", bigsite.ARTICLES - after_kill)]  # the killed run, closed by the next
    refetched = [h.path for h in wire.hits[hits_before:] if bigsite.ARTICLE.match(h.path)]
    assert len(refetched) == len(set(refetched)) == bigsite.ARTICLES - after_kill  # only the missing ones
