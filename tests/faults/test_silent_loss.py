"""A run that lost pages never says `ok` nor exits 0; the next run fetches exactly what was lost.

Real conditions: a full disk (a 2 MB tmpfs), an archive file made immutable, a listing page
the spider's own code breaks on (served by a real local HTTP server). The first two need root
(mount, chattr); without it they skip with the reason, except under CI=true.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.response import get_base_url

from presswatch.crawler.config import load_config
from presswatch.crawler.discovery import listing_links
from tests.e2e.helpers import run_presswatch
from tests.faults import bigsite, pages
from tests.faults.helpers import rows
from tests.faults.server import FaultServer, page, table


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: this test must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture()
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MB tmpfs, grown to 64 MB by `grow(path)`; unmounted afterwards."""
    require(os.geteuid() == 0, "mounting a small tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def grow(mount: Path) -> None:
    subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)


@pytest.fixture()
def wire() -> Iterator[FaultServer]:
    server = bigsite.big_site(article_delay=0)
    yield server
    server.stop()


def article_fetches(server: FaultServer) -> list[str]:
    return [hit.path for hit in server.hits if bigsite.ARTICLE.match(hit.path)]


def test_a_full_disk_stops_the_run_as_failed_and_the_next_run_fetches_what_was_lost(
    tiny_disk: Path, wire: FaultServer, tmp_path: Path
) -> None:
    config = bigsite.write_config(tmp_path / "sources.toml", wire)
    db_url = f"sqlite:///{tiny_disk / 'archive.db'}"
    full = run_presswatch("crawl", "--config", str(config), "--db", db_url)
    assert full.returncode == 3, full.stderr[-2000:]
    assert "the archive refused pages (wire " in full.stderr
    assert "Traceback" not in full.stderr
    fetched_first = article_fetches(wire)
    assert len(fetched_first) < bigsite.ARTICLES  # the run stopped instead of fetching into the void
    grow(tiny_disk)
    stored = int(rows(db_url, "SELECT count(*) FROM articles")[0][0])
    assert stored < len(fetched_first)  # pages were lost ...
    wire.clear_hits()
    again = run_presswatch("crawl", "--config", str(config), "--db", db_url)
    assert again.returncode == 0, again.stderr[-2000:]
    urls = [url for (url,) in rows(db_url, "SELECT url FROM articles ORDER BY url")]
    assert urls == bigsite.all_urls(wire)  # ... and the next run got every one of them, once
    refetched = article_fetches(wire)
    assert len(refetched) == len(set(refetched)) == bigsite.ARTICLES - stored  # exactly what was lost
    [first, second] = rows(db_url, "SELECT status, new, errors, error_kinds FROM crawl_runs ORDER BY id")
    lost = len(fetched_first) - stored
    assert first == ("failed", stored, lost, json.dumps({"save_failed": lost}))  # never "ok", with its counts
    assert second[:3] == ("ok", bigsite.ARTICLES - stored, 0)
    recorded = rows(db_url, "SELECT count(*) FROM crawl_errors WHERE kind = 'save_failed'")
    assert recorded == [(lost,)]  # every unsaved page recorded (the reserve beside the archive made room)


def test_an_archive_that_cannot_be_written_is_refused_before_anything_is_fetched(
    wire: FaultServer, tmp_path: Path
) -> None:
    require(os.geteuid() == 0 and shutil.which("chattr") is not None, "chattr +i needs root and e2fsprogs")
    config = bigsite.write_config(tmp_path / "sources.toml", wire)
    archive = tmp_path / "archive.db"
    assert run_presswatch("db", "upgrade", "--db", f"sqlite:///{archive}").returncode == 0
    made_immutable = subprocess.run(["chattr", "+i", str(archive)], capture_output=True)
    require(made_immutable.returncode == 0, f"this file system has no immutable flag: {made_immutable.stderr!r}")
    try:
        result = run_presswatch("crawl", "--config", str(config), "--db", f"sqlite:///{archive}")
    finally:
        subprocess.run(["chattr", "-i", str(archive)], check=True)
    assert result.returncode == 3, result.stderr
    assert "cannot be written: attempt to write a readonly database" in result.stderr
    assert wire.hits == []  # nothing fetched into the void
    assert rows(f"sqlite:///{archive}", "SELECT count(*) FROM crawl_runs") == [(0,)]


#: A listing page whose <base href> (after a long inline style sheet) has an unclosed IPv6
#: host: the spider's own discovery resolves every link against it, and `urljoin` raises
#: ValueError ("Invalid IPv6 URL") out of its `parse_listing` callback. Scrapy's middlewares
#: read a <base> only in a page's first 4096 characters, so the page reaches the callback. A
#: real page the spider's code cannot handle, no mock; should discovery learn to ignore such
#: a base, this test needs another such page (the preconditions below say so).
BROKEN_BASE_HEAD = (
    "<style>\n" + "".join(f".item-{n} {{ margin: 0 0 {n % 7}px 0 }}\n" for n in range(300)) + "</style>\n"
    '<base href="http://[unclosed/news/">'
)


def test_an_error_in_a_callback_is_a_recorded_failure_and_a_failed_run(tmp_path: Path) -> None:
    links = [f"/news/broken-base-listing-{n}" for n in range(3)]
    listing = pages.listing(links).replace("<head>", f"<head>{BROKEN_BASE_HEAD}", 1)
    routes = {"/news": page(listing), **{link: page(pages.article(link[6:])) for link in links}}
    with FaultServer(table(routes)) as server:
        config = tmp_path / "sources.toml"
        config.write_text(
            f'[crawl]\ndownload_delay = 0\nobey_robots = false\n\n[[sources]]\n'
            f'name = "gazette"\nstart_urls = ["{server.base_url}/news"]\ntimezone = "UTC"\n', encoding="utf-8",
        )
        listing_url = f"{server.base_url}/news"
        # Preconditions: Scrapy's middlewares do not see the broken base; the spider's discovery breaks on it.
        assert get_base_url(HtmlResponse(listing_url, body=listing.encode(), encoding="utf-8")) == listing_url
        with pytest.raises(ValueError, match="Invalid IPv6 URL"):
            listing_links(listing.encode(), listing_url, load_config(config).sources[0])
        db_url = f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}"
        result = run_presswatch("crawl", "--config", str(config), "--db", db_url)
        fetched = [hit.path for hit in server.hits]
    assert result.returncode == 5, result.stderr  # a run that may have lost pages never exits 0
    assert "a page broke the crawler in gazette" in result.stderr
    assert fetched == ["/news"]  # the listing's article links were lost with the callback
    [(status, errors, kinds)] = rows(db_url, "SELECT status, errors, error_kinds FROM crawl_runs")
    assert (status, errors, kinds) == ("failed", 1, '{"spider_error": 1}')
    [(url, kind, status_code, message)] = rows(db_url, "SELECT url, kind, status, message FROM crawl_errors")
    assert (url, kind, status_code, message) == (listing_url, "spider_error", 200, "ValueError: Invalid IPv6 URL")
