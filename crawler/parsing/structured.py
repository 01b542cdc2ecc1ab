"""Structured metadata a page declares about itself: JSON-LD and ``<meta>`` tags."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
    "backgroundnewsarticle", "opinionnewsarticle", "reviewnewsarticle", "blogposting",
    "liveblogposting", "report", "scholarlyarticle", "techarticle", "socialmediaposting",
    "pressrelease", "advertisercontentarticle", "satiricalarticle", "askpublicnewsarticle",
    "webpage", "itempage", "videoobject", "creativework", "medicalwebpage",
})
ORGANISATION_TYPES = frozenset({"organization", "newsmediaorganization", "website"})
# Parts of a page, not what the page is about: their dates are not the page's.
NOT_CONTENT_TYPES = frozenset({
    "person", "imageobject", "breadcrumblist", "listitem", "sitenavigationelement",
    "searchaction", "comment", "review", "aggregaterating", "offer", "place", "postaladdress",
})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(slots=True)
class Structured:
    """JSON-LD article objects (best first) and meta values keyed by lower-case name."""

    articles: list[dict[str, Any]] = field(default_factory=list)
    organisations: list[dict[str, Any]] = field(default_factory=list)
    others: list[dict[str, Any]] = field(default_factory=list)  # other types (Recipe, HowTo, …)
    meta: dict[str, list[str]] = field(default_factory=dict)

    def first_meta(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name, ()):
                if value.strip():
                    return value.strip()
        return None

    def ld_values(self, key: str, objects: list[dict[str, Any]] | None = None) -> Iterator[Any]:
        """``key`` of the article objects (or of ``objects``), best first."""
        for obj in self.articles if objects is None else objects:
            if key in obj and obj[key] not in (None, "", []):
                yield obj[key]


def read_structured(tree: HtmlElement) -> Structured:
    """Collect JSON-LD objects and meta tags from a parsed page."""
    result = Structured(meta=_read_meta(tree))
    objects = list(_jsonld_objects(tree))
    typed = [(obj, _types(obj)) for obj in objects]
    articles = [obj for obj, types in typed if types & ARTICLE_TYPES]
    articles.sort(key=_article_rank)
    result.articles = articles
    result.organisations = [obj for obj, types in typed if types & ORGANISATION_TYPES]
    result.others = [obj for obj, types in typed
                     if not types & (ARTICLE_TYPES | ORGANISATION_TYPES | NOT_CONTENT_TYPES)]
    return result


def _article_rank(obj: dict[str, Any]) -> int:
    types = _types(obj)
    if types & {"webpage", "itempage", "creativework", "medicalwebpage", "videoobject"}:
        return 2 if "headline" not in obj and "datePublished" not in obj else 1
    return 0


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {str(v).lower().rsplit("/", 1)[-1] for v in values if v}


def _jsonld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.iter("script"):
        if _is_jsonld(script.get("type"), script.text or ""):
            yield from _flatten(_load_json(script.text or ""), depth=0)


def _is_jsonld(kind: str | None, text: str) -> bool:
    """Declared JSON-LD, or an untyped ``<script>`` that holds a JSON-LD object."""
    if kind is not None:
        return "ld+json" in kind.lower()
    head = text.lstrip()[:300]
    return head[:1] in ("{", "[") and '"@context"' in head


# What pages wrap their JSON in for old browsers: HTML comments, and (Rails' javascript_tag, some
# CMSs) CDATA sections behind JavaScript comments.
_WRAPPER = re.compile(r"^(?:<!--|(?://\s*|/\*\s*)?<!\[CDATA\[(?:\s*\*/)?)|(?:-->|(?://\s*|/\*\s*)?\]\]>(?:\s*\*/)?)$")


def _load_json(text: str) -> Any:
    text = _WRAPPER.sub("", _CONTROL.sub(" ", text.strip()))  # <!-- … -->, //<![CDATA[ … //]]>
    try:
        return json.loads(text)
    except ValueError:
        try:
            return json.loads(text.rstrip(";"), strict=False)
        except ValueError:
            return None


def _flatten(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item, depth + 1)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _flatten(data["@graph"], depth + 1)
        if "@type" in data:
            yield data
        main = data.get("mainEntity")
        if isinstance(main, (dict, list)):
            yield from _flatten(main, depth + 1)


def _read_meta(tree: HtmlElement) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        name = element.get("property") or element.get("name") or element.get("itemprop")
        content = element.get("content")
        if name and content is not None:
            meta.setdefault(name.strip().lower(), []).append(content)
    return meta


def ld_text(value: Any) -> str | None:
    """A JSON-LD value as text: strings as-is, ``{"name": ...}`` objects by name."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("name", "@value", "headline"):
            if isinstance(value.get(key), str):
                return value[key].strip() or None
    if isinstance(value, list) and value:
        return ld_text(value[0])
    return None
