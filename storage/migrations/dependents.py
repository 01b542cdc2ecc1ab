"""For migrations that rebuild or alter a table others depend on (``articles``): its views and
triggers set aside, then made again as they were.

Why: schema 0011 adds the view ``releases`` over ``articles``.

- SQLite: Alembic's batch mode rebuilds a table (create a copy, copy the rows, drop the
  table, rename the copy), and ``ALTER TABLE ... RENAME`` fails while any view names a
  table that is gone ("error in view releases: no such table: main.articles"). Dropping the
  table also drops its triggers (``articles_fts_*``, which keep the full-text index in step).
- PostgreSQL: ``ALTER COLUMN ... TYPE`` or ``DROP COLUMN`` of a column a view reads fails
  ("cannot alter type of a column used by a view or rule").

Use it around the operations, outermost, so that the batch runs before the views come back::

    from presswatch.storage.migrations.dependents import dependents_set_aside

    def upgrade() -> None:
        with dependents_set_aside("articles"), op.batch_alter_table("articles", recreate="always") as batch:
            batch.alter_column("headline", ...)

On SQLite every view is dropped and made again from its stored ``CREATE VIEW`` (SQLite does not
record which tables a view reads), and the table's triggers that the operations dropped are
made again from theirs; the rebuild must run with foreign keys off, as ``storage.migrate``
runs migrations (``storage.dialect.schema_transaction``): with them on, dropping the table
deletes the rows that refer to it, so this refuses. On PostgreSQL the views that read the
table are made again from ``pg_get_viewdef`` with the privileges they had (comments come back
with every upgrade, ``storage.migrate``). A view the change breaks (it reads a column that is
gone) fails to be made again: change its definition in the same migration.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from alembic import op
from sqlalchemy import Connection, text

#: PostgreSQL: the views that read ``:table`` (their rewrite rules depend on it), with their definitions.
_VIEWS_READING = """SELECT DISTINCT quote_ident(v.relname), pg_get_viewdef(v.oid)
FROM pg_depend AS d JOIN pg_rewrite AS r ON r.oid = d.objid JOIN pg_class AS v ON v.oid = r.ev_class
WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = CAST(:table AS regclass)
  AND v.oid <> d.refobjid AND v.relkind = 'v'"""
#: PostgreSQL: who else holds which privilege on ``:relation`` (0 is PUBLIC).
_PRIVILEGES = """SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END
FROM pg_class AS c CROSS JOIN LATERAL aclexplode(c.relacl) AS a LEFT JOIN pg_roles AS r ON r.oid = a.grantee
WHERE c.oid = CAST(:relation AS regclass) AND a.grantee <> c.relowner ORDER BY 2, 1"""


@contextmanager
def dependents_set_aside(table: str) -> Iterator[None]:
    """Inside a migration: the views (and, on SQLite, ``table``'s triggers) dropped for the block
    and made again after it, as they were."""
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        with _sqlite_set_aside(connection, table):
            yield
    else:
        with _postgresql_set_aside(connection, table):
            yield


@contextmanager
def _sqlite_set_aside(connection: Connection, table: str) -> Iterator[None]:
    if connection.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            f"rebuilding {table} with foreign keys enforced deletes every row that refers to it "
            "(ON DELETE CASCADE): run the migration through storage.migrate, which turns them off"
        )
    schema = "SELECT name, sql FROM sqlite_master WHERE type = :type{} ORDER BY rowid"
    views = connection.execute(text(schema.format("")), {"type": "view"}).all()
    triggers = connection.execute(text(schema.format(" AND tbl_name = :table")),
                                  {"type": "trigger", "table": table}).all()
    for name, _ in reversed(views):
        _run(connection, f'DROP VIEW "{name}"')
    yield
    left = set(connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    for name, statement in triggers:
        if name not in left:
            _run(connection, statement)
    for _, statement in views:
        _run(connection, statement)


@contextmanager
def _postgresql_set_aside(connection: Connection, table: str) -> Iterator[None]:
    views = connection.execute(text(_VIEWS_READING), {"table": table}).all()
    held = {name: grants_of(connection, name) for name, _ in views}
    for name, _ in views:
        _run(connection, f"DROP VIEW {name}")
    yield
    for name, definition in views:
        _run(connection, f"CREATE VIEW {name} AS {definition}")
        grant(connection, name, held[name])


def grants_of(connection: Connection, relation: str) -> list[tuple[str, str]]:
    """PostgreSQL: the privileges others hold on ``relation`` (its owner's left out), as
    (privilege, grantee) in GRANT's words: ``("SELECT", "presswatch_reader")``, ``PUBLIC``."""
    rows = connection.execute(text(_PRIVILEGES), {"relation": relation}).all()
    return [(privilege, grantee) for privilege, grantee in rows]


def grant(connection: Connection, relation: str, grants: Sequence[tuple[str, str]]) -> None:
    """PostgreSQL: ``GRANT privilege ON relation TO grantee`` for each of ``grants`` (``grants_of``)."""
    for privilege, grantee in grants:
        _run(connection, f"GRANT {privilege} ON {relation} TO {grantee}")


def _run(connection: Connection, statement: str) -> None:
    """A statement as the schema holds it, through the driver: no placeholders read in it
    (a view may hold ``'%'`` or ``':x'``)."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()
