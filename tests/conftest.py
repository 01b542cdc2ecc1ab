"""Shared fixtures: archive databases and test services (DESIGN §8).

``PRESSWATCH_TEST_PG`` / ``PRESSWATCH_TEST_REDIS`` / ``PRESSWATCH_TEST_AMQP`` name the services. When one is
unset or unreachable the tests that need it are skipped with the reason, except
under ``CI=true``, where that is a failure: CI must never pass by skipping.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote, urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

PG_VAR = "PRESSWATCH_TEST_PG"
REDIS_VAR = "PRESSWATCH_TEST_REDIS"
PG_EXAMPLE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_EXAMPLE = "redis://127.0.0.1:6379/0"
AMQP_VAR = "PRESSWATCH_TEST_AMQP"
AMQP_EXAMPLE = "amqp://guest:guest@127.0.0.1:5672/"
#: The job engine's queues (scheduler.engine.QUEUE, and Dramatiq's delay and dead-letter queues).
ENGINE_QUEUES = ("presswatch-runs", "presswatch-runs.DQ", "presswatch-runs.XQ")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _service_unavailable(reason: str) -> NoReturn:
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: test services are required, not skipped)", pytrace=False)
    pytest.skip(reason)


# --- SQLite and PostgreSQL archives ---------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite archive URL for a file that does not exist yet, in a fresh temp dir."""
    return f"sqlite:///{tmp_path / 'presswatch.db'}"


def _pg_admin_url(raw: str) -> URL:
    url = make_url(raw)
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    return url


@pytest.fixture(scope="session")
def pg_server_url() -> URL:
    """The PostgreSQL server of PRESSWATCH_TEST_PG, checked once per session."""
    raw = os.environ.get(PG_VAR, "").strip()
    if not raw:
        _service_unavailable(f"{PG_VAR} is not set (e.g. {PG_EXAMPLE}); PostgreSQL tests skipped")
    url = _pg_admin_url(raw)
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "service unavailable"
        shown = url.render_as_string(hide_password=True)
        _service_unavailable(f"PostgreSQL at {shown} ({PG_VAR}) is unreachable: {exc}")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def pg_url(pg_server_url: URL) -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database, dropped after the test."""
    name = f"presswatch_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(pg_server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield pg_server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request: pytest.FixtureRequest) -> str:
    """An empty archive URL, once per database (test ids: sqlite, postgresql)."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


# --- RabbitMQ (the job engine's broker) -------------------------------------------------


@pytest.fixture(scope="session")
def amqp_server_url() -> str:
    """The RabbitMQ URL of PRESSWATCH_TEST_AMQP, after a successful connection."""
    raw = os.environ.get(AMQP_VAR, "").strip()
    if not raw:
        _service_unavailable(f"{AMQP_VAR} is not set (e.g. {AMQP_EXAMPLE}); job engine tests skipped")
    try:
        _delete_engine_queues(raw)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "service unavailable"
        _service_unavailable(f"RabbitMQ at {_hide_password(raw)} ({AMQP_VAR}) is unreachable: {exc!r}")
    return raw


@pytest.fixture
def amqp_url(amqp_server_url: str) -> Iterator[str]:
    """A broker URL of the test's own: a fresh virtual host, deleted afterwards.

    Made with `rabbitmqctl` when the broker runs on this machine (as in CI), so that nothing
    another test or process sends can reach this one. Elsewhere: the URL's own virtual host,
    with presswatch's queues deleted before and after the test.
    """
    parts = urlsplit(amqp_server_url)
    if shutil.which("rabbitmqctl") is None or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        _delete_engine_queues(amqp_server_url)
        yield amqp_server_url
        _delete_engine_queues(amqp_server_url)
        return
    vhost = f"presswatch_test_{uuid.uuid4().hex[:12]}"
    user = unquote(parts.username or "guest")
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield urlunsplit(parts._replace(path="/" + vhost))
    finally:
        _rabbitmqctl("delete_vhost", vhost)


def _rabbitmqctl(*args: str) -> None:
    done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")


def _delete_engine_queues(url: str) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        for queue in ENGINE_QUEUES:
            channel.queue_delete(queue)
    finally:
        connection.close()


# --- Redis -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis URL of PRESSWATCH_TEST_REDIS, after a successful PING."""
    raw = os.environ.get(REDIS_VAR, "").strip()
    if not raw:
        _service_unavailable(f"{REDIS_VAR} is not set (e.g. {REDIS_EXAMPLE}); Redis tests skipped")
    try:
        _redis_ping(raw)
    except (OSError, ValueError, RuntimeError) as exc:
        _service_unavailable(f"Redis at {_hide_password(raw)} ({REDIS_VAR}) is unreachable: {exc}")
    return raw


def _redis_ping(url: str) -> None:
    try:
        import redis
    except ImportError:
        _raw_redis_ping(url)
        return
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        if not client.ping():
            raise RuntimeError("PING did not answer PONG")
    except redis.RedisError as exc:
        raise RuntimeError(str(exc)) from exc
    finally:
        client.close()


def _raw_redis_ping(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "redis":
        raise ValueError(f"cannot PING {parts.scheme}:// without the redis package")
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 3) as sock:
        if parts.password:
            user = unquote(parts.username) if parts.username else "default"
            _raw_command(sock, "AUTH", user, unquote(parts.password))
        if _raw_command(sock, "PING") != b"+PONG":
            raise RuntimeError("PING did not answer PONG")


def _raw_command(sock: socket.socket, *words: str) -> bytes:
    encoded = [word.encode() for word in words]
    request = b"*%d\r\n" % len(encoded) + b"".join(
        b"$%d\r\n%s\r\n" % (len(word), word) for word in encoded
    )
    sock.sendall(request)
    reply = sock.recv(512).split(b"\r\n", 1)[0]
    if reply.startswith(b"-"):
        raise RuntimeError(reply[1:].decode(errors="replace"))
    return reply


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)
