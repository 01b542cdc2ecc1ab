"""Reading the archive back in the storage tests: rows of some columns, the rows of a table;
an archive's schema at a given revision."""
from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import create_engine, func, select

from presswatch.storage import Archive
from presswatch.storage.migrate import alembic_config


def select_rows(archive: Archive, *columns: Any, order_by: Any = None) -> list[tuple[Any, ...]]:
    query = select(*columns)
    if order_by is not None:
        query = query.order_by(order_by)
    with archive.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def count_rows(archive: Archive, model: Any) -> int:
    with archive.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(model)) or 0)


def at_revision(url: str, revision: str, *, downgrade: bool = False) -> None:
    """Upgrade (or downgrade) the archive at ``url`` to schema ``revision`` with Alembic."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            (command.downgrade if downgrade else command.upgrade)(alembic_config(connection), revision)
    finally:
        engine.dispose()
