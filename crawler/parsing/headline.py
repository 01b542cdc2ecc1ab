"""The headline: what the page asserts by agreement, without site names or markers."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from lxml.html import HtmlElement

from presswatch.crawler.parsing.affixes import AFFIX_SEPARATORS, title_affixes
from presswatch.crawler.parsing.headings import heading_texts, kicker_headings
from presswatch.crawler.parsing.markers import split_markers
from presswatch.crawler.parsing.structured import Structured, ld_text
from presswatch.crawler.parsing.text import clean_text, element_text, fold

# The separators of a site name, and the colon after a word ("Site: Headline").
_SEPARATORS = re.compile(rf"{AFFIX_SEPARATORS.pattern}|(?<=\w):\s+")
_TAIL_SEP = re.compile(r"\s*[|–—•·/\\~*-]")  # not ":", which precedes the main clause
_KICKER_SEP = re.compile(r"(?::|\s[-–—|])\s*$")
_SECTION_SEP = re.compile(r"\s[|｜]\s*$")  # "Opinion | X": a section, never part of the title
_KICKER_SPLIT = re.compile(r"(?<=\S):\s+|\s+[-–—|]\s+")
_DATE_SEGMENT = re.compile(r"^\s*\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\s*$")
GENERIC_SECTIONS = frozenset({
    "news", "latestnews", "breakingnews", "home", "nachrichten", "aktuelles", "новости",
    "xəbərlər", "haberler", "noticias", "actualités", "actualites", "notizie", "nieuws",
    "wiadomości", "uutiset", "nyheter", "nyheder", "fréttir", "新闻", "뉴스",
})
# Titles of pages that are not (yet) the article: an app shell, a bot check, a redirect.
PLACEHOLDERS = frozenset({
    "loading", "pleasewait", "justamoment", "redirecting", "untitled", "untitleddocument",
    "attentionrequired", "accessdenied", "загрузка",
})
_HOST_NOISE = frozenset({"www", "m", "amp", "news", "com", "org", "net", "co", "gov", "edu"})


def site_names(structured: Structured, publisher: str | None, host: str) -> list[str]:
    """Folded names the site may glue onto its titles."""
    names = [publisher, structured.first_meta("og:site_name", "application-name",
                                               "apple-mobile-web-app-title", "twitter:site")]
    names += [ld_text(org.get("name")) for org in structured.organisations]
    names += [ld_text(value) for value in structured.ld_values("publisher")]
    labels = [label for label in host.lower().split(".") if label not in _HOST_NOISE]
    names += labels[:-1] if len(labels) > 1 else labels
    names.append(host)
    keys = {fold(name.lstrip("@")) for name in names if name}
    return [key for key in keys if len(key) >= 2]


def strip_site_name(title: str, names: Sequence[str]) -> str:
    """Remove leading/trailing segments that name the site ("X | Site", "Site - X")."""
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    seps = _SEPARATORS.findall(title)
    while len(parts) > 1 and _is_site_name(parts[-1], names):
        parts.pop()
        seps.pop()
    while len(parts) > 1 and _is_site_name(parts[0], names):
        parts.pop(0)
        seps.pop(0)
    out = parts[0]
    for sep, part in zip(seps, parts[1:], strict=True):
        out += sep + part
    return out.strip()


def _is_site_name(segment: str, names: Sequence[str]) -> bool:
    key = fold(segment)
    if not key or _DATE_SEGMENT.match(segment) or key in GENERIC_SECTIONS:
        return True
    return any(key == name or _contains_mostly(key, name) for name in names)


def _contains_mostly(a: str, b: str) -> bool:
    """One key inside the other, covering most of it ("diepressecom" ~ "diepresse")."""
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= 4 and shorter in longer and len(shorter) * 2 >= len(longer)


def clean_headline(raw: str | None, names: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    text = clean_text(raw)
    if not text:
        return "", ()
    text, labels = split_markers(text)
    text = strip_site_name(text, names)
    if _is_site_name(text, names) or fold(text) in PLACEHOLDERS:
        return "", labels
    text, more = split_markers(text)
    return text.strip(" \t-–—|:"), labels + tuple(x for x in more if x not in labels)


# How much each place's word counts when the page's own sources disagree. "marked": the
# heading that prints its kicker apart (the page's headline component), in the h1's stead.
DECLARED = frozenset({"selector", "ld", "og"})
WEIGHTS = {"selector": 10.0, "ld": 1.5, "og": 1.5, "h1": 1.0, "marked": 1.2, "title": 0.8,
           "tw": 0.2}


Cleaned = list[tuple[str, str, tuple[str, ...]]]  # (place, clean text, labels)


def pick_headline(
    tree: HtmlElement,
    structured: Structured,
    names: Sequence[str],
    selected: str | None = None,
) -> tuple[str | None, tuple[str, ...]]:
    """Choose the headline the page's sources agree on, with its marker labels."""
    cleaned: Cleaned = []
    kicked: list[str] = []
    stated = stated_headlines(tree, structured, selected, names)
    names = [*names, *_confirmed_affixes(tree, stated, names)]
    for found in stated:
        text, labels = clean_headline(found.raw, names)
        if text:
            cleaned.append((found.place, text, labels))
        kicker = clean_text(found.kicker)
        if text and kicker:
            kicked.append(f"{kicker}: {text}")
    if not cleaned:
        return None, ()
    in_order = dict.fromkeys(label for _, _, found in cleaned for label in found)
    return _vote(cleaned, kicked), tuple(in_order)


