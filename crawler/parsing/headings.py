"""The page's visible headline heading: the ``h1``, unless it is a breadcrumb/SEO copy."""
from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from presswatch.crawler.parsing.text import element_text, join_pieces

# Parts of a heading that are not the headline: the kicker above it and screen-reader text.
_KICKER = re.compile(
    r"kicker|overline|topline|dachzeile|roofline|eyebrow|supertitle|pretitle|__topic",
    re.IGNORECASE,
)
_NOT_HEADLINE = re.compile(
    rf"{_KICKER.pattern}|offscreen|sr-only|visually-hidden|a11y-hidden|screen-reader",
    re.IGNORECASE,
)
# An h1 that is a breadcrumb or a copy for search engines ("seotitle"): the h2 after it shows.
_BREADCRUMB = re.compile(r"breadcrumb|\bseo", re.IGNORECASE)
_LOGO = re.compile(r"logo|site-?(?:title|name)", re.IGNORECASE)
MAX_HEADINGS = 6
MAX_KICKER_SCAN = 12  # the first h1/h2 headings, looked at for a marked kicker


def heading_texts(tree: HtmlElement) -> list[str]:
    """Texts of the headline headings, in document order, at most a few."""
    texts = [heading_text(h) for h in _headings(tree)]
    return [t for t in texts if 3 <= len(t) <= 400][:MAX_HEADINGS]


def kicker_headings(tree: HtmlElement) -> list[tuple[str, str]]:
    """(kicker, headline) of the ``h1``/``h2`` headings that mark a kicker apart
    (``<span class="kicker">``, ``data-article-kicker``): how a page shows its headline."""
    found = []
    for heading in islice(tree.iter("h1", "h2"), MAX_KICKER_SCAN):
        kicker = next((part for part in heading.iterdescendants() if _is_kicker(part)), None)
        if kicker is not None:
            found.append((element_text(kicker), heading_text(heading)))
    return [(k, t) for k, t in found if 3 <= len(t) <= 400][:MAX_HEADINGS]


def _headings(tree: HtmlElement) -> Iterator[HtmlElement]:
    """``h1`` elements; for a breadcrumb ``h1`` (an SEO copy), the ``h2`` that follows it."""
    for h1 in tree.iter("h1"):
        if is_logo(h1):
            continue
        if not _is_breadcrumb(h1):
            yield h1
            continue
        following = h1.xpath("following::h2[1]")
        if following:
            yield following[0]


def _is_breadcrumb(element: HtmlElement) -> bool:
    marks = " ".join([element.get("class", ""), *element.attrib.keys()])
    return bool(_BREADCRUMB.search(marks))


def is_logo(element: HtmlElement) -> bool:
    """The site's name as a heading: marked as a logo, or a link to the home page."""
    marks = f"{element.get('class', '')} {element.get('id', '')}"
    if _LOGO.search(marks):
        return True
    for link in element.xpath("ancestor::a[@href] | descendant::a[@href]"):
        href = urlsplit(link.get("href", "").strip())
        root = href.path == "/" or (href.netloc and not href.path)
        if "home" in link.get("rel", "").lower().split() or (
                root and not href.query and not href.fragment):
            return True
    return False


def heading_text(element: HtmlElement) -> str:
    """A heading's text without its kicker and screen-reader-only parts."""
    return join_pieces(_pieces(element))


def _pieces(element: HtmlElement) -> Iterator[str]:
    yield element.text or ""
    for child in element:
        if isinstance(child.tag, str) and not (
                _NOT_HEADLINE.search(child.get("class", "")) or _is_kicker(child)):
            yield from _pieces(child)
        yield child.tail or ""


def _is_kicker(element: HtmlElement) -> bool:
    """Marked as a kicker by its class or by a data attribute's name ("data-…-kicker")."""
    if not isinstance(element.tag, str):
        return False
    return bool(_KICKER.search(element.get("class", ""))) or any(
        "kicker" in name for name in element.attrib)
