"""A live press office on 127.0.0.1: publishes and edits releases on demand, counts every request.

The listing `/news` (newest first, `PAGE_SIZE` per page, `/news?page=N` after that)
answers 304 to an `If-None-Match` carrying its current ETag; `robots.txt` can ask for
a Crawl-delay; any path can be told to answer 429 with a Retry-After the first time.
Built on the fault server (`tests.faults.server`), so request hits carry their times.
"""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.faults import pages
from tests.faults.server import Behaviour, FaultHandler, FaultServer, send

PAGE_SIZE = 10


@dataclass(slots=True)
class Release:
    slug: str
    headline: str
    published: datetime
    paragraphs: tuple[str, ...]
    dated: bool = True  # False: the page states no date (a redesign lost it)

    @property
    def path(self) -> str:
        return f"/news/{self.slug}"

    def html(self) -> str:
        return pages.article(self.slug, self.headline, self.published.isoformat() if self.dated else None,
                             self.paragraphs)


class Newsroom:
    """The site's state; `server` serves it (start with `with Newsroom() as site:`)."""

    def __init__(self, crawl_delay: float | None = None, office: str = "Ministry", host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.office = office
        self.releases: list[Release] = []  # oldest first
        self.crawl_delay = crawl_delay
        self.throttled: dict[str, int] = {}  # path -> Retry-After seconds, answered once
        self.dated = True  # whether releases published from now on state their date
        self._lock = threading.Lock()
        self.server = FaultServer(self.route, host, port)

    # -- the newsroom's side ---------------------------------------------------------------
    def publish(self, count: int = 1, *, age: timedelta = timedelta(0)) -> list[str]:
        """Publish `count` releases dated `age` ago; their paths."""
        with self._lock:
            start = len(self.releases)
            fresh = [
                Release(
                    slug=f"{self.office.lower()}-release-number-{n}",
                    headline=f"{self.office} release number {n}",
                    published=(datetime.now(UTC) - age).replace(microsecond=0),
                    paragraphs=tuple(f"{p} {self.office} release {n}." for p in pages.ENGLISH_PARAGRAPHS),
                    dated=self.dated,
                )
                for n in range(start + 1, start + count + 1)
            ]
            self.releases.extend(fresh)
        return [r.path for r in fresh]

    def edit(self, path: str, headline: str, paragraph: str) -> None:
        """Rewrite a release in place (same URL): a new headline and one more paragraph."""
        with self._lock:
            release = next(r for r in self.releases if r.path == path)
            release.headline = headline
            release.paragraphs = (*release.paragraphs, paragraph)

    def throttle_once(self, path: str, retry_after: int) -> None:
        self.throttled[path] = retry_after

    # -- the web's side --------------------------------------------------------------------
    def route(self, path: str) -> Behaviour | None:
        if path == "/robots.txt":
            return self._robots
        if path == "/news" or path.startswith("/news?page="):
            return self._listing
        if path.startswith("/news/"):
            return self._article
        return None

    def _robots(self, handler: FaultHandler, attempt: int) -> None:
        delay = f"Crawl-delay: {self.crawl_delay:g}\n" if self.crawl_delay else ""
        send(handler, 200, f"User-agent: *\n{delay}Disallow: /private/\n".encode(), {"Content-Type": "text/plain"})

    def _listing(self, handler: FaultHandler, attempt: int) -> None:
        page = int(handler.path.partition("?page=")[2] or 1)
        with self._lock:
            newest_first = list(reversed(self.releases))
        shown = newest_first[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        links = [r.path for r in shown]
        if len(newest_first) > page * PAGE_SIZE:
            links.append(f"/news?page={page + 1}")
        body = pages.listing(links).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        send(handler, 200, body, {"ETag": etag})

    def _article(self, handler: FaultHandler, attempt: int) -> None:
        retry_after = self.throttled.pop(handler.path, None)
        if retry_after is not None:
            send(handler, 429, b"<html><body>Too many requests</body></html>", {"Retry-After": str(retry_after)})
            return
        with self._lock:
            release = next((r for r in self.releases if r.path == handler.path), None)
        if release is None:
            send(handler, 404, b"<html><body><h1>Not found</h1></body></html>")
            return
        send(handler, 200, release.html().encode())

    # -- what the crawler did --------------------------------------------------------------
    def article_hits(self) -> list[str]:
        return [h.path for h in self.server.hits if h.path.startswith("/news/")]

    def listing_hits(self) -> list[str]:
        return [h.path for h in self.server.hits if h.path == "/news" or h.path.startswith("/news?")]

    def clear_hits(self) -> None:
        self.server.clear_hits()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def __enter__(self) -> Newsroom:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def sources_toml(site: Newsroom, name: str = "newsroom", *, crawl_table: bool = True, **keys: str | int | float) -> str:
    """A config for one source crawling `site` (extra keys set on the source), with a `[crawl]` table or without."""
    crawl = ["[crawl]", "download_delay = 0", "autothrottle = false", "concurrent_per_domain = 4", ""]
    lines = crawl if crawl_table else []
    lines += [
        "[[sources]]", f'name = "{name}"', 'publisher = "Ministry"', f'start_urls = ["{site.base_url}/news"]',
        'timezone = "UTC"', 'language = "en"',
    ]
    lines += [f"{key} = {json.dumps(value)}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"
