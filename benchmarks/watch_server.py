"""Many small press sites, each on its own loopback address, served by one Twisted process.

    .venv/bin/python benchmarks/watch_server.py --sources 1000 [--port 0] [--releases 8]

Source i (0-based) listens on 127.0.(10 + i // 250).(1 + i % 250), all sources on one
port (`--port 0`: the first free one), one listening socket per address. Each source has

- `/robots.txt`: `User-agent: *` / `Disallow: /private/`;
- `/news`: its releases, newest first (one page), links `/news/<slug>`;
- `/rss.xml`: RSS 2.0 with the same releases (absolute links, RFC 822 `pubDate`);
- `/news/<slug>`: an English press release (JSON-LD `NewsArticle`, `<h1>`, `<time>`, three
  to five paragraphs naming the source and release numbers, nav, footer);
- 404 for anything else.

The listing and the feed carry an `ETag` (a hash of the body) and `Last-Modified`, and
answer `304 Not Modified` to a matching `If-None-Match` (or, without one, to an
`If-Modified-Since` not older than `Last-Modified`). Source i starts with `releases + i % 3`
releases dated over the past three days; the text is deterministic (`--seed`).

Control channel, one line per command on stdin, one JSON line per answer on stdout:

- at start-up the server prints `{"ready": true, "port": P, "sources": N, "releases": [...]}`
  (the initial release count of each source);
- `publish I` publishes a new release on source I (dated now), which changes its listing
  and feed, and answers `{"source": I, "name": ..., "url": ..., "path": ..., "published": T}`
  (T: Unix time);
- `stats` answers `{"stats": {...}}`: connections and requests served, by kind;
- end of input (or `quit`) stops the server.

Quiet: no per-request log; warnings and errors go to stderr.
"""
from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import textgen

SOURCES_PER_OCTET = 250
FIRST_OCTET = 10
BACKLOG = 1024
PORT_TRIES = 10
HOUR = 3600.0
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
NAV = (
    '<nav class="site-nav"><a href="/">Home</a> <a href="/news">News</a> '
    '<a href="/about">About</a> <a href="/contact">Contact</a></nav>'
)


def address(index: int) -> str:
    """Source `index`'s loopback address (0-based: 0 -> 127.0.10.1)."""
    octet, host = divmod(index, SOURCES_PER_OCTET)
    if FIRST_OCTET + octet > 255:
        raise ValueError(f"too many sources: {index + 1}")
    return f"127.0.{FIRST_OCTET + octet}.{1 + host}"


def source_name(index: int) -> str:
    return f"src-{index + 1:04d}"


def publisher(index: int) -> str:
    return f"Press Office {index + 1}"


def initial_release_count(index: int, releases: int) -> int:
    return releases + index % 3


@dataclass(slots=True)
class Release:
    """One press release of one source; its page is rendered on first request."""

    source: int
    number: int  # 1, 2, ... in publication order
    published: int  # Unix time, whole seconds (pages print no fractions)
    headline: str
    slug: str
    page: bytes | None = None

    @property
    def path(self) -> str:
        return f"/news/{self.slug}"


@dataclass(slots=True)
class Cached:
    """A rendered listing or feed with its validators."""

    body: bytes
    etag: str
    last_modified: int


