"""What differs between SQLite and PostgreSQL in connecting and writing.

Here live: URL checks, engine set-up (SQLite pragmas and transaction control), write
transactions (and the one schema changes run in), ``INSERT ... ON CONFLICT DO NOTHING``,
transaction-scoped locks, which writer conflicts are worth a retry, which full-text engine to
speak, how JSON lists are kept, and PostgreSQL's table, view and column comments. The saving,
reading and dedupe modules ask this one and are otherwise dialect-free SQLAlchemy.

Some modules are about one database by their nature and say so in their names or first line:
the read-only query sandboxes (``readonly_sqlite``, ``readonly_pg``, with ``reader_role``),
the full-text engines (``fulltext``), the cluster's advisory locks (``locks``, PostgreSQL),
the disk reserve (``reserve``, SQLite) and the migrations.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Dialect,
    Engine,
    Row,
    Select,
    Table,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute

from presswatch.storage.errors import ArchiveError

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


def create_archive_engine(url: URL, *, pre_ping: bool = True) -> Engine:
    """An engine with the archive's connection settings for its database.

    ``pre_ping=False``: no test statement before each use of a pooled connection, for a
    caller that runs a few statements many times a second and retries after an error
    anyway (a connection that died is dropped from the pool by the failed statement).
    """
    if is_sqlite(url):
        return _sqlite_engine(url)
    engine = create_engine(
        url,
        pool_pre_ping=pre_ping,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )
    return engine


def _sqlite_engine(url: URL) -> Engine:
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
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """PRAGMA journal_mode = WAL, retried: while another connection creates a new archive the
    switch can fail at once with "database is locked" (SQLite does not wait for it)."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


#: A bulk load's connection (``write_transaction(bulk=True)``, from then on): a page cache of
#: 128 MiB instead of 2 (the dedupe indexes take random inserts, spread over the whole file),
#: and a checkpoint every 10,000 WAL pages instead of 1,000 (a page that every batch changes
#: is copied back into the file once per checkpoint, not once per batch or two).
SQLITE_BULK_PRAGMAS = ("PRAGMA cache_size = -131072", "PRAGMA wal_autocheckpoint = 10000")
_BULK_OPTION = "presswatch_bulk"


def _sqlite_on_begin(connection: Connection) -> None:
    # A write transaction takes the write lock up front (BEGIN IMMEDIATE), so a
    # read-then-write never fails half-way with SQLITE_BUSY when another writer
    # committed in between; plain reads stay deferred and never block writers.
    options = connection.get_execution_options()
    if options.get(_BULK_OPTION, False) and not connection.info.get(_BULK_OPTION):
        for pragma in SQLITE_BULK_PRAGMAS:
            connection.exec_driver_sql(pragma)
        connection.info[_BULK_OPTION] = True
    connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_WRITE_OPTION, False) else "BEGIN")


@contextmanager
def write_transaction(engine: Engine, *, bulk: bool = False) -> Iterator[Connection]:
    """A connection inside a transaction that is going to write; commits on success.

    ``bulk``: one of many in a bulk load (SQLite: ``SQLITE_BULK_PRAGMAS`` on its connection).
    """
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE_OPTION: True, _BULK_OPTION: bulk})
        with connection.begin():
            yield connection


@contextmanager
def schema_transaction(engine: Engine) -> Iterator[Connection]:
    """The write transaction migrations run in; commits on success.

    SQLite: foreign keys are not enforced for its length, as SQLite's own procedure for
    schema changes asks. A migration that rebuilds a table (Alembic's batch mode: copy,
    drop, rename) would otherwise, at the DROP, delete every row that refers to the table
    through ON DELETE CASCADE (an article's revisions, aliases, raw page, ...). Before the
    commit ``PRAGMA foreign_key_check`` must find nothing. PostgreSQL alters tables in
    place: a plain write transaction.
    """
    if engine.dialect.name != "sqlite":
        with write_transaction(engine) as connection:
            yield connection
        return
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute("PRAGMA foreign_keys = OFF")  # outside any transaction: else a no-op
        try:
            connection.execution_options(**{_WRITE_OPTION: True})
            with connection.begin():
                yield connection
                _refuse_broken_references(connection)
        finally:
            driver.execute("PRAGMA foreign_keys = ON")


