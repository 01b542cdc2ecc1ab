"""Column types shared by the models: UTC-only datetimes and JSON lists."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

from presswatch.storage.dialect import keeps_json_natively


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone reached storage: a bug upstream."""


def require_aware(value: datetime, what: str = "datetime") -> datetime:
    """Return ``value`` in UTC; raise NaiveDatetimeError if it has no offset."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(
            f"naive {what} {value.isoformat()!r} refused: storage takes only aware datetimes "
            "(attach the page's offset or UTC before saving)"
        )
    return value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes in UTC; rejects naive ones; reads back aware UTC.

    PostgreSQL keeps a ``timestamptz``; SQLite keeps the UTC wall time as text
    (SQLAlchemy's format ignores tzinfo), so reading attaches UTC again.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        return require_aware(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=UTC)
        return stored.astimezone(UTC)


class JsonTextList(TypeDecorator[tuple[str, ...]]):
    """A list of strings: ``jsonb`` on PostgreSQL (schema 0011), JSON text on SQLite.

    Both read with plain SQL (``labels ? 'UPDATED'``; ``json_each(labels)``) and print
    the same JSON text (``["PHOTO", "UPDATED"]``). Python sees a tuple on both. A NUL
    character is dropped from the items: ``jsonb`` cannot hold one.
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(JSONB() if keeps_json_natively(dialect) else Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> list[str] | str | None:
        if value is None:
            return None
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise TypeError(f"expected a list of strings, got {type(value).__name__}")
        items = [str(item).replace("\x00", "") for item in value]
        if keeps_json_natively(dialect):
            return items  # the dialect's jsonb type encodes it
        return json.dumps(items, ensure_ascii=False)

    def process_result_value(self, value: Any, dialect: Dialect) -> tuple[str, ...] | None:
        if value is None:
            return None
        return tuple(json.loads(value) if isinstance(value, str) else value)
