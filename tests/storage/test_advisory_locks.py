"""Cluster-wide named locks: one holder at a time, freed when the holding process dies."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from presswatch.storage.locks import AdvisoryLocks, LocksUnavailable, lock_key


def test_a_lock_has_one_holder_and_is_free_once_given_back(pg_url: str) -> None:
    first, second = AdvisoryLocks(pg_url, purpose="test"), AdvisoryLocks(pg_url, purpose="test")
    try:
        assert first.try_lock("source:gov-press") is True
        assert second.try_lock("source:gov-press") is False
        assert second.try_lock("source:caspian-post") is True  # another name, another lock
        assert first.unlock("source:gov-press") is True
        assert second.try_lock("source:gov-press") is True
        assert first.unlock("source:gov-press") is False  # not its lock any more
    finally:
        first.close()
        second.close()


def test_one_session_may_take_a_lock_again_and_holds_it_until_given_back_as_often(pg_url: str) -> None:
    holder, other = AdvisoryLocks(pg_url, purpose="test"), AdvisoryLocks(pg_url, purpose="test")
    try:
        assert holder.try_lock("site:example.org") and holder.try_lock("site:example.org")
        assert holder.unlock("site:example.org")
        assert other.try_lock("site:example.org") is False
        assert holder.unlock("site:example.org")
        assert other.try_lock("site:example.org") is True
    finally:
        holder.close()
        other.close()


def test_several_locks_are_taken_and_given_back_in_one_statement_each_as_one_by_one(pg_url: str) -> None:
    first, second = AdvisoryLocks(pg_url, purpose="test"), AdvisoryLocks(pg_url, purpose="test")
    try:
        assert first.try_lock("site:example.org") is True
        assert second.try_lock_many(["source:wire", "site:example.org"]) == [True, False]
        assert first.try_lock_many(["source:wire", "site:example.org"]) == [False, True]  # its own again
        assert first.unlock_many(["site:example.org", "source:wire"]) == [True, False]
        assert second.try_lock("site:example.org") is False  # first still holds it once
        assert first.unlock_many(["site:example.org"]) == [True]
        assert second.unlock_many(["source:wire", "site:example.org"]) == [True, False]
        assert second.try_lock_many([]) == [] and second.unlock_many([]) == []
    finally:
        first.close()
        second.close()


def test_the_locks_of_a_killed_process_are_free(pg_url: str) -> None:
    code = (
        "import sys; from storage.locks import AdvisoryLocks\n"
        "locks = AdvisoryLocks(sys.argv[1], purpose='test')\n"
        "assert locks.try_lock('presswatch:scheduler')\n"
        "print('held', flush=True); sys.stdin.read()\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, pg_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=os.getcwd())
    locks = AdvisoryLocks(pg_url, purpose="test")
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert locks.try_lock("presswatch:scheduler") is False
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        deadline = time.monotonic() + 60  # a failure guard only: PostgreSQL ends the session at once
        while not locks.try_lock("presswatch:scheduler"):
            assert time.monotonic() < deadline, "the killed process's lock was never freed"
            time.sleep(0.05)
    finally:
        holder.kill()
        locks.close()


def test_a_lost_session_says_so_and_is_not_alive(pg_url: str) -> None:
    locks = AdvisoryLocks(pg_url, purpose="test")
    assert locks.alive()
    locks.close()
    assert not locks.alive()
    with pytest.raises(LocksUnavailable, match="the lock session on .* is closed"):
        locks.try_lock("x")


def test_a_holder_reads_on_its_lock_session_without_a_transaction(pg_url: str) -> None:
    locks = AdvisoryLocks(pg_url, purpose="test")
    try:
        assert locks.try_lock("source:gov-press")
        held, in_transaction = locks.read(lambda connection: (
            connection.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                   "AND pid = pg_backend_pid()")),
            connection.scalar(text("SELECT now() <> statement_timestamp()")),
        ))
        assert (held, in_transaction) == (1, False)  # its own session; each statement on its own
    finally:
        locks.close()


def test_a_read_on_a_session_the_server_ended_says_the_session_was_lost(pg_url: str) -> None:
    locks, admin = AdvisoryLocks(pg_url, purpose="test"), AdvisoryLocks(pg_url, purpose="admin")
    try:
        pid = locks.read(lambda connection: connection.scalar(text("SELECT pg_backend_pid()")))
        assert admin.read(lambda connection: connection.scalar(text(f"SELECT pg_terminate_backend({pid})")))
        with pytest.raises(LocksUnavailable, match="the lock session on .* was lost"):
            locks.read(lambda connection: connection.scalar(text("SELECT 1")))
        assert not locks.alive()
    finally:
        locks.close()
        admin.close()


def test_a_sqlite_archive_cannot_hold_cluster_locks(tmp_path: object) -> None:
    with pytest.raises(LocksUnavailable) as caught:
        AdvisoryLocks("sqlite:////srv/presswatch.db", purpose="presswatch worker")
    assert str(caught.value) == (
        "presswatch worker needs a PostgreSQL archive that every host reaches (--db postgresql+psycopg://...); "
        "sqlite:////srv/presswatch.db is a SQLite file on one machine"
    )


def test_lock_keys_are_stable_signed_64_bit_numbers() -> None:
    assert lock_key("presswatch:scheduler") == lock_key("presswatch:scheduler")
    assert lock_key("source:a") != lock_key("source:b")
    assert -(2**63) <= lock_key("source:a") < 2**63
