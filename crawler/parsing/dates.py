"""Publication and modification dates: structured data first, then the visible text."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, timezone, tzinfo

from lxml.html import HtmlElement

from crawler.parsing.datetext import ParsedDate, find_dates, parse_date_string
from crawler.parsing.pagetext import PageText
from crawler.parsing.structured import Structured
from crawler.parsing.text import clean_text
from crawler.parsing.timezones import fixed_offset, localize

PUBLISHED_META = (
    "article:published_time", "og:published_time", "article:published", "datepublished",
    "published_time", "publish_date", "publish-date", "publishdate", "pubdate",
    "article.published", "article_date_original", "dc.date.issued", "dcterms.issued",
    "dc.date", "dcterms.date", "dcterms.created", "dc.date.created", "sailthru.date",
    "parsely-pub-date", "date", "article:post_date", "cxenseparse:recs:publishtime",
    "originalpublicationdate", "displaydate", "dateissued", "og:article:published_time",
    "release_date", "citation_publication_date",
)
MODIFIED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
    "dc.date.modified", "last-modified", "lastmod", "article:modified",
)
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|\b)")
_TITLE_SEPARATORS = re.compile(r"\s+[|–—-]\s+")
_NUMERIC_DATE = re.compile(r"\d{1,2}[./]\d{1,2}[./]\d{4}|\d{4}-\d{2}-\d{2}")
TEXT_WINDOW_AFTER = 2500
TEXT_WINDOW_BEFORE = 1200


@dataclass(frozen=True, slots=True)
class DateContext:
    languages: tuple[str, ...]
    order: str
    tz: tzinfo | None
    now: datetime


@dataclass(frozen=True, slots=True)
class FoundDate:
    value: datetime
    raw: str
    precision: str
    method: str


def published_date(tree: HtmlElement, structured: Structured, page: Callable[[], PageText],
                   url: str, ctx: DateContext, selected: str | None = None) -> FoundDate | None:
    """The best publication date, or None when the page gives no trustworthy one.

    ``page`` gives the page's visible text; it is asked for only when the structured
    dates leave the time open."""
    structured_found = _first_valid(_published_candidates(tree, structured, ctx, selected), ctx)
    if structured_found is None:
        return _text_date(page(), ctx) or _first_valid(_url_candidates(url, ctx), ctx)
    if _may_be_refined(structured_found):
        text_found = _text_date(page(), ctx)
        if text_found and _refines(text_found, structured_found):
            return with_zone(text_found, structured_found.value.tzinfo)
    return structured_found


def modified_date(structured: Structured, ctx: DateContext) -> FoundDate | None:
    ld = [("json-ld", v) for v in structured.ld_values("dateModified") if isinstance(v, str)]
    meta = [("meta", v) for name in MODIFIED_META for v in structured.meta.get(name, ())]
    return _first_valid((_found(raw, method, ctx) for method, raw in ld + meta), ctx)


def _published_candidates(tree: HtmlElement, structured: Structured, ctx: DateContext,
                          selected: str | None) -> Iterable[FoundDate | None]:
    if selected:
        yield _found(selected, "selector", ctx)
    for value in structured.ld_values("datePublished"):
        if isinstance(value, str):
            yield _found(value, "json-ld", ctx)
    for value in structured.ld_values("dateCreated"):
        if isinstance(value, str):
            yield _found(value, "json-ld", ctx)
    for name in PUBLISHED_META:
        for value in structured.meta.get(name, ()):
            yield _found(value, "meta", ctx)
    for element in _time_elements(tree):
        raw = element.get("datetime") or element.get("content") or ""
        yield _found(raw, "time", ctx)
    for title in (structured.first_meta("og:title"), _title(tree)):
        yield from _title_dates(title or "", ctx)


def _title(tree: HtmlElement) -> str | None:
    title = tree.find(".//title")
    return title.text if title is not None else None


def _title_dates(title: str, ctx: DateContext) -> Iterable[FoundDate | None]:
    """A date given as its own segment of the title: "Headline | Site | 28.04.2023"."""
    for segment in _TITLE_SEPARATORS.split(title)[1:]:
        if _NUMERIC_DATE.fullmatch(segment.strip()):
            yield _found(segment.strip(), "meta", ctx)


def _time_elements(tree: HtmlElement) -> list[HtmlElement]:
    elements = [e for e in tree.iter("time") if e.get("datetime")]
    elements += [e for e in tree.xpath('//*[@itemprop="datePublished"][@content or @datetime]')
                 if e not in elements]
    marked = [e for e in elements
              if "publish" in (e.get("itemprop") or e.get("class") or "").lower()]
    return marked + [e for e in elements if e not in marked]


def _found(raw: str, method: str, ctx: DateContext) -> FoundDate | None:
    parsed = parse_date_string(raw, ctx.languages, ctx.order)
    if parsed is None:
        return None
    return _finish(parsed, raw.strip(), method, ctx)


def _finish(parsed: ParsedDate, raw: str, method: str, ctx: DateContext) -> FoundDate:
    value = fixed_offset(localize(parsed.value, ctx.tz))
    return FoundDate(value, raw, parsed.precision, method)


def _first_valid(candidates: Iterable[FoundDate | None], ctx: DateContext) -> FoundDate | None:
    for found in candidates:
        if found is not None and plausible(found.value, ctx.now):
            return found
    return None


def plausible(value: datetime, now: datetime) -> bool:
    """Not in the future (one day of slack) and not before the web."""
    if value.year < 1995:
        return False
    probe = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return probe <= now + timedelta(days=1)


def _may_be_refined(structured: FoundDate) -> bool:
    """A structured value without a time of day (date only, or exactly midnight)."""
    return structured.precision == "day" or structured.value.time() == time(0, 0)


def _refines(text: FoundDate, structured: FoundDate) -> bool:
    """A visible date with a time on the same day as a date-only structured value."""
    if text.precision == "day" or not _may_be_refined(structured):
        return False
    return text.value.date() == structured.value.date()


def _text_date(page: PageText, ctx: DateContext) -> FoundDate | None:
    best: tuple[int, FoundDate] | None = None
    lo = max(0, page.anchor_start - TEXT_WINDOW_BEFORE)
    hi = min(len(page.text), page.anchor_end + TEXT_WINDOW_AFTER)
    window = page.text[lo:hi]
    for parsed in find_dates(window, ctx.languages, ctx.order):
        found = _finish(parsed, clean_text(window[parsed.start:parsed.end]), "text", ctx)
        if not plausible(found.value, ctx.now):
            continue
        distance = _distance(lo + parsed.start, lo + parsed.end, page)
        if parsed.precision != "day":
            distance -= 40
        if best is None or distance < best[0]:
            best = (distance, found)
    return best[1] if best else None


def _distance(start: int, end: int, page: PageText) -> int:
    if start >= page.anchor_end:
        return start - page.anchor_end
    if end <= page.anchor_start:
        return (page.anchor_start - end) * 2 + 100
    return 0


def _url_candidates(url: str, ctx: DateContext) -> Iterable[FoundDate | None]:
    match = _URL_DATE.search(url)
    if match:
        try:
            day = datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return
        yield _finish(ParsedDate(day, "day"), match.group(0).strip("/"), "url", ctx)


def with_zone(found: FoundDate | None, tz: tzinfo | None) -> FoundDate | None:
    """Give a naive date the zone ``tz`` (used once the page's own offset is known)."""
    if found is None or found.value.tzinfo is not None or tz is None:
        return found
    return replace(found, value=fixed_offset(localize(found.value, tz)))


def context(languages: Sequence[str], order: str, tz: tzinfo | None,
            now: datetime | None) -> DateContext:
    current = now or datetime.now(timezone.utc)
    if current.tzinfo is None:
        current = current.replace(tzinfo=timezone.utc)
    return DateContext(tuple(languages), order, tz, current)