@dataclass(slots=True)
class Source:
    """One site: its releases (oldest first) and its rendered listing and feed."""

    index: int
    base_url: str
    seed: int
    releases: list[Release] = field(default_factory=list)
    last_modified: int = 0
    listing: Cached | None = None
    feed: Cached | None = None

    def rng(self, number: int, part: str) -> random.Random:
        """The generator of one part ("headline", "body") of release `number`: deterministic."""
        return random.Random(f"{self.seed}:{self.index}:{number}:{part}")

    def add_release(self, published: int) -> Release:
        number = len(self.releases) + 1
        base = textgen.headline(self.rng(number, "headline"))
        headline = f"Office {self.index + 1} release {number}: {base}"
        slug = f"release-{self.index + 1}-{number}-{textgen.slugify(base, max_words=8)}"
        release = Release(self.index, number, published, headline, slug)
        self.releases.append(release)
        # Strictly increasing, so a client's If-Modified-Since never hides a new release.
        self.last_modified = max(self.last_modified + 1, published)
        self.listing = self.feed = None
        return release

    def by_path(self, path: str) -> Release | None:
        for release in self.releases:
            if release.path == path:
                return release
        return None

    def newest_first(self) -> list[Release]:
        return self.releases[::-1]

    def listing_page(self) -> Cached:
        if self.listing is None:
            self.listing = cached(listing_html(self).encode(), self.last_modified)
        return self.listing

    def feed_page(self) -> Cached:
        if self.feed is None:
            self.feed = cached(rss_xml(self).encode(), self.last_modified)
        return self.feed

    def article_page(self, release: Release) -> bytes:
        if release.page is None:
            release.page = article_html(self, release).encode()
        return release.page


def cached(body: bytes, last_modified: int) -> Cached:
    return Cached(body, f'"{hashlib.sha1(body).hexdigest()[:20]}"', last_modified)


def make_sources(count: int, releases: int, seed: int, port: int, now: float) -> list[Source]:
    sources = []
    for index in range(count):
        source = Source(index, f"http://{address(index)}:{port}", seed)
        rng = random.Random(f"{seed}:{index}:dates")
        ages = sorted((rng.uniform(1 * HOUR, 72 * HOUR) for _ in range(initial_release_count(
            index, releases))), reverse=True)
        for age in ages:
            source.add_release(int(now - age))
        sources.append(source)
    return sources


# --- pages -------------------------------------------------------------------------------


def iso(published: int) -> str:
    return datetime.fromtimestamp(published, UTC).isoformat()


def rfc822(published: int) -> str:
    return format_datetime(datetime.fromtimestamp(published, UTC), usegmt=True)


def day_text(published: int) -> str:
    moment = datetime.fromtimestamp(published, UTC)
    return f"{moment.day} {moment:%B %Y}"


def human_date(published: int) -> str:
    return f"{day_text(published)}, {datetime.fromtimestamp(published, UTC):%H:%M}"


def page_html(source: Source, title: str, head: str, main: str) -> str:
    office = html.escape(publisher(source.index))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)} | {office}</title>\n{head}</head>\n<body>\n"
        f'<header class="site-header"><p class="logo">{office}</p>{NAV}</header>\n'
        f"<main>\n{main}</main>\n"
        f'<footer class="site-footer"><p>&copy; {office}. Official press releases. '
        'Reproduction permitted with attribution.</p>'
        '<p><a href="/contact">Contact the press service</a></p></footer>\n'
        "</body>\n</html>\n"
    )


def listing_html(source: Source) -> str:
    items = "".join(
        f'<li><a href="{r.path}">{html.escape(r.headline)}</a> '
        f'<time datetime="{iso(r.published)}">{human_date(r.published)}</time></li>\n'
        for r in source.newest_first()
    )
    feed = f'<link rel="alternate" type="application/rss+xml" href="{source.base_url}/rss.xml">\n'
    main = f'<h1>News</h1>\n<ul class="news-list">\n{items}</ul>\n'
    return page_html(source, "News", feed, main)


def rss_xml(source: Source) -> str:
    office = xml_escape(publisher(source.index))
    items = "".join(
        f"<item><title>{xml_escape(r.headline)}</title>"
        f"<link>{source.base_url}{r.path}</link>"
        f'<guid isPermaLink="true">{source.base_url}{r.path}</guid>'
        f"<pubDate>{rfc822(r.published)}</pubDate></item>\n"
        for r in source.newest_first()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
        f"<title>{office}</title><link>{source.base_url}/news</link>"
        f"<description>Press releases of {office}</description><language>en</language>"
        f"<lastBuildDate>{rfc822(source.last_modified)}</lastBuildDate>\n{items}"
        "</channel></rss>\n"
    )


