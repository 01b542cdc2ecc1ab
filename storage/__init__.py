"""The presswatch archive: SQLAlchemy storage on SQLite or PostgreSQL.

Other packages import only the names below. ``storage`` imports nothing of the
project and nothing of Scrapy.
"""
from __future__ import annotations

from storage.archive import Archive, archive_exists, open_archive, upgrade_archive
from storage.dialect import masked as masked_url
from storage.errors import ArchiveError, ReadOnlyQueryError
from storage.prepared import PreparedContent
from storage.readonly import run_readonly_query
from storage.records import (
    ArticleFilter,
    ArticleIn,
    LayoutDrift,
    QueryResult,
    RunCounts,
    SaveOutcome,
    SaveResult,
    SearchHit,
    SourceSummary,
    StoredPage,
    Validators,
)
from storage.urls import canonical_url

__all__ = [
    "Archive",
    "ArchiveError",
    "ArticleFilter",
    "ArticleIn",
    "LayoutDrift",
    "PreparedContent",
    "QueryResult",
    "ReadOnlyQueryError",
    "RunCounts",
    "SaveOutcome",
    "SaveResult",
    "SearchHit",
    "SourceSummary",
    "StoredPage",
    "Validators",
    "archive_exists",
    "canonical_url",
    "masked_url",
    "open_archive",
    "run_readonly_query",
    "upgrade_archive",
]
