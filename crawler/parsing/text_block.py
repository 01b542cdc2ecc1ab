"""The article text read straight from the page, when one element plainly holds it.

Most article pages keep their text as paragraphs in one container ("entry-content",
"article-body", "story"). When that container holds most of the page's paragraph text, its
paragraphs are the body, and the generic extractor (trafilatura: three quarters of a page's
parse time) is not needed. On the DEV corpus this fires on about three pages in four and
scores a little better there than trafilatura does (its link-list and chrome filters are the
same ideas, applied to one container instead of the whole page).

Pages whose text is spread over several places, or whose largest paragraph group sits inside
page furniture (a footer, an aside, a list item), return None and go the generic way.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml.html import HtmlElement

from presswatch.crawler.parsing.body import SKIP, container_paragraphs, is_furniture, join_paragraphs
from presswatch.crawler.parsing.text import element_text

MIN_CHARS = 400  # paragraph text the container must hold
MIN_SHARE = 0.6  # ... as a share of all paragraph text on the page
# Paragraphs beside the container (the text split by an ad or a photo into sibling blocks)
# adding at least this share of its text: the parent holds the article.
SIBLING_GAIN = 0.25
MIN_PART_CHARS = 200  # a block of a body cut into several (teasers and slide captions are shorter)
LIST_LINK_SHARE = 0.5  # a list whose text is mostly links lists other articles
PARAGRAPH_LINK_SHARE = 0.8  # a short paragraph that is all link is a "read also" teaser
SHORT_PARAGRAPH = 200
TEXT_TAGS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "pre"})
SECTION_TAGS = frozenset({"div", "section", "article"})
# The container must not sit inside these: its paragraphs would be furniture.
FURNITURE_ANCESTORS = SKIP | {"header", "footer", "nav", "aside", "form", "figure", "li",
                              "blockquote", "td"}
_CHROME = re.compile(
    r"share|social|related|read-?also|advert|promo|caption|comment|footer|sidebar|nav|menu"
    r"|widget|newsletter|subscribe|teaser|recommend|popular|more-|breadcrumb"
)


@dataclass(frozen=True, slots=True)
class TextBlocks:
    """The article text as the page's paragraph containers give it."""

    whole: str | None  # the paragraphs of the element that plainly holds it
    split: str | None  # when none does: the blocks of its kind together (a body cut by ads)


def text_blocks(tree: HtmlElement) -> TextBlocks:
    """The paragraphs of the element holding most of the page's paragraph text, or, when no
    element plainly does, of the blocks of that element's kind together (either may be None)."""
    by_parent: dict[HtmlElement, int] = {}
    total = 0
    for paragraph in tree.iter("p"):
        if is_furniture(paragraph):
            continue
        size = len(paragraph.text_content().strip())
        parent = paragraph.getparent()
        if size and parent is not None:
            by_parent[parent] = by_parent.get(parent, 0) + size
            total += size
    if not by_parent:
        return TextBlocks(None, None)
    container, held = max(by_parent.items(), key=lambda item: item[1])
    depth = 0
    outer = container.getparent()
    if outer is not None:
        beside = by_parent.get(outer, 0) + sum(
            by_parent.get(sibling, 0) for sibling in outer
            if sibling is not container and not _is_chrome(sibling))
        if beside > SIBLING_GAIN * held:
            container, held, depth = outer, held + beside, 1
    if depth or held >= MIN_SHARE * total:
        return TextBlocks(_read([container], held, total, depth), None)
    parts = _twins(container, by_parent)  # cut into several blocks?
    return TextBlocks(None, _read(parts, sum(by_parent.get(part, 0) for part in parts), total, 0))


def _read(parts: list[HtmlElement], held: int, total: int, depth: int) -> str | None:
    """The parts' paragraphs when they hold enough of the page's text and sit in no furniture."""
    if held < MIN_CHARS or held < MIN_SHARE * total:
        return None
    if any(ancestor.tag in FURNITURE_ANCESTORS for part in parts for ancestor in part.iterancestors()):
        return None
    return join_paragraphs(paragraph for part in parts for paragraph in _paragraphs(part, depth)) or None


def _twins(container: HtmlElement, by_parent: dict[HtmlElement, int]) -> list[HtmlElement]:
    """The container and the elements of its kind (same tag, same classes) that hold paragraphs
    elsewhere on the page, in page order: an article body cut into several blocks by ads."""
    classes = container.get("class")
    if not classes or _is_chrome(container):
        return [container]
    return [element for element in by_parent if element is container or (
        element.tag == container.tag and element.get("class") == classes and by_parent[element] >= MIN_PART_CHARS)]


def _paragraphs(container: HtmlElement, depth: int) -> Iterator[str]:
    for child in container:
        tag = child.tag if isinstance(child.tag, str) else ""
        if not tag or tag in SKIP or _is_chrome(child) or is_furniture(child):
            continue
        if tag in TEXT_TAGS:
            if not _is_link_list(child) and not _is_teaser(child):
                yield from container_paragraphs(child)
        elif depth > 0 and tag in SECTION_TAGS:
            yield from _paragraphs(child, depth - 1)


def _is_chrome(element: HtmlElement) -> bool:
    return bool(_CHROME.search(f"{element.get('class', '')} {element.get('id', '')}".lower()))


def _is_link_list(element: HtmlElement) -> bool:
    return element.tag in ("ul", "ol") and _link_share(element) > LIST_LINK_SHARE


def _is_teaser(element: HtmlElement) -> bool:
    return (element.tag == "p" and len(element_text(element)) < SHORT_PARAGRAPH
            and _link_share(element) > PARAGRAPH_LINK_SHARE)


def _link_share(element: HtmlElement) -> float:
    size = len(element_text(element))
    if not size:
        return 1.0
    return sum(len(element_text(link)) for link in element.iter("a")) / size
