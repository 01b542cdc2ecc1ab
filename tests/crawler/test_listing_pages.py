"""A listing page at an article-like URL is not stored as an article (a real crawl on 127.0.0.1)."""
from __future__ import annotations

from pathlib import Path

from tests.e2e.helpers import run_presswatch
from tests.faults import pages
from tests.faults.helpers import rows
from tests.faults.server import FaultServer, page, table

TITLES = (
    "Ministry opens a new rail line to the north", "Port handles record cargo volume in March",
    "Dates of the new school year announced", "Water supply works in the old town next week",
    "Museums open their doors for free on Sunday", "Parliament passes the budget in first reading",
    "Tourist season expected to break records", "Construction of a solar plant begins in the south",
    "Three city bus routes change from Monday", "Health minister visits regional hospitals",
)


def second_listing_page() -> str:
    """"Press releases - page 2": ten releases, each a title link, a date and a teaser."""
    items = "\n".join(
        f'<li><h3><a href="/news/release-{n}.html">{title}</a></h3><p>{10 - n} April 2023</p>'
        f"<p>{title}, the ministry said in a statement published on its website on Monday.</p></li>"
        for n, title in enumerate(TITLES))
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>Press releases - page 2</title></head>\n<body><main><h1>Press releases - page 2</h1>"
            f'<ul>\n{items}\n</ul><a href="/news/page-3.html">Next</a></main></body></html>\n')


def test_a_listing_page_matching_the_article_pattern_is_not_stored(tmp_path: Path) -> None:
    articles = ["/news/rail-line-opens.html", "/news/port-record.html"]
    routes = {
        "/news": page(pages.listing([*articles, "/news/page-2.html"])),
        "/news/page-2.html": page(second_listing_page()),
        **{path: page(pages.article(path.rsplit("/", 1)[1].removesuffix(".html"))) for path in articles},
    }
    config = tmp_path / "sources.toml"
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    with FaultServer(table(routes)) as server:
        config.write_text(
            "[crawl]\ndownload_delay = 0\n\n[[sources]]\nname = \"ministry\"\n"
            f'start_urls = ["{server.base_url}/news"]\narticle_pattern = "/news/[a-z0-9-]+\\\\.html$"\n'
            'timezone = "UTC"\nretry_times = 0\n', encoding="utf-8")
        result = run_presswatch("crawl", "--config", str(config), "--db", db_url, "-v")
        fetched = {hit.path for hit in server.hits}
    assert result.returncode == 0, result.stderr
    assert "/news/page-2.html" in fetched
    stored = rows(db_url, "SELECT url FROM articles ORDER BY url")
    assert stored == [(server.base_url + path,) for path in sorted(articles)]
    assert rows(db_url, "SELECT status FROM crawl_runs") == [("ok",)]
    assert "lists other articles; not stored as an article" in result.stderr
