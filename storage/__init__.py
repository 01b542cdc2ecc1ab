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
    "Archive": ("storage.archive", "Archive"),
    "ArchiveError": ("storage.errors", "ArchiveError"),
    "ArticleFilter": ("storage.records", "ArticleFilter"),
    "ArticleIn": ("storage.records", "ArticleIn"),
    "LayoutDrift": ("storage.records", "LayoutDrift"),
    "PreparedContent": ("storage.prepared", "PreparedContent"),
    "QueryError": ("storage.errors", "QueryError"),
    "QueryResult": ("storage.records", "QueryResult"),
    "QueryTimeoutError": ("storage.errors", "QueryTimeoutError"),
    "ReadOnlyQueryError": ("storage.errors", "ReadOnlyQueryError"),
    "RunCounts": ("storage.records", "RunCounts"),
    "RunState": ("storage.records", "RunState"),
    "SaveOutcome": ("storage.records", "SaveOutcome"),
    "SaveResult": ("storage.records", "SaveResult"),
    "SearchHit": ("storage.records", "SearchHit"),
    "SourceSummary": ("storage.records", "SourceSummary"),
    "StoredPage": ("storage.records", "StoredPage"),
    "Validators": ("storage.records", "Validators"),
    "archive_exists": ("storage.archive", "archive_exists"),
    "create_reader_role": ("storage.reader_role", "create_reader_role"),
    "canonical_url": ("storage.urls", "canonical_url"),
    "masked_url": ("storage.dialect", "masked"),
    "open_archive": ("storage.archive", "open_archive"),
    "open_readonly_query": ("storage.readonly", "open_readonly_query"),
    "require_archive": ("storage.readonly", "require_archive"),
    "run_readonly_query": ("storage.readonly", "run_readonly_query"),
    "upgrade_archive": ("storage.archive", "upgrade_archive"),
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
    from storage.archive import Archive, archive_exists, open_archive, upgrade_archive
    from storage.dialect import masked as masked_url
    from storage.errors import ArchiveError, QueryError, QueryTimeoutError, ReadOnlyQueryError
    from storage.prepared import PreparedContent
    from storage.reader_role import create_reader_role
    from storage.readonly import open_readonly_query, require_archive, run_readonly_query
    from storage.records import (
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
    from storage.urls import canonical_url
