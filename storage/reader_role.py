"""PostgreSQL: who may run `presswatch query`, and the reader role that may.

A READ ONLY transaction stops writes to tables, not a superuser: one can read and
write server files (``pg_read_file``, ``lo_export``, ``COPY ... TO PROGRAM``),
signal other sessions and change server settings, and any role it switched to can
be switched back from inside the statement (``set_config('role', 'none', true)``).
So `presswatch query` runs only on a connection whose login role has no such
powers and cannot reach any: ``refuse_privileged_session``. ``create_reader_role``
(``presswatch db reader``) makes one: a LOGIN role with SELECT on presswatch's
tables and views and nothing else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import URL

from presswatch.storage.dialect import PG_CONNECT_TIMEOUT_S, masked
from presswatch.storage.errors import ArchiveError, ReadOnlyQueryError

READER_ROLE = "presswatch_reader"
#: Predefined roles whose members can reach the server's files and programs, other
#: sessions, or every table: a member is refused, as is a superuser.
POWERFUL_ROLES = (
    "pg_execute_server_program",
    "pg_read_all_data",
    "pg_read_server_files",
    "pg_signal_backend",
    "pg_write_all_data",
    "pg_write_server_files",
)
#: Functions every role may call by default that write outside the transaction, which a
#: rollback cannot undo: ``pg_logical_emit_message()`` puts a message in the WAL, where
#: logical decoding hands it on. `db reader` takes them from PUBLIC in the archive's database.
WRITES_OUTSIDE_TRANSACTION = ("pg_logical_emit_message",)
#: What the reader role's sessions default to in the archive's database (the CLI
#: sets its own timeout per statement; these hold for any other client too).
READER_SETTINGS = {"default_transaction_read_only": "on", "statement_timeout": "30s"}
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_POWERS_SQL = """
SELECT r.rolname, r.rolname = {who} AS itself,
       r.rolsuper, r.rolcreaterole, r.rolreplication, r.rolbypassrls
FROM pg_catalog.pg_roles r
WHERE pg_catalog.pg_has_role({who}, r.oid, 'MEMBER')
  AND (r.rolsuper OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls
       OR r.rolname = ANY(%(powerful)s))
ORDER BY r.rolname = {who} DESC, r.rolname
"""
_CALLABLE_WRITERS_SQL = """
SELECT DISTINCT p.proname FROM pg_catalog.pg_proc p
WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = ANY(%(writers)s)
  AND pg_catalog.has_function_privilege({who}, p.oid, 'EXECUTE')
