"""PostgreSQL reader roles for tests: uniquely named (roles are cluster-wide), always dropped."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from presswatch.storage.dialect import parse_url
from presswatch.storage.reader_role import create_reader_role


def unique_role_name(prefix: str = "pw_test_reader") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextmanager
def reader_role(admin_url: str, name: str | None = None) -> Iterator[str]:
    """A reader role made by `create_reader_role` on ``admin_url``'s database; yields its URL."""
    name = name or unique_role_name()
    try:
        made = create_reader_role(parse_url(admin_url), name)
        yield made.url.render_as_string(hide_password=False)
    finally:
        drop_role(admin_url, name)


def drop_role(admin_url: str, name: str) -> None:
    """Drop ``name`` and what it holds in ``admin_url``'s database (its sessions ended first)."""
    engine = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": name}
            ).first()
            if exists is None:
                return
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :name"),
                {"name": name},
            )
            connection.exec_driver_sql(f'DROP OWNED BY "{name}"')
            connection.exec_driver_sql(f'DROP ROLE "{name}"')
    finally:
        engine.dispose()


def as_user(url: str, user: str) -> str:
    """``url`` with another user name and no password."""
    return make_url(url).set(username=user, password=None).render_as_string(hide_password=False)
