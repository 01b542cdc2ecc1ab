"""The article text as paragraphs: a declared selector, else trafilatura's main-content pass."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from copy import copy
from functools import lru_cache
from typing import TYPE_CHECKING

from lxml.html import HtmlElement

from presswatch.crawler.parsing.text import clean_text, element_text, fold

if TYPE_CHECKING:
    from trafilatura.settings import Extractor

logger = logging.getLogger(__name__)

BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "td")
CONTAINERS = frozenset({"div", "section", "article", "ul", "ol", "table", "tbody", "tr"})
SKIP = frozenset({"script", "style", "noscript", "template", "figure", "figcaption", "aside",
                  "nav", "footer", "form", "button", "iframe", "svg", "header"})
_BOILERPLATE = re.compile(
    r"^(?:read\s+(?:also|more)|also\s+read|see\s+also|related|share|follow\s+us|subscribe"
    r"|advertisement|читайте\s+также|читайте\s+еще|смотрите\s+также|подписывайтесь|реклама"
    r"|lesen\s+sie\s+auch|mehr\s+zum\s+thema|anzeige|lire\s+aussi|leer\s+más|ayrıca\s+oxuyun"
    r"|həmçinin\s+oxuyun|related\s+(?:post|stories|articles)|see\s+more|don'?t\s+miss|more"
    r"|filed\s+under|you\s+may\s+also\s+like|comments?|tempo\s+de\s+leitura|\[related)"
    r"\s*(?:[:.…|»>-]|$)"
    r"|^\(?(?:additional\s+)?(?:reporting|writing|editing)\s+by\s",
    re.IGNORECASE,
)


# Short page furniture that sits next to the text and is marked as such by a class word
# ("press-release__kicker", "news-date", "share-bar"); a dateline stays, it carries attribution.
# Found in Python (an XPath with 33 `contains()` per element cost ~4 ms a page) and handed
# to trafilatura as a marker attribute, which its `prune_xpath` finds at C speed.
_FURNITURE = ("kicker", "source", "byline", "caption", "credit", "contact", "share",
              "breadcrumb", "date", "updated", "tags")
_FURNITURE_TAGS = ("p", "div", "span", "ol", "ul")
# A class word starting at the attribute's start or after " ", "-" or "_".
_FURNITURE_CLASS = re.compile(r"(?:^|[ _-])(?:" + "|".join(_FURNITURE) + ")")
_XML_SPACE = re.compile(r"[ \t\r\n]+")
FURNITURE_MAX_CHARS = 200
_PRUNE_MARK = "data-presswatch-prune"
PRUNE_XPATH = f"//*[@{_PRUNE_MARK}]"
_PROMO = re.compile(
    r"\b(?:newsletter|subscribe|in\s+your\s+inbox|article\s+content|recommended\s+videos"
    r"|reading\s+time|min(?:ute)?s?\s+read|lesedauer|fehler\s+gefunden|jetzt\s+melden"
    r"|abonnieren|jetzt\s+testen|kostenlos\s+testen|подписывайтесь|подпишитесь"
    r"|время\s+чтения|photo\s*:|foto\s*:|фото\s*:|bild\s*:|image\s*:"
    r"|©|\(c\)\s*\d{4}|all\s+rights\s+reserved|alle\s+rechte\s+vorbehalten)",
    re.IGNORECASE,
)
SHORT_BODY = 1000  # characters: below this the strict pass may have cut real text
RECALL_RATIO = 0.6
HEADER_PARAGRAPHS = 4
HEADER_LINE_CHARS = 100  # a longer paragraph is text: the headline does not come after it
MIN_HEADLINE_KEY = 12  # folded characters: shorter headlines are matched only whole
TRAILER_PARAGRAPHS = 3
MIN_LEAD_CHARS = 40
LEAD_PROBE_CHARS = 60
_DATE_LIKE = re.compile(
    r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}:\d{2}|\b\d{1,2}\.?\s+[^\W\d_]{3,12}\.?,?\s+\d{4}"
    r"|\b[^\W\d_]{3,12}\.?\s+\d{1,2},?\s+\d{4}"
)
_WORDS = re.compile(r"[^\W\d_]{2,}")
_TRAILER_START = re.compile(
    r"^(?:(?:press|media)\s+contacts?|contacts?|kontakt|pressekontakt|контакты|пресс-служба"
    r")\s*(?::.*)?$",
    re.IGNORECASE,
)


def body_from_selector(tree: HtmlElement, selector: str) -> str | None:
    """Paragraphs from the elements a source's CSS selector names."""
    try:
        elements = tree.cssselect(selector)
    except Exception as exc:  # cssselect raises several parse error types
        logger.warning("bad body selector %r: %s", selector, exc)
        return None
    paragraphs: list[str] = []
    for element in elements:
        paragraphs += list(container_paragraphs(element))
    return join_paragraphs(paragraphs) or None


