"""``parse_article``: one lxml tree, shared by the field extractors, one Article out."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from itertools import islice
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree
from lxml.etree import ParserError
from lxml.html import HtmlElement

from presswatch.crawler.parsing import dates
from presswatch.crawler.parsing.article import Article, ParseProfile
from presswatch.crawler.parsing.attribution import Attribution, find_attribution, text_attribution
from presswatch.crawler.parsing.authors import Credits, find_authors
from presswatch.crawler.parsing.body import (
    body_from_selector,
    body_from_trafilatura,
    join_paragraphs,
    missing_lead,
    tidy_body,
    with_lead,
)
from presswatch.crawler.parsing.charset import UnreadableInput, decode_html
from presswatch.crawler.parsing.headline import headline_candidates, pick_headline, site_names
from presswatch.crawler.parsing.language import choose_language, declared_language
from presswatch.crawler.parsing.listing import is_listing
from presswatch.crawler.parsing.pagetext import PageText, anchored_at, headline_element, page_text
from presswatch.crawler.parsing.statebody import state_body
from presswatch.crawler.parsing.structured import Structured, ld_text, read_structured
from presswatch.crawler.parsing.text import clean_text, element_text, fold
from presswatch.crawler.parsing.text_block import text_blocks
from presswatch.crawler.parsing.timezones import zone, zone_for_host

logger = logging.getLogger(__name__)
_EMPTY = ParseProfile()
LD_BODY_RATIO = 1.8
SPLIT_HELD_SHARE = 0.8  # of a split body's text found in trafilatura's: its text is the fuller
MIN_SHOWN_BODY = 200  # characters: less, and the text may be in the page's script state
SWALLOWED_ELEMENTS = 200  # a <noscript> with more elements than this holds the page


def parse_article(html: str | bytes, url: str, profile: ParseProfile | None = None) -> Article:
    """Extract one normalised :class:`Article` from a page; never raises for bad input."""
    profile = profile or _EMPTY
    try:
        text = decode_html(html, profile.content_type) if isinstance(html, bytes) else html
        tree = _parse_tree(text)
    except (UnreadableInput, ParserError, ValueError) as exc:
        return Article(url=url, publisher=profile.publisher, error=f"unparseable input: {exc}")
    try:
        return _extract(tree, url, profile)
    except Exception as exc:  # a parser bug must cost one page, not the crawl
        logger.exception("extraction failed for %s", url)
        return Article(url=url, publisher=profile.publisher,
                       error=f"extraction failed: {type(exc).__name__}: {exc}")


def _parse_tree(text: str) -> HtmlElement:
    if not text.strip() or "\x00" in text[:2048]:
        raise UnreadableInput("empty or binary input")
    if text.lstrip().startswith("<?xml"):
        text = text.split("?>", 1)[-1]
    tree = lxml.html.document_fromstring(text)
    if tree is None or len(tree) == 0:
        raise UnreadableInput("no HTML document")
    # What a browser without JavaScript shows ("enable JavaScript", tracking pixels) is never
    # the article; the extractors must not see it. A ``<noscript>`` left open by a stray
    # tag holds the rest of the page instead: that is unwrapped.
    for noscript in list(tree.iter("noscript")):
        if _holds_the_page(noscript):
            noscript.drop_tag()
    etree.strip_elements(tree, "noscript", with_tail=False)
    return tree


def _holds_the_page(noscript: HtmlElement) -> bool:
    return any(True for _ in islice(noscript.iter(), SWALLOWED_ELEMENTS, None))


@dataclass(frozen=True, slots=True)
class _Page:
    """What every field extractor shares: the one tree and what is read from it up front."""

    tree: HtmlElement
    url: str
    profile: ParseProfile
    structured: Structured
    host: str
    publisher: str | None
    site_names: list[str]
    selected: dict[str, str]


def _extract(tree: HtmlElement, url: str, profile: ParseProfile) -> Article:
    page = _read(tree, url, profile)
    headline, labels = pick_headline(tree, page.structured, page.site_names,
                                     page.selected.get("headline"))
    anchor = headline_element(tree, headline)
    raw_body = _body(page)

    @cache
    def text() -> PageText:  # the whole page's text: read only when a field needs it
        visible = page_text(tree, anchor)
        if anchor is None and raw_body:  # no headline shown: dates sit near the text's start
            return anchored_at(visible, raw_body.split("\n", 1)[0][:40])
        return visible

    language = choose_language(declared_language(tree, page.structured), profile.language,
                               raw_body or text().text)
    published, modified = _dates(page, text, language)
    body = _tidy(page, raw_body, headline, published, text)
    credits = _credits(page)
    attribution = _attribution(page, body) or _byline_attribution(credits)
    return Article(
        url=url, headline=headline, labels=labels,
        published_at=published.value if published else None,
        modified_at=modified.value if modified else None,
        source=attribution.source if attribution else _fallback_source(page),
        source_evidence=attribution.evidence if attribution else None,
        publisher=page.publisher, body=body, language=language, authors=credits.authors,
        canonical_url=_canonical(tree, page.structured, url),
        date_raw=published.raw if published else None,
        date_precision=published.precision if published else None,
        date_method=published.method if published else None,
        listing=is_listing(tree, url, body, page.structured, headline),
    )


def _read(tree: HtmlElement, url: str, profile: ParseProfile) -> _Page:
    structured = read_structured(tree)
    host = (urlsplit(url).hostname or "").lower()
    publisher = _publisher(structured, profile, host)
    return _Page(tree, url, profile, structured, host, publisher,
                 [*site_names(structured, publisher, host), *map(fold, profile.site_names)],
                 _selected_texts(tree, profile))


def _dates(page: _Page, text: Callable[[], PageText], language: str | None
           ) -> tuple[dates.FoundDate | None, dates.FoundDate | None]:
    ctx = dates.context(_date_languages(language, page.profile),
                        _date_order(page.tree, page.profile, language, page.host),
                        zone(page.profile.timezone), page.profile.now)
    published = dates.published_date(page.tree, page.structured, text, page.url, ctx,
                                     page.selected.get("published_at"))
    modified = dates.modified_date(page.structured, ctx)
    if modified is not None:  # a naive time takes the offset the page gives elsewhere
        published = dates.with_zone(published, modified.value.tzinfo)
    modified_zone = modified.value.tzinfo if modified and modified.value.utcoffset() else None
    published = dates.in_readers_zone(published, page.tree, text, ctx,
                                      (modified_zone, ctx.tz, zone_for_host(page.host)))
    # Then the country of the domain; then UTC, so that every datetime leaving is aware.
    for fallback in (zone_for_host(page.host), UTC):
        published = dates.with_zone(published, fallback)
        modified = dates.with_zone(modified, fallback)
    return published, modified


def _tidy(page: _Page, raw_body: str | None, headline: str | None,
          published: dates.FoundDate | None, text: Callable[[], PageText]) -> str | None:
    candidates = headline_candidates(page.tree, page.structured, None)
    headlines = [headline or "", *(raw for _, raw in candidates)]
    body = tidy_body(raw_body, headlines, [published.raw] if published else [])
    lead = missing_lead(body, _description(page.structured))
    return with_lead(body, lead, text().text) if lead else body


def _attribution(page: _Page, body: str | None) -> Attribution | None:
    return (find_attribution(page.selected.get("source") or "")
            or text_attribution(body or "")
            or find_attribution(_source_notes(page.tree)))


def _byline_attribution(credits: Credits) -> Attribution | None:
    """The text credits no agency, its byline does ("Anna Berg, dpa"; JSON-LD author "AFP")."""
    if credits.agency and credits.evidence:
        return Attribution(credits.agency, credits.evidence)
    return None


def _credits(page: _Page) -> Credits:
    selected = [page.selected["authors"]] if "authors" in page.selected else []
    exclude = [page.publisher or "", *page.site_names]
    return find_authors(page.tree, page.structured, exclude, selected)


def _selected_texts(tree: HtmlElement, profile: ParseProfile) -> dict[str, str]:
    out: dict[str, str] = {}
    for field_name, selector in profile.selectors.items():
        if field_name == "body":
            continue
        try:
            elements = tree.cssselect(selector)
        except Exception as exc:  # cssselect has several parse-error types
            logger.warning("bad %s selector %r: %s", field_name, selector, exc)
            continue
        texts = [_element_value(e) for e in elements]
        joined = " ".join(t for t in texts if t)
        if joined:
            out[field_name] = joined
    return out


def _element_value(element: HtmlElement) -> str:
    for attribute in ("datetime", "content"):
        if element.get(attribute):
            return element.get(attribute, "")
    return element_text(element)


def _description(structured: Structured) -> str | None:
    for value in structured.ld_values("description"):
        if isinstance(value, str):
            return value
    return structured.first_meta("og:description", "description", "twitter:description")


def _source_notes(tree: HtmlElement) -> str:
    """Short "Source: …" notes the page sets apart from the text by their class."""
    notes = tree.xpath(
        "//*[contains(@class, 'source')][not(ancestor-or-self::figure)]"
        "[not(ancestor::*[contains(@class, 'caption') or contains(@class, 'image')])]"
        "[string-length(normalize-space()) < 150]"
    )
    return "\n".join(element_text(note) for note in notes[:5])


def _publisher(structured: Structured, profile: ParseProfile, host: str) -> str | None:
    """The source's publisher; else the site's name as the page declares it; else the host."""
    if profile.publisher:
        return profile.publisher
    return clean_text(_declared_site_name(structured)) or host.removeprefix("www.") or None


def _declared_site_name(structured: Structured) -> str | None:
    """og:site_name, the article's JSON-LD publisher, the page's JSON-LD WebSite or
    Organization, then the web app's name."""
    site = structured.first_meta("og:site_name")
    if site:
        return site
    for objects in (None, structured.organisations):
        key = "publisher" if objects is None else "name"
        for value in structured.ld_values(key, objects):
            name = ld_text(value)
            if name:
                return name
    return structured.first_meta("application-name")


