"""The fault site: one article behind each way the web breaks, and what presswatch must make of it.

Three sources crawl it in one run: `faults` (English, the main catalogue), `faults-slow`
(its own `download_timeout = 2`) and `faults-ru` (Russian; also allows the other host
name, so its cross-host redirect is followed).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.faults import pages
from tests.faults.server import (
    Behaviour,
    FaultServer,
    gzip_bomb,
    oversized,
    page,
    redirect,
    reset_mid_body,
    sequence,
    slow,
    status,
    table,
)

MAX_PAGE_BYTES = 8_000_000
MAX_LISTING_PAGES = 12
MAX_DEPTH = 6


@dataclass(frozen=True)
class Stored:
    """An article that must be in the archive exactly once."""

    path: str
    headline: str | None
    published_at: str | None  # ISO instant in UTC, or None
    body_contains: str


@dataclass(frozen=True)
class Failed:
    """A page that must be recorded in crawl_errors (and the log), and not stored."""

    path: str
    kind: str
    status: int | None


GOOD = pages.ENGLISH_PARAGRAPHS[0]
RU = pages.RUSSIAN_PARAGRAPHS[0]

STORED = (
    Stored("/news/plain-good-article", "Plain good article", "2023-04-10T16:01:00", GOOD),
    Stored("/news/flaky-500-then-ok", "Flaky 500 then ok", "2023-04-10T16:01:00", GOOD),
    Stored("/news/rate-limited-429", "Rate limited 429", "2023-04-10T16:01:00", GOOD),
    Stored("/news/reset-once", "Reset once", "2023-04-10T16:01:00", GOOD),
    Stored("/news/truncated-html", "Truncated html", "2023-04-10T16:01:00", pages.ENGLISH_PARAGRAPHS[1]),
    Stored("/news/five-megabyte-page", "Five megabyte page", "2023-04-10T16:01:00", GOOD),
    Stored("/news/no-date", "No date", None, GOOD),
    Stored("/news/no-headline", None, "2023-04-10T16:01:00", GOOD),
    Stored("/news/date-2099", "Date 2099", None, GOOD),
    Stored("/news/only-in-the-broken-feed", "Only in the broken feed", "2023-04-10T16:01:00", GOOD),
    Stored("/ru/news/cp1251-labelled-utf8", "Курс маната не изменился", "2023-04-11T06:30:00", RU),
    Stored("/ru/news/utf8-labelled-cp1251", "Курс рубля не изменился", "2023-04-12T06:30:00", RU),
    Stored("/ru/news/numeric-date", "Заседание совета директоров", "2023-04-09T21:00:00", RU),
)
#: Followed because `faults-ru` allows the other host name: stored under its final URL.
STORED_OFFSITE = Stored("/ru/news/moved-here", "Статья переехала", "2023-04-13T06:30:00", RU)

FAILED = (
    Failed("/news/permanent-503", "http_status", 503),
    Failed("/news/missing-404", "http_status", 404),
    Failed("/news/rate-limited-for-an-hour", "http_status", 429),
    Failed("/news/reset-always", "connection_lost", None),
    Failed("/slow/news/slower-than-the-timeout", "timeout", None),
    Failed("/news/gzip-bomb", "too_large", None),
    Failed("/news/twenty-megabytes", "too_large", None),
    Failed("/news/binary-as-html", "unparseable", 200),
    Failed("/news/javascript-only", "empty", 200),
    Failed("/news/redirect-loop", "redirect_loop", 302),
    Failed("/news/redirect-to-another-host", "offsite_redirect", 302),
    Failed("/news/redirect-to-a-file", "unsafe_redirect", 302),
    Failed("/broken-rss.xml", "bad_feed", 200),
    Failed("/broken-sitemap.xml", "bad_sitemap", 200),
)

#: Requests each path must have received (retries included).
REQUEST_COUNTS = {
    "/news/flaky-500-then-ok": 2,
    "/news/permanent-503": 3,  # retry_times = 2
    "/news/missing-404": 1,
    "/news/rate-limited-429": 2,
    "/news/rate-limited-for-an-hour": 1,  # Retry-After beyond max_retry_after: not retried
    "/news/reset-once": 2,
    "/news/reset-always": 3,
    "/slow/news/slower-than-the-timeout": 2,  # faults-slow: retry_times = 1
    "/news/redirect-loop": 1,
    "/news/redirect-loop-back": 1,  # the loop is seen before it goes round again
    "/news/redirect-to-another-host": 1,
    "/news/plain-good-article": 1,  # its ?utm_ twin is the same page: not fetched again
}

#: Links on the listing that must never be requested (or reach the archive).
NEVER_FETCHED = (
    "file:///etc/passwd",
    "data:text/html,<h1>injected</h1>",
    "ftp://127.0.0.1/news/ftp-article-here",
    "javascript:alert('news-article-here')",
)
OFFSITE_ARTICLE = "/news/offsite-article-on-the-other-host"

RETRY_AFTER = 1
PAGINATION = re.compile(r"^/news\?page=(\d+)$")
CALENDAR = re.compile(r"^/calendar/(\d{4})-(\d{2})$")


def routes(server_base: str, other_base: str) -> dict[str, Behaviour]:
    a = pages.article
    listing_links = [
        *(s.path for s in STORED if s.path.startswith("/news/") and "feed" not in s.path),
        *(f.path for f in FAILED if f.path.startswith("/news/")),
        "/news/plain-good-article?utm_source=newsletter&utm_medium=email",
        *NEVER_FETCHED,
        other_base + OFFSITE_ARTICLE,
        "/news?page=2",
        "/calendar/2023-04",
    ]
    ru_links = [s.path for s in STORED if s.path.startswith("/ru/")] + ["/ru/news/moved"]
    return {
        "/robots.txt": page("User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
        "/news": page(pages.listing(listing_links)),
        "/ru/news": page(pages.listing(ru_links)),
        "/slow/news": page(pages.listing(["/slow/news/slower-than-the-timeout"])),
        "/rss.xml": page(pages.rss([server_base + "/news/plain-good-article"]), content_type="application/rss+xml"),
        "/broken-rss.xml": page(
            pages.rss([server_base + "/news/only-in-the-broken-feed"], broken=True), content_type="application/rss+xml"
        ),
        "/broken-sitemap.xml": page(
            "<html><body><h1>Sitemap temporarily unavailable</h1>", content_type="application/xml"
        ),
        "/news/plain-good-article": page(a("plain-good-article")),
        "/news/flaky-500-then-ok": sequence(status(500), page(a("flaky-500-then-ok"))),
        "/news/rate-limited-429": sequence(status(429, Retry_After=str(RETRY_AFTER)), page(a("rate-limited-429"))),
        "/news/rate-limited-for-an-hour": status(429, Retry_After="3600"),
        "/news/permanent-503": status(503),
        "/news/missing-404": status(404),
        "/news/reset-once": sequence(reset_mid_body(a("reset-once")), page(a("reset-once"))),
        "/news/reset-always": reset_mid_body(a("reset-always")),
        "/slow/news/slower-than-the-timeout": slow(4, page(a("slower-than-the-timeout"))),
        "/news/truncated-html": page(pages.truncated("truncated-html")),
        "/news/five-megabyte-page": page(pages.five_megabytes("five-megabyte-page")),
        "/news/gzip-bomb": gzip_bomb(64 << 20),
        "/news/twenty-megabytes": oversized(20 << 20),
        "/news/binary-as-html": page(pages.binary_png()),
        "/news/javascript-only": page(pages.javascript_only()),
        "/news/no-date": page(a("no-date", published=None)),
        "/news/no-headline": page(a("no-headline", headline="")),
        "/news/date-2099": page(a("date-2099", published="2099-01-01T10:00:00+04:00")),
        "/news/only-in-the-broken-feed": page(a("only-in-the-broken-feed")),
        "/news/redirect-loop": redirect("/news/redirect-loop-back"),
        "/news/redirect-loop-back": redirect("/news/redirect-loop"),
        "/news/redirect-to-another-host": redirect(other_base + "/elsewhere/news/redirect-target"),
        "/news/redirect-to-a-file": redirect("file:///etc/passwd"),
        "/elsewhere/news/redirect-target": page(a("redirect-target")),
        OFFSITE_ARTICLE: page(a("offsite-article-on-the-other-host")),
        "/ru/news/cp1251-labelled-utf8": page(
            pages.russian("cp1251-labelled-utf8", "Курс маната не изменился", "11.04.2023 09:30").encode("cp1251"),
        ),
        "/ru/news/utf8-labelled-cp1251": page(
            pages.russian("utf8", "Курс рубля не изменился", "12.04.2023 09:30", charset="windows-1251").encode(),
            content_type="text/html; charset=windows-1251",
        ),
        "/ru/news/numeric-date": page(pages.russian("numeric-date", "Заседание совета директоров", "10.04.2023")),
        "/ru/news/moved": redirect(other_base + "/ru/news/moved-here", 301),
        "/ru/news/moved-here": page(pages.russian("moved-here", "Статья переехала", "13.04.2023 09:30")),
    }


def traps(path: str) -> Behaviour | None:
    """Endless pagination (`?page=N` links to N+1) and a calendar with no first or last month."""
    if match := PAGINATION.match(path):
        n = int(match.group(1))
        return page(pages.listing([f"/news?page={n + 1}"], f"News, page {n}"))
    if match := CALENDAR.match(path):
        year, month = int(match.group(1)), int(match.group(2))
        before = f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"
        after = f"{year + (month == 12)}-{month % 12 + 1:02d}"
        return page(pages.listing([f"/calendar/{before}", f"/calendar/{after}"], f"Calendar {year}-{month:02d}"))
    return None


def fault_server() -> FaultServer:
    holder: dict[str, Behaviour] = {}
    server = FaultServer(table(holder, traps))
    holder.update(routes(server.base_url, server.other_host_url))
    return server.start()


def write_config(path: Path, server: FaultServer) -> Path:
    base = server.base_url
    path.write_text(
        f"""
