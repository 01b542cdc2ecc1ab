"""`presswatch query`: run one SQL statement that cannot write, on SQLite and PostgreSQL.

Three layers, so a clever statement meets at least one of them:
1. a statement whose first keyword writes (INSERT, DROP, ATTACH, PRAGMA x=y, ...)
   is refused before it reaches the database, with the same message on both;
2. the database itself refuses writes: SQLite opens the file read-only
   (``mode=ro``, ``PRAGMA query_only``) under an authorizer that allows only
   reads; PostgreSQL runs the statement in a READ ONLY transaction (also the
   session default) that is always rolled back;
3. one statement only: sqlite3 refuses more, PostgreSQL gets a prepared
   statement, which cannot hold two.

This module talks to the drivers directly (an authorizer and a prepared
statement are driver features), so it holds its own two small dialect branches.
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from storage.dialect import PG_CONNECT_TIMEOUT_S, is_sqlite, masked, parse_url, sqlite_path
from storage.errors import ArchiveError, ReadOnlyQueryError
from storage.records import QueryResult

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
#: Pragmas that only read. Those in _PRAGMAS_WITH_NAME take a table/index name.
_PRAGMAS_WITH_NAME = frozenset(
    {
        "table_info", "table_xinfo", "table_list", "index_list", "index_info",
        "index_xinfo", "foreign_key_list", "foreign_key_check", "integrity_check",
        "quick_check",
    }
)
_PRAGMAS_READ = _PRAGMAS_WITH_NAME | {
    "database_list", "compile_options", "function_list", "pragma_list",
    "collation_list", "module_list", "user_version", "schema_version",
    "application_id", "page_count", "page_size", "freelist_count", "journal_mode",
    "encoding", "foreign_keys", "data_version", "query_only", "busy_timeout",
}
_LEADING_NOISE = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/|\()*", re.S)
_PRAGMA_WRITE = re.compile(r"^PRAGMA\s+(?:\w+\.)?(\w+)\s*(=|\()", re.I)


def run_readonly_query(
    url: str, sql: str, params: Mapping[str, Any] | None = None
) -> QueryResult:
    """Run one statement that cannot write; ``:name`` placeholders take ``params``."""
    parsed = parse_url(url)
    refuse_writing_statement(sql)
    if is_sqlite(parsed):
        return _sqlite_query(parsed, sql, dict(params or {}))
    return _postgresql_query(parsed, sql, dict(params or {}))


def refuse_writing_statement(sql: str) -> None:
    """Layer 1: refuse a statement whose first keyword writes."""
    statement = _LEADING_NOISE.sub("", sql, count=1)
    first_word = re.match(r"\w+", statement)
    keyword = first_word.group(0).upper() if first_word else ""
    if keyword in WRITE_KEYWORDS:
        raise ReadOnlyQueryError(_refused(keyword))
    pragma = _PRAGMA_WRITE.match(statement)
    if pragma and not (pragma.group(2) == "(" and pragma.group(1).lower() in _PRAGMAS_WITH_NAME):
        raise ReadOnlyQueryError(_refused(f"PRAGMA {pragma.group(1)} (a pragma write)"))


def _refused(what: str) -> str:
    return f"presswatch query is read-only: {what} refused"


# --- SQLite -------------------------------------------------------------------------


def _sqlite_query(url: URL, sql: str, params: dict[str, Any]) -> QueryResult:
    path = sqlite_path(url)
    if path is None or not path.is_file():
        where = path if path is not None else "an in-memory database"
        raise ArchiveError(f"no archive at {where}; run presswatch crawl first")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot open the archive at {path}: {exc}") from exc
    refusals: list[str] = []
    try:
        connection.isolation_level = None
        connection.execute("PRAGMA query_only = ON")
        connection.set_authorizer(_authorizer(refusals))
        cursor = connection.execute(sql, params)
        columns = [column[0] for column in cursor.description or ()]
        return QueryResult(columns=columns, rows=[tuple(row) for row in cursor.fetchall()])
    except (sqlite3.Error, sqlite3.Warning) as exc:
        raise _sqlite_error(exc, refusals) from exc
    finally:
        connection.close()


def _sqlite_error(exc: Exception, refusals: list[str]) -> ArchiveError:
    message = str(exc)
    if refusals:
        return ReadOnlyQueryError(_refused(refusals[0]))
    if "one statement at a time" in message:
        return ReadOnlyQueryError(_refused("more than one statement"))
    if "readonly" in message or "query_only" in message:
        return ReadOnlyQueryError(_refused(f"writing ({message})"))
    return ArchiveError(f"query failed: {message}")


_ACTION_NAMES = {
    getattr(sqlite3, name): name.removeprefix("SQLITE_").replace("_", " ")
    for name in dir(sqlite3)
    if name.startswith("SQLITE_")
    and name.removeprefix("SQLITE_").split("_")[0]
    in {"INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "ATTACH", "DETACH",
        "ANALYZE", "REINDEX", "TRANSACTION", "SAVEPOINT", "PRAGMA"}
}
_ALLOWED_ACTIONS = frozenset(
    getattr(sqlite3, name)
    for name in ("SQLITE_SELECT", "SQLITE_READ", "SQLITE_FUNCTION", "SQLITE_RECURSIVE")
    if hasattr(sqlite3, name)
)
_SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_schema"})
_DENIED_FUNCTIONS = frozenset({"load_extension", "writefile", "edit"})


def _authorizer(refusals: list[str]) -> Callable[..., int]:
    def authorize(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
        if action in _ALLOWED_ACTIONS:
            if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
                refusals.append(f"function {arg2}()")
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA and _pragma_reads(arg1, arg2):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_UPDATE and arg1 in _SCHEMA_TABLES:
            # SQLite asks this when a table-valued pragma (pragma_table_info(...))
            # first loads; the schema table cannot really be written here anyway.
            return sqlite3.SQLITE_OK
        refusals.append(_describe(action, arg1, arg2))
        return sqlite3.SQLITE_DENY

    return authorize


def _pragma_reads(name: str | None, value: str | None) -> bool:
    name = (name or "").lower()
    return name in _PRAGMAS_WITH_NAME or (name in _PRAGMAS_READ and value is None)


def _describe(action: int, arg1: str | None, arg2: str | None) -> str:
    if action == sqlite3.SQLITE_PRAGMA:
        return f"PRAGMA {arg1}" + (f" = {arg2}" if arg2 is not None else "")
    what = _ACTION_NAMES.get(action, f"operation #{action}")
    return f"{what} {arg1}" if arg1 else what


# --- PostgreSQL ---------------------------------------------------------------------


def _postgresql_query(url: URL, sql: str, params: dict[str, Any]) -> QueryResult:
    engine = create_engine(
        url,
        poolclass=NullPool,
        connect_args={
            "connect_timeout": PG_CONNECT_TIMEOUT_S,
            "options": "-c default_transaction_read_only=on",
        },
    )
    try:
        statement = text(sql).compile(dialect=engine.dialect)
        bound = statement.construct_params(params)
        with engine.connect() as connection:
            return _run_pg(connection.connection.driver_connection, str(statement), bound)
    except DBAPIError as exc:
        reason = str(exc.orig).strip()
        if url.password:
            reason = reason.replace(str(url.password), "***")
        raise ArchiveError(f"cannot connect to the archive at {masked(url)}: {reason}") from exc
    except SQLAlchemyError as exc:
        raise ArchiveError(f"query failed: {exc}") from exc
    finally:
        engine.dispose()


def _drop_superuser(cursor: Any) -> None:
    """A superuser connection reads as `pg_read_all_data` for this transaction.

    A READ ONLY transaction still lets a superuser call server-side functions
    that read or write files (`pg_read_file`, `lo_export`), signal other
    sessions or change settings; the predefined role (PostgreSQL 14+) can read
    every table and nothing more. A server without it refuses the query.
    """
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    row = cursor.fetchone()
    if not (row and row[0]):
        return
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = 'pg_read_all_data'")
    if cursor.fetchone() is None:
        raise ReadOnlyQueryError(
            "presswatch query will not run as a PostgreSQL superuser on a server without the "
            "pg_read_all_data role (PostgreSQL < 14): connect with a read-only role"
        )
    cursor.execute("SET LOCAL ROLE pg_read_all_data")


def _run_pg(pg: Any, statement: str, params: Mapping[str, Any]) -> QueryResult:
    import psycopg

    pg.rollback()  # idle, so that the next transaction can be made READ ONLY
    pg.read_only = True
    try:
        with pg.cursor() as cursor:
            _drop_superuser(cursor)
            # prepare=True: the extended protocol, which refuses a second statement.
            cursor.execute(statement, dict(params), prepare=True)
            columns = [column.name for column in cursor.description or ()]
            rows = [tuple(row) for row in cursor.fetchall()] if cursor.description else []
            return QueryResult(columns=columns, rows=rows)
    except psycopg.errors.ReadOnlySqlTransaction as exc:
        raise ReadOnlyQueryError(_refused(f"writing ({exc.diag.message_primary})")) from exc
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ReadOnlyQueryError(_refused(f"a privileged operation ({exc.diag.message_primary})")) from exc
    except psycopg.Error as exc:
        if "multiple commands" in str(exc):
            raise ReadOnlyQueryError(_refused("more than one statement")) from exc
        raise ArchiveError(f"query failed: {str(exc).strip()}") from exc
    finally:
        pg.rollback()