def _fallback_source(page: _Page) -> str | None:
    """No agency named: a declared source element's text, else the publisher."""
    declared = clean_text(page.selected.get("source")).removeprefix("Source:").strip()
    return declared or page.publisher


def _date_languages(language: str | None, profile: ParseProfile) -> list[str]:
    langs = [lang for lang in (language, profile.language) if lang]
    return list(dict.fromkeys(langs))


def _date_order(tree: HtmlElement, profile: ParseProfile, language: str | None,
                host: str) -> str:
    """Month first for US English: declared ``en-US``, or English without a region on a
    host that names no other country (``.com``, ``.org``, ``.gov``; ``.us``)."""
    if profile.date_order:
        return profile.date_order.upper()
    lang = (tree.get("lang") or "").lower().replace("_", "-")
    if lang == "en-us":
        return "MDY"
    if language != "en" or lang not in ("", "en"):
        return "DMY"
    tld = host.rsplit(".", 1)[-1]
    return "DMY" if len(tld) == 2 and tld != "us" else "MDY"


def _body(page: _Page) -> str | None:
    if page.profile.selectors.get("body"):
        selected = body_from_selector(page.tree, page.profile.selectors["body"])
        if selected:
            return selected
    blocks = text_blocks(page.tree)
    body = blocks.whole or _generic_or_split_body(page, blocks.split)
    declared = _ld_body(page.structured)
    if declared and (not body or _covers_much_more(declared, body)):
        return declared
    if not body or len(body) < MIN_SHOWN_BODY:  # the page may render its text by script
        return state_body(page.tree) or body
    return body