[crawl]
concurrent_per_domain = 8
download_delay = 0.0
autothrottle = false
max_page_bytes = {MAX_PAGE_BYTES}
max_listing_pages = {MAX_LISTING_PAGES}
max_depth = {MAX_DEPTH}
max_retry_after = 5
retry_times = 2

[[sources]]
name = "faults"
publisher = "Fault Gazette"
start_urls = ["{base}/news"]
feeds = ["{base}/rss.xml", "{base}/broken-rss.xml"]
sitemaps = ["{base}/broken-sitemap.xml"]
timezone = "Asia/Baku"
language = "en"
article_pattern = "/news/[a-z0-9-]+"
listing_pattern = "(/news\\\\?page=\\\\d+$)|(/calendar/\\\\d{{4}}-\\\\d{{2}}$)"

[[sources]]
name = "faults-slow"
publisher = "Fault Gazette"
start_urls = ["{base}/slow/news"]
timezone = "Asia/Baku"
download_timeout = 2
retry_times = 1

[[sources]]
name = "faults-ru"
publisher = "Вестник"
start_urls = ["{base}/ru/news"]
timezone = "Europe/Moscow"
language = "ru"
article_pattern = "/ru/news/[a-z0-9-]+$"
allowed_domains = ["127.0.0.1:{server.port}", "localhost:{server.port}"]
""",
        encoding="utf-8",
    )
    return path
