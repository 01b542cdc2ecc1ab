"""Bounds a hostile page or a careless config cannot remove: pattern time, URL length, crawl time."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import run_presswatch
from tests.faults import bigsite, pages
from tests.faults.helpers import rows
from tests.faults.server import Behaviour, FaultHandler, FaultServer, page, table

GOOD = "/news/minister-opens-rail-line-7"
# (a|aa)+ backtracks exponentially: ~0.1 s at 28 letters, x6 every 4 more; 60 letters would take hours.
PATTERN = "/news/((a|aa)+|[a-z0-9-]+-\\d+)$"
BACKTRACKING = "/news/" + "a" * 60 + "b"
TOO_LONG = "/news/" + "-".join(["release"] * 400)  # 3,205 characters


def crawl(tmp_path: Path, server: FaultServer, extra: str = "", *args: str) -> tuple[int, str, str]:
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[crawl]\ndownload_delay = 0\nobey_robots = false\n\n[[sources]]\nname = "ministry"\n'
        f'start_urls = ["{server.base_url}/news"]\ntimezone = "UTC"\n{extra}',
        encoding="utf-8",
    )
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_presswatch("crawl", "--config", str(config), "--db", db_url, *args)
    return result.returncode, result.stderr, db_url


def test_a_backtracking_article_pattern_is_cut_short_per_link_and_the_link_recorded(tmp_path: Path) -> None:
    routes = {"/news": page(pages.listing([BACKTRACKING, GOOD])), GOOD: page(pages.article("rail-line"))}
    with FaultServer(table(routes)) as server:
        code, stderr, db_url = crawl(tmp_path, server, f"article_pattern = '{PATTERN}'\n")
    assert code == 0, stderr
    assert rows(db_url, "SELECT url FROM articles") == [(server.base_url + GOOD,)]
    [(url, kind, message)] = rows(db_url, "SELECT url, kind, message FROM crawl_errors")
    assert (url, kind) == (server.base_url + BACKTRACKING, "pattern_timeout")
    assert message == ("article_pattern took longer than 1 s on this link: not followed "
                       "(the pattern backtracks; simplify it)")


def test_an_over_long_link_is_recorded_not_dropped_silently(tmp_path: Path) -> None:
    routes = {"/news": page(pages.listing([TOO_LONG, GOOD])), GOOD: page(pages.article("rail-line"))}
    with FaultServer(table(routes)) as server:
        code, stderr, db_url = crawl(tmp_path, server)
    assert code == 0, stderr
    assert rows(db_url, "SELECT kind, message FROM crawl_errors") == [
        ("url_too_long", f"link of {len(server.base_url + TOO_LONG)} characters (more than 2083) not followed")
    ]
    assert rows(db_url, "SELECT count(*) FROM articles") == [(1,)]


@pytest.fixture()
def slow_wire() -> Iterator[FaultServer]:
    server = bigsite.big_site(article_delay=0.2)  # 300 articles, one at a time: a minute
    yield server
    server.stop()


def test_max_time_closes_the_runs_still_going_and_the_next_crawl_carries_on(
    slow_wire: FaultServer, tmp_path: Path
) -> None:
    config = bigsite.write_config(tmp_path / "sources.toml", slow_wire, concurrency=1)
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    cut = run_presswatch("crawl", "--config", str(config), "--db", db_url, "--max-time", "3")
    assert cut.returncode == 8, cut.stderr
    assert "--max-time reached: wire cut off (their next crawl carries on)" in cut.stderr
    [(status, kinds)] = rows(db_url, "SELECT status, error_kinds FROM crawl_runs")
    assert (status, json.loads(kinds)) == ("failed", {"run_timeout": 1})
    stored = int(rows(db_url, "SELECT count(*) FROM articles")[0][0])
    assert 0 < stored < bigsite.ARTICLES


def chunked(body: bytes) -> Behaviour:
    """The body in 16 KB chunks, with no Content-Length (Transfer-Encoding: chunked)."""

    def behaviour(handler: FaultHandler, attempt: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            for start in range(0, len(body), 16384):
                piece = body[start:start + 16384]
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:  # the crawler hung up at its size limit: expected
            handler.close_connection = True

    return behaviour


def test_an_oversized_chunked_response_is_recorded_as_too_large(tmp_path: Path) -> None:
    huge = pages.article("huge-release").replace("</article>", "<p>" + "x" * 300_000 + "</p></article>").encode()
    routes = {"/news": page(pages.listing([GOOD])), GOOD: chunked(huge)}
    with FaultServer(table(routes)) as server:
        code, stderr, db_url = crawl(tmp_path, server, "max_page_bytes = 65536\n")
    assert code == 0, stderr
    assert rows(db_url, "SELECT url, kind FROM crawl_errors") == [(server.base_url + GOOD, "too_large")]
