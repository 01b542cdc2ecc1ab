"""The page's visible text as one string, with the headline's position marked."""
from __future__ import annotations

from dataclasses import dataclass

from lxml.html import HtmlElement

from crawler.parsing.text import element_text, fold

SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe",
                       "figcaption",
                       "select", "option", "button"})
BLOCK_TAGS = frozenset({"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr",
                        "td", "section", "article", "header", "footer", "time", "span",
                        "ul", "ol", "dd", "dt", "figure", "figcaption", "blockquote", "aside"})


@dataclass(frozen=True, slots=True)
class PageText:
    text: str
    anchor_start: int = 0
    anchor_end: int = 0


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
    return PageText(page.text, at, at) if at >= 0 else page


def page_text(tree: HtmlElement, anchor: HtmlElement | None) -> PageText:
    """Walk the document once, collecting text and the anchor's span."""
    parts: list[str] = []
    size = 0
    start = end = 0
    stack: list[tuple[HtmlElement, bool]] = [(tree, False)]
    while stack:
        element, closing = stack.pop()
        if closing:
            if element is anchor:
                end = size
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
        if tag and tag not in SKIP_TAGS and element.text:
            parts.append(element.text)
            size += len(element.text)
        stack.append((element, True))
        if tag not in SKIP_TAGS:
            stack.extend((child, False) for child in reversed(element))
    if anchor is not None and tree.tag == "html" and anchor.tag in ("article", "main"):
        end = start
    return PageText("".join(parts), start, end)