def article_text(source: Source, release: Release) -> list[str]:
    """Three to five paragraphs; the first names the office and the release number."""
    rng = source.rng(release.number, "body")
    city = rng.choice(textgen.CITIES)
    lead = (
        f"{city}, {day_text(release.published)}. Press office "
        f"{source.index + 1} today issued its release number {release.number}. "
        + textgen.paragraph(rng)
    )
    return [lead, *textgen.paragraphs(rng, rng.randint(2, 4))]


def article_html(source: Source, release: Release) -> str:
    url = f"{source.base_url}{release.path}"
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": release.headline,
        "datePublished": iso(release.published),
        "mainEntityOfPage": url,
        "publisher": {"@type": "Organization", "name": publisher(source.index)},
    }
    ld_json = json.dumps(data).replace("</", "<\\/")  # no "</script>" inside the script
    head = (
        f'<link rel="canonical" href="{url}">\n'
        f'<meta property="og:title" content="{html.escape(release.headline)}">\n'
        f'<script type="application/ld+json">{ld_json}</script>\n'
    )
    paragraphs = "".join(f"<p>{html.escape(p)}</p>\n" for p in article_text(source, release))
    main = (
        f'<article class="press-release">\n<h1>{html.escape(release.headline)}</h1>\n'
        f'<p class="date"><time datetime="{iso(release.published)}">'
        f"{human_date(release.published)}</time></p>\n"
        f'<div class="release-body">\n{paragraphs}</div>\n'
        '<p class="back"><a href="/news">All press releases</a></p>\n</article>\n'
    )
    return page_html(source, release.headline, head, main)


# --- HTTP --------------------------------------------------------------------------------


def not_modified(request: Any, page: Cached) -> bool:
    """A matching If-None-Match, or (without one) an If-Modified-Since not older than the page."""
    tags = request.getHeader(b"if-none-match")
    if tags is not None:
        wanted = {tag.strip().removeprefix(b"W/") for tag in tags.split(b",")}
        return b"*" in wanted or page.etag.encode() in wanted
    since = request.getHeader(b"if-modified-since")
    if since is None:
        return False
    try:
        moment = parsedate_to_datetime(since.decode("latin-1"))
    except (TypeError, ValueError):
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() >= page.last_modified


def build_server(sources: dict[str, Source], counts: Counter[str]) -> Any:
    """The Twisted site that answers for every address (by the address a request came in on)."""
    from twisted.web.resource import Resource
    from twisted.web.server import NOT_DONE_YET, Site

    def validated(request: Any, page: Cached, content_type: bytes, kind: str) -> Any:
        request.setHeader(b"etag", page.etag.encode())
        request.setHeader(b"last-modified", rfc822(page.last_modified).encode())
        request.setHeader(b"cache-control", b"no-cache")
        if not_modified(request, page):
            counts[f"{kind}_304"] += 1
            request.setResponseCode(304)
            request.finish()  # no body and no Content-Length (RFC 9110 8.6)
            return NOT_DONE_YET
        counts[f"{kind}_200"] += 1
        request.setHeader(b"content-type", content_type)
        return page.body

    class Sites(Resource):
        isLeaf = True

        def render_GET(self, request: Any) -> Any:
            counts["requests"] += 1
            source = sources.get(request.getHost().host)
            path = request.path.decode("latin-1")
            if source is None:
                return self.missing(request)
            if path == "/robots.txt":
                counts["robots"] += 1
                request.setHeader(b"content-type", b"text/plain; charset=utf-8")
                return ROBOTS
            if path == "/news":
                return validated(request, source.listing_page(), b"text/html; charset=utf-8",
                                 "listing")
            if path == "/rss.xml":
                return validated(request, source.feed_page(),
                                 b"application/rss+xml; charset=utf-8", "feed")
            release = source.by_path(path) if path.startswith("/news/") else None
            if release is None:
                return self.missing(request)
            counts["article"] += 1
            request.setHeader(b"content-type", b"text/html; charset=utf-8")
            return source.article_page(release)

        def missing(self, request: Any) -> bytes:
            counts["not_found"] += 1
            request.setResponseCode(404)
            request.setHeader(b"content-type", b"text/plain; charset=utf-8")
            return b"Not found\n"

    class QuietSite(Site):
        noisy = False
        displayTracebacks = False

        def log(self, request: Any) -> None:  # no access log
            return None

        def buildProtocol(self, addr: Any) -> Any:
            counts["connections"] += 1
            return super().buildProtocol(addr)

    return QuietSite(Sites())


