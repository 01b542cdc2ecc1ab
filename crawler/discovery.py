"""Finding article URLs: pure functions over listing pages, feeds and sitemaps.

No network, no Scrapy: the spider hands in bytes and URLs and gets URLs back.
"""
from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html
import regex

from presswatch.crawler.config import Source
from presswatch.crawler.origins import origin_allowed

# Without an `article_pattern`, an article URL is one whose last path segment looks like
# a slug with several words or an id ("...-aliyev-meets-tokayev-2548871", "2023/04/10/x.html").
DEFAULT_ARTICLE_PATH = re.compile(r"(/[^/?#]*-[^/?#]*-[^/?#]*-[^/?#]+/?$)|(/\d{4}/\d{1,2}/[^/]+)|(\.s?html?$)")
DEFAULT_LISTING_PATH = re.compile(r"([?&]page=\d+)|(/page/\d+/?$)|(/p\d+/?$)")
SAFE_SCHEMES = ("http", "https")
#: Longer links are not followed (Scrapy's URLLENGTH_LIMIT); each is recorded as `url_too_long`.
MAX_URL_CHARS = 2083
#: A source's `article_pattern` / `listing_pattern` gets this long per URL: a pattern that
#: backtracks without end cannot hang a crawl (the URL counts as no match, recorded). A sane
#: pattern takes microseconds; the budget is wall-clock time, so it leaves room for a busy machine.
PATTERN_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class LinkRefused(Exception):
    """A link of the source's site that is not followed, and why (a `crawl_errors.kind`)."""

    kind: str
    url: str
    message: str


@dataclass(frozen=True, slots=True)
class ListingLinks:
    articles: tuple[str, ...]
    listings: tuple[str, ...]
    refused: tuple[LinkRefused, ...] = ()


class FeedError(ValueError):
    """A feed or sitemap that is not well-formed XML of a known kind."""


def clean_link(href: str, base_url: str) -> str | None:
    """Absolute http(s) URL without fragment, or None for mailto:, javascript:, data: …"""
    href = href.strip()
    if not href:
        return None
    try:
        absolute = urljoin(base_url, href)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in SAFE_SCHEMES or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def on_allowed_domain(url: str, source: Source) -> bool:
    return origin_allowed(url, source.allowed_domains)


def is_article_url(url: str, source: Source) -> bool:
    """Raises `LinkRefused` for a link of the site that cannot be judged (too long, pattern too slow)."""
    if not on_allowed_domain(url, source):
        return False
    _short_enough(url)
    if source.article_pattern is not None:
        return _matches(source.article_pattern, url, "article_pattern")
    return DEFAULT_ARTICLE_PATH.search(urlsplit(url).path) is not None


def is_listing_url(url: str, source: Source) -> bool:
    """Raises `LinkRefused` like `is_article_url`."""
    if not on_allowed_domain(url, source):
        return False
    _short_enough(url)
    if source.listing_pattern is not None:
        return _matches(source.listing_pattern, url, "listing_pattern")
    return DEFAULT_LISTING_PATH.search(url) is not None


def _short_enough(url: str) -> None:
    if len(url) > MAX_URL_CHARS:
        raise LinkRefused("url_too_long", url, f"link of {len(url)} characters (more than {MAX_URL_CHARS}) not followed")


def _matches(pattern: regex.Pattern[str], url: str, key: str) -> bool:
    if not isinstance(pattern, regex.Pattern):  # a plain `re` pattern built in code: no time budget to give
        return pattern.search(url) is not None
    try:
        return pattern.search(url, timeout=PATTERN_SECONDS) is not None
    except TimeoutError:
        raise LinkRefused(
            "pattern_timeout", url,
            f"{key} took longer than {PATTERN_SECONDS:g} s on this link: not followed (the pattern backtracks; simplify it)",
        ) from None


def article_links(urls: Iterable[str], source: Source, refused: list[LinkRefused]) -> list[str]:
    """Those of `urls` (from a feed or sitemap) that are the source's articles; the others it
    could not judge are added to `refused`."""
    found = []
    for url in urls:
        try:
            if is_article_url(url, source):
                found.append(url)
        except LinkRefused as exc:
            refused.append(exc)
    return found