def container_paragraphs(container: HtmlElement) -> Iterable[str]:
    if container.tag in BLOCKS:
        yield element_text(container)
        return
    loose: list[str] = [container.text or ""]
    for child in container:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in SKIP or _is_chrome(child):
            loose.append(child.tail or "")
            continue
        if tag in BLOCKS or tag in CONTAINERS:
            yield clean_text(" ".join(loose))
            loose = []
            yield from container_paragraphs(child)
            loose.append(child.tail or "")
        elif tag == "br":
            yield clean_text(" ".join(loose))
            loose = [child.tail or ""]
        else:
            loose.append(element_text(child) + " " + (child.tail or ""))
    yield clean_text(" ".join(loose))


def _is_chrome(element: HtmlElement) -> bool:
    marks = f"{element.get('class', '')} {element.get('id', '')}".lower()
    return bool(re.search(r"share|social|related|read-?also|advert|promo|caption|tags\b", marks))


def body_from_trafilatura(tree: HtmlElement, url: str) -> str | None:
    """Main text found by trafilatura, kept as paragraphs.

    The precision-minded pass runs first; when it yields little, a balanced pass runs too and
    wins if it found clearly more (the strict pass then threw real text away).
    """
    marked = furniture(tree)
    for element in marked:
        element.set(_PRUNE_MARK, "")
    prune = PRUNE_XPATH if marked else None
    try:
        strict = _trafilatura(tree, url, prune, precision=True)
        if strict and len(strict) >= SHORT_BODY:
            return strict
        balanced = _trafilatura(tree, url, prune, precision=False)
    finally:
        for element in marked:
            del element.attrib[_PRUNE_MARK]
    if not strict or (balanced and len(strict) < RECALL_RATIO * len(balanced)):
        return balanced
    return strict


def furniture(tree: HtmlElement) -> list[HtmlElement]:
    """The short elements whose class names them page furniture (see ``_FURNITURE``), in
    document order; nested ones included."""
    return [element for element in tree.iter(*_FURNITURE_TAGS) if _marked_furniture(element)]


def is_furniture(element: HtmlElement) -> bool:
    """A short element whose class names it page furniture (a kicker, a date line, a share bar)."""
    return element.tag in _FURNITURE_TAGS and _marked_furniture(element)


def _marked_furniture(element: HtmlElement) -> bool:
    classes = element.get("class")
    if not classes or "dateline" in classes or not _FURNITURE_CLASS.search(classes):
        return False
    return _normalized_length(element.text_content()) < FURNITURE_MAX_CHARS


def _normalized_length(text: str) -> int:
    """XPath's ``string-length(normalize-space())``: only XML whitespace counts as space."""
    return len(_XML_SPACE.sub(" ", text).strip(" \t\r\n"))


def preload() -> None:
    """Import trafilatura now (it is imported on the first page otherwise: ~0.3 s)."""
    import trafilatura  # noqa: F401


def _trafilatura(tree: HtmlElement, url: str, prune: str | None, precision: bool) -> str | None:
    import trafilatura

    try:
        document = trafilatura.bare_extraction(tree, options=_options(url, precision), prune_xpath=prune)
    except (ValueError, TypeError, AttributeError) as exc:
        logger.debug("trafilatura failed on %s: %s", url, exc)
        return None
    body = getattr(document, "body", None)
    if body is None:
        return None
    return join_paragraphs(_xml_paragraphs(body)) or None


@lru_cache(maxsize=2)
def _base_options(precision: bool) -> Extractor:
    from trafilatura.settings import Extractor

    return Extractor(output_format="python", precision=precision, comments=False, tables=True,
                     with_metadata=False)


