"""The bundled demo sites (fixtures/demo): generated deterministically, consistent with their truth."""
from __future__ import annotations

import filecmp
import json
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.request import urlopen

import pytest

from presswatch.crawler.site_server import SiteServer

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
SITES = DEMO / "sites"
SEED_TEXT = DEMO / "content" / "caspian-post-2548871.txt"
SEED_PATH = ("/caspian-post/en/news/politics/president-aliyev-azerbaijan-kazakhstan-reaching-"
             "qualitatively-new-level-of-interaction-alliance-2548871")
FEEDS = {
    "caspian-post": "caspian-post/en/rss.xml",
    "gov-press": "gov-press/en/atom.xml",
    "trend-wire": "trend-wire/en/rss.xml",
    "novosti-kaspiya": "novosti-kaspiya/ru/rss.xml",
}
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
HREF = re.compile(r'href="([^"#]+)"')
BASE = "http://demo.invalid"


@pytest.fixture(scope="module")
def truth() -> list[dict]:
    return [json.loads(line) for line in (DEMO / "truth.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def sources() -> dict[str, dict]:
    config = tomllib.loads((DEMO / "sources.toml").read_text(encoding="utf-8"))
    return {source["name"]: source for source in config["sources"]}


def newest_first(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda t: datetime.fromisoformat(t["published_at"]), reverse=True)


def of_site(truth: list[dict], site: str) -> list[dict]:
    return [t for t in truth if t["site"] == site]


def article_links(html: str, pattern: str) -> list[str]:
    """Root-relative article links on a page, first occurrence order, no repeats."""
    return list(dict.fromkeys(h for h in HREF.findall(html) if re.search(pattern, BASE + h)))


def listing_pages(site: str, language: str) -> list[Path]:
    news = SITES / site / language / "news"
    pages = sorted((news / "page").glob("*.html"), key=lambda p: int(p.stem))
    return [news / "index.html", *pages]


def test_the_generator_is_deterministic(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(DEMO / "generate.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    assert (tmp_path / "truth.jsonl").read_bytes() == (DEMO / "truth.jsonl").read_bytes()
    committed = sorted(p.relative_to(SITES) for p in SITES.rglob("*") if p.is_file())
    generated = sorted(p.relative_to(tmp_path / "sites") for p in (tmp_path / "sites").rglob("*") if p.is_file())
    assert generated == committed
    _, mismatch, errors = filecmp.cmpfiles(SITES, tmp_path / "sites", [str(p) for p in committed], shallow=False)
    assert (mismatch, errors) == ([], [])


def test_four_sites_with_at_least_sixteen_articles_each(truth: list[dict], sources: dict[str, dict]) -> None:
    counts = {site: len(of_site(truth, site)) for site in sources}
    assert set(counts) == {"caspian-post", "gov-press", "trend-wire", "novosti-kaspiya"}
    assert min(counts.values()) >= 16 and sum(counts.values()) >= 64


def test_truth_has_one_line_per_article_page_on_disk(truth: list[dict], sources: dict[str, dict]) -> None:
    on_disk = set()
    for page in SITES.rglob("*.html"):
        path = "/" + str(page.relative_to(SITES).with_suffix(""))
        site = path.split("/")[1]
        if site in sources and re.search(sources[site]["article_pattern"], BASE + path):
            on_disk.add(path)
    paths = [t["path"] for t in truth]
    assert len(paths) == len(set(paths))
    assert set(paths) == on_disk


def test_truth_records_have_the_contract_fields(truth: list[dict], sources: dict[str, dict]) -> None:
    keys = {"site", "path", "headline", "labels", "published_at", "source", "publisher", "body",
            "language", "authors", "republished_from"}
    for t in truth:
        assert set(t) == keys, t["path"]
        assert t["publisher"] == sources[t["site"]]["publisher"]
        assert t["language"] == sources[t["site"]]["language"]
        assert t["body"] == t["body"].strip() and "\n\n\n" not in t["body"]
        assert 3 <= len(t["body"].split("\n\n")) or t["path"] == SEED_PATH
        assert all(label == label.upper() for label in t["labels"])
        assert t["source"] not in t["authors"]


def test_dates_are_distinct_minutes_in_2023_to_2025_with_the_sites_offset(truth: list[dict]) -> None:
    offsets = {"caspian-post": {"+04:00"}, "trend-wire": {"+04:00"}, "novosti-kaspiya": {"+03:00"},
               "gov-press": {"+01:00", "+02:00"}}
    moments = [datetime.fromisoformat(t["published_at"]) for t in truth]
    assert len({m.astimezone(timezone.utc) for m in moments}) == len(moments)
    for t, moment in zip(truth, moments):
        assert t["published_at"][-6:] in offsets[t["site"]], t["path"]
        assert datetime(2023, 1, 1, tzinfo=timezone.utc) <= moment < datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert {m.year for m in moments} == {2023, 2024, 2025}


def test_the_seed_article_is_rendered_verbatim(truth: list[dict]) -> None:
    [seed] = [t for t in truth if t["path"] == SEED_PATH]
    lines = [line.strip() for line in SEED_TEXT.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert seed == {
        "site": "caspian-post", "path": SEED_PATH,
        "headline": "President Aliyev: Azerbaijan, Kazakhstan reaching qualitatively new level of "
                    "interaction, alliance",
        "labels": ["PHOTO", "UPDATED"], "published_at": "2023-04-10T20:01:00+04:00",
        "source": "Azertag", "publisher": "Caspian Post", "body": "\n\n".join(lines[2:]),
        "language": "en", "authors": [], "republished_from": None,
    }
    html = (SITES / (SEED_PATH.lstrip("/") + ".html")).read_text(encoding="utf-8")
    assert f"<h1 class=\"news-item__title\">{lines[0]}</h1>" in html
    assert "<title>President Aliyev: Azerbaijan, Kazakhstan reaching qualitatively new level of " \
           "interaction, alliance PHOTO/UPDATED | Caspian Post</title>" in html
    assert ">10 April 2023 20:01<" in html
    assert "<p>- Dear Ilham Heydar oglu.</p>" in html


def test_one_release_is_republished_with_the_same_body_a_few_hours_later(truth: list[dict]) -> None:
    [copy] = [t for t in truth if t["republished_from"]]
    [original] = [t for t in truth if t["path"] == copy["republished_from"]]
    assert (original["site"], copy["site"]) == ("gov-press", "caspian-post")
    assert copy["body"] == original["body"]
    assert copy["headline"] != original["headline"]
    assert copy["source"] == original["source"] == "Ministry of Energy"
    delay = datetime.fromisoformat(copy["published_at"]) - datetime.fromisoformat(original["published_at"])
    assert timedelta(hours=1) < delay < timedelta(hours=12)


def test_every_page_shows_its_date_the_way_its_site_does(truth: list[dict]) -> None:
    ru_months = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split()
    for t in truth:
        html = (SITES / (t["path"].lstrip("/") + ".html")).read_text(encoding="utf-8")
        moment = datetime.fromisoformat(t["published_at"])
        assert "Friday, 27 November 2026" in html or "Пятница, 27 ноября 2026" in html
        if t["site"] == "caspian-post":
            assert f">{moment.day} {moment:%B %Y %H:%M}<" in html and "ld+json" not in html
        elif t["site"] == "gov-press":
            assert f'"datePublished": "{t["published_at"]}"' in html
        elif t["site"] == "trend-wire":
            assert f'<meta property="article:published_time" content="{t["published_at"]}">' in html
            assert "ld+json" not in html
        else:
            assert f">{moment.day} {ru_months[moment.month - 1]} {moment:%Y, %H:%M}<" in html


def test_every_article_is_in_its_sitemap_with_lastmod(truth: list[dict], sources: dict[str, dict]) -> None:
    for site in sources:
        tree = ET.parse(SITES / site / "sitemap.xml")
        urls = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in tree.getroot()}
        expected = {"__BASE__" + t["path"] for t in of_site(truth, site)}
        assert set(urls) == expected
        assert all(datetime.fromisoformat(lastmod).tzinfo for lastmod in urls.values())


def test_listing_pages_link_five_articles_newest_first_except_the_last(
    truth: list[dict], sources: dict[str, dict]
) -> None:
    for site, source in sources.items():
        pages = listing_pages(site, source["language"])
        linked = [article_links(p.read_text(encoding="utf-8"), source["article_pattern"]) for p in pages]
        assert [len(links) for links in linked[:-1]] == [5] * (len(pages) - 1)
        assert 1 <= len(linked[-1]) <= 5
        assert [path for links in linked for path in links] == [t["path"] for t in newest_first(of_site(truth, site))]
        for number, page in enumerate(pages, start=1):
            html = page.read_text(encoding="utf-8")
            url = source["start_urls"][0].replace("__BASE__", BASE) + ("" if number == 1 else f"/page/{number}")
            assert re.search(source["listing_pattern"], url)
            if number < len(pages):
                assert f'rel="next" href="/{site}/{source["language"]}/news/page/{number + 1}"' in html
            for other in range(1, len(pages) + 1):
                assert f">{other}<" in html


def test_feeds_carry_the_ten_newest_articles(truth: list[dict], sources: dict[str, dict]) -> None:
    for site, feed in FEEDS.items():
        root = ET.parse(SITES / feed).getroot()
        if root.tag == f"{ATOM}feed":
            links = [e.find(f"{ATOM}link").get("href") for e in root.findall(f"{ATOM}entry")]
        else:
            links = [item.findtext("link") for item in root.iter("item")]
        newest = newest_first(of_site(truth, site))[:10]
        assert links == ["__BASE__" + t["path"] for t in newest]
        assert sources[site]["feeds"] == ["__BASE__/" + feed]


def test_article_patterns_match_articles_only(truth: list[dict], sources: dict[str, dict]) -> None:
    for page in SITES.rglob("*.html"):
        path = "/" + str(page.relative_to(SITES).with_suffix("")).removesuffix("/index")
        matches = [name for name, s in sources.items() if re.search(s["article_pattern"], BASE + path)]
        listings = [name for name, s in sources.items() if re.search(s["listing_pattern"], BASE + path)]
        is_article = any(t["path"] == path for t in truth)
        assert len(matches) == (1 if is_article else 0), path
        assert not (matches and listings), path


def test_sources_config_has_the_documented_keys(sources: dict[str, dict]) -> None:
    keys = {"name", "publisher", "start_urls", "feeds", "sitemaps", "timezone", "language", "interval",
            "article_pattern", "listing_pattern"}
    for source in sources.values():
        assert set(source) == keys
        assert source["interval"] == "10m"
        assert all(url.startswith("__BASE__/") for url in source["start_urls"] + source["feeds"] + source["sitemaps"])


def test_the_served_demo_has_absolute_links_and_no_dead_internal_links(sources: dict[str, dict]) -> None:
    with SiteServer(SITES) as server:
        robots = urlopen(server.base_url + "/robots.txt", timeout=5).read().decode()
        assert f"Sitemap: {server.base_url}/caspian-post/sitemap.xml" in robots
        disallowed = tuple(line.split(": ", 1)[1] for line in robots.splitlines() if line.startswith("Disallow: "))
        sitemap = urlopen(server.base_url + "/gov-press/sitemap.xml", timeout=5).read().decode()
        assert f"<loc>{server.base_url}/gov-press/en/press/" in sitemap
        server.clear_requests()
        for source in sources.values():
            start = source["start_urls"][0].replace("__BASE__", server.base_url)
            html = urlopen(start, timeout=5).read().decode()
            for href in HREF.findall(html):
                if href.startswith("/") and not href.startswith(disallowed):
                    urlopen(server.base_url + href, timeout=5).read()
        assert {r.status for r in server.requests} == {200}
