"""The shared service fixtures (tests/conftest.py): skip locally, fail under CI=true."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import _raw_redis_ping

ROOT = Path(__file__).resolve().parents[2]
PG_NODE = "tests/storage/test_test_services.py::test_pg_url_is_a_fresh_empty_database"
REDIS_NODE = "tests/storage/test_test_services.py::test_redis_url_answers_ping"


def test_pg_url_is_a_fresh_empty_database(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            ).scalar_one()
            name = connection.execute(text("SELECT current_database()")).scalar_one()
    finally:
        engine.dispose()
    assert tables == 0
    assert name.startswith("presswatch_test_")


def test_redis_url_answers_ping(redis_url: str) -> None:
    _raw_redis_ping(redis_url)  # the no-dependency path answers too


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pytest(node: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in env}
    environment.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", node],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.mark.parametrize(
    ("node", "variable", "value", "reason"),
    [
        (PG_NODE, "PRESSWATCH_TEST_PG", None, "PRESSWATCH_TEST_PG is not set"),
        (PG_NODE, "PRESSWATCH_TEST_PG", "postgresql+psycopg://u:pw@127.0.0.1:{port}/test",
         "PostgreSQL at postgresql+psycopg://u:***@127.0.0.1:{port}/test (PRESSWATCH_TEST_PG) "
         "is unreachable"),
        (REDIS_NODE, "PRESSWATCH_TEST_REDIS", None, "PRESSWATCH_TEST_REDIS is not set"),
        (REDIS_NODE, "PRESSWATCH_TEST_REDIS", "redis://127.0.0.1:{port}/0",
         "Redis at redis://127.0.0.1:{port}/0 (PRESSWATCH_TEST_REDIS) is unreachable"),
    ],
    ids=["pg-unset", "pg-unreachable", "redis-unset", "redis-unreachable"],
)
@pytest.mark.parametrize("ci", ["", "true"], ids=["local", "ci"])
def test_a_missing_service_skips_locally_and_fails_under_ci(
    node: str, variable: str, value: str | None, reason: str, ci: str
) -> None:
    port = _free_port()
    value = value.format(port=port) if value else None
    result = _pytest(node, **{variable: value, "CI": ci})
    output = result.stdout + result.stderr
    assert reason.format(port=port) in output, output
    assert "pw@" not in output
    if ci:
        assert result.returncode == 1, output
        assert "CI=true: test services are required, not skipped" in output
        assert "1 error" in output
    else:
        assert result.returncode == 0, output
        assert "1 skipped" in output
