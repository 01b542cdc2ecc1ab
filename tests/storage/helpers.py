"""Reading the archive back in the storage tests: rows of some columns, the rows of a table."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from storage import Archive


def select_rows(archive: Archive, *columns: Any, order_by: Any = None) -> list[tuple[Any, ...]]:
    query = select(*columns)
    if order_by is not None:
        query = query.order_by(order_by)
    with archive.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def count_rows(archive: Archive, model: Any) -> int:
    with archive.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(model)) or 0)
