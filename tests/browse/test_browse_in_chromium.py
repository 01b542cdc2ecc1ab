"""`presswatch browse` in a real browser: what a reader of the demo archive sees in Chromium.

One `presswatch browse` process serves the crawled demo archive (tests/browse/conftest.py);
each test opens pages in headless Chromium and reads the rendered DOM. Screenshots of every
page are kept in the test's tmp_path. With PRESSWATCH_UPDATE_DOCS=1 the reprint-cluster
page is also written to docs/browse.png, the README's picture.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browse.chromium import Chromium, column, column_items, column_links, row_count, text_of
from tests.browse.conftest import REVISED_NOTE, BrowsedArchive
from tests.e2e.helpers import REPO

REPUBLISHED_HEADLINE = "Azerbaijan signs memorandum on green hydrogen partnership with Ministry of Energy"
ORIGINAL_HEADLINE = "Ministry of Energy and Azerbaijan sign memorandum on green hydrogen partnership"
HYDROGEN_HEADLINES = [  # every article about hydrogen, newest first (the table's default order)
    "Energy ministers of Caspian and Central Asian states meet on transit corridor",
    "New LNG terminal on the North Sea coast enters commercial operation",
    REPUBLISHED_HEADLINE,
    ORIGINAL_HEADLINE,
    "State Secretary attends Baku Energy Week, discusses gas supplies and renewables cooperation",
]
QUERY_TITLES = [
    "Latest releases", "Releases of one agency", "Reprint clusters", "Revisions of an article",
    "Sources health", "Crawl errors of the last day",
]


def newest_first(records: list[dict]) -> list[dict]:
    return sorted(records, key=lambda t: datetime.fromisoformat(t["published_at"]), reverse=True)


def page(chromium: Chromium, url: str, tmp_path: Path, name: str):
    """The page's DOM, with a screenshot kept as tmp_path/<name>.png."""
    chromium.screenshot(url, tmp_path / f"{name}.png")
    return chromium.dom(url)


