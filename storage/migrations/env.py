"""Alembic environment: run by storage.migrate with a live connection.

``storage.migrate`` passes the connection in ``config.attributes["connection"]``;
``alembic -c ... upgrade`` from a shell works too when ``sqlalchemy.url`` is set.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from presswatch.storage.dialect import create_archive_engine, parse_url
from presswatch.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_archive_engine(parse_url(config.get_main_option("sqlalchemy.url") or ""))
    try:
        with engine.connect() as fresh:
            _run(fresh)
            fresh.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("presswatch migrations run online only (they need a live connection)")
run_migrations_online()