def _refuse_broken_references(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise ArchiveError(
            f"a schema upgrade left {len(broken)} row(s) referring to rows that do not exist "
            f"(first: {table} row {rowid} -> {parent}); nothing was changed"
        )


def keeps_json_natively(dialect: Dialect) -> bool:
    """Whether JSON lists (``articles.labels``, ``authors``) are a JSON type in the database:
    PostgreSQL ``jsonb`` (schema 0011). SQLite keeps JSON text, which its JSON functions read."""
    return dialect.name == "postgresql"


def rows_where_in(
    connection: Connection,
    columns: Sequence[ColumnElement[Any] | QueryableAttribute[Any]],
    key: ColumnElement[Any] | QueryableAttribute[Any],
    values: Iterable[Any],
) -> list[Row[*tuple[Any, ...]]]:
    """``SELECT columns FROM key's table WHERE key IN values``, for many values.

    One parameter whatever the count, which the planner answers with one index probe
    per value: SQLite ``key IN (SELECT value FROM json_each(:values))`` with the values
    as one JSON array (a statement compiled once, where an IN list of thousands of
    bound parameters costs SQLAlchemy more to render than SQLite to answer); PostgreSQL
    a join with ``unnest(array)`` (an IN list of thousands is planned and probed ten
    times slower).
    """
    ordered = sorted(set(values))
    if not ordered:
        return []
    if isinstance(key, QueryableAttribute):  # a mapped attribute (ArticleRow.url): its column
        key = key.expression
    if connection.dialect.name != "postgresql":
        listed: Select[Any] = select(literal_column("value")).select_from(func.json_each(bindparam("values")))
        return list(connection.execute(select(*columns).where(key.in_(listed)), {"values": json.dumps(ordered)}))
    wanted = (
        func.unnest(cast(bindparam("values", ordered, type_=ARRAY(key.type)), ARRAY(key.type)))
        .table_valued("value")
        .render_derived()
    )
    query = select(*columns).join_from(wanted, key.table, key == wanted.c.value)
    return list(connection.execute(query))


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


def insert_ignore_returning(
    connection: Connection,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    conflict_columns: Sequence[str],
    returning: Sequence[str],
) -> list[Row[*tuple[Any, ...]]]:
    """``INSERT ... VALUES (...), ... ON CONFLICT (cols) DO NOTHING RETURNING cols`` for many rows
    (all with the same keys): the rows inserted, in the order given; those that already existed
    are left out. A few statements whatever the count (SQLAlchemy's "insertmanyvalues")."""
    if not rows:
        return []
    table = model.__table__
    assert isinstance(table, Table)
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(*(table.c[name] for name in returning), sort_by_parameter_order=True)
    )
    return list(connection.execute(statement, [dict(row) for row in rows]))


def upsert(
    connection: Connection,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    conflict_columns: Sequence[str],
) -> None:
    """``INSERT ... ON CONFLICT (cols) DO UPDATE``: every other column takes the new value."""
    if not rows:
        return
    table = model.__table__
    assert isinstance(table, Table)
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values([dict(row) for row in rows])
    changed = {name: statement.excluded[name] for name in rows[0] if name not in conflict_columns}
    connection.execute(statement.on_conflict_do_update(index_elements=list(conflict_columns), set_=changed))


def bulk_insert(
    connection: Connection,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    conflict_columns: Sequence[str] = (),
) -> None:
    """Insert many rows (all with the same keys) in one execution.

    With ``conflict_columns``, rows that conflict on them are skipped (``ON
    CONFLICT DO NOTHING``). The values go to the driver as plain tuples, each
    column's type conversion applied once per value (``_BulkStatement``), not
    through SQLAlchemy's per-row parameter handling. SQLite: ``executemany`` of one
    prepared statement (stepped per row in C). PostgreSQL: ``COPY ... FROM STDIN``
    when no conflict can arise, else one ``INSERT ... SELECT FROM unnest(...)`` with
    one array per column: a single small statement whatever the row count.
    """
    if not rows:
        return
    table = model.__table__
    assert isinstance(table, Table)
    bulk = _bulk_statement(connection.dialect, table, tuple(rows[0]), tuple(conflict_columns))
    columns = bulk.values(rows)
    if connection.dialect.name != "postgresql":
        connection.exec_driver_sql(bulk.sql, list(zip(*columns, strict=True)))
    elif not conflict_columns:
        _copy(connection, bulk.copy_sql, zip(*columns, strict=True))
    else:
        connection.exec_driver_sql(bulk.sql, tuple(columns))


class _BulkStatement:
    """A bulk insert into ``table`` of rows with ``names``: its SQL and each column's conversion."""

    def __init__(self, dialect: Dialect, table: Table, names: tuple[str, ...], conflict: tuple[str, ...]) -> None:
        columns = [table.c[name] for name in names]
        self.names = names
        self.processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
        quoted = ", ".join(f'"{name}"' for name in names)
        on_conflict = f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING" if conflict else ""
        if dialect.name == "postgresql":
            casts = ", ".join(f"%s::{column.type.compile(dialect)}[]" for column in columns)
            self.sql = f'INSERT INTO "{table.name}" ({quoted}) SELECT * FROM unnest({casts}){on_conflict}'
        else:
            marks = ", ".join("?" for _ in names)
            self.sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks}){on_conflict}'
        self.copy_sql = f'COPY "{table.name}" ({quoted}) FROM STDIN'

    def values(self, rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
        """One list per column, converted for the driver (each distinct value once: a
        batch's rows share their times and mostly their empty lists)."""
        columns = []
        for name, process in zip(self.names, self.processors, strict=True):
            values = [row[name] for row in rows]
            columns.append(_converted(process, values) if process else values)
        return columns


def _converted(process: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    done: dict[Any, Any] = {}
    try:
        return [done[v] if v in done else done.setdefault(v, process(v)) for v in values]
    except TypeError:  # an unhashable value (a list): convert them one by one
        return list(map(process, values))


_BULK_STATEMENTS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], _BulkStatement] = {}