def twisted_reactor() -> Any:
    """The global reactor (Twisted's stubs type it as a module, not by its interfaces)."""
    from twisted.internet import reactor

    return reactor


def listen_everywhere(site: Any, addresses: list[str], port: int) -> int:
    """One listening socket per address, all on one port; the port."""
    from twisted.internet.error import CannotListenError

    reactor = twisted_reactor()

    for _ in range(PORT_TRIES):
        listening: list[Any] = []
        try:
            first = reactor.listenTCP(port, site, backlog=BACKLOG, interface=addresses[0])
            listening.append(first)
            chosen: int = first.getHost().port
            for host in addresses[1:]:
                listening.append(reactor.listenTCP(chosen, site, backlog=BACKLOG, interface=host))
            return chosen
        except CannotListenError:
            for opened in listening:
                opened.stopListening()
            if port:
                raise
    raise SystemExit(f"watch_server: found no port free on all {len(addresses)} addresses")


def control_protocol(sources: list[Source], counts: Counter[str]) -> Any:
    """The stdin/stdout control channel (see the module docstring)."""
    from twisted.protocols.basic import LineReceiver

    reactor = twisted_reactor()

    class Control(LineReceiver):
        delimiter = b"\n"

        def lineReceived(self, line: bytes) -> None:
            command, _, argument = line.decode().strip().partition(" ")
            if command == "publish":
                self.answer(publish(sources, argument))
            elif command == "stats":
                self.answer({"stats": dict(counts)})
            elif command == "quit":
                reactor.stop()
            elif command:
                self.answer({"error": f"unknown command {command!r}"})

        def answer(self, record: dict[str, Any]) -> None:
            self.sendLine(json.dumps(record).encode())

        def connectionLost(self, reason: Any = None) -> None:
            if reactor.running:
                reactor.stop()

    return Control()


def publish(sources: list[Source], argument: str) -> dict[str, Any]:
    try:
        source = sources[int(argument)]
    except (ValueError, IndexError):
        return {"error": f"no source {argument!r}"}
    now = time.time()
    release = source.add_release(int(now))
    return {
        "source": source.index,
        "name": source_name(source.index),
        "url": f"{source.base_url}{release.path}",
        "path": release.path,
        "published": now,
    }


def raise_open_files_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def log_warnings_to_stderr() -> None:
    from twisted.logger import (
        FilteringLogObserver,
        LogLevel,
        LogLevelFilterPredicate,
        globalLogBeginner,
        textFileLogObserver,
    )

    predicate = LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)
    observer = FilteringLogObserver(textFileLogObserver(sys.stderr), [predicate])
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)


def serve(count: int, releases: int, seed: int, port: int) -> None:
    from twisted.internet import stdio

    reactor = twisted_reactor()
    raise_open_files_limit()
    log_warnings_to_stderr()
    counts: Counter[str] = Counter()
    addresses = [address(i) for i in range(count)]
    placeholder: dict[str, Source] = {}
    chosen = listen_everywhere(build_server(placeholder, counts), addresses, port)
    sources = make_sources(count, releases, seed, chosen, time.time())
    # Filled before reactor.run(): no request is served before it.
    placeholder.update(zip(addresses, sources, strict=True))
    control = control_protocol(sources, counts)
    stdio.StandardIO(control)
    ready = {"ready": True, "port": chosen, "sources": count,
             "releases": [len(s.releases) for s in sources]}
    reactor.callWhenRunning(control.answer, ready)
    reactor.run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--releases", type=int, default=8,
                        help="source i starts with RELEASES + i %% 3 releases (default 8)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=0, help="0: the first port free everywhere")
    args = parser.parse_args(argv)
    serve(args.sources, args.releases, args.seed, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
