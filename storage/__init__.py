"""The presswatch archive: SQLAlchemy storage on SQLite or PostgreSQL.

Other packages import only the names below. ``storage`` imports nothing of the
project and nothing of Scrapy.

Names are loaded on first use (PEP 562): a parse worker that needs only
``PreparedContent`` does not pay for importing SQLAlchemy and the schema (~0.35 s).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> (module, attribute in it)
_EXPORTS = {
    "Archive": ("presswatch.storage.archive", "Archive"),
    "ArchiveError": ("presswatch.storage.errors", "ArchiveError"),
    "ArticleFilter": ("presswatch.storage.records", "ArticleFilter"),
    "ArticleIn": ("presswatch.storage.records", "ArticleIn"),
    "LayoutDrift": ("presswatch.storage.records", "LayoutDrift"),
    "PreparedContent": ("presswatch.storage.prepared", "PreparedContent"),
    "QueryError": ("presswatch.storage.errors", "QueryError"),
    "QueryResult": ("presswatch.storage.records", "QueryResult"),
    "QueryTimeoutError": ("presswatch.storage.errors", "QueryTimeoutError"),
    "ReadOnlyQueryError": ("presswatch.storage.errors", "ReadOnlyQueryError"),
    "RunCounts": ("presswatch.storage.records", "RunCounts"),
    "RunState": ("presswatch.storage.records", "RunState"),
    "SaveOutcome": ("presswatch.storage.records", "SaveOutcome"),
    "SaveResult": ("presswatch.storage.records", "SaveResult"),
    "SearchHit": ("presswatch.storage.records", "SearchHit"),
    "SourceSummary": ("presswatch.storage.records", "SourceSummary"),
    "StoredPage": ("presswatch.storage.records", "StoredPage"),
    "Validators": ("presswatch.storage.records", "Validators"),
    "archive_exists": ("presswatch.storage.archive", "archive_exists"),
    "create_reader_role": ("presswatch.storage.reader_role", "create_reader_role"),
    "canonical_url": ("presswatch.storage.urls", "canonical_url"),
    "masked_url": ("presswatch.storage.dialect", "masked"),
    "open_archive": ("presswatch.storage.archive", "open_archive"),
    "open_readonly_query": ("presswatch.storage.readonly", "open_readonly_query"),
    "require_archive": ("presswatch.storage.readonly", "require_archive"),
    "run_readonly_query": ("presswatch.storage.readonly", "run_readonly_query"),
    "upgrade_archive": ("presswatch.storage.archive", "upgrade_archive"),
}
__all__ = [
    "Archive",
    "ArchiveError",
    "ArticleFilter",
    "ArticleIn",
    "LayoutDrift",
    "PreparedContent",
    "QueryError",
    "QueryResult",
    "QueryTimeoutError",
    "ReadOnlyQueryError",
    "RunCounts",
    "RunState",
    "SaveOutcome",
    "SaveResult",
    "SearchHit",
    "SourceSummary",
    "StoredPage",
    "Validators",
    "archive_exists",
    "canonical_url",
    "create_reader_role",
    "masked_url",
    "open_archive",
    "open_readonly_query",
    "require_archive",
    "run_readonly_query",
    "upgrade_archive",
]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'storage' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from presswatch.storage.archive import Archive, archive_exists, open_archive, upgrade_archive
    from presswatch.storage.dialect import masked as masked_url
    from presswatch.storage.errors import ArchiveError, QueryError, QueryTimeoutError, ReadOnlyQueryError
    from presswatch.storage.prepared import PreparedContent
    from presswatch.storage.reader_role import create_reader_role
    from presswatch.storage.readonly import open_readonly_query, require_archive, run_readonly_query
    from presswatch.storage.records import (
        ArticleFilter,
        ArticleIn,
        LayoutDrift,
        QueryResult,
        RunCounts,
        RunState,
        SaveOutcome,
        SaveResult,
        SearchHit,
        SourceSummary,
        StoredPage,
        Validators,
    )
    from presswatch.storage.urls import canonical_url