def query_of(href: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(href)
    return parts.path, parse_qs(parts.query)


def test_the_home_page_names_the_archive_and_its_canned_queries(
    chromium: Chromium, browse_url: str, tmp_path: Path
) -> None:
    home = page(chromium, f"{browse_url}/", tmp_path, "home")
    assert text_of(home, "//h1") == ["presswatch archive"]
    assert "Times are UTC. Read-only." in home.text_content()
    database = page(chromium, f"{browse_url}/archive", tmp_path, "database")
    assert text_of(database, "//h2[@id='queries']/following-sibling::ul[1]/li/a") == QUERY_TITLES
    assert "_memory" not in home.text_content()  # the archive is the only database


def test_the_articles_table_lists_every_article_newest_first_with_descriptions_and_facets(
    chromium: Chromium, browse_url: str, browsed_archive: BrowsedArchive, tmp_path: Path
) -> None:
    articles = page(chromium, f"{browse_url}/archive/articles", tmp_path, "articles")
    assert text_of(articles, "//h3")[0] == "68 rows sorted by published_at descending"
    newest = [t["headline"] for t in newest_first(browsed_archive.truth)]
    assert column(articles, "headline") == newest[:len(column(articles, "headline"))]
    assert articles.xpath("//dl[@class='column-descriptions']/dt[.='source']/following-sibling::dd[1]/text()") == [
        "the credited agency or office (the attribution); the publisher when the text credits none"
    ]
    facets = articles.xpath("//div[contains(@class, 'facet-info')]/@data-column")
    assert sorted(facets) == sorted(["source", "publisher", "source_name", "language", "labels", "date_precision"])
    labels = dict(zip(column(articles, "headline"), column_items(articles, "labels"), strict=True))
    assert labels[newest[1]] == ["UPDATED"]  # a JSON list shown as a list
    assert labels[newest[0]] == []


def test_the_releases_view_reads_the_articles_under_plain_names(
    chromium: Chromium, browse_url: str, browsed_archive: BrowsedArchive, tmp_path: Path
) -> None:
    database = chromium.dom(f"{browse_url}/archive")
    assert "releases" in text_of(database, "//h2[@id='views']/following-sibling::ul[1]/li/a")
    releases = page(chromium, f"{browse_url}/archive/releases", tmp_path, "releases")
    assert text_of(releases, "//h3")[0] == "68 rows sorted by published_at descending"
    newest = newest_first(browsed_archive.truth)
    assert column(releases, "headline") == [t["headline"] for t in newest[:len(column(releases, "headline"))]]
    assert column(releases, "credited_source")[:3] == [t["source"] for t in newest[:3]]
    assert column(releases, "configured_source")[:3] == [t["site"] for t in newest[:3]]
    assert releases.xpath(
        "//dl[@class='column-descriptions']/dt[.='configured_source']/following-sibling::dd[1]/text()"
    ) == ["articles.source_name: the configured source that crawled it (sources.toml name; crawl_runs.source)"]
    facets = releases.xpath("//div[contains(@class, 'facet-info')]/@data-column")
    assert sorted(facets) == sorted(["credited_source", "publisher", "configured_source", "language", "labels"])
    assert column_items(releases, "labels")[1] == ["UPDATED"]
    [[agency_link]] = column_links(releases, "credited_source")[:1]
    assert query_of(agency_link) == ("/archive/agency_releases", {"agency": [newest[0]["source"]]})
    searched = chromium.dom(f"{browse_url}/archive/releases?_search=hydrogen")
    assert column(searched, "headline") == HYDROGEN_HEADLINES


def test_full_text_search_finds_every_article_about_hydrogen(
    chromium: Chromium, browse_url: str, tmp_path: Path
) -> None:
    results = page(chromium, f"{browse_url}/archive/articles?_search=hydrogen", tmp_path, "search")
    assert text_of(results, "//h3")[0] == '5 rows where search matches "hydrogen" sorted by published_at descending'
    assert column(results, "headline") == HYDROGEN_HEADLINES


def test_latest_releases_link_to_their_cluster_and_revisions(
    chromium: Chromium, browse_url: str, browsed_archive: BrowsedArchive, tmp_path: Path
) -> None:
    latest = page(chromium, f"{browse_url}/archive/latest_releases", tmp_path, "latest_releases")
    assert row_count(latest) == 68
    assert column(latest, "headline")[:3] == [t["headline"] for t in newest_first(browsed_archive.truth)[:3]]
    revisions = dict(zip(column(latest, "headline"), column(latest, "revisions"), strict=True))
    assert revisions[browsed_archive.revised["headline"]] == "1 revision"
    assert sorted(set(revisions.values())) == ["0", "1 revision"]
    clusters = dict(zip(column(latest, "headline"), column_links(latest, "cluster"), strict=True))
    [cluster_link] = clusters[REPUBLISHED_HEADLINE]
    assert clusters[ORIGINAL_HEADLINE] == [cluster_link]
    path, params = query_of(cluster_link)
    assert path == "/archive/reprint_clusters" and list(params) == ["group"]


def test_a_reprint_cluster_shows_the_release_then_its_copy_with_publishers(
    chromium: Chromium, browse_url: str, tmp_path: Path
) -> None:
    every = chromium.dom(f"{browse_url}/archive/reprint_clusters")
    [group] = sorted(set(column(every, "cluster")))  # the demo has one republished release
    cluster = page(chromium, f"{browse_url}/archive/reprint_clusters?group={group.removeprefix('cluster ')}",
                   tmp_path, "reprint_cluster")
    if os.environ.get("PRESSWATCH_UPDATE_DOCS") == "1":
        shutil.copyfile(tmp_path / "reprint_cluster.png", REPO / "docs" / "browse.png")
    assert column(cluster, "role") == ["original", "copy"]
    assert column(cluster, "headline") == [ORIGINAL_HEADLINE, REPUBLISHED_HEADLINE]
    assert column(cluster, "publisher") == ["Ministry of Energy", "Caspian Post"]
    assert column(cluster, "agency") == ["Ministry of Energy", "Ministry of Energy"]
    assert column(cluster, "published_at") == ["2024-06-04 08:30:00.000000", "2024-06-04 11:47:00.000000"]
    assert column(cluster, "size") == ["2", "2"]


def test_an_agency_shows_every_release_it_is_credited_with(
    chromium: Chromium, browse_url: str, browsed_archive: BrowsedArchive, tmp_path: Path
) -> None:
    apa = page(chromium, f"{browse_url}/archive/agency_releases?agency=APA", tmp_path, "agency_releases")
    credited = newest_first([t for t in browsed_archive.truth if t["source"] == "APA"])
    assert column(apa, "headline") == [t["headline"] for t in credited]
    assert len(credited) >= 2


def test_the_revisions_of_an_article_show_what_changed(
    chromium: Chromium, browse_url: str, browsed_archive: BrowsedArchive, tmp_path: Path
) -> None:
    latest = chromium.dom(f"{browse_url}/archive/latest_releases")
    links = dict(zip(column(latest, "headline"), column_links(latest, "revisions"), strict=True))
    [href] = links[browsed_archive.revised["headline"]]
    changes = page(chromium, f"{browse_url}{href}", tmp_path, "revisions_of_article")
    body = browsed_archive.revised["body"]
    first = body.split("\n\n")[0]
    assert column(changes, "revision") == ["1"]
    assert column(changes, "changed") == ["body"]
    revised_headline = browsed_archive.revised["headline"]
    assert column(changes, "headline_before") == column(changes, "headline_after") == [revised_headline]
    assert column(changes, "body_before") == [" ".join(body.split())]
    assert column(changes, "body_after") == [" ".join(body.replace(first, first + REVISED_NOTE).split())]


def test_sources_health_puts_the_failing_source_first_and_links_to_its_runs(
    chromium: Chromium, browse_url: str, tmp_path: Path
) -> None:
    health = page(chromium, f"{browse_url}/archive/sources_health", tmp_path, "sources_health")
    assert column(health, "configured_source") == [
        "dead-wire", "caspian-post", "gov-press", "novosti-kaspiya", "trend-wire",
    ]
    assert column(health, "last_status") == ["failed", "ok", "ok", "ok", "ok"]
    assert column(health, "consecutive_failures") == ["2", "0", "0", "0", "0"]
    assert column(health, "health") == ["ok"] * 5  # UNHEALTHY from 3 failed runs in a row
    assert column(health, "runs") == ["2"] * 5
    assert column_items(health, "errors_by_kind")[0] == ["http_status: 1"]
    [runs_link] = column_links(health, "configured_source")[0]
    runs = page(chromium, f"{browse_url}{runs_link}", tmp_path, "runs_of_dead_wire")
    assert text_of(runs, "//h3")[0] == '2 rows where source = "dead-wire" sorted by started_at descending'
    assert column(runs, "status") == ["failed", "failed"]


def test_crawl_errors_of_the_last_day_show_each_failed_page(
    chromium: Chromium, browse_url: str, browsed_archive: BrowsedArchive, tmp_path: Path
) -> None:
    errors = page(chromium, f"{browse_url}/archive/recent_errors", tmp_path, "recent_errors")
    dead_page = f"{browsed_archive.server.base_url}/dead-wire/en/news"
    assert column(errors, "configured_source") == ["dead-wire", "dead-wire"]
    assert column(errors, "kind") == ["http_status", "http_status"]
    assert column(errors, "status") == ["404", "404"]
    assert column(errors, "url") == [dead_page, dead_page]


def test_an_article_row_links_to_its_page_its_cluster_and_its_revisions(
    chromium: Chromium, browse_url: str, browsed_archive: BrowsedArchive, tmp_path: Path
) -> None:
    latest = chromium.dom(f"{browse_url}/archive/latest_releases")
    ids = dict(zip(column(latest, "headline"), column(latest, "id"), strict=True))
    original = next(t for t in browsed_archive.truth if t["headline"] == ORIGINAL_HEADLINE)
    row = page(chromium, f"{browse_url}/archive/articles/{ids[ORIGINAL_HEADLINE]}", tmp_path, "article_row")
    assert column_links(row, "url") == [[browsed_archive.url_of(original)]]
    [[cluster_link]] = column_links(row, "duplicate_group_id")
    assert query_of(cluster_link)[0] == "/archive/reprint_clusters"
    revised = chromium.dom(f"{browse_url}/archive/articles/{ids[browsed_archive.revised['headline']]}")
    [revisions_link] = revised.xpath("//a[contains(@href, '/archive/article_revisions?article_id=')]/@href")
    shown = text_of(revised, f"//a[@href='{revisions_link}']/..")[0]
    assert shown.startswith("1 row from article_id in article_revisions")


@pytest.mark.parametrize("name", ["latest_releases", "reprint_clusters", "sources_health", "recent_errors"])
def test_every_canned_query_page_renders_without_error(chromium: Chromium, browse_url: str, name: str) -> None:
    rendered = chromium.dom(f"{browse_url}/archive/{name}")
    assert rendered.xpath("//p[contains(@class, 'message-error')]") == []
    assert row_count(rendered) > 0
