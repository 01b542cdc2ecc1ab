"""The one module that knows which database it talks to.

Everything else in ``storage`` is dialect-free SQLAlchemy. Here live: URL
checks, engine set-up (SQLite pragmas and transaction control), write
transactions, ``INSERT ... ON CONFLICT DO NOTHING`` and transaction-scoped locks.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase

from storage.errors import ArchiveError

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10
_WRITE_OPTION = "presswatch_write"
_URL_HELP = "expected sqlite:///path/to/archive.db or postgresql+psycopg://user@host/dbname"


def parse_url(url: str | URL) -> URL:
    """Check an archive URL; PostgreSQL URLs without a driver get psycopg (v3)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ArchiveError(f"not a database URL: {url!r}; {_URL_HELP}") from exc
    backend, _, driver = parsed.drivername.partition("+")
    if backend in {"postgresql", "postgres"} and driver in {"", "psycopg"}:
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in {"", "pysqlite"}:
        return parsed
    raise ArchiveError(
        f"unsupported database URL {masked(parsed)}: {_URL_HELP}"
    )


def masked(url: str | URL) -> str:
    """The URL as it may appear in a message or log: password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    database = url.database or ""
    if database in {"", ":memory:"} or database.startswith("file::memory:"):
        return None
    return Path(database)


def create_archive_engine(url: URL) -> Engine:
    """An engine with the archive's connection settings for its database."""
    if is_sqlite(url):
        return _sqlite_engine(url)
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )


def _sqlite_engine(url: URL) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module (see _sqlite_on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    # A write transaction takes the write lock up front (BEGIN IMMEDIATE), so a
    # read-then-write never fails half-way with SQLITE_BUSY when another writer
    # committed in between; plain reads stay deferred and never block writers.
    writing = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is going to write; commits on success."""
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE_OPTION: True})
        with connection.begin():
            yield connection


def insert_ignore(
    connection: Connection,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
) -> Any | None:
    """``INSERT ... ON CONFLICT (cols) DO NOTHING RETURNING pk``.

    Returns the new row's primary key, or None when the row already existed
    (also when a concurrent writer inserted it first).
    """
    table = model.__table__
    assert isinstance(table, Table)
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    (key,) = table.primary_key.columns
    statement = (
        insert(table)
        .values(dict(values))
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(key)
    )
    return connection.execute(statement).scalar_one_or_none()


def lock(connection: Connection, key: str) -> None:
    """Serialise writers on ``key`` until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing to do, a
    write transaction already holds the database's single write lock.
    """
    if connection.dialect.name != "postgresql":
        return
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})
