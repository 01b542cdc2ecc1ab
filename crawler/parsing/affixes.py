"""Site names glued onto a ``<title>`` that only the page itself can tell apart.

A page with no ``h1`` and no OpenGraph title, whose ``<title>`` reads ``Headline | Acme
Newsroom`` or ``Acme Newsroom » Headline``, names its site nowhere the metadata rules look.
The page still shows it: the title minus the affix is the text of a heading (or of an
element classed as the title), and the affix is the name in the logo's ``alt`` or in the
footer's copyright line. Either is evidence enough, whatever the separator.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import islice

from lxml.html import HtmlElement

from presswatch.crawler.parsing.headings import is_logo
from presswatch.crawler.parsing.text import clean_text, element_text, fold

# Separators between a title and a site name: those of ``headline._SEPARATORS`` without the
# colon after a word ("Kicker: Headline" is a kicker, not a site name).
AFFIX_SEPARATORS = re.compile(r"\s+[|–—•·»«›‹:/\\~*-]{1,2}\s+|\s*[|｜ㅣ]\s*|\s+::\s+|-{2}")
MAX_AFFIX_SEGMENTS = 2
MAX_AFFIX_WORDS = 6
MIN_CORE_KEY = 12  # a shorter rest of the title ("Home") proves nothing
MAX_SHOWN_ELEMENTS = 60
_TITLED = re.compile(r"title|headline|heading", re.IGNORECASE)
_LOGO = re.compile(r"logo|brand", re.IGNORECASE)
_COPYRIGHT_MARK = re.compile(r"©|\(c\)|copyright", re.IGNORECASE)
_COPYRIGHT = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?[\s,.]*"
    r"([^\s\d.,|©][^.,|©\n]{1,60}?)\s*(?:[.,|]|all rights|alle rechte|tous droits|$)",
    re.IGNORECASE,
)
MAX_LOGO_IMAGES = 20
COPYRIGHT_WINDOW = 120  # characters read after a copyright mark


def title_affixes(tree: HtmlElement, title: str | None, headed: bool) -> list[str]:
    """Folded site names at the ends of ``title`` that the page confirms, or none.

    ``headed``: the page has a headline heading (an ``h1``), which the title's core then
    need not be looked for in (the votes already weigh it): only the logo and the
    copyright line are asked.
    """
    if not title:
        return []
    parts = AFFIX_SEPARATORS.split(title)
    if len(parts) < 2:
        return []
    splits = list(_splits(parts))
    shown = set() if headed else _shown_texts(tree)
    for core, affix in splits:
        if fold(core) in shown and not any(fold(part) in shown for part in affix):
            return [fold(part) for part in affix]
    names = page_names(tree)
    for _, affix in splits:
        if len(affix) == 1 and _names_site(affix[0], names):
            return [fold(affix[0])]
    return []


def _splits(parts: Sequence[str]) -> Iterator[tuple[str, list[str]]]:
    """(rest of the title, affix segments) for affixes of one or two segments at either end.

    The rest is rejoined with single spaces: only its folded key is compared."""
    for size in range(1, min(MAX_AFFIX_SEGMENTS, len(parts) - 1) + 1):
        for affix, rest in ((parts[-size:], parts[:-size]), (parts[:size], parts[size:])):
            core = " ".join(rest)
            if len(fold(core)) >= MIN_CORE_KEY and len(" ".join(affix)) < len(core) and all(
                    len(part.split()) <= MAX_AFFIX_WORDS for part in affix):
                yield core, list(affix)


def _shown_texts(tree: HtmlElement) -> set[str]:
    """Folded texts of the page's headings and of elements classed as a title, but for the
    site's own name in its header (a logo, a link to the home page)."""
    body = tree.find("body")
    if body is None:
        return set()
    shown = islice(body.iter("h1", "h2", "h3"), MAX_SHOWN_ELEMENTS)
    titled = islice((e for e in body.iter("div", "span", "p", "strong", "header")
                     if _TITLED.search(e.get("class", ""))), MAX_SHOWN_ELEMENTS)
    return {fold(element_text(e)) for source in (shown, titled) for e in source if not is_logo(e)}


def page_names(tree: HtmlElement) -> list[str]:
    """Folded names the page gives its site: the logo image's ``alt``, the copyright line."""
    names = [fold(image.get("alt", "")) for image in islice(tree.iter("img"), MAX_LOGO_IMAGES)
             if image.get("alt") and _is_logo(image)]
    for footer in tree.iter("footer"):
        text = clean_text(element_text(footer))
        for mark in _COPYRIGHT_MARK.finditer(text):
            window = text[mark.start():mark.start() + COPYRIGHT_WINDOW]
            names += [fold(match) for match in _COPYRIGHT.findall(window)]
    return [name for name in names if len(name) >= 2 and name != "logo"]


def _is_logo(image: HtmlElement) -> bool:
    marks = [image, *islice(image.iterancestors(), 3)]
    return any(_LOGO.search(f"{e.get('class', '')} {e.get('id', '')} {e.get('src', '')}")
               for e in marks)


def _names_site(segment: str, names: Sequence[str]) -> bool:
    key = fold(segment)
    return bool(key) and any(
        key == name or (len(name) >= 4 and (name in key or key in name)
                        and 2 * min(len(key), len(name)) >= max(len(key), len(name)))
        for name in names)
