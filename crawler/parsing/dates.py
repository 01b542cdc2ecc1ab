"""Publication and modification dates: structured data first, then the visible text."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from presswatch.crawler.parsing.datetext import (
    ParsedDate,
    find_dates,
    labelled_dates,
    parse_date_string,
    parse_iso,
)
from presswatch.crawler.parsing.pagestamps import blob_dates, offset_shown_for, rdf_dates
from presswatch.crawler.parsing.pagetext import PageText, in_aside
from presswatch.crawler.parsing.structured import Structured
from presswatch.crawler.parsing.text import clean_text
from presswatch.crawler.parsing.timezones import fixed_offset, localize

PUBLISHED_META = (
    "article:published_time", "og:published_time", "article:published", "datepublished",
    "published_time", "publish_date", "publish-date", "publishdate", "pubdate",
    "article.published", "article_date_original", "dc.date.issued", "dcterms.issued",
    "dcterms.created", "dc.date.created", "sailthru.date",
    "parsely-pub-date", "article:post_date", "cxenseparse:recs:publishtime",
    "originalpublicationdate", "displaydate", "dateissued", "og:article:published_time",
    "release_date", "citation_publication_date",
)
# Dates that may be any date of the page (created, changed, valid): below a <time> element.
WEAK_META = ("dc.date", "dcterms.date", "date")
MODIFIED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
    "dc.date.modified", "last-modified", "lastmod", "article:modified",
)
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|\b)")
_URL_DATE_DMY = re.compile(
    r"[/_-](0[1-9]|[12]\d|3[01])-(0[1-9]|1[0-2])-((?:19|20)\d{2})(?:[/._-]|$)")
_TITLE_SEPARATORS = re.compile(r"\s+[|–—-]\s+")
_NUMERIC_DATE = re.compile(r"\d{1,2}[./]\d{1,2}[./]\d{4}|\d{4}-\d{2}-\d{2}")
_DATE_CLASSED = ("//*[contains(@class, 'date') or contains(@class, 'publish')]"
                 "[not(self::body or self::html)]")
PROSE_LINE = 80  # characters: a longer line around a date is running text
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
    dates leave the time open, or disagree, or are missing."""
    found = (_first_valid(_published_candidates(tree, structured, ctx, selected), ctx)
             or _first_valid(_url_candidates(url, ctx), ctx))
    if found is not None and found.method in ("json-ld", "meta"):
        found = _shown_if_disputed(found, structured, page, ctx)
    if found is None:
        return (_text_date(page(), ctx) or _first_valid(_date_classed(tree, ctx), ctx)
                or _labelled_date(page(), ctx) or _first_valid(_aside_times(tree, ctx), ctx))
    if _may_be_refined(found):
        text_found = _text_date(page(), ctx)
        if text_found and _refines(text_found, found):
            return with_zone(text_found, found.value.tzinfo)
    return found


def _shown_if_disputed(declared: FoundDate, structured: Structured,
                       page: Callable[[], PageText], ctx: DateContext) -> FoundDate:
    """When the declarations disagree on the day, the one on the day the page shows beside
    its headline (a republished article: JSON-LD or ``pubdate`` keep the first day); and a
    generic ``<meta name="date">`` alone yields to the visible date."""
    if declared == _first_valid(_meta_candidates(structured, WEAK_META, ctx, iso=True), ctx):
        shown = _text_date(page(), ctx)
        return shown if shown and shown.value.date() != declared.value.date() else declared
    others = [found for found in _meta_candidates(structured, PUBLISHED_META, ctx, iso=True)
              if found is not None and plausible(found.value, ctx.now)
              and found.value.date() != declared.value.date()]
    if not others:
        return declared
    shown = _text_date(page(), ctx)
    days = {shown.value.date()} if shown is not None else set()
    return next((found for found in others if found.value.date() in days), declared)


def _meta_candidates(structured: Structured, names: Sequence[str], ctx: DateContext,
                     iso: bool = False) -> Iterable[FoundDate | None]:
    """The dates of these meta tags; with ``iso`` only those written in ISO 8601 (quick)."""
    for name in names:
        for value in structured.meta.get(name, ()):
            if not iso or parse_iso(value):
                yield _found(value, "meta", ctx)


def modified_date(structured: Structured, ctx: DateContext) -> FoundDate | None:
    ld = [("json-ld", v) for v in structured.ld_values("dateModified") if isinstance(v, str)]
    meta = [("meta", v) for name in MODIFIED_META for v in structured.meta.get(name, ())]
    return _first_valid((_found(raw, method, ctx) for method, raw in ld + meta), ctx)


