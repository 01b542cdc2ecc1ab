"""`presswatch query` on PostgreSQL: a powerless role, a READ ONLY transaction, a timeout.

On one connection, in one READ ONLY transaction that is never committed:
1. ``refuse_privileged_session``: a login role with powers a statement could use
   (superuser, server files, signalling, ...) is refused before the statement is sent;
2. ``statement_timeout`` for this transaction, and (PostgreSQL 14+)
   ``client_connection_check_interval``, so a statement whose client died is cancelled
   within a second rather than at its timeout;
3. the statement, streamed (``Cursor.stream``: libpq's chunked or single-row mode)
   in one Parse/Bind/Execute: the server arms the timeout when the statement starts,
   and a ``set_config('statement_timeout', ...)`` inside it cannot lift it; one statement only.
Leaving early (an error, the reader stops) cancels the statement on the server.

JSON values (``jsonb`` such as ``articles.labels``, and ``json``) come back as the JSON text
the server prints, as SQLite's JSON columns and functions give text: the same output on both.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy.engine import URL

from presswatch.storage.errors import ArchiveError, QueryError, QueryTimeoutError
from presswatch.storage.reader_role import connect, refuse_privileged_session
from presswatch.storage.readonly_rows import FETCH_ROWS, QueryRows, Row, refused, timed_out

#: A session whose client has gone is noticed within this many milliseconds (PostgreSQL 14+).
CLIENT_CHECK_MS = 1000
#: SQLSTATE classes that mean the server or the connection failed, not the statement.
_SERVER_CLASSES = ("08", "28", "3D", "57", "58", "XX")


@contextmanager
def postgresql_query(url: URL, sql: str, params: dict[str, Any], timeout: float) -> Iterator[QueryRows]:
    import psycopg

    statement, bound = _compiled(sql, params)
    connection = connect(url, autocommit=False)
    _json_as_text(connection)
    stream: Any = None
    limit = _Limit(timeout)
    try:
        connection.read_only = True  # BEGIN READ ONLY; closing the connection rolls back
        cursor = connection.cursor()
        try:
            refuse_privileged_session(cursor, url)
            limit.set(cursor)
            stream = cursor.stream(statement, bound, size=_chunk())
            first = _first_rows(stream)
            columns = _columns(cursor, statement, bound, first)
        except psycopg.Error as exc:
            raise _pg_error(exc, limit) from exc
        yield QueryRows(columns, _batches(first, stream, limit))
    finally:
        if stream is not None:
            with suppress(Exception):
                stream.close()  # cancels the statement on the server if it still runs
        connection.close()


def _json_as_text(connection: Any) -> None:
    """``json`` and ``jsonb`` values read as their text (``["PHOTO", "UPDATED"]``), not parsed."""
    from psycopg.types.string import TextLoader

    for name in ("json", "jsonb"):
        connection.adapters.register_loader(name, TextLoader)


def _compiled(sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """``:name`` placeholders as psycopg's; without params the SQL goes as written."""
    if not params:
        return sql, None
    from sqlalchemy import text
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

    compiled = text(sql).compile(dialect=PGDialect_psycopg())
    return str(compiled), dict(compiled.construct_params(params))


class _Limit:
    """The statement's timeout: set on the server, and told apart from other cancellations."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()

    def set(self, cursor: Any) -> None:
        milliseconds = max(1, round(self.seconds * 1000))
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", (f"{milliseconds}ms",))
        cursor.execute("SELECT set_config('TimeZone', 'UTC', true)")  # times print in UTC, as on SQLite
        if cursor.connection.info.server_version >= 140000:
            cursor.execute(
                "SELECT set_config('client_connection_check_interval', %s, true)",
                (f"{CLIENT_CHECK_MS}ms",),
            )
        self.started = time.monotonic()

    def passed(self) -> bool:
        # by the clock, not by the server's message (which follows its lc_messages)
        return time.monotonic() - self.started >= self.seconds * 0.99


def _chunk() -> int:
    """Rows per message from the server: chunked mode needs libpq 17, else row by row."""
    from psycopg import capabilities

    return FETCH_ROWS if capabilities.has_stream_chunked() else 1


def _first_rows(stream: Iterator[Row]) -> list[Row]:
    """The first row (or none): the statement has started, its columns are known."""
    import psycopg

    try:
        return [next(stream)]
    except StopIteration:
        return []
    except psycopg.ProgrammingError as exc:
        if exc.sqlstate is None:  # "didn't produce a result": a statement without rows
            return []
        raise


def _columns(cursor: Any, statement: str, params: dict[str, Any] | None, first: list[Row]) -> list[str]:
    from psycopg import pq

    if first and cursor.description is not None:
        return [column.name for column in cursor.description]
    # No row came, so psycopg has no description: ask the server to describe the statement.
    pgconn = cursor.connection.pgconn
    query = cursor._convert_query(statement, params)  # psycopg's own placeholder conversion
    if pgconn.prepare(b"", query.query, query.types).status != pq.ExecStatus.COMMAND_OK:
        return []
    described = pgconn.describe_prepared(b"")
    encoding = cursor.connection.info.encoding
    return [described.fname(i).decode(encoding) for i in range(described.nfields)]


def _batches(first: list[Row], stream: Iterator[Row], limit: _Limit) -> Iterator[list[Row]]:
    import psycopg

    if first:
        yield first
    batch: list[Row] = []
    try:
        for row in stream:
            batch.append(row)
            if len(batch) >= FETCH_ROWS:
                yield batch
                batch = []
    except psycopg.Error as exc:
        raise _pg_error(exc, limit) from exc
    if batch:
        yield batch


def _pg_error(exc: Exception, limit: _Limit) -> ArchiveError:
    import psycopg

    sqlstate = getattr(exc, "sqlstate", None) or ""
    primary = getattr(getattr(exc, "diag", None), "message_primary", None) or str(exc)
    primary = " ".join(primary.split())  # one line, whatever libpq added
    if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
        return refused(f"writing ({primary})")
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return refused(f"a privileged operation ({primary})")
    if "multiple commands" in primary:
        return refused("more than one statement")
    if isinstance(exc, psycopg.errors.QueryCanceled) and limit.passed():
        return QueryTimeoutError(timed_out(limit.seconds))
    if not sqlstate or sqlstate.startswith(_SERVER_CLASSES):
        return ArchiveError(f"the archive's server failed during the query: {primary}")
    return QueryError(f"query failed: {primary}")
