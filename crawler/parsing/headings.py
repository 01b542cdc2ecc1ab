"""The page's visible headline heading: the ``h1``, unless it is a breadcrumb/SEO copy."""
from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from crawler.parsing.text import join_pieces

# Parts of a heading that are not the headline: the kicker above it and screen-reader text.
_NOT_HEADLINE = re.compile(
    r"kicker|overline|topline|dachzeile|roofline|eyebrow|supertitle|pretitle|__topic"
    r"|offscreen|sr-only|visually-hidden|a11y-hidden|screen-reader",
    re.IGNORECASE,
)
_BREADCRUMB = re.compile(r"breadcrumb", re.IGNORECASE)
_LOGO = re.compile(r"logo|site-?(?:title|name)", re.IGNORECASE)
MAX_HEADINGS = 6


def heading_texts(tree: HtmlElement) -> list[str]:
    """Texts of the headline headings, in document order, at most a few."""
    texts = [heading_text(h) for h in _headings(tree)]
    return [t for t in texts if 3 <= len(t) <= 400][:MAX_HEADINGS]


def _headings(tree: HtmlElement) -> Iterator[HtmlElement]:
    """``h1`` elements; for a breadcrumb ``h1`` (an SEO copy), the ``h2`` that follows it."""
    for h1 in tree.iter("h1"):
        if _is_logo(h1):
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


def _is_logo(element: HtmlElement) -> bool:
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
        if isinstance(child.tag, str) and not _NOT_HEADLINE.search(child.get("class", "")):
            yield from _pieces(child)
        yield child.tail or ""
