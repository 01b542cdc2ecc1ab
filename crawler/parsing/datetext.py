"""Reading one date string: ISO 8601 fast path, common written forms, dateparser last."""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from importlib import resources

from presswatch.crawler.parsing.timezones import ABBREVIATIONS


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A date read from a string; ``value`` is naive unless the string gave an offset."""

    value: datetime
    precision: str  # "day" | "minute" | "second"
    start: int = 0
    end: int = 0


_ISO = re.compile(
    r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})"
    # seconds may come malformed ("23:15:0Z") or with colon-separated milliseconds
    r"(?:[T ](\d{2}):?(\d{2})(?::?(\d{1,2})(?:[.,]\d+|:\d{3})?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?|%s)?(?!\d)"
    % "|".join(sorted(ABBREVIATIONS, key=len, reverse=True))
)
_TIME = re.compile(
    r"[\s,|/•·–—-]*"
    r"(?:(?:at|um|à|a las|às|alle|в|kl\.?|klo|o|saat|godz\.?|ob|om|le|–|-|,|г\.|года|r\.|uhr)\s*)*"
    r"(\d{1,2})[:.h](\d{2})(?![\d.,]\d)(?::(\d{2}))?"
    # "am"/"pm", but not the start of the next word ("12:41 Amid talks")
    r"(?:\s*(a\.?m\.?|p\.?m\.?)(?![^\W\d_]))?"
    r"(?:\s*(?:uhr|h|ч\.?))?"
    r"(?:[ \t]*\(?((?:UTC|GMT)\s*[+-]\s*\d{1,2}(?::?\d{2})?|(?-i:%s)|[+-]\d{2}:?\d{2})\)?)?"
    .replace("%s", "|".join(sorted(ABBREVIATIONS, key=len, reverse=True))),
    re.IGNORECASE,
)
_TIME_BEFORE = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:[,|•·/–—-]\s*)?$")
_NUMERIC_DMY = r"(?<![\d.:/-])(\d{1,2})([./-])(\d{1,2})\8(\d{4}|\d{2})(?![\d])"
_NUMERIC_YMD = r"(?<![\d.:/-])(\d{4})([./-])\s?(\d{1,2})\12\s?(\d{1,2})(?![\d.]\d)"
# Words that introduce a page's own date (publication first; an update date is better
# than none when nothing else dates the page).
_LABEL = re.compile(
    r"(?<![^\W\d_])(?:ver[öo]ffentlicht|erschienen|publiziert|erstellt|datum|wurde|stand|"
    r"aktualisiert|published|posted|updated|last edited|last modified|publi[ée]e?|mis en ligne|"
    r"mise? à jour|pubblicato|aggiornato|publicado|actualizado|gepubliceerd|opublikowano|"
    r"опубликовано|обновлено|дата)(?![^\W\d_])[^\S\n]*(?:am|on|le|il|el|op|:|-)?[^\S\n]*[:\s]?\s?",
    re.IGNORECASE,
)
LANGUAGE_ALIASES = {"no": "nb"}  # the table's name for a language
NUMERIC_MONTH_LANGUAGES = frozenset({"ja", "zh", "ko"})  # months are numbers: the CJK pattern
MONTH_KEYS = ("january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december")
_CJK = r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?"


@lru_cache(maxsize=1)
def month_tables() -> dict[str, dict[str, int]]:
    text = resources.files("presswatch.crawler.parsing").joinpath("data/months.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=64)
def month_names(languages: tuple[str, ...]) -> dict[str, int]:
    """Month names of the given languages (earlier languages win); all when empty."""
    tables = month_tables()
    names: dict[str, int] = {}
    for lang in languages or ("en", *tables):
        lang = LANGUAGE_ALIASES.get(lang, lang)
        for name, number in (tables.get(lang) or _dateparser_months(lang)).items():
            names.setdefault(name, number)
    if languages and "en" not in languages:
        for name, number in tables["en"].items():
            names.setdefault(name, number)
    return names


@lru_cache(maxsize=32)
def _dateparser_months(lang: str) -> dict[str, int]:
    """Month names of a language our table lacks, from dateparser's locale data (read only
    for such a page: importing dateparser costs a worker a sixth of a second)."""
    if lang in NUMERIC_MONTH_LANGUAGES:
        return {}
    from dateparser.languages.loader import default_loader

    try:
        info = default_loader.get_locale(lang).info
    except ValueError:  # a language dateparser does not know either
        return {}
    names: dict[str, int] = {}
    for number, key in enumerate(MONTH_KEYS, start=1):
        for name in info.get(key, ()):
            if isinstance(name, str) and name.strip(". "):
                names.setdefault(name.strip(". ").lower(), number)
    return names


@lru_cache(maxsize=64)
def date_pattern(languages: tuple[str, ...]) -> re.Pattern[str]:
    names = sorted(month_names(languages), key=len, reverse=True)
    month = "|".join(re.escape(n) for n in names)
    dmy = (rf"(?<![\w])(\d{{1,2}})(?:\.|-?(?:й|го|er|º|o|th|st|nd|rd))?\s*(?:de\s+|of\s+)?"
           rf"({month})\.?(?![^\W\d_])[,\s]*(?:de\s+|del\s+)?(\d{{4}})(?!\d)")
    mdy = rf"(?<![\w])({month})\.?(?![^\W\d_])\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)"
    return re.compile(
        rf"{dmy}|{mdy}|{_NUMERIC_DMY}|{_NUMERIC_YMD}|{_CJK}", re.IGNORECASE
    )


def parse_iso(text: str) -> ParsedDate | None:
    """Strict-ish ISO 8601 (``2023-04-10``, ``2023-04-10T20:01:00+04:00``, ``…Z``)."""
    match = _ISO.search(text.strip()[:40])
    if not match or match.start() > 0:
        return None
    year, month, day, hour, minute, second, tz = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                         int(second or 0))
    except ValueError:
        return None
    if tz:
        offset = _offset(tz)
        if offset is None:
            return None
        value = value.replace(tzinfo=offset)
    precision = "day" if hour is None else ("second" if second and int(second) else "minute")
    return ParsedDate(value, precision, match.start(), match.end())


def _offset(text: str) -> timezone | None:
    """A UTC offset (``Z``, ``+04:00``, ``-0500``, ``CDT``); None when no zone has it
    (``-6730``)."""
    text = text.strip().upper()
    if text in ABBREVIATIONS:  # "Z", "UTC", "CDT"
        return timezone(timedelta(minutes=ABBREVIATIONS[text]))
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_rfc2822(text: str) -> ParsedDate | None:
    if not re.search(r"\d{1,2} \w{3} \d{4} \d{2}:\d{2}", text):
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return ParsedDate(value, "minute")


def find_dates(text: str, languages: Sequence[str], order: str) -> list[ParsedDate]:
    """Every written date in ``text`` (with its time, when one is next to it)."""
    found = []
    names = month_names(tuple(languages))
    for match in date_pattern(tuple(languages)).finditer(text):
        day = _date_of(match, names, order)
        if day is None:
            continue
        found.append(_with_time(day, text, match.start(), match.end()))
    return found


def labelled_dates(text: str, languages: Sequence[str], order: str) -> list[ParsedDate]:
    """Dates that a label names as the page's own ("Erschienen am: 01.11.2023",
    "Datum: 19.11.2021", "wurde am 19. Mai 2010", "Published on 3 May 2021"), anywhere."""
    found = []
    for label in _LABEL.finditer(text):
        snippet = text[label.end():label.end() + 60]
        dates = find_dates(snippet, languages, order)
        if dates and dates[0].start <= 2:
            first = dates[0]
            found.append(ParsedDate(first.value, first.precision,
                                    label.end() + first.start, label.end() + first.end))
    return found


def _date_of(match: re.Match[str], names: dict[str, int], order: str) -> datetime | None:
    g = match.groups()
    try:
        if g[0]:
            return datetime(int(g[2]), names[g[1].lower()], int(g[0]))
        if g[3]:
            return datetime(int(g[5]), names[g[3].lower()], int(g[4]))
        if g[6]:
            return _numeric(int(g[6]), g[7], int(g[8]), g[9], order)
        if g[10]:
            return datetime(int(g[10]), int(g[12]), int(g[13]))
        return datetime(int(g[14]), int(g[15]), int(g[16]))
    except (ValueError, KeyError):
        return None


def _numeric(first: int, sep: str, second: int, year_text: str, order: str) -> datetime | None:
    year = int(year_text)
    if len(year_text) == 2:
        if sep != ".":
            return None
        year += 2000
    if order == "MDY" and sep != "." and second <= 31 and first <= 12:
        return datetime(year, first, second)
    if first > 12 and second <= 12 or order != "MDY" or sep == ".":
        return datetime(year, second, first)
    return datetime(year, first, second)


def _with_time(day: datetime, text: str, start: int, end: int) -> ParsedDate:
    after = _TIME.match(text, end, min(len(text), end + 60))
    if after and _valid_time(after.group(1), after.group(2)):
        hour = _hour(int(after.group(1)), after.group(4))
        tz = _zone(after.group(5))
        value = day.replace(hour=hour, minute=int(after.group(2)), second=int(after.group(3) or 0))
        if tz is not None:
            value = value.replace(tzinfo=tz)
        return ParsedDate(value, "second" if after.group(3) else "minute", start, after.end())
    before = _TIME_BEFORE.search(text, max(0, start - 16), start)
    if before and _valid_time(before.group(1), before.group(2)):
        value = day.replace(hour=int(before.group(1)), minute=int(before.group(2)))
        return ParsedDate(value, "minute", before.start(), end)
    return ParsedDate(day, "day", start, end)


def _valid_time(hour: str, minute: str) -> bool:
    return int(hour) < 24 and int(minute) < 60


def _hour(hour: int, meridiem: str | None) -> int:
    if not meridiem or hour > 12:
        return hour
    pm = meridiem.lower().startswith("p")
    if hour == 12:
        return 12 if pm else 0
    return hour + 12 if pm else hour


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    compact = re.sub(r"\s+", "", text).upper()
    if compact in ABBREVIATIONS:
        return timezone(timedelta(minutes=ABBREVIATIONS[compact]))
    match = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", compact)
    if not match:
        return None
    sign = -1 if match.group(1) == "-" else 1
    return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0)))


def parse_date_string(text: str, languages: Sequence[str], order: str) -> ParsedDate | None:
    """One date from a short string (meta value, ``<time>`` text, selector text)."""
    text = text.strip()
    if not text or len(text) > 200:
        return None
    parsed = parse_iso(text) or parse_rfc2822(text)
    if parsed:
        return parsed
    found = find_dates(text, languages, order)
    if found:
        return found[0]
    if re.fullmatch(r"\d{10}(\d{3})?", text):
        seconds = int(text[:10])
        return ParsedDate(datetime.fromtimestamp(seconds, tz=timezone.utc), "second")
    return _dateparser(text, tuple(languages), order)


@lru_cache(maxsize=512)
def _dateparser(text: str, languages: tuple[str, ...], order: str) -> ParsedDate | None:
    if len(text) > 60 or not re.search(r"\d{4}", text):
        return None
    import dateparser

    settings = {"DATE_ORDER": order, "PREFER_DAY_OF_MONTH": "first",
                "REQUIRE_PARTS": ["day", "month", "year"], "RETURN_AS_TIMEZONE_AWARE": False,
                "PARSERS": ["custom-formats", "absolute-time"]}
    try:
        value = dateparser.parse(text, languages=list(languages) or None, settings=settings)
    except (ValueError, TypeError, OverflowError):
        return None
    if value is None:
        return None
    precision = "minute" if re.search(r"\d{1,2}:\d{2}", text) else "day"
    return ParsedDate(value, precision)
