"""A dead source is a failed run, never `ok`: nothing listening, every entry page 404, or robots says no."""
from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.helpers import free_port, run_presswatch
from tests.faults import pages
from tests.faults.helpers import rows
from tests.faults.server import FaultServer, page, table

ARTICLE = "/news/the-ministry-opens-a-new-rail-line-1"


def source(name: str, base: str) -> str:
    return (f'[[sources]]\nname = "{name}"\nstart_urls = ["{base}/news"]\nfeeds = ["{base}/rss"]\n'
            f'timezone = "UTC"\nretry_times = 0\n')


def crawl(tmp_path: Path, *sources: str) -> tuple[int, str, str]:
    config = tmp_path / "sources.toml"
    config.write_text("[crawl]\ndownload_delay = 0\n\n" + "\n".join(sources), encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_presswatch("crawl", "--config", str(config), "--db", db_url)
    return result.returncode, result.stderr, db_url


def runs(db_url: str) -> dict[str, tuple[str, dict[str, int]]]:
    found = rows(db_url, "SELECT source, status, error_kinds FROM crawl_runs ORDER BY id")
    return {name: (status, json.loads(kinds or "{}")) for name, status, kinds in found}


def test_when_every_source_is_dead_the_crawl_fails_with_exit_5(tmp_path: Path) -> None:
    robots = page("User-agent: *\nDisallow: /\n", content_type="text/plain")
    with FaultServer(table({"/robots.txt": robots})) as barred, \
            FaultServer(table({})) as gone:
        code, stderr, db_url = crawl(
            tmp_path,
            source("nothing-listens", f"http://127.0.0.1:{free_port()}"),
            source("all-404", gone.base_url),
            source("robots-says-no", barred.base_url),
        )
    assert code == 5, stderr
    assert "every source's run failed (nothing-listens, all-404, robots-says-no)" in stderr
    assert runs(db_url) == {
        "nothing-listens": ("failed", {"connection_refused": 2}),
        "all-404": ("failed", {"http_status": 2}),
        "robots-says-no": ("failed", {"robots": 2}),
    }


def test_one_live_source_is_enough_for_exit_0_and_the_dead_one_is_still_failed(tmp_path: Path) -> None:
    live_routes = {"/news": page(pages.listing([ARTICLE])), ARTICLE: page(pages.article("rail-line"))}
    with FaultServer(table(live_routes)) as live:
        code, stderr, db_url = crawl(
            tmp_path, source("live", live.base_url), source("dead", f"http://127.0.0.1:{free_port()}")
        )
    assert code == 0, stderr
    assert runs(db_url) == {
        "live": ("ok", {"http_status": 1}),  # its feed is missing: one failure, the run still did its work
        "dead": ("failed", {"connection_refused": 2}),
    }
    assert rows(db_url, "SELECT count(*) FROM articles") == [(1,)]
