"""Attribution: which agency or office the text says it comes from."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_REPORT_AFTER = (
    r"(?:news\s+agency\s+|agency\s+)?(?:reports|reported|has\s+reported|informs|writes|said|says"
    r"|сообщает|сообщают|сообщило|сообщил|передает|передаёт|пишет|информирует|berichtet|berichtete"
    r"|meldet|meldete|informa|informó|rapporte|riporta|xəbər\s+verir|bildirir|muhabirinin)\b"
)
_REPORT_BEFORE = (
    r"(?:according\s+to|citing|quoted\s+by|as\s+reported\s+by|reported\s+by|reports"
    r"|со\s+ссылкой\s+на|по\s+данным|по\s+информации|согласно|сообщает|сообщают|передает|передаёт"
    r"|сообщили|пишет|laut|zufolge|wie|según|informa|selon|secondo|segundo|citando|citant"
    r"|Quelle|Source|Sources|Источник|Kaynak|Mənbə|Fuente|Fonte)"
    r"\s*[:\-–—]?\s*(?:the\s+|der\s+|die\s+|la\s+|l'|el\s+)?(?:news\s+agency\s+|agency\s+|агентства\s+"
    r"|агентство\s+|Nachrichtenagentur\s+|agencia\s+|l'agence\s+|agence\s+)?"
)
_POSSESSIVE = r"(?:['’]s(?:\s+[a-z]+){0,3})?"
_SOURCE_LINE = re.compile(
    r"^\s*(?:Source|Sources|Источник|Kaynak|Mənbə|Quelle|Fuente|Fonte|Джерело)\s*:\s*"
    r"([A-ZА-ЯЁƏÜÖÇŞĞİ][\w .&'’-]{1,60}?)\s*\.?\s*$",
    re.MULTILINE,
)


_WORD = re.compile(r"\w+")


# Where a text credits its source: the lead ("BAKU, April 10 (AZERTAG) —", "…, Azertag
# reports.") or the closing lines ("Source: APA", "— Reuters"). The same words in the middle
# of a longer text ("…, Reuters reported last year") are the writer citing someone.
LEAD_PARAGRAPHS = 2
CLOSING_PARAGRAPHS = 2


@dataclass(frozen=True, slots=True)
class Attribution:
    source: str
    evidence: str


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, str]:
    """Alias → canonical display name."""
    text = resources.files("presswatch.crawler.parsing").joinpath("data/agencies.json").read_text("utf-8")
    aliases: dict[str, str] = {}
    for canonical, names in json.loads(text).items():
        for name in (canonical, *names):
            aliases.setdefault(name, canonical)
            if len(name) > 4:
                aliases.setdefault(name.upper(), canonical)
    return aliases


@lru_cache(maxsize=1)
def _names_by_first_word() -> dict[str, list[str]]:
    """Agency names grouped by their first word, longest name first (as the patterns try them)."""
    grouped: dict[str, list[str]] = {}
    for name in sorted(gazetteer(), key=len, reverse=True):
        match = _WORD.match(name)
        if match:
            grouped.setdefault(match.group(0), []).append(name)
    return grouped


def _candidate_names(text: str) -> tuple[str, ...]:
    """The agency names the text can hold: those whose first word is one of its words.

    Every name starts with a word character (checked by the tests) and every pattern matches
    a name only at a word boundary, so a name the patterns find has its first word among the
    text's words; searching with only these names finds exactly what the whole gazetteer
    would, without trying ~300 alternatives at every capital letter.
    """
    grouped = _names_by_first_word()
    names = {name for word in set(_WORD.findall(text)) for name in grouped.get(word, ())}
    return tuple(sorted(names, key=lambda name: (-len(name), name)))


@lru_cache(maxsize=512)
def _patterns(names: tuple[str, ...]) -> list[re.Pattern[str]]:
    alias = "(?P<agency>" + "|".join(re.escape(n) for n in names) + ")"
    edge_l, edge_r = r"(?<![\w.])", r"(?![\w])"
    return [
        re.compile(rf"^[^\n]{{0,80}}?[(/]\s*{alias}\s*[)/]\s*[-–—:.]", re.MULTILINE),
        re.compile(rf"^\s*{alias}\s*[-–—]\s", re.MULTILINE),
        re.compile(rf"{edge_l}{alias}{edge_r}{_POSSESSIVE}[^\w\n]{{0,3}}\s*{_REPORT_AFTER}"),
        re.compile(rf"(?i:{_REPORT_BEFORE})[«\"„“'‘]?{edge_l}{alias}{edge_r}"),
        re.compile(rf"^\s*[-–—]?\s*[(]?{alias}[)]?\s*\.?\s*$", re.MULTILINE),
        re.compile(rf"[-–—]\s*{alias}\s*\.?\s*$"),
    ]


def text_attribution(body: str) -> Attribution | None:
    """The agency an article's text credits in its lead or its closing paragraphs."""
    paragraphs = body.split("\n\n")
    if len(paragraphs) <= LEAD_PARAGRAPHS + CLOSING_PARAGRAPHS:
        return find_attribution(body)
    return (find_attribution("\n\n".join(paragraphs[:LEAD_PARAGRAPHS]))
            or find_attribution("\n\n".join(paragraphs[-CLOSING_PARAGRAPHS:])))


def find_attribution(text: str) -> Attribution | None:
    """The earliest agency the text credits, as its canonical name."""
    if not text:
        return None
    best: tuple[int, Attribution] | None = None
    names = _candidate_names(text)
    for pattern in _patterns(names) if names else ():
        match = pattern.search(text)
        if match and (best is None or match.start("agency") < best[0]):
            canonical = gazetteer()[match.group("agency")]
            best = (match.start("agency"), Attribution(canonical, match.group(0).strip()))
    if best:
        return best[1]
    line = _SOURCE_LINE.search(text)
    if line and len(line.group(1).split()) <= 5:
        return Attribution(line.group(1).strip(), line.group(0).strip())
    return None


def canonical_agency(name: str) -> str | None:
    """The canonical agency name for an alias, or None if ``name`` is not an agency."""
    clean = name.strip().strip("()/").strip()
    return gazetteer().get(clean) or gazetteer().get(clean.upper())
