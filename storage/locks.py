"""Cluster-wide named locks: PostgreSQL session advisory locks on a connection of their own.

`serve --broker` uses them for the one active scheduler (its lease) and for "one run per
source, one worker process per site, cluster-wide". A lock lives as long as the session
that took it: when the holding process dies, PostgreSQL ends the session and frees its
locks, with no expiry to tune. TCP keepalives on both sides bound how long a vanished
host (power cut, network partition) can go on holding them: about `KEEPALIVE_BOUND`
seconds. Only PostgreSQL has these locks; a SQLite archive lives on one machine anyway.
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from presswatch.storage.dialect import PG_CONNECT_TIMEOUT_S, is_sqlite, masked, parse_url
from presswatch.storage.errors import ArchiveError

#: TCP keepalive: first probe after this many idle seconds, then every `_INTERVAL`, `_COUNT` probes.
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 5, 2, 3
KEEPALIVE_BOUND = KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT

T = TypeVar("T")


class LocksUnavailable(ArchiveError):
    """The lock session could not be opened or was lost (the message says which database)."""


def lock_key(name: str) -> int:
    """The advisory lock key of a name: a stable signed 64-bit number."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class AdvisoryLocks:
    """Named session locks held by one PostgreSQL connection (thread-safe)."""

    def __init__(self, url: str, *, purpose: str) -> None:
        parsed = parse_url(url)
        if is_sqlite(parsed):
            raise LocksUnavailable(
                f"{purpose} needs a PostgreSQL archive that every host reaches (--db postgresql+psycopg://...); "
                f"{masked(parsed)} is a SQLite file on one machine"
            )
        self.where = masked(parsed)
        self._engine = create_engine(
            parsed, poolclass=NullPool, isolation_level="AUTOCOMMIT",
            connect_args={
                "connect_timeout": PG_CONNECT_TIMEOUT_S, "keepalives": 1, "keepalives_idle": KEEPALIVE_IDLE,
                "keepalives_interval": KEEPALIVE_INTERVAL, "keepalives_count": KEEPALIVE_COUNT,
                "application_name": f"presswatch {purpose}",
            },
        )
        self._guard = threading.Lock()
        try:
            self._connection: Connection | None = self._engine.connect()
            for setting, value in (("tcp_keepalives_idle", KEEPALIVE_IDLE),
                                   ("tcp_keepalives_interval", KEEPALIVE_INTERVAL),
                                   ("tcp_keepalives_count", KEEPALIVE_COUNT)):
                self._connection.execute(text(f"SET {setting} = {int(value)}"))
        except DBAPIError as exc:
            self._engine.dispose()
            raise LocksUnavailable(f"cannot open a lock session on {self.where}: {_reason(exc)}") from None

    def try_lock(self, name: str) -> bool:
        """Take the lock now if nobody else holds it (re-entrant: a session may take it again)."""
        return bool(self._scalar("SELECT pg_try_advisory_lock(%(key)s)", name))

    def unlock(self, name: str) -> bool:
        """Give the lock back once (False when this session did not hold it)."""
        return bool(self._scalar("SELECT pg_advisory_unlock(%(key)s)", name))

    def try_lock_many(self, names: list[str]) -> list[bool]:
        """`try_lock` of each name, in order, in one round trip."""
        return self._each("pg_try_advisory_lock", names)

    def unlock_many(self, names: list[str]) -> list[bool]:
        """`unlock` of each name, in order, in one round trip."""
        return self._each("pg_advisory_unlock", names)

    def _each(self, function: str, names: list[str]) -> list[bool]:
        if not names:
            return []
        columns = ", ".join(f"{function}(%(key{n})s)" for n in range(len(names)))
        keys = {f"key{n}": lock_key(name) for n, name in enumerate(names)}
        return [bool(value) for value in self._row(f"SELECT {columns}", keys)]

    def alive(self) -> bool:
        """True while the session (and so every lock it holds) is still there."""
        try:
            self._scalar("SELECT 1", "")
        except LocksUnavailable:
            return False
        return True

    def close(self) -> None:
        """End the session: every lock it holds is free."""
        with self._guard:
            if self._connection is not None:
                try:
                    self._connection.close()
                except DBAPIError:
                    pass
                self._connection = None
        self._engine.dispose()

    def _scalar(self, statement: str, name: str) -> object:
        return self._row(statement, {"key": lock_key(name)})[0]

    def _row(self, statement: str, parameters: dict[str, int]) -> tuple[Any, ...]:
        """The one row of a statement on the lock session (psycopg's own `%(name)s` parameters:
        no SQLAlchemy compiling nor cache keys, the bulk of a lock's cost on the client)."""
        return self.read(lambda connection: tuple(connection.exec_driver_sql(statement, parameters).one()))

    def read(self, query: Callable[[Connection], T]) -> T:
        """`query` run on the lock session, holding it (autocommit: one round trip a statement, no
        pool check-out nor transaction around it). What a lock holder must read right after
        taking a lock costs least here."""
        with self._guard:
            if self._connection is None:
                raise LocksUnavailable(f"the lock session on {self.where} is closed")
            try:
                return query(self._connection)
            except DBAPIError as exc:
                connection, self._connection = self._connection, None
                try:
                    connection.close()
                except DBAPIError:
                    pass
                raise LocksUnavailable(f"the lock session on {self.where} was lost: {_reason(exc)}") from None


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
