"""A parsed article as the archive's write record: the one place the two field lists meet."""
from __future__ import annotations

from presswatch.crawler.parsing import PARSER_VERSION
from presswatch.crawler.parsing.article import Article
from presswatch.storage import ArticleIn, PreparedContent


def archive_record(
    article: Article, *, url: str, fetched_url: str | None, source_name: str,
    html: bytes | None, aliases: tuple[str, ...] = (), prepared: PreparedContent | None = None,
) -> ArticleIn:
    """The record to save for `article`, read from `html` by this parser version."""
    return ArticleIn(
        url=url,
        fetched_url=fetched_url,
        source_name=source_name,
        html=html,
        parser_version=PARSER_VERSION,
        aliases=aliases,
        headline=article.headline,
        labels=article.labels,
        published_at=article.published_at,
        modified_at=article.modified_at,
        source=article.source,
        publisher=article.publisher,
        body=article.body,
        language=article.language,
        authors=article.authors,
        date_raw=article.date_raw,
        date_precision=article.date_precision,
        date_method=article.date_method,
        source_evidence=article.source_evidence,
        prepared=prepared,
    )
