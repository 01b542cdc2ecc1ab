"""Authors: people credited with the text, never agencies or the publisher."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from lxml.html import HtmlElement

from presswatch.crawler.parsing.attribution import canonical_agency
from presswatch.crawler.parsing.structured import Structured
from presswatch.crawler.parsing.text import clean_text, element_text, fold

AUTHOR_META = ("author", "article:author", "dc.creator", "dcterms.creator", "parsely-author",
               "sailthru.author", "byl", "cxenseparse:author", "twitter:creator")
_BY = re.compile(
    r"^(?:(?:analysis|opinion|commentary|story|written|words|reporting)\s+by|by|von|par|por|di"
    r"|door|av|af|автор[ы]?:?|text:|texto:|от)\s+",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\bи\b|\bog\b|\ben\b|\|)\s*")
_NOT_NAME = re.compile(r"https?:|www\.|@|\d|/|\.[a-z]{2,4}\b|^[a-z]+(?:-[a-z]+)+$")
_WEB_ADDRESS = re.compile(r"https?:|www\.|\.(?:com|org|net)\b", re.IGNORECASE)
_LABEL = re.compile(
    r"^(?:authors?|written\s+by|autor(?:in)?(?:\s*/\s*autor(?:in)?)?|autor\*?innen|auteur|autore"
    r"|autores?|автор[ыи]?|yazar|müəllif)\s*:?$",
    re.IGNORECASE,
)
_AUTHOR_PAGE = re.compile(r"/(?:authors?|autor(?:en)?|auteurs?|autore)/(?:name/)?[^/?#\s]+/?(?:$|[?#])",
                          re.IGNORECASE)
_TRAILING_NOTE = re.compile(r"\s*(?:\([^)]{1,12}\)|기자|記者)$")
_FUNCTION_WORDS = frozenset({"von", "by", "par", "por", "di", "and", "und", "et", "y", "от", "и"})
# A role before the names it credits: "Text: A, Foto: B", "Photos by B". Only the writers are
# authors; a byline without a role credits its writers.
_ROLE = re.compile(
    r"(?:^|(?<=[\s,;|/(]))(?P<role>text|texto|words|reporting|photos?|fotos?|bilder?|video"
    r"|illustrations?|grafik|kamera|images?)\s*(?::|\s+by\b)",
    re.IGNORECASE,
)
_WRITING_ROLES = frozenset({"text", "texto", "words", "reporting"})


class Credits(NamedTuple):
    """Who a page credits with its text: people, and an agency its byline names."""

    authors: tuple[str, ...] = ()
    agency: str | None = None
    evidence: str | None = None  # the byline value that names the agency


def find_authors(tree: HtmlElement, structured: Structured, exclude: Sequence[str],
                 selected: Iterable[str] = ()) -> Credits:
    """Author names from the selector, JSON-LD, meta tags or byline markup, first found wins;
    the first agency a byline names on the way ("By Anna Berg, dpa"; JSON-LD ``"AFP"``)."""
    agency: tuple[str, str] | None = None
    for raw, organisations in ((list(selected), []), _ld_authors(structured),
                               (_meta_authors(structured), []), (_markup_authors(tree), [])):
        agency = agency or _byline_agency([*raw, *organisations])
        names = clean_authors(raw, exclude)
        if names:
            break
    return Credits(names, *(agency or (None, None)))


def clean_authors(raw: Iterable[str], exclude: Sequence[str]) -> tuple[str, ...]:
    banned = {fold(name) for name in exclude if name}
    out: list[str] = []
    for value in raw:
        for index, part in enumerate(_parts(value)):
            if _WEB_ADDRESS.search(part):
                continue  # "Deutsche Welle (www.dw.com)": an organisation with its site
            name = _TRAILING_NOTE.sub("", part.strip(" .:-–—|")).strip()
            if index == 0 and _is_site(name, banned):
                break  # "Site, City, Country": the whole value describes the organisation
            if _is_person(name, banned) and name not in out:
                out.append(name)
    return tuple(out)


def _parts(value: str) -> Iterator[str]:
    """The names a byline value credits with writing, one by one."""
    for credited in _written_parts(clean_text(value)):
        yield from _SPLIT.split(_BY.sub("", credited.strip(" ,;|/")))


def _written_parts(value: str) -> list[str]:
    """"Text: A, Foto: B" -> ["A"]: the stretches credited with writing (or with no role)."""
    roles = list(_ROLE.finditer(value))
    if not roles:
        return [value]
    starts = [(0, None), *((m.end(), m.group("role").lower()) for m in roles)]
    ends = [m.start() for m in roles] + [len(value)]
    return [value[start:end] for (start, role), end in zip(starts, ends)
            if (role is None or role in _WRITING_ROLES) and value[start:end].strip(" ,;|/")]


def _byline_agency(raw: Iterable[str]) -> tuple[str, str] | None:
    """The agency a byline credits ("Anna Berg, dpa"), with the value naming it."""
    for value in raw:
        for part in _parts(value):
            agency = canonical_agency(part.strip(" .:-–—|"))
            if agency:
                return agency, clean_text(value)
    return None


def _is_site(name: str, banned: set[str]) -> bool:
    """The publisher or site, also as the first word of a desk ("MDR THÜRINGEN")."""
    key = fold(name)
    if key in banned or any(len(b) >= 6 and b in key for b in banned):
        return True
    first = fold(name.split()[0]) if name.split() else ""
    return len(first) >= 3 and first in banned


def _is_person(name: str, banned: set[str]) -> bool:
    if not name or len(name) > 60 or len(name) < 2 or _NOT_NAME.search(name):
        return False
    if name.lower() in _FUNCTION_WORDS:
        return False
    if _is_site(name, banned) or canonical_agency(name):
        return False
    return len(name.split()) <= 5


def _ld_authors(structured: Structured) -> tuple[list[str], list[str]]:
    """The first JSON-LD ``author`` that names people, and the organisations named up to it."""
    organisations: list[str] = []
    for value in structured.ld_values("author"):
        items = list(_flat(value))
        organisations += [n for n in (_name(i) for i in items if _is_organisation(i)) if n]
        people = [n for n in (_name(i) for i in items if not _is_organisation(i)) if n]
        if people:
            return people, organisations
    return [], organisations


def _flat(value: Any) -> Iterator[Any]:
    """``[A, [B]]`` -> A, B: some pages nest their author lists."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, list):
            yield from _flat(item)
        else:
            yield item


