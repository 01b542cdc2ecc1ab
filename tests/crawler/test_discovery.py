"""Finding article URLs on listing pages, in feeds and in sitemaps."""
from __future__ import annotations

import re

import pytest

from presswatch.crawler.config import Source
from presswatch.crawler.discovery import FeedError, clean_link, feed_links, listing_links, sitemap_links

SOURCE = Source(
    name="wire",
    publisher="Wire",
    start_urls=("https://wire.example/en/news",),
    article_pattern=re.compile(r"/en/news/[a-z]+/[a-z0-9-]+-\d+$"),
    listing_pattern=re.compile(r"/en/news(/page/\d+)?$"),
    allowed_domains=("wire.example",),
)

LISTING = b"""<html><head><base href="https://wire.example/en/"></head><body>
<nav><a href="/en/news">News</a> <a href="mailto:press@wire.example">Mail</a>
<a href="javascript:void(0)">Menu</a> <a href="data:text/html,x">x</a></nav>
<a href="news/politics/minister-meets-envoy-101#comments">Minister meets envoy</a>
<a href="https://wire.example/en/news/economy/bank-keeps-rate-102">Bank keeps rate</a>
<a href="/en/news/politics/minister-meets-envoy-101">again</a>
<a href="https://other.example/en/news/politics/elsewhere-7">elsewhere</a>
<a href="/en/news/page/2">2</a> <a href="/en/news/page/3">3</a>
</body></html>"""


def test_listing_links_are_absolute_unique_and_split_by_kind() -> None:
    links = listing_links(LISTING, "https://wire.example/en/news", SOURCE)
    assert links.articles == (
        "https://wire.example/en/news/politics/minister-meets-envoy-101",
        "https://wire.example/en/news/economy/bank-keeps-rate-102",
    )
    assert links.listings == ("https://wire.example/en/news/page/2", "https://wire.example/en/news/page/3")


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/a/b#frag", "https://wire.example/a/b"),
        ("  b?x=1 ", "https://wire.example/en/b?x=1"),
        ("mailto:x@y.z", None),
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        ("data:text/html,hi", None),
        ("", None),
        ("http://[bad", None),
    ],
)
def test_only_http_links_survive_cleaning(href: str, expected: str | None) -> None:
    assert clean_link(href, "https://wire.example/en/news") == expected


def test_rss_and_atom_items_give_their_links_in_order() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><link>https://wire.example/</link>
    <item><title>A</title><link>https://wire.example/en/news/politics/a-1</link></item>
    <item><title>B</title><link> /en/news/politics/b-2 </link></item></channel></rss>"""
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
    <link href="https://wire.example/"/>
    <entry><link rel="alternate" href="https://wire.example/en/news/politics/c-3"/>
    <link rel="enclosure" href="https://wire.example/photo.jpg"/></entry></feed>"""
    assert feed_links(rss, "https://wire.example/rss") == [
        "https://wire.example/en/news/politics/a-1",
        "https://wire.example/en/news/politics/b-2",
    ]
    assert feed_links(atom, "https://wire.example/atom") == ["https://wire.example/en/news/politics/c-3"]


def test_sitemaps_and_sitemap_indexes_are_told_apart() -> None:
    urlset = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>https://wire.example/en/news/politics/a-1</loc></url></urlset>"""
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>https://wire.example/sitemap-1.xml</loc></sitemap></sitemapindex>"""
    assert sitemap_links(urlset, "https://wire.example/sitemap.xml") == (["https://wire.example/en/news/politics/a-1"], [])
    assert sitemap_links(index, "https://wire.example/sitemap.xml") == ([], ["https://wire.example/sitemap-1.xml"])


def test_malformed_xml_is_a_feed_error_not_a_crash() -> None:
    with pytest.raises(FeedError, match="https://wire.example/sitemap.xml: "):
        sitemap_links(b"<html><body>not a sitemap</body></html>", "https://wire.example/sitemap.xml")
    with pytest.raises(FeedError):
        feed_links(b"\x00\x01 binary", "https://wire.example/rss")


def test_a_truncated_feed_gives_its_readable_items_and_names_the_problem() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel>
    <item><title>A</title><link>https://wire.example/en/news/politics/a-1</link></item>
    <item><title>B <b>bold</title><link>https://wire.example/en/news/politics/b-2"""
    problems: list[str] = []
    assert feed_links(rss, "https://wire.example/rss", problems)[0] == "https://wire.example/en/news/politics/a-1"
    [problem] = problems
    assert problem.startswith("https://wire.example/rss: malformed XML, read up to the error: line 3: ")


def test_a_well_formed_feed_has_no_problems() -> None:
    problems: list[str] = []
    urlset = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://wire.example/a</loc></url></urlset>"""
    sitemap_links(urlset, "https://wire.example/sitemap.xml", problems)
    assert problems == []


def test_feeds_and_sitemaps_never_yield_non_http_links() -> None:
    rss = b"""<rss version="2.0"><channel>
    <item><link>file:///etc/passwd</link></item><item><link>data:text/html,x</link></item>
    <item><link>ftp://wire.example/a</link></item><item><link>https://wire.example/ok</link></item></channel></rss>"""
    urlset = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>file:///etc/shadow</loc></url><url><loc>javascript:alert(1)</loc></url></urlset>"""
    assert feed_links(rss, "https://wire.example/rss") == ["https://wire.example/ok"]
    assert sitemap_links(urlset, "https://wire.example/sitemap.xml") == ([], [])


def test_sitemap_entries_older_than_since_are_left_out() -> None:
    from datetime import datetime, timezone

    xml = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
    <url><loc>https://wire.example/en/news/politics/old-1</loc><lastmod>2024-01-01</lastmod></url>
    <url><loc>https://wire.example/en/news/politics/new-2</loc><lastmod>2024-06-04T10:30:00+02:00</lastmod></url>
    <url><loc>https://wire.example/en/news/politics/news-3</loc><lastmod>2020-01-01</lastmod>
      <news:news><news:publication_date>2024-06-05T00:00:00Z</news:publication_date></news:news></url>
    <url><loc>https://wire.example/en/news/politics/undated-4</loc></url>
    <url><loc>https://wire.example/en/news/politics/garbled-5</loc><lastmod>last week</lastmod></url>
    </urlset>"""
    since = datetime(2024, 6, 1, tzinfo=timezone.utc)
    pages, _ = sitemap_links(xml, "https://wire.example/sitemap.xml", since=since)
    assert pages == [
        "https://wire.example/en/news/politics/new-2",
        "https://wire.example/en/news/politics/news-3",
        "https://wire.example/en/news/politics/undated-4",
        "https://wire.example/en/news/politics/garbled-5",
    ]
    assert len(sitemap_links(xml, "https://wire.example/sitemap.xml")[0]) == 5
