"""robots.txt `Crawl-delay` spaces the requests to a host, whatever `download_delay` says.

(`Retry-After` on a 429 is checked on the fault crawl: `test_a_429_retry_waits_for_retry_after`.)
"""
from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from tests.e2e.helpers import run_presswatch
from tests.faults import pages
from tests.faults.server import FaultServer, page, table

ARTICLES = [f"/news/crawl-delay-article-number-{n}" for n in range(1, 4)]


def polite_site(robots: str) -> FaultServer:
    routes = {
        "/robots.txt": page(robots, content_type="text/plain"),
        "/news": page(pages.listing(ARTICLES)),
        **{path: page(pages.article(path.rsplit("/", 1)[1])) for path in ARTICLES},
    }
    return FaultServer(table(routes)).start()


@pytest.fixture()
def site() -> Iterator[FaultServer]:
    server = polite_site("User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n")
    yield server
    server.stop()


def test_robots_crawl_delay_spaces_requests_beyond_download_delay(site: FaultServer, tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[crawl]\nconcurrent_per_domain = 8\ndownload_delay = 0.0\nautothrottle = true\n\n'
        f'[[sources]]\nname = "polite"\nstart_urls = ["{site.base_url}/news"]\ntimezone = "UTC"\n',
        encoding="utf-8",
    )
    result = run_presswatch("crawl", "--config", str(config), "--db", f"sqlite:///{tmp_path / 'a.db'}")
    assert result.returncode == 0, result.stderr
    assert "3 new" in result.stdout
    times = [h.at for h in site.hits if h.path != "/robots.txt"]
    assert len(times) == 1 + len(ARTICLES)
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert min(gaps) >= 0.9, gaps  # Crawl-delay: 1 (a little slack for loopback timing)


def test_a_crawl_delay_longer_than_max_crawl_delay_is_kept_at_the_maximum(tmp_path: Path) -> None:
    site = polite_site("User-agent: *\nCrawl-delay: 20\n")
    try:
        config = tmp_path / "sources.toml"
        config.write_text(
            f'[crawl]\nconcurrent_per_domain = 8\ndownload_delay = 0.0\nmax_crawl_delay = 1\n\n'
            f'[[sources]]\nname = "polite"\nstart_urls = ["{site.base_url}/news"]\ntimezone = "UTC"\n',
            encoding="utf-8",
        )
        result = run_presswatch("crawl", "--config", str(config), "--db", f"sqlite:///{tmp_path / 'a.db'}")
        times = [h.at for h in site.hits if h.path != "/robots.txt"]
    finally:
        site.stop()
    assert result.returncode == 0, result.stderr
    assert "robots.txt asks for Crawl-delay 20 s; keeping 1 s (max_crawl_delay)" in result.stderr
    assert len(times) == 1 + len(ARTICLES)
    assert min(later - earlier for earlier, later in pairwise(times)) >= 0.9  # the maximum still spaces them
