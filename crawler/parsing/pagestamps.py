"""Timestamps a page carries outside its metadata: JSON state in scripts, RDF in comments,
stamps with offsets."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, tzinfo

from lxml import etree
from lxml.html import HtmlElement

from presswatch.crawler.parsing.datetext import parse_iso

# Keys that app state and analytics objects use for the publication time, best first.
PUBLISHED_KEYS = (
    "datePublished", "publishedDate", "publishDate", "published_at", "publishedAt",
    "publicationDate", "publish_date", "pubDate", "createdAt", "created_at", "dateCreated",
)
_BLOB_VALUE = re.compile(
    r'(?<![\w$])["\']?(' + "|".join(PUBLISHED_KEYS) + r')["\']?\s*:\s*["\']([^"\'\\]{8,40})["\']'
)
_STAMP = re.compile(
    r"(?<!\d)\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:[+-]\d{2}:?\d{2})(?!\d)"
)
_RDF_DATE = re.compile(r'dc:date="([^"]{8,40})"')
MAX_SCRIPT_CHARS = 2_000_000  # a larger script is a bundle, not page state


def _script_texts(tree: HtmlElement) -> Iterator[str]:
    for script in tree.iter("script"):
        text = script.text
        if text and len(text) < MAX_SCRIPT_CHARS and "ld+json" not in (script.get("type") or ""):
            yield text


def blob_dates(tree: HtmlElement) -> list[str]:
    """Publication times that scripts' JSON state holds (``"publishedDate": "2016-11-04…"``),
    in the order of :data:`PUBLISHED_KEYS`, then of the page."""
    found: list[tuple[int, str]] = []
    for text in _script_texts(tree):
        for match in _BLOB_VALUE.finditer(text):
            if parse_iso(match.group(2)):
                found.append((PUBLISHED_KEYS.index(match.group(1)), match.group(2)))
    found.sort(key=lambda item: item[0])  # stable: page order within one key
    return [value for _, value in found]


def rdf_dates(tree: HtmlElement) -> list[str]:
    """``dc:date`` of the trackback RDF that blog engines leave in an HTML comment."""
    return [match.group(1) for comment in tree.iter(etree.Comment)
            if "dc:date" in (comment.text or "")
            for match in _RDF_DATE.finditer(comment.text or "")]


def offset_shown_for(tree: HtmlElement, instant: datetime) -> tzinfo | None:
    """The non-zero offset in which the page writes this same instant elsewhere (a script,
    a ``<time>``, a ``<meta>``), if it does."""
    for text in _stamp_sources(tree):
        for raw in _stamps_like(text, instant):
            parsed = parse_iso(raw)
            value = parsed.value if parsed else None
            if value is not None and value.utcoffset() and value == instant:
                return value.tzinfo
    return None


def _stamp_sources(tree: HtmlElement) -> Iterator[str]:
    for element in tree.iter("time", "meta"):
        value = element.get("datetime") or element.get("content")
        if value:
            yield value
    yield from _script_texts(tree)


def _stamps_like(text: str, instant: datetime) -> Iterator[str]:
    """ISO times with an offset in ``text`` whose minutes and seconds may be ``instant``'s in
    some zone (offsets are whole, half or quarter hours): found by plain search, then read."""
    for quarter in (0, 15, 30, 45):
        needle = f":{(instant.minute + quarter) % 60:02d}:{instant.second:02d}"
        at = text.find(needle)
        while at >= 0:
            match = _STAMP.match(text, at - 13, at + 40) if at >= 13 else None
            if match:  # "2023-11-08T18" is 13 characters
                yield match.group(0)
            at = text.find(needle, at + 1)
