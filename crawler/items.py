"""What the spider hands to the pipelines."""
from __future__ import annotations

from dataclasses import dataclass

from presswatch.crawler.parsing.article import Article
from presswatch.storage import PreparedContent


@dataclass(frozen=True, slots=True)
class PageItem:
    """One parsed article page, with the URL it was actually fetched from."""

    article: Article
    fetched_url: str
    source_name: str
    html: bytes = b""
    redirect_urls: tuple[str, ...] = ()
    prepared: PreparedContent | None = None  # the save keys, when a parse worker worked them out