def _is_organisation(item: Any) -> bool:
    kind = str(item.get("@type") or "").lower() if isinstance(item, dict) else ""
    return "organization" in kind or "organisation" in kind


def _name(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        name = item.get("name")
        if isinstance(name, str):
            return name
        given, family = item.get("givenName"), item.get("familyName")
        if isinstance(given, str) and isinstance(family, str):
            return f"{given} {family}"
    return None


def _meta_authors(structured: Structured) -> list[str]:
    for name in AUTHOR_META:
        values = [v for v in structured.meta.get(name, ()) if v.strip()]
        if values:
            return values
    return []


def _markup_authors(tree: HtmlElement) -> list[str]:
    found = tree.xpath('//*[@rel="author"] | //*[@itemprop="author"]')
    texts = []
    for element in found[:5]:
        names = element.xpath('.//*[@itemprop="name"]')
        texts.append(element_text(names[0]) if names else element_text(element))
    if texts:
        return texts
    bylines = tree.xpath(
        "//*[contains(@class, 'byline') or contains(@class, 'author')]"
        "[string-length(normalize-space()) < 80][not(descendant::*[contains(@class, 'byline')"
        " or contains(@class, 'author')])]"
    )
    texts = [element_text(element) for element in bylines[:3]]
    signed = [text for text in texts if _BY.match(text)]
    # "By X" beats a section label
    return signed or texts or _author_page_links(tree) or _labelled_authors(tree)


def _author_page_links(tree: HtmlElement) -> list[str]:
    """"von <a href="/autoren/anna-berg">Anna Berg</a>": links to a writer's own page."""
    links = (element_text(a) for a in tree.xpath("//a[@href]")[:3000]
             if _AUTHOR_PAGE.search(a.get("href", "")))
    return list(dict.fromkeys(text for text in links if 0 < len(text) < 60))[:3]


def _labelled_authors(tree: HtmlElement) -> list[str]:
    """"<li><strong>Author</strong> Anna Berg</li>": the text the label introduces."""
    out = []
    for label in tree.xpath("//strong | //b | //dt | //th | //span[not(*)]")[:2000]:
        if not _LABEL.match(element_text(label)):
            continue
        if label.tag in ("dt", "th"):
            following = label.getnext()
            value = element_text(following) if following is not None else ""
        else:
            parent = label.getparent()
            whole = element_text(parent) if parent is not None else ""
            value = whole.removeprefix(element_text(label)).strip()
        if 0 < len(value) < 80 and not value[0].islower():  # a name, not a sentence going on
            out.append(value)
    return out[:3]