def _bulk_statement(
    dialect: Dialect, table: Table, names: tuple[str, ...], conflict: tuple[str, ...]
) -> _BulkStatement:
    key = (dialect.name, table.name, names, conflict)
    statement = _BULK_STATEMENTS.get(key)
    if statement is None:
        statement = _BULK_STATEMENTS[key] = _BulkStatement(dialect, table, names, conflict)
    return statement


def _copy(connection: Connection, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """PostgreSQL: ``COPY ... FROM STDIN`` of these rows (psycopg's ``cursor.copy``)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


#: Advisory locks are striped: a key locks one of this many stripes (PostgreSQL keeps
#: every lock a transaction holds in a shared table of limited size, so a batch of
#: 500 articles cannot hold one lock per key).
LOCK_STRIPES = 1024
_LOCK_CLASS = 0x5057  # "PW": presswatch's advisory lock namespace


def lock(connection: Connection, *keys: str) -> None:
    """Serialise writers on each of ``keys`` until the transaction ends.

    PostgreSQL: transaction-scoped advisory locks on the keys' stripes, all taken
    by one statement in one global order (sorted), so two writers locking
    overlapping sets cannot deadlock on them. SQLite: nothing to do, a write
    transaction already holds the database's single write lock.
    """
    if connection.dialect.name != "postgresql" or not keys:
        return
    stripes = sorted({_lock_number(key) % LOCK_STRIPES for key in keys})
    connection.execute(
        text(
            "SELECT pg_advisory_xact_lock(:namespace, s) "
            "FROM unnest(CAST(:stripes AS integer[])) AS s ORDER BY s"
        ),
        {"namespace": _LOCK_CLASS, "stripes": stripes},
    )


def _lock_number(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


#: A table's planner statistics are refreshed once this share of its rows changed.
STALE_STATISTICS_SHARE = 0.2


def refresh_stale_statistics(connection: Connection, tables: Sequence[str]) -> list[str]:
    """PostgreSQL: ``ANALYZE`` those ``tables`` whose statistics lag behind their size.

    Autovacuum does this in the background when it is on; a bulk load (or a server
    running without autovacuum) can otherwise leave the planner believing the
    tables are empty and choosing sequential scans for indexed lookups. SQLite:
    nothing (its planner needs no statistics for these lookups). Returns the
    tables analysed.
    """
    if connection.dialect.name != "postgresql":
        return []
    stale = list(connection.scalars(
        text(
            "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "WHERE s.relname = ANY(:tables) AND s.n_mod_since_analyze > "
            "greatest(1000, :share * greatest(c.reltuples, 0))"
        ),
        {"tables": list(tables), "share": STALE_STATISTICS_SHARE},
    ))
    for table in stale:
        connection.execute(text(f'ANALYZE "{table}"'))
    return stale


def is_retryable(exc: DBAPIError) -> bool:
    """A write that failed only because of another writer: deadlock or serialisation."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in {"40P01", "40001"}


def fulltext_dialect(connection: Connection) -> str:
    """Which full-text engine ``storage.fulltext`` must speak: 'fts5' or 'tsvector'."""
    return "fts5" if connection.dialect.name == "sqlite" else "tsvector"


def comment_on_schema(connection: Connection, docs: Mapping[str, tuple[str, Mapping[str, str]]]) -> None:
    """PostgreSQL: each table's, view's and column's description as its COMMENT (psql ``\\d+``,
    GUI clients). Only what exists is commented; SQLite has no comments, so nothing happens
    there. ``docs`` maps a table or view to its description and its columns' descriptions.
    """
    if connection.dialect.name != "postgresql":
        return
    from psycopg import sql

    existing = connection.execute(text(
        "SELECT c.table_name, c.column_name, t.table_type = 'VIEW' FROM information_schema.columns AS c "
        "JOIN information_schema.tables AS t USING (table_schema, table_name) "
        "WHERE c.table_schema = current_schema()"
    )).all()
    columns = {(table, column) for table, column, _ in existing}
    kinds = {table: "VIEW" if is_view else "TABLE" for table, _, is_view in existing}
    statements = []
    for table, (description, column_docs) in docs.items():
        if table not in kinds:
            continue
        statements.append(sql.SQL("COMMENT ON {} {} IS {}").format(
            sql.SQL(kinds[table]), sql.Identifier(table), sql.Literal(description)))
        statements.extend(
            sql.SQL("COMMENT ON COLUMN {} IS {}").format(sql.Identifier(table, column), sql.Literal(meaning))
            for column, meaning in column_docs.items() if (table, column) in columns
        )
    with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        for statement in statements:
            cursor.execute(statement)