def _confirmed_affixes(tree: HtmlElement, stated: Sequence[Stated],
                       names: Sequence[str]) -> list[str]:
    """Site names the page itself confirms on its ``<title>`` (:mod:`affixes`), looked for
    only when the names known so far leave the title in several segments."""
    title = next((found.raw for found in stated if found.place == "title"), None)
    if not title:
        return []
    left = strip_site_name(split_markers(clean_text(title))[0], names)
    if not AFFIX_SEPARATORS.search(left):
        return []
    return title_affixes(tree, left, any(found.place in ("h1", "marked") for found in stated))


def _vote(cleaned: Cleaned, kicked: Sequence[str] = ()) -> str:
    """The text with the most weight behind it, shown as its most trusted place wrote it.

    ``kicked``: the visible heading as "Kicker: X" when it prints its kicker apart.
    """
    declared = [text for src, text, _ in cleaned if src in DECLARED]
    shown_alone = [*declared, *(text for src, text, _ in cleaned if src in ("h1", "marked"))]
    everything = [text for _, text, _ in cleaned]
    scores: dict[str, float] = {}
    shown: dict[str, tuple[float, str]] = {}
    for src, text, _ in cleaned:
        core = _reduce(text, everything, shown_alone, declared, kicked)
        key, weight = fold(core), WEIGHTS[src]
        scores[key] = scores.get(key, 0.0) + weight
        if key not in shown or shown[key][0] < weight:
            shown[key] = (weight, core)
    return shown[max(scores, key=lambda key: scores[key])][1]


def _reduce(text: str, others: Sequence[str], alone: Sequence[str],
            declared: Sequence[str], kicked: Sequence[str] = ()) -> str:
    """The core another source agrees on.

    ``"X | Section"`` counts as ``X`` whenever another source says just ``X``; a kicker
    (``"Kicker: X"``) is dropped only when a declared title (JSON-LD, OpenGraph) says just
    ``X``: pages often print the kicker apart from the ``h1``. A section put in front with a
    bar (``"Opinion | X"``) is dropped also when only the visible ``h1`` says just ``X``.
    Two titles with different kickers over one headline (a declared one, or the visible
    heading's ``kicked``) count as that headline.
    """
    best = text
    for other in others:
        if len(other) < 12 or len(other) >= len(best):
            continue
        at = best.find(other)
        before, after = best[:at], best[at + len(other):]
        if at < 0 or (after and not _TAIL_SEP.match(after)):
            continue
        if not before or (other in declared and _KICKER_SEP.search(before)) or (
                other in alone and _SECTION_SEP.search(before)):
            best = other
    if best == text:
        for other in [*declared, *kicked]:
            best = _common_tail(best, other) or best
    return best


def _common_tail(text: str, other: str) -> str | None:
    """The shared ending of two titles that carry different kickers."""
    head_a, head_b = _KICKER_SPLIT.split(text, 1), _KICKER_SPLIT.split(other, 1)
    if len(head_a) < 2 or len(head_b) < 2 or head_a[1] != head_b[1] or len(head_a[1]) < 20:
        return None
    kicker_a, kicker_b = fold(head_a[0]), fold(head_b[0])
    if kicker_a in kicker_b or kicker_b in kicker_a:
        return None
    return head_a[1]


def _matching_heading(headings: Sequence[str], declared: Sequence[str],
                      fallback: bool = True) -> str | None:
    """The first heading that the page's declared titles or ``<title>`` repeat (a page may
    have several ``h1``: a section name, a teaser); else the first heading (``fallback``)."""
    keys = [fold(clean_text(text)) for text in declared]
    for heading in headings:
        key = fold(heading)
        if len(key) >= 12 and any(key in other for other in keys):
            return heading
    return headings[0] if headings and fallback else None


class Stated(NamedTuple):
    """One place's headline: the place, its raw text and, for a heading that prints its
    kicker apart, that kicker."""

    place: str
    raw: str
    kicker: str | None = None


def headline_candidates(tree: HtmlElement, structured: Structured, selected: str | None,
                        names: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(place, raw text) of every headline the page states."""
    return [(found.place, found.raw) for found in stated_headlines(tree, structured, selected, names)]


def stated_headlines(tree: HtmlElement, structured: Structured, selected: str | None,
                     names: Sequence[str] = ()) -> list[Stated]:
    """Every headline the page states, with its place."""
    out: list[tuple[str, str | None]] = [("selector", selected)] if selected else []
    # JSON-LD's headline, else a <meta name|itemprop="headline">, else JSON-LD's name.
    out += [("ld", next((ld_text(v) for v in structured.ld_values("headline")), None)
             or structured.first_meta("headline"))]
    if not out[-1][1]:
        out.append(("ld", next((ld_text(v) for v in structured.ld_values("name")), None)))
    out.append(("og", structured.first_meta("og:title", "dc.title")))
    out.append(("tw", structured.first_meta("twitter:title")))
    title_element = tree.find(".//title")
    title = element_text(title_element) if title_element is not None else None
    stated = [raw for _, raw in out if raw] + ([title] if title else [])
    found = [Stated(src, raw) for src, raw in out if raw]
    heading = _visible_heading(tree, names, stated)
    if heading is not None:
        found.append(heading)
    return found + ([Stated("title", title)] if title else [])


def _visible_heading(tree: HtmlElement, names: Sequence[str],
                     stated: Sequence[str]) -> Stated | None:
    """The heading the page shows: one that prints its kicker apart and whose headline a
    declared title or ``<title>`` states ("marked": a page's headline component), else the
    ``h1`` (:func:`_matching_heading`)."""
    marked = {text: kicker for kicker, text in kicker_headings(tree)
              if not _is_site_name(text, names)}
    shown = _matching_heading(list(marked), stated, fallback=False)
    if shown:
        return Stated("marked", shown, marked[shown])
    h1s = [text for text in heading_texts(tree) if not _is_site_name(text, names)]
    h1 = _matching_heading(h1s, stated)
    return Stated("h1", h1) if h1 else None
