"""The page's visible text as one string, with the headline's position marked."""
from __future__ import annotations

import re
from dataclasses import dataclass

from lxml.html import HtmlElement

from presswatch.crawler.parsing.text import element_text, fold

SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe",
                       "figcaption",
                       "select", "option", "button"})
BLOCK_TAGS = frozenset({"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr",
                        "td", "section", "article", "header", "footer", "time", "span",
                        "ul", "ol", "dd", "dt", "figure", "figcaption", "blockquote", "aside"})

ASIDE_NAMES = re.compile(r"comment|sidebar|related|recommend|trending|popular|most-?read|caption",
                         re.IGNORECASE)

# Elements that may hold a sidebar or a comment (an inline element never does).
CONTAINER_TAGS = frozenset({"div", "section", "aside", "article", "ul", "ol", "li", "footer",
                            "table", "dl", "nav", "form"})


@dataclass(frozen=True, slots=True)
class PageText:
    """The text, the headline's span in it, and the spans of asides (sidebars, comments)."""

    text: str
    anchor_start: int = 0
    anchor_end: int = 0
    asides: tuple[tuple[int, int], ...] = ()

    def in_aside(self, at: int) -> bool:
        return any(lo <= at < hi for lo, hi in self.asides)


def headline_element(tree: HtmlElement, headline: str | None) -> HtmlElement | None:
    """The element that shows the headline: an ``h1``/``h2`` with its text, else the first
    ``h1``, else the ``article``/``main`` element."""
    if headline:
        key = fold(headline)[:60]
        for tag in ("h1", "h2"):
            for element in tree.iter(tag):
                if key and key in fold(element_text(element)):
                    return element
    for tag in ("h1", "article", "main"):
        element = tree.find(f".//{tag}")
        if element is not None:
            return element
    return None


def anchored_at(page: PageText, snippet: str) -> PageText:
    """The same text anchored where ``snippet`` (e.g. the body's first words) appears."""
    at = page.text.find(snippet) if snippet else -1
    return PageText(page.text, at, at, page.asides) if at >= 0 else page


def page_text(tree: HtmlElement, anchor: HtmlElement | None) -> PageText:
    """Walk the document once, collecting text, the anchor's span and the asides' spans."""
    parts: list[str] = []
    size = 0
    start = end = 0
    asides: list[tuple[int, int]] = []
    # (element, None) opens an element; (element, n) closes it, n >= 0 where an aside began
    stack: list[tuple[HtmlElement, int | None]] = [(tree, None)]
    # a headline set inside a caption ("<figcaption><small>date</small><h1>…") is still read
    holds_anchor = set(anchor.iterancestors()) if anchor is not None else set()
    while stack:
        element, opened_at = stack.pop()
        if opened_at is not None:
            if element is anchor:
                end = size
            if opened_at >= 0:
                asides.append((opened_at, size))
            if element.tail:
                parts.append(element.tail)
                size += len(element.tail)
            continue
        tag = element.tag if isinstance(element.tag, str) else ""
        if element is anchor:
            start = size
        if tag in BLOCK_TAGS:
            parts.append(" \n ")
            size += 3
        aside = tag in CONTAINER_TAGS and _is_aside(element) and element not in holds_anchor
        stack.append((element, size if aside else -1))
        skipped = tag in SKIP_TAGS and element not in holds_anchor
        if tag and not skipped and element.text:
            parts.append(element.text)
            size += len(element.text)
        if not skipped:
            stack.extend((child, None) for child in reversed(element))
    if anchor is not None and tree.tag == "html" and anchor.tag in ("article", "main"):
        end = start
    return PageText("".join(parts), start, end, tuple(asides))


def in_aside(element: HtmlElement) -> bool:
    """The element stands in a sidebar, a comment or a related-items block."""
    return any(_is_aside(e) for e in element.iterancestors(*CONTAINER_TAGS))


def _is_aside(element: HtmlElement) -> bool:
    """A sidebar, comment or related-items block: not the article's own text. An ``<aside>``
    within an ``<article>`` is the article's (its metadata box); the page's own classes
    ("has-sidebar" on ``<body>``) say nothing."""
    if element.tag == "aside" and next(element.iterancestors("article"), None) is None:
        return True
    names = element.get("class") or element.get("id")
    return names is not None and ASIDE_NAMES.search(names) is not None
