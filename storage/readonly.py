"""`presswatch query`: run one SQL statement that cannot write, on SQLite and PostgreSQL.

Layers, so a clever statement meets at least one of them:
1. a statement whose first keyword writes (INSERT, DROP, ATTACH, PRAGMA x=y, SET, ...)
   is refused before it reaches the database, with the same message on both;
2. the database itself refuses writes: SQLite opens the file read-only
   (``mode=ro``, ``PRAGMA query_only``) under an authorizer that allows only reads
   (``storage.readonly_sqlite``); PostgreSQL runs the statement in a READ ONLY
   transaction that is always rolled back (``storage.readonly_pg``);
3. on PostgreSQL, the statement runs as a role with no powers to take back: a
   connection whose login role is a superuser, or could become one, or holds
   server-file, program, signalling or read-all powers, is refused before the
   statement is sent (``storage.reader_role``; ``presswatch db reader`` makes a
   role that passes);
4. one statement only: sqlite3 refuses more, PostgreSQL gets the extended
   protocol, which cannot carry two.

Limits: the statement is cancelled after ``timeout`` seconds (SQLite: a progress
handler; PostgreSQL: ``statement_timeout``, armed by the server when the statement
starts, which the statement cannot lift), and rows are read ``FETCH_ROWS`` at a time.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import URL

from presswatch.storage.dialect import is_sqlite, parse_url, sqlite_path
from presswatch.storage.errors import ArchiveError
from presswatch.storage.readonly_rows import QueryRows, refused
from presswatch.storage.records import QueryResult

#: Seconds a statement may run (reading its rows included) unless told otherwise.
DEFAULT_TIMEOUT_S = 30.0
#: The longest timeout accepted: one day.
MAX_TIMEOUT_S = 86_400.0

WRITE_KEYWORDS = frozenset(
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "TRUNCATE",
        "CREATE", "DROP", "ALTER", "RENAME", "COMMENT", "GRANT", "REVOKE",
        "ATTACH", "DETACH", "VACUUM", "REINDEX", "ANALYZE", "CLUSTER", "REFRESH",
        "COPY", "IMPORT", "LOCK", "CALL", "DO", "SECURITY", "REASSIGN", "LOAD",
        "SET", "RESET", "DISCARD", "LISTEN", "NOTIFY", "UNLISTEN", "PREPARE",
        "EXECUTE", "DEALLOCATE", "BEGIN", "START", "COMMIT", "END", "ROLLBACK",
        "SAVEPOINT", "RELEASE", "CHECKPOINT",
    }
)
#: Pragmas that take a table/index name (their ``PRAGMA x(name)`` form only reads).
PRAGMAS_WITH_NAME = frozenset(
    {
        "table_info", "table_xinfo", "table_list", "index_list", "index_info",
        "index_xinfo", "foreign_key_list", "foreign_key_check", "integrity_check",
        "quick_check",
    }
)
_LEADING_NOISE = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/|\()*", re.DOTALL)
_PRAGMA_WRITE = re.compile(r"^PRAGMA\s+(?:\w+\.)?(\w+)\s*(=|\()", re.IGNORECASE)


@contextmanager
def open_readonly_query(
    url: str,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Iterator[QueryRows]:
    """Run one statement that cannot write and read its rows as they come.

    ``:name`` placeholders take ``params``. The statement is cancelled once it has
    run ``timeout`` seconds, the time taken to read its rows included. Errors are
    ``ReadOnlyQueryError`` (refused), ``QueryError`` (the statement is wrong),
    ``QueryTimeoutError`` and ``ArchiveError`` (the database is unusable), raised
    when the statement starts or while its rows are read.
    """
    parsed = parse_url(url)
    refuse_writing_statement(sql)
    if not (0 < timeout <= MAX_TIMEOUT_S) or math.isnan(timeout):
        raise ValueError(f"timeout must be more than 0 and at most {MAX_TIMEOUT_S:g} s, not {timeout}")
    if is_sqlite(parsed):
        from presswatch.storage.readonly_sqlite import sqlite_query as backend
    else:
        from presswatch.storage.readonly_pg import postgresql_query as backend
    with backend(parsed, sql, dict(params or {}), timeout) as rows:
        yield rows


def run_readonly_query(
    url: str,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> QueryResult:
    """``open_readonly_query``, every row in memory: for answers known to be small."""
    with open_readonly_query(url, sql, params, timeout=timeout) as rows:
        return QueryResult(columns=rows.columns, rows=list(rows))


def refuse_writing_statement(sql: str) -> None:
    """Layer 1: refuse a statement whose first keyword writes."""
    statement = _LEADING_NOISE.sub("", sql, count=1)
    first_word = re.match(r"\w+", statement)
    keyword = first_word.group(0).upper() if first_word else ""
    if keyword in WRITE_KEYWORDS:
        raise refused(keyword)
    pragma = _PRAGMA_WRITE.match(statement)
    if pragma and not (pragma.group(2) == "(" and pragma.group(1).lower() in PRAGMAS_WITH_NAME):
        raise refused(f"PRAGMA {pragma.group(1)} (a pragma write)")


def require_archive(url: str | URL) -> None:
    """Refuse a SQLite archive that is not there: a reader must not create an empty one."""
    parsed = parse_url(url)
    path = sqlite_path(parsed) if is_sqlite(parsed) else None
    if is_sqlite(parsed) and (path is None or not path.is_file()):
        where = path if path is not None else "an in-memory database"
        raise ArchiveError(f"no archive at {where}; run presswatch crawl first")