def _generic_or_split_body(page: _Page, split: str | None) -> str | None:
    """trafilatura's text, unless it lost much of the body the page cut into blocks of one kind (`split`)."""
    generic = body_from_trafilatura(page.tree, page.url)
    if split is None or (generic and _holds_most(generic, split)):
        return generic
    return split


def _holds_most(text: str, of: str) -> bool:
    """`text` holds most of `of`'s paragraphs (by their words)."""
    folded = fold(text)
    paragraphs = [fold(paragraph) for paragraph in of.split("\n\n")]
    held = [paragraph for paragraph in paragraphs if paragraph in folded]
    return sum(map(len, held)) >= SPLIT_HELD_SHARE * sum(map(len, paragraphs))


def _covers_much_more(declared: str, extracted: str) -> bool:
    """The JSON-LD text is far longer and has paragraphs: the extractor lost sections."""
    return "\n\n" in declared and len(declared) >= LD_BODY_RATIO * len(extracted)


def _ld_body(structured: Structured) -> str | None:
    """The JSON-LD ``articleBody``, split into paragraphs at line breaks."""
    for value in structured.ld_values("articleBody"):
        if isinstance(value, str) and value.strip():
            return join_paragraphs(value.split("\n"))
    return None


def _canonical(tree: HtmlElement, structured: Structured, url: str) -> str | None:
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return urljoin(url, link.get("href", "").strip())
    og = structured.first_meta("og:url")
    return urljoin(url, og) if og else None
