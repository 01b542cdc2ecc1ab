"""`presswatch query` on SQLite: a read-only connection, an authorizer, a deadline.

The file is opened read-only (``mode=ro``) with ``PRAGMA query_only``; an authorizer
allows reads and read-only pragmas and nothing else (no ATTACH, no writes, no
``load_extension()``, no ``fts3_tokenizer()``, which can register a tokenizer at any
memory address); a progress handler aborts the statement at its deadline. An archive
on a read-only mount, where SQLite cannot create the WAL's ``-shm`` file beside it, is
opened ``immutable=1``: as its main file holds it.
"""
from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from presswatch.storage.dialect import SQLITE_BUSY_TIMEOUT_MS, sqlite_path
from presswatch.storage.errors import ArchiveError, QueryError, QueryTimeoutError
from presswatch.storage.readonly import PRAGMAS_WITH_NAME, require_archive
from presswatch.storage.readonly_rows import FETCH_ROWS, QueryRows, Row, refused, timed_out

#: SQLite virtual machine steps between two looks at the clock.
PROGRESS_STEPS = 10_000  # about every 2 ms; every 1,000 cost a pure VM loop 25 %
_PRAGMAS_READ = PRAGMAS_WITH_NAME | {
    "database_list", "compile_options", "function_list", "pragma_list",
    "collation_list", "module_list", "user_version", "schema_version",
    "application_id", "page_count", "page_size", "freelist_count", "journal_mode",
    "encoding", "foreign_keys", "data_version", "query_only", "busy_timeout",
}
#: Result codes (the low byte) that mean the file, not the statement, is at fault.
_DATABASE_CODES = frozenset({
    sqlite3.SQLITE_PERM, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM,
    sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOLFS, sqlite3.SQLITE_NOTADB,
})


class _Deadline:
    """The statement's deadline, checked by SQLite's progress handler."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.passed = False

    def check(self) -> int:
        """Non-zero (abort the statement) once the deadline has passed."""
        if time.monotonic() >= self.at:
            self.passed = True
        return int(self.passed)


@contextmanager
def sqlite_query(url: URL, sql: str, params: dict[str, Any], timeout: float) -> Iterator[QueryRows]:
    require_archive(url)
    path = sqlite_path(url)
    assert path is not None
    deadline = _Deadline(timeout)
    connection = _open_read_only(path, timeout)
    refusals: list[str] = []
    try:
        connection.execute("PRAGMA query_only = ON")
        connection.set_authorizer(_authorizer(refusals))
        connection.set_progress_handler(deadline.check, PROGRESS_STEPS)
        try:
            cursor = connection.execute(sql, params)
        except (sqlite3.Error, sqlite3.Warning) as exc:
            raise _sqlite_error(exc, refusals, deadline, path) from exc
        columns = [column[0] for column in cursor.description or ()]
        yield QueryRows(columns, _batches(cursor, refusals, deadline, path))
    finally:
        connection.close()


def _batches(
    cursor: sqlite3.Cursor, refusals: list[str], deadline: _Deadline, path: Path
) -> Iterator[list[Row]]:
    while True:
        try:
            batch = cursor.fetchmany(FETCH_ROWS)
        except (sqlite3.Error, sqlite3.Warning) as exc:
            raise _sqlite_error(exc, refusals, deadline, path) from exc
        if not batch:
            return
        yield [tuple(row) for row in batch]


# --- opening ------------------------------------------------------------------------------


def _open_read_only(path: Path, timeout: float) -> sqlite3.Connection:
    """``mode=ro``; on a read-only mount that cannot take the ``-shm`` file, ``immutable=1``."""
    uri = path.resolve().as_uri()
    try:
        return _connect_and_read(f"{uri}?mode=ro", timeout)
    except sqlite3.Error as exc:
        if not _cannot_share_memory_beside(path, exc):
            raise ArchiveError(f"cannot open the archive at {path}: {exc}") from exc
    try:
        return _connect_and_read(f"{uri}?mode=ro&immutable=1", timeout)
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot open the archive at {path}: {exc}") from exc


def _utc_time(stored: bytes) -> datetime | str:
    """A DATETIME column's stored text (UTC wall time, as the archive writes it) as an aware time.

    Registered for the DATETIME declared type: a column read straight from an archive table
    comes back as the instant it holds, so `query` prints it in ISO 8601 with its offset as on
    PostgreSQL. Text that is not such a time comes back unchanged.
    """
    text = stored.decode("utf-8", "replace")
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        return text


sqlite3.register_converter("DATETIME", _utc_time)  # used only where detect_types asks for it: here


def _connect_and_read(uri: str, timeout: float) -> sqlite3.Connection:
    """Open ``uri`` and read its schema: a WAL archive opens its ``-shm`` file then."""
    busy = min(timeout, SQLITE_BUSY_TIMEOUT_MS / 1000)
    connection = sqlite3.connect(uri, uri=True, timeout=busy, check_same_thread=False,
                                 detect_types=sqlite3.PARSE_DECLTYPES)
    try:
        connection.isolation_level = None
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        connection.close()
        raise
    return connection


def _cannot_share_memory_beside(path: Path, exc: sqlite3.Error) -> bool:
    """The read-only open failed because the file's directory cannot be written to."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    directory = path.resolve().parent
    return code in {sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY} and not os.access(
        directory, os.W_OK
    )


# --- errors -------------------------------------------------------------------------------


def _sqlite_error(
    exc: Exception, refusals: list[str], deadline: _Deadline, path: Path
) -> ArchiveError:
    message = str(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if code is not None else None
    if refusals:
        return refused(refusals[0])
    if "one statement at a time" in message:
        return refused("more than one statement")
    if primary == sqlite3.SQLITE_READONLY or "readonly" in message or "query_only" in message:
        return refused(f"writing ({message})")
    if primary == sqlite3.SQLITE_INTERRUPT and deadline.passed:
        return QueryTimeoutError(timed_out(deadline.seconds))
    if primary in _DATABASE_CODES:
        return ArchiveError(f"cannot read the archive at {path}: {message}")
    return QueryError(f"query failed: {message}")


# --- the authorizer -----------------------------------------------------------------------


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
#: Functions a read-only query must not call: they load code, write files, or (fts3_tokenizer)
#: reveal or take a tokenizer's memory address.
DENIED_FUNCTIONS = frozenset({"load_extension", "writefile", "readfile", "edit", "fts3_tokenizer"})


def _authorizer(refusals: list[str]) -> Callable[..., int]:
    def authorize(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
        if action in _ALLOWED_ACTIONS:
            if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
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
    return name in PRAGMAS_WITH_NAME or (name in _PRAGMAS_READ and value is None)


def _describe(action: int, arg1: str | None, arg2: str | None) -> str:
    if action == sqlite3.SQLITE_PRAGMA:
        return f"PRAGMA {arg1}" + (f" = {arg2}" if arg2 is not None else "")
    what = _ACTION_NAMES.get(action, f"operation #{action}")
    return f"{what} {arg1}" if arg1 else what