def _published_candidates(tree: HtmlElement, structured: Structured, ctx: DateContext,
                          selected: str | None) -> Iterable[FoundDate | None]:
    if selected:
        yield _found(selected, "selector", ctx)
    yield from _ld_dates(structured, None, ctx)
    yield from _meta_candidates(structured, PUBLISHED_META, ctx)
    for element in _time_elements(tree, aside=False):
        yield _found(_element_date(element, ctx), "time", ctx)
    yield from _meta_candidates(structured, WEAK_META, ctx)
    yield from _ld_dates(structured, structured.others, ctx)
    for title in (structured.first_meta("og:title"), _title(tree)):
        yield from _title_dates(title or "", ctx)
    for value in rdf_dates(tree):
        yield _found(value, "rdf", ctx)
    for value in blob_dates(tree):
        yield _found(value, "script", ctx)


def _ld_dates(structured: Structured, objects: list[dict[str, Any]] | None,
              ctx: DateContext) -> Iterable[FoundDate | None]:
    """``datePublished``, then ``dateCreated``, of the articles (or of ``objects``)."""
    for key in ("datePublished", "dateCreated"):
        for value in structured.ld_values(key, objects):
            if isinstance(value, str):
                yield _found(value, "json-ld", ctx)


def _date_classed(tree: HtmlElement, ctx: DateContext) -> Iterable[FoundDate | None]:
    """Short elements the page classes as a date (``class="news-date"``), outside asides."""
    for element in tree.xpath(_DATE_CLASSED):
        text = clean_text(element.text_content())
        dates = find_dates(text, ctx.languages, ctx.order) if len(text) < 120 else []
        if dates and not in_aside(element):
            yield _finish(dates[0], text[dates[0].start:dates[0].end], "text", ctx)


def _aside_times(tree: HtmlElement, ctx: DateContext) -> Iterable[FoundDate | None]:
    for element in _time_elements(tree, aside=True):
        yield _found(_element_date(element, ctx), "time", ctx)


def _element_date(element: HtmlElement, ctx: DateContext) -> str:
    """A date element's machine value (``datetime``, ``content``, ``title``), else its text;
    its text also when that shows a date days away from the machine value ("Publié le
    29 juin 2019" on a ``datetime`` of 3 July: the time of another revision)."""
    text = clean_text(element.text_content())[:100]
    for attribute in ("datetime", "content", "title"):
        value = (element.get(attribute) or "").strip()
        if value:
            return text if _shows_other_day(text, value, ctx) else value
    return text


def _shows_other_day(text: str, value: str, ctx: DateContext) -> bool:
    shown = find_dates(text, ctx.languages, ctx.order) if text else []
    machine = parse_date_string(value, ctx.languages, ctx.order)
    if not shown or machine is None:
        return False
    return abs(shown[0].value.date() - machine.value.date()) > timedelta(days=1)


def _title(tree: HtmlElement) -> str | None:
    title = tree.find(".//title")
    return title.text if title is not None else None


def _title_dates(title: str, ctx: DateContext) -> Iterable[FoundDate | None]:
    """A date given as its own segment of the title: "Headline | Site | 28.04.2023"."""
    for segment in _TITLE_SEPARATORS.split(title)[1:]:
        if _NUMERIC_DATE.fullmatch(segment.strip()):
            yield _found(segment.strip(), "meta", ctx)


def _time_elements(tree: HtmlElement, aside: bool) -> list[HtmlElement]:
    """Dated elements, those marked as the publication first: outside sidebars, comments
    and related items, or (``aside``) only those within them."""
    times = list(tree.iter("time"))
    # with a machine value first; a <time> that gives only its text last
    ordered = [e for e in times if e.get("datetime")]
    ordered += tree.xpath('//*[@itemprop="datePublished"]') + times
    elements = [e for e in dict.fromkeys(ordered) if in_aside(e) == aside]
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


def _window(page: PageText) -> tuple[int, str]:
    """The text around the headline where the article's own date stands, and its start."""
    lo = max(0, page.anchor_start - TEXT_WINDOW_BEFORE)
    return lo, page.text[lo:min(len(page.text), page.anchor_end + TEXT_WINDOW_AFTER)]


def _shows_day(page: PageText, ctx: DateContext, day: date) -> bool:
    lo, window = _window(page)
    return any(p.value.date() == day and not page.in_aside(lo + p.start)
               for p in find_dates(window, ctx.languages, ctx.order))


