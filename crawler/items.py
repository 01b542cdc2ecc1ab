"""What the spider hands to the pipelines."""
from __future__ import annotations

from dataclasses import dataclass

from crawler.parsing.article import Article


@dataclass(frozen=True, slots=True)
class PageItem:
    """One parsed article page, with the URL it was actually fetched from."""

    article: Article
    fetched_url: str
    source_name: str
    html: bytes = b""
    redirect_urls: tuple[str, ...] = ()
