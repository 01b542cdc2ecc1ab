"""A 300-article press site, slow enough per page to be killed or read part-way through a crawl."""
from __future__ import annotations

import re
import time
from pathlib import Path

from tests.faults import pages
from tests.faults.server import Behaviour, FaultHandler, FaultServer, send

ARTICLES = 300
PER_PAGE = 20
LISTING = re.compile(r"^/wire/news(?:\?page=(\d+))?$")
ARTICLE = re.compile(r"^/wire/news/release-(\d{3})-[a-z-]+$")
TOPICS = ("grain", "rail", "budget", "energy", "water", "health")


def article_path(n: int) -> str:
    return f"/wire/news/release-{n:03d}-{TOPICS[n % len(TOPICS)]}-update-issued"


def _listing(page: int) -> str:
    newest = ARTICLES - (page - 1) * PER_PAGE
    links = [article_path(n) for n in range(newest, max(newest - PER_PAGE, 0), -1)]
    if newest - PER_PAGE > 0:
        links.append(f"/wire/news?page={page + 1}")
    return pages.listing(links, f"Wire news, page {page}")


def _article(n: int) -> str:
    paragraphs = tuple(f"{p} Release number {n} of the wire." for p in pages.ENGLISH_PARAGRAPHS)
    day = 1 + n % 28
    return pages.article(f"release-{n:03d}", f"Release {n}: {TOPICS[n % len(TOPICS)]} update",
                         f"2023-03-{day:02d}T10:{n % 60:02d}:00+00:00", paragraphs)


def big_site(article_delay: float) -> FaultServer:
    """Serve the site; each article answer is held back `article_delay` seconds."""

    def router(path: str) -> Behaviour | None:
        if match := LISTING.match(path):
            body = _listing(int(match.group(1) or 1)).encode()
            return lambda handler, attempt: send(handler, 200, body)
        if (match := ARTICLE.match(path)) and 1 <= int(match.group(1)) <= ARTICLES:
            return _delayed(_article(int(match.group(1))).encode(), article_delay)
        return None

    return FaultServer(router).start()


def _delayed(body: bytes, delay: float) -> Behaviour:
    def behaviour(handler: FaultHandler, attempt: int) -> None:
        time.sleep(delay)
        send(handler, 200, body)

    return behaviour


def write_config(path: Path, server: FaultServer, concurrency: int = 4) -> Path:
    path.write_text(
        f"""
[crawl]
concurrent_per_domain = {concurrency}
download_delay = 0.0
autothrottle = false

[[sources]]
name = "wire"
start_urls = ["{server.base_url}/wire/news"]
timezone = "UTC"
language = "en"
article_pattern = "/wire/news/release-\\\\d+"
""",
        encoding="utf-8",
    )
    return path


def all_urls(server: FaultServer) -> list[str]:
    return sorted(server.base_url + article_path(n) for n in range(1, ARTICLES + 1))
