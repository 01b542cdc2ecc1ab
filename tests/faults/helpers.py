"""Helpers for the fault tests: databases per module, measured runs, SQL on the archive."""
from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.e2e.helpers import PRESSWATCH, REPO, Measured, run_measured


@contextmanager
def database(request: pytest.FixtureRequest, root: Path, kind: str) -> Iterator[str]:
    """A temp SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{root / 'archive.db'}"
        return
    server_url = request.getfixturevalue("pg_server_url")
    name = f"presswatch_faults_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def rows(db_url: str, sql: str, **params: Any) -> list[tuple]:
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def instant(value: object) -> datetime | None:
    """A stored time as an aware UTC instant (SQLite gives naive UTC text, PostgreSQL aware values)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def popen_presswatch(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*PRESSWATCH, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO
    )


def sqlite_integrity(db_url: str) -> str:
    return str(rows(db_url, "PRAGMA integrity_check")[0][0])


def query_json(db_url: str, sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PRESSWATCH, "query", sql, "--db", db_url, "--format", "json"],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )


def assert_no_garbage(body: str) -> None:
    assert "\ufffd" not in body and "\x00" not in body
    assert "Ð" not in body and "Ñ" not in body  # UTF-8 read as cp1251/latin-1
    assert "Рџ" not in body and "Р°" not in body  # cp1251 read as UTF-8 then re-encoded


__all__ = [
    "Measured",
    "assert_no_garbage",
    "database",
    "instant",
    "popen_presswatch",
    "query_json",
    "rows",
    "run_measured",
    "sqlite_integrity",
]
