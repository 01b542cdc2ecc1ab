"""Listing pages: a page that mostly lists other articles is marked, a real article never is."""
from __future__ import annotations

import lxml.html
import pytest

from presswatch.crawler.parsing import parse_article
from presswatch.crawler.parsing.listing import is_listing
from presswatch.crawler.parsing.structured import read_structured

URL = "https://ministry.example/en/press/page-2.html"
TITLES = [f"Release number {n} about the work of the ministry" for n in range(10)]
TEASER = "The ministry said in statement {n} on Monday that the work goes on as planned."


def _items(template: str, count: int = 10) -> str:
    return "\n".join(template.format(n=n, title=TITLES[n]) for n in range(count))


LISTING = ('<html><body><h1>Press releases - page 2</h1><ul>'
           + _items('<li><h3><a href="/en/press/2023/release-{n}.html">{title}</a></h3>'
                    f'<p>{TEASER}</p></li>') + "</ul></body></html>")
ARTICLE_WITH_RELATED = (
    "<html><body><article><h1>Bridge works begin</h1>"
    "<p>The city began building a new bridge over the river on Monday.</p></article>"
    '<div class="more"><ul>'
    + _items('<li><a href="/en/press/2023/release-{n}.html">{title}</a></li>') + "</ul></div></body></html>")
INLINE_LINKS = ("<html><body><article><h1>Bridge works begin</h1>"
                + _items('<p>The city said, as in <a href="/en/press/2023/release-{n}.html">{title}</a>, '
                         "that the new bridge over the river will open in the autumn of next year "
                         "and cost about twelve million euros.</p>")
                + "</article></body></html>")
TITLES_AND_DATES = ('<html><body><h1>Latest news</h1>'
                    + _items('<div class="row"><span>1{n}.04.2023 / 10:13</span> '
                             '<a href="/en/press/2023/release-{n}.html">{title}</a></div>')
                    + "</body></html>")
PERMALINKS = ("<html><body><h1>Thread: my cat</h1>"
              + _items(f'<div class="post"><a href="{URL}/post-{{n}}">Permalink of post number {{n}}</a>'
                       f"<p>{TEASER}</p></div>") + "</body></html>")


@pytest.mark.parametrize(("html", "listing"), [
    (LISTING, True),
    (TITLES_AND_DATES, True),
    (LISTING.replace("<body>", "<head></head><body>").replace(
        "<head></head>", '<head><meta property="og:type" content="article"></head>'), False),
    (LISTING.replace("</ul>", '</ul><a href="/en/s/1">Press releases - page 2</a>'), False),
    (ARTICLE_WITH_RELATED, False),
    (INLINE_LINKS, False),
    (PERMALINKS, False),
    ("<html><body><p>Short text</p></body></html>", False),
])
def test_a_page_of_teasers_linking_to_other_articles_is_a_listing(html: str, listing: bool) -> None:
    assert parse_article(html, URL).listing is listing


def test_too_few_listed_articles_is_no_listing() -> None:
    html = LISTING.replace(_items('<li><h3><a href="/en/press/2023/release-{n}.html">{title}</a></h3>'
                                  f'<p>{TEASER}</p></li>'), _items(
        '<li><h3><a href="/en/press/2023/release-{n}.html">{title}</a></h3>'
        f'<p>{TEASER}</p></li>', 7))
    tree = lxml.html.document_fromstring(html)
    assert is_listing(tree, URL, TEASER.format(n=0), read_structured(tree)) is False


def test_a_malformed_link_is_skipped_not_an_error() -> None:
    html = LISTING.replace("<ul>", '<ul><li><a href="http://[ccpa-preferences]/x">Privacy preferences</a></li>')
    article = parse_article(html, URL)
    assert (article.error, article.listing) == (None, True)