def listing_links(html: bytes, page_url: str, source: Source) -> ListingLinks:
    """Article and listing (pagination) links on a listing page, in page order, unique."""
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return ListingLinks((), ())
    base = _base_href(tree, page_url)
    articles: dict[str, None] = {}
    listings: dict[str, None] = {}
    refused: dict[str, LinkRefused] = {}
    for href in tree.xpath("//a/@href"):
        url = clean_link(str(href), base)
        if url is None or url == page_url or url in refused:
            continue
        try:
            if is_article_url(url, source):
                articles.setdefault(url)
            elif is_listing_url(url, source):
                listings.setdefault(url)
        except LinkRefused as exc:
            refused[url] = exc
    return ListingLinks(tuple(articles), tuple(listings), tuple(refused.values()))


def _base_href(tree: lxml.html.HtmlElement, page_url: str) -> str:
    bases = tree.xpath("//base/@href")
    return urljoin(page_url, str(bases[0])) if bases else page_url


def feed_links(xml: bytes, feed_url: str, problems: list[str] | None = None) -> list[str]:
    """Item links of an RSS 2.0, RSS 1.0/RDF or Atom feed, in feed order.

    A feed that is not well-formed but partly readable gives the links of its readable
    part, and the XML errors are appended to `problems`.
    """
    root = _xml_root(xml, feed_url, problems)
    links: list[str] = []
    for element in root.iter():
        name = lxml.etree.QName(element).localname if isinstance(element.tag, str) else ""
        if name != "link":
            continue
        parent = element.getparent()
        parent_name = lxml.etree.QName(parent).localname if parent is not None else ""
        if parent_name not in ("item", "entry"):
            continue
        href = element.get("href") if element.get("href") else (element.text or "")
        if element.get("rel") not in (None, "alternate"):
            continue
        url = clean_link(href, feed_url)
        if url is not None:
            links.append(url)
    return list(dict.fromkeys(links))


GZIP_MAGIC = b"\x1f\x8b"


def unpack_sitemap(body: bytes, sitemap_url: str, limit: int) -> bytes:
    """A gzip-compressed sitemap (`sitemap.xml.gz` served as a file, no Content-Encoding)
    inflated, reading at most `limit` bytes (a gzip bomb is refused); any other body as it is."""
    if not body.startswith(GZIP_MAGIC):
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as packed:
            data = packed.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise FeedError(f"{sitemap_url}: not a readable gzip file: {exc}") from None
    if len(data) > limit:
        raise FeedError(f"{sitemap_url}: the gzip sitemap inflates to more than max_page_bytes ({limit} bytes)")
    return data


def sitemap_links(
    xml: bytes, sitemap_url: str, problems: list[str] | None = None, since: datetime | None = None
) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) of a sitemap or sitemap index (see `feed_links`).

    With `since`, entries whose `news:publication_date` or `lastmod` is older are left
    out (entries without a date are kept): an incremental crawl skips old sitemap parts.
    """
    root = _xml_root(xml, sitemap_url, problems)
    kind = lxml.etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise FeedError(f"{sitemap_url}: not a sitemap (root element <{kind}>)")
    urls: list[str] = []
    for entry in root:
        loc = entry.find("{*}loc") if isinstance(entry.tag, str) else None
        url = clean_link(loc.text or "", sitemap_url) if loc is not None else None
        if url is None:
            continue
        changed = sitemap_entry_date(entry)
        if since is None or changed is None or changed >= since:
            urls.append(url)
    return (urls, []) if kind == "urlset" else ([], urls)


def sitemap_entry_date(entry: lxml.etree._Element) -> datetime | None:
    """The entry's news publication date, else its lastmod, as an aware datetime (UTC if unzoned)."""
    for path in (".//{*}publication_date", "{*}lastmod"):
        element = entry.find(path)
        if element is not None and element.text:
            try:
                value = datetime.fromisoformat(element.text.strip())
            except ValueError:
                continue
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return None


def _xml_root(xml: bytes, url: str, problems: list[str] | None = None) -> lxml.etree._Element:
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
    try:
        root = lxml.etree.fromstring(xml.lstrip(), parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise FeedError(f"{url}: malformed XML: {exc}") from None
    if root is None:
        raise FeedError(f"{url}: empty or malformed XML document")
    errors = [e for e in parser.error_log if e.level >= lxml.etree.ErrorLevels.ERROR]
    if errors and problems is not None:
        first = errors[0]
        problems.append(f"{url}: malformed XML, read up to the error: line {first.line}: {first.message}")
    return root