ORDER BY p.proname
"""


def connect(url: URL, **options: Any) -> Any:
    """A psycopg connection to ``url`` (not through a pool: one statement, then closed)."""
    import psycopg
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

    _, arguments = PGDialect_psycopg().create_connect_args(url)
    arguments.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
    try:
        return psycopg.connect(**arguments, **options)
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())  # libpq adds indented hint lines: one line here
        if url.password:
            reason = reason.replace(str(url.password), "***")
        raise ArchiveError(f"cannot connect to the archive at {masked(url)}: {reason}") from exc


def powers(cursor: Any, role: str | None = None, *, functions: bool = True) -> list[str]:
    """Why ``role`` (default: the session's login role) must not run users' statements.

    Its attributes and memberships, and (``functions``) the functions it may call that
    write outside the transaction.
    """
    who = "%(role)s" if role is not None else "session_user"
    cursor.execute(
        _POWERS_SQL.format(who=who), {"role": role, "powerful": list(POWERFUL_ROLES)}
    )
    found = cursor.fetchall()
    if any(itself and superuser for _, itself, superuser, *_ in found):
        return ["a superuser"]
    reasons = _role_reasons(found)
    if not functions:
        return reasons
    cursor.execute(
        _CALLABLE_WRITERS_SQL.format(who=who),
        {"role": role, "writers": list(WRITES_OUTSIDE_TRANSACTION)},
    )
    reasons += [
        f"may call {name}(), which writes outside the transaction"
        for (name,) in cursor.fetchall()
    ]
    return reasons


def _role_reasons(found: list[tuple[Any, ...]]) -> list[str]:
    reasons = []
    for name, itself, superuser, createrole, replication, bypassrls in found:
        flags = [
            flag for flag, held in (("SUPERUSER", superuser), ("CREATEROLE", createrole),
                                    ("REPLICATION", replication), ("BYPASSRLS", bypassrls))
            if held
        ]
        if itself:
            reasons.append(f"has {', '.join(flags)}")
        elif flags:
            reasons.append(f"a member of {name} ({', '.join(flags)})")
        else:
            reasons.append(f"a member of {name}")
    return reasons


def refuse_privileged_session(cursor: Any, url: URL) -> None:
    """Refuse a connection from which a statement could reach powers beyond reading."""
    reasons = powers(cursor)
    if not reasons:
        return
    cursor.execute("SELECT session_user")
    (login,) = cursor.fetchone()
    reader = masked(url.set(username=READER_ROLE, password=None))
    raise ReadOnlyQueryError(
        f"presswatch query is read-only and will not run as {login} ({'; '.join(reasons)}), "
        "whose powers a statement could take: create a read-only role with "
        f"`presswatch db reader --db URL` and query with --db {reader}"
    )


@dataclass(frozen=True)
class ReaderRole:
    """What ``create_reader_role`` did."""

    name: str
    created: bool
    tables: tuple[str, ...]
    url: URL


def create_reader_role(url: URL, role: str = READER_ROLE, password: str | None = None) -> ReaderRole:
    """Create (or bring up to date) ``role``: LOGIN, SELECT on presswatch's tables, nothing more.

    Idempotent. An existing role with powers (``powers``) is refused, never demoted.
    ``password`` (hashed here, never sent in clear) replaces the role's password.
    """
    if not _ROLE_NAME.match(role):
        raise ReadOnlyQueryError(
            f"{role!r} is not a role name presswatch creates: use lower-case letters, digits "
            "and _ (at most 63)"
        )
    import psycopg

    connection = connect(url)
    try:
        with connection.transaction(), connection.cursor() as cursor:
            created = _ensure_role(cursor, role)
            if password is not None:
                _set_password(connection, cursor, role, password)
            tables = _grant_reading(cursor, role)
            left = powers(cursor, role)
            if left:
                raise ReadOnlyQueryError(
                    f"role {role} would still be {'; '.join(left)}: run presswatch db reader "
                    "with the URL of a superuser"
                )
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ArchiveError(
            f"cannot set up the reader role {role} at {masked(url)}: "
            f"{exc.diag.message_primary}; run presswatch db reader with the URL of a superuser "
            "(or of a role with CREATEROLE that owns the archive's tables)"
        ) from exc
    except psycopg.Error as exc:
        raise ArchiveError(f"cannot set up the reader role {role} at {masked(url)}: {exc}") from exc
    finally:
        connection.close()
    return ReaderRole(role, created, tables, url.set(username=role, password=password))


def _ensure_role(cursor: Any, role: str) -> bool:
    from psycopg import sql

    cursor.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", (role,))
    exists = cursor.fetchone() is not None
    if exists:
        reasons = powers(cursor, role, functions=False)
        if reasons:
            raise ReadOnlyQueryError(
                f"role {role} exists and is {'; '.join(reasons)}: presswatch will not make it "
                "its read-only role; choose another with --role NAME"
            )
    verb = "ALTER" if exists else "CREATE"
    cursor.execute(
        sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                "NOBYPASSRLS").format(sql.Identifier(role))
    )
    return not exists


def _set_password(connection: Any, cursor: Any, role: str, password: str) -> None:
    from psycopg import sql

    hashed = connection.pgconn.encrypt_password(password.encode(), role.encode())
    cursor.execute(
        sql.SQL("ALTER ROLE {} PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(hashed.decode("ascii"))
        )
    )


def _grant_reading(cursor: Any, role: str) -> tuple[str, ...]:
    """CONNECT, USAGE on the schema, SELECT (and only SELECT) on presswatch's tables and views."""
    from psycopg import sql

    from presswatch.storage.models import Base
    from presswatch.storage.schema_docs import TABLES

    names = sorted({*Base.metadata.tables, *TABLES})  # TABLES adds articles_fts, alembic_version, releases
    cursor.execute(
        "SELECT c.relname FROM pg_catalog.pg_class c "
        "WHERE c.relnamespace = current_schema()::regnamespace "
        "AND c.relkind IN ('r', 'p', 'v') AND c.relname = ANY(%s) ORDER BY c.relname",
        (names,),
    )
    tables = tuple(name for (name,) in cursor.fetchall())
    cursor.execute("SELECT current_database(), current_schema()")
    database, schema = cursor.fetchone()
    who = sql.Identifier(role)
    statements = [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), who),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), who),
    ]
    if tables:
        listed = sql.SQL(", ").join(sql.Identifier(schema, name) for name in tables)
        statements += [
            sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(listed, who),
            sql.SQL("GRANT SELECT ON TABLE {} TO {}").format(listed, who),
        ]
    statements += [
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET {} = {}").format(
            who, sql.Identifier(database), sql.Identifier(name), sql.Literal(value)
        )
        for name, value in READER_SETTINGS.items()
    ]
    statements += [
        sql.SQL("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC").format(sql.SQL(signature))
        for signature in _writer_signatures(cursor)
    ]
    for statement in statements:
        cursor.execute(statement)
    return tables


def _writer_signatures(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p "
        "WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = ANY(%s) ORDER BY 1",
        (list(WRITES_OUTSIDE_TRANSACTION),),
    )
    return [f"pg_catalog.{signature}" for (signature,) in cursor.fetchall()]
