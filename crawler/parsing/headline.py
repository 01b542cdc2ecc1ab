"""The headline: what the page asserts by agreement, without site names or markers."""
from __future__ import annotations

import re
from collections.abc import Sequence

from lxml.html import HtmlElement

from crawler.parsing.headings import heading_texts
from crawler.parsing.markers import split_markers
from crawler.parsing.structured import Structured, ld_text
from crawler.parsing.text import clean_text, element_text, fold

_SEPARATORS = re.compile(r"\s+[|–—•·»«:/\\~*-]{1,2}\s+|\s*[|｜ㅣ]\s*|\s+::\s+|-{2}|(?<=\w):\s+")
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


# How much each place's word counts when the page's own sources disagree.
DECLARED = frozenset({"selector", "ld", "og"})
WEIGHTS = {"selector": 10.0, "ld": 1.5, "og": 1.5, "h1": 1.0, "title": 0.8, "tw": 0.2}


Cleaned = list[tuple[str, str, tuple[str, ...]]]  # (place, clean text, labels)


def pick_headline(
    tree: HtmlElement,
    structured: Structured,
    names: Sequence[str],
    selected: str | None = None,
) -> tuple[str | None, tuple[str, ...]]:
    """Choose the headline the page's sources agree on, with its marker labels."""
    cleaned: Cleaned = []
    for src, raw in headline_candidates(tree, structured, selected, names):
        text, labels = clean_headline(raw, names)
        if text:
            cleaned.append((src, text, labels))
    if not cleaned:
        return None, ()
    in_order = dict.fromkeys(label for _, _, found in cleaned for label in found)
    return _vote(cleaned), tuple(in_order)


def _vote(cleaned: Cleaned) -> str:
    """The text with the most weight behind it, shown as its most trusted place wrote it."""
    declared = [text for src, text, _ in cleaned if src in DECLARED]
    shown_alone = [*declared, *(text for src, text, _ in cleaned if src == "h1")]
    everything = [text for _, text, _ in cleaned]
    scores: dict[str, float] = {}
    shown: dict[str, tuple[float, str]] = {}
    for src, text, _ in cleaned:
        core = _reduce(text, everything, shown_alone, declared)
        key, weight = fold(core), WEIGHTS[src]
        scores[key] = scores.get(key, 0.0) + weight
        if key not in shown or shown[key][0] < weight:
            shown[key] = (weight, core)
    return shown[max(scores, key=lambda key: scores[key])][1]


def _reduce(text: str, others: Sequence[str], alone: Sequence[str],
            declared: Sequence[str]) -> str:
    """The core another source agrees on.

    ``"X | Section"`` counts as ``X`` whenever another source says just ``X``; a kicker
    (``"Kicker: X"``) is dropped only when a declared title (JSON-LD, OpenGraph) says just
    ``X``: pages often print the kicker apart from the ``h1``. A section put in front with a
    bar (``"Opinion | X"``) is dropped also when only the visible ``h1`` says just ``X``.
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
        for other in declared:
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


def _matching_heading(headings: Sequence[str], declared: Sequence[str]) -> str | None:
    """The first heading that the page's declared titles or ``<title>`` repeat (a page may
    have several ``h1``: a section name, a teaser); else the first heading."""
    keys = [fold(clean_text(text)) for text in declared]
    for heading in headings:
        key = fold(heading)
        if len(key) >= 12 and any(key in other for other in keys):
            return heading
    return headings[0] if headings else None


def headline_candidates(tree: HtmlElement, structured: Structured, selected: str | None,
                        names: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(place, raw text) of every headline the page states."""
    out: list[tuple[str, str | None]] = [("selector", selected)] if selected else []
    out += [("ld", next((ld_text(v) for v in structured.ld_values("headline")), None))]
    if not out[-1][1]:
        out.append(("ld", next((ld_text(v) for v in structured.ld_values("name")), None)))
    out.append(("og", structured.first_meta("og:title", "dc.title")))
    out.append(("tw", structured.first_meta("twitter:title")))
    title_element = tree.find(".//title")
    title = element_text(title_element) if title_element is not None else None
    h1s = [text for text in heading_texts(tree) if not _is_site_name(text, names)]
    stated = [raw for _, raw in out if raw] + ([title] if title else [])
    out.append(("h1", _matching_heading(h1s, stated)))
    out.append(("title", title))
    return [(src, raw) for src, raw in out if raw]
