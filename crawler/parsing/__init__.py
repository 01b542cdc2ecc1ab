"""The pure parser: ``parse_article(html, url, profile) -> Article`` (no network, no DB)."""
from __future__ import annotations

from presswatch.crawler.parsing.article import Article, ParseProfile
from presswatch.crawler.parsing.extract import parse_article
from presswatch.crawler.parsing.version import PARSER_VERSION

__all__ = ["PARSER_VERSION", "Article", "ParseProfile", "parse_article"]