def _options(url: str, precision: bool) -> Extractor:
    """trafilatura's options for one page: a copy of the prepared ones with the page's URL
    (building them reads trafilatura's config file values anew every time)."""
    options = copy(_base_options(precision))
    options.url = options.source = url
    return options


def _xml_paragraphs(body: HtmlElement) -> Iterable[str]:
    for child in body:
        if child.tag == "list":
            for item in child.iter("item"):
                yield element_text(item)
        elif child.tag == "table":
            for row in child.iter("row"):
                yield " ".join(element_text(cell) for cell in row)
        else:
            yield element_text(child)


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    kept: list[str] = []
    for paragraph in paragraphs:
        text = clean_text(paragraph)
        if text and not (kept and kept[-1] == text):
            kept.append(text)
    return "\n\n".join(kept)


def tidy_body(body: str | None, headlines: Sequence[str], date_raws: Sequence[str]) -> str | None:
    """Drop what the extractor kept around the text: header lines, date lines, contact blocks."""
    if not body:
        return None
    keys = [key for key in (fold(h) for h in headlines if h) if key]
    paragraphs = _after_headline(body.split("\n\n"), keys)
    date_keys = {fold(raw) for raw in date_raws if raw}
    while paragraphs and _is_leading_noise(paragraphs[0], date_keys):
        paragraphs.pop(0)
    paragraphs = _without_trailer(paragraphs)
    paragraphs = [p for p in paragraphs if not _is_boilerplate(p)]
    return "\n\n".join(paragraphs) or None


def _after_headline(paragraphs: list[str], head_keys: Sequence[str]) -> list[str]:
    """Everything after the headline, when it shows up among the first paragraphs with only
    short lines (kicker, date, breadcrumbs) above it."""
    for index in reversed(range(min(HEADER_PARAGRAPHS, len(paragraphs)))):
        if _is_headline(fold(paragraphs[index]), head_keys) and all(
                len(above) < HEADER_LINE_CHARS for above in paragraphs[:index]):
            return paragraphs[index + 1:]
    return paragraphs


def _is_headline(key: str, head_keys: Sequence[str]) -> bool:
    """The headline (however short), a fragment of it, or it with a short kicker glued on."""
    for head in head_keys:
        if key == head:
            return True
        if len(head) < MIN_HEADLINE_KEY:
            continue
        if len(key) >= MIN_HEADLINE_KEY and key in head:
            return True
        if head in key and len(key) < len(head) + 40:
            return True
    return False


def _is_leading_noise(paragraph: str, date_keys: set[str]) -> bool:
    """A short line that is (mostly) a date, e.g. "16.05.2023 (updated 17.05.2023)"."""
    key = fold(paragraph)
    if any(d and d in key and len(key) < len(d) + 12 for d in date_keys):
        return True
    if len(paragraph) > 80:
        return False
    rest = _DATE_LIKE.sub(" ", paragraph)
    return rest != paragraph and len(_WORDS.findall(rest)) <= 3


def _without_trailer(paragraphs: list[str]) -> list[str]:
    """Cut a closing contact block or a bare "Source: X" line."""
    for index in range(max(0, len(paragraphs) - TRAILER_PARAGRAPHS), len(paragraphs)):
        if _TRAILER_START.match(paragraphs[index]) and len(paragraphs[index]) < 120:
            return paragraphs[:index] if index > 0 else paragraphs
    return paragraphs


def _is_boilerplate(paragraph: str) -> bool:
    if len(paragraph) >= 300:
        return False
    return bool(_BOILERPLATE.match(paragraph)) or (
        len(paragraph) < 100 and bool(_PROMO.search(paragraph))
    )


def missing_lead(body: str | None, lead: str | None) -> str | None:
    """The standfirst (cleaned) when it is long enough to matter and the text lacks it."""
    lead = clean_text(lead)
    if not body or len(lead) < MIN_LEAD_CHARS or lead[:LEAD_PROBE_CHARS] in body:
        return None
    return lead


def with_lead(body: str | None, lead: str | None, page_text: str) -> str | None:
    """Put the page's visible standfirst in front of the text when the extractor missed it."""
    missing = missing_lead(body, lead)
    if missing is None or missing[:LEAD_PROBE_CHARS] not in " ".join(page_text.split()):
        return body
    return f"{missing}\n\n{body}"
