"""Listing pages: a page that is mostly a list of links to other articles is not an article.

An index of press releases ("Press releases - page 2") can sit at a URL that looks like an
article's (``/press/page-2.html``). What gives it away is its content: many links to pages
of one URL pattern (the articles it lists), each in an item of its own (title, date, teaser),
and the text a body extractor finds on it is those items' text. A real article may list
related stories too, but its text lies outside those items; a page that declares itself an
article (og:type, a dated JSON-LD article) or links its own headline is never a listing.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from itertools import islice
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from presswatch.crawler.parsing.structured import Structured
from presswatch.crawler.parsing.text import fold

MIN_ITEMS = 5  # distinct pages of one URL pattern the page must link to
MIN_ITEMS_IN_BODY = 3  # ... of which the body's text must come from at least this many
BODY_IN_ITEMS = 0.5  # share of the body's text that lies in the listed items
MIN_ENTRY_TEXT = 4  # text beside an item's link: a date at least
MIN_PIECE = 12  # a piece of an item's text long enough to recognise in the body
ITEM_MAX_CHARS = 1000  # an item is a teaser, never a whole article
MIN_TITLE_CHARS = 15  # a listed article's link shows its headline
INLINE_LINK_SHARE = 0.5  # a paragraph less linked than this is running text
MAX_LINKS = 3000  # links looked at: a listing shows its items long before this
_DIGITS = re.compile(r"\d+")
# An item's own text beside its link (teaser, date): a list of bare links (related stories)
# that a body extractor swallowed is not what makes a page a listing.
_BESIDE_LINK = ".//text()[not(ancestor::a)]"


def is_listing(tree: HtmlElement, url: str, body: str | None, structured: Structured,
               headline: str | None = None) -> bool:
    """True when the page lists other articles and its text is their teasers; never for a
    page that declares itself one article (``og:type`` article, a dated JSON-LD article) or
    links its own headline (one story shown among its neighbours)."""
    if _declares_an_article(structured):
        return False
    items = _listed_items(tree, url)
    if len(items) < MIN_ITEMS:
        return False
    text = fold(body or "")
    if not text:
        return True
    listed, sources = 0, 0
    for item in items:
        pieces = [key for key in (fold(piece) for piece in item.itertext())
                  if len(key) >= MIN_PIECE] if _is_entry(item) else []
        found = sum(len(piece) for piece in pieces if piece in text)
        listed += found
        sources += found > 0
    return (sources >= MIN_ITEMS_IN_BODY and listed >= BODY_IN_ITEMS * len(text)
            and not _links_its_headline(tree, headline))


def _is_entry(item: HtmlElement) -> bool:
    """An entry of a listing (title and date or teaser), not a bare link."""
    return any(len(fold(piece)) >= MIN_ENTRY_TEXT for piece in item.xpath(_BESIDE_LINK))


def _links_its_headline(tree: HtmlElement, headline: str | None) -> bool:
    key = fold(headline or "")
    return len(key) >= MIN_TITLE_CHARS and any(fold(a.text_content()) == key for a in tree.iter("a"))


def _declares_an_article(structured: Structured) -> bool:
    if (structured.first_meta("og:type") or "").lower() == "article":
        return True
    return any("headline" in obj and "datePublished" in obj for obj in structured.articles)


def _listed_items(tree: HtmlElement, url: str) -> list[HtmlElement]:
    """One element per page of the page's most linked URL pattern: the link's own item."""
    groups: dict[str, dict[str, HtmlElement]] = defaultdict(dict)
    page = urlsplit(url)
    host, origin = page.hostname, f"{page.scheme}://{page.netloc}"
    own = _without_fragment(url).rstrip("/")
    for link in islice(tree.iter("a"), MAX_LINKS):
        href = link.get("href")
        if not href or len(link.text_content().strip()) < MIN_TITLE_CHARS or _in_running_text(link):
            continue  # "next", "#4", an image; a citation in the text
        target, link_host, path = _target(url, origin, host, href)
        if link_host != host or target == own or target.startswith(own + "/"):
            continue  # another site; the page itself (a post's permalink)
        pattern = _pattern(path)
        if pattern is not None:
            groups[pattern].setdefault(target, link)
    if not groups:
        return []
    links = list(max(groups.values(), key=len).values())
    if len(links) < MIN_ITEMS:
        return []
    return _items(links)


def _in_running_text(link: HtmlElement) -> bool:
    """A link inside a paragraph that is mostly other text: the writer citing a page."""
    paragraph = next((a for a in link.iterancestors("p")), None)
    if paragraph is None:
        return False
    linked = sum(len(a.text_content()) for a in paragraph.iter("a"))
    return linked < INLINE_LINK_SHARE * len(paragraph.text_content())


def _pattern(path: str) -> str | None:
    """``/en/news/economy/bank-keeps-rate-102`` -> ``4 /en/news/``: how deep, and the folders
    above the last one (digits alike: a date folder is any date); None for a folder or a page
    too short to be an article's (``/``, ``/about``)."""
    folders, _, name = path.rpartition("/")
    if len(name) < 5 or not folders:
        return None
    depth = folders.count("/")
    return f"{depth} {_DIGITS.sub('0', folders.rsplit('/', 1)[0])}/"


def _target(url: str, origin: str, host: str | None, href: str) -> tuple[str, str | None, str]:
    """(address without fragment, host, path) of a link; no host for a malformed one."""
    href = _without_fragment(href.strip())
    if href.startswith("/") and not href.startswith("//"):  # most links: no need to join
        href = origin + href
    if href.startswith(origin + "/"):
        return href, host, href[len(origin):].split("?", 1)[0]
    if href.startswith(("http://", "https://")):
        return href, None, ""  # another site (or the same one spelled otherwise)
    try:
        target = urljoin(url, href)
        parts = urlsplit(target)
        return target, parts.hostname, parts.path
    except ValueError:  # "https://[not-an-address]/": nothing to compare
        return "", None, ""


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _items(links: list[HtmlElement]) -> list[HtmlElement]:
    """Each link's largest ancestor holding no other listed link (and not a whole article)."""
    counts: Counter[HtmlElement] = Counter()
    for link in links:
        counts.update(link.iterancestors())
    items = []
    for link in links:
        item = link
        for ancestor in link.iterancestors():
            if counts[ancestor] > 1 or len(ancestor.text_content()) > ITEM_MAX_CHARS:
                break
            item = ancestor
        items.append(item)
    return items