def _text_date(page: PageText, ctx: DateContext) -> FoundDate | None:
    """The visible date nearest the headline; one in a sidebar or comment only if no other."""
    lo, window = _window(page)
    dates = find_dates(window, ctx.languages, ctx.order)
    own = [parsed for parsed in dates if not page.in_aside(lo + parsed.start)]
    apart = [parsed for parsed in own if not _in_prose(window, parsed)]
    return (_nearest(apart, page, lo, window, ctx) or _nearest(own, page, lo, window, ctx)
            or _nearest(dates, page, lo, window, ctx))


def _in_prose(text: str, parsed: ParsedDate) -> bool:
    """The date stands in a long line of running text ("… findet am 5. Februar statt"),
    not on a short line of its own as a dateline or byline does."""
    start = text.rfind("\n", 0, parsed.start) + 1
    end = text.find("\n", parsed.end)
    return (len(text) if end < 0 else end) - start > PROSE_LINE


def _nearest(dates: list[ParsedDate], page: PageText, lo: int, window: str,
             ctx: DateContext) -> FoundDate | None:
    best: tuple[int, FoundDate] | None = None
    for parsed in dates:
        found = _finish(parsed, clean_text(window[parsed.start:parsed.end]), "text", ctx)
        if not plausible(found.value, ctx.now):
            continue
        distance = _distance(lo + parsed.start, lo + parsed.end, page)
        if parsed.precision != "day":
            distance -= 40
        if best is None or distance < best[0]:
            best = (distance, found)
    return best[1] if best else None


def _labelled_date(page: PageText, ctx: DateContext) -> FoundDate | None:
    """The first labelled date anywhere on the page ("Erschienen am: 01.11.2023")."""
    for parsed in labelled_dates(page.text, ctx.languages, ctx.order):
        if page.in_aside(parsed.start):
            continue
        found = _finish(parsed, clean_text(page.text[parsed.start:parsed.end]), "text", ctx)
        if plausible(found.value, ctx.now):
            return found
    return None


def _distance(start: int, end: int, page: PageText) -> int:
    if start >= page.anchor_end:
        return start - page.anchor_end
    if end <= page.anchor_start:
        return (page.anchor_start - end) * 2 + 100
    return 0


def _url_candidates(url: str, ctx: DateContext) -> Iterable[FoundDate | None]:
    """A whole date in the URL's path: ``/2021/10/20/``, ``/20211020``, ``/29-10-2021``."""
    path = urlsplit(url).path
    for pattern, (y, m, d) in ((_URL_DATE, (1, 2, 3)), (_URL_DATE_DMY, (3, 2, 1))):
        match = pattern.search(path)
        if match:
            try:
                day = datetime(int(match.group(y)), int(match.group(m)), int(match.group(d)))
            except ValueError:
                continue
            yield _finish(ParsedDate(day, "day"), match.group(0).strip("/"), "url", ctx)


def with_zone(found: FoundDate | None, tz: tzinfo | None) -> FoundDate | None:
    """Give a naive date the zone ``tz`` (used once the page's own offset is known)."""
    if found is None or found.value.tzinfo is not None or tz is None:
        return found
    return replace(found, value=fixed_offset(localize(found.value, tz)))


def in_readers_zone(found: FoundDate | None, tree: HtmlElement, page: Callable[[], PageText],
                    ctx: DateContext, zones: Sequence[tzinfo | None]) -> FoundDate | None:
    """A time the page states only in UTC, written in the publisher's offset instead, so
    that its calendar day is the one readers saw: the offset in which the page shows the
    same instant elsewhere, else the first of ``zones`` known, unless the page's visible
    date is the UTC day. The instant never changes."""
    if found is None or found.precision == "day" or found.value.utcoffset() != timedelta(0):
        return found
    shown = offset_shown_for(tree, found.value)
    if shown is not None:
        return replace(found, value=fixed_offset(found.value.astimezone(shown)))
    local = next((z for z in zones if z), None)
    if local is None:
        return found
    moved = fixed_offset(found.value.astimezone(local))
    if moved.date() != found.value.date() and _shows_day(page(), ctx, found.value.date()):
        return found
    return replace(found, value=moved)


def context(languages: Sequence[str], order: str, tz: tzinfo | None,
            now: datetime | None) -> DateContext:
    current = now or datetime.now(timezone.utc)
    if current.tzinfo is None:
        current = current.replace(tzinfo=timezone.utc)
    return DateContext(tuple(languages), order, tz, current)
