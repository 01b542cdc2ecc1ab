"""Alembic migrations run from code (no alembic.ini needed in the working directory)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine

from presswatch.storage.dialect import comment_on_schema, lock, masked, schema_transaction
from presswatch.storage.errors import ArchiveError
from presswatch.storage.schema_docs import comments

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "storage/migrations/versions holds no migration"
    return head


def current_revisions(connection: Connection) -> tuple[str, ...]:
    return MigrationContext.configure(connection).get_current_heads()


def migrate_to_head(engine: Engine) -> None:
    """Bring the schema to the newest revision; refuse a database newer than this code.

    An archive already at head is only read (no write lock: opening it while a
    crawl writes does not wait); otherwise writers take turns on a lock. The upgrade runs
    in ``schema_transaction`` (SQLite: foreign keys not enforced while tables are rebuilt).
    After an upgrade, PostgreSQL's tables, views and columns get their descriptions as comments.
    """
    with engine.connect() as connection:
        _refuse_unknown_revisions(connection, masked(engine.url))
        if current_revisions(connection) == (head_revision(),):
            return
    with schema_transaction(engine) as connection:
        lock(connection, "presswatch:migrations")
        _refuse_unknown_revisions(connection, masked(engine.url))
        command.upgrade(alembic_config(connection), "head")
        comment_on_schema(connection, comments())


def _refuse_unknown_revisions(connection: Connection, where: str) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    for revision in current_revisions(connection):
        try:
            known = script.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise ArchiveError(
                f"the archive at {where} has schema revision {revision!r}, newer than this "
                f"presswatch knows (newest known: {head_revision()!r}); "
                "upgrade presswatch, or point --db at another archive"
            )
