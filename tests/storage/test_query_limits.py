"""`presswatch query`'s limits and failures (issue #18): timeouts, streaming, exit codes.

Exit codes: 0 rows printed, 3 unusable database, 4 refused, 6 the statement is wrong,
7 the statement ran past --timeout and was cancelled. Every failure is one line on stderr.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from presswatch.storage import ArchiveError, ReadOnlyQueryError, open_archive, run_readonly_query
from presswatch.storage.errors import QueryError, QueryTimeoutError
from tests.e2e.helpers import PRESSWATCH, REPO, run_measured, run_presswatch
from tests.storage.conftest import BASE_ARTICLE, T0
from tests.storage.reader_roles import reader_role

TIMED_OUT_1S = (
    "presswatch: query cancelled: it ran longer than its 1 s timeout "
    "(give it more with --timeout SECONDS)\n"
)
#: Counts for ever, in SQLite's virtual machine: only the deadline stops it.
SQLITE_ENDLESS = (
    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000000000) "
    "SELECT count(*) FROM c"
)


@pytest.fixture
def sqlite_archive(sqlite_url: str) -> str:
    with open_archive(sqlite_url) as archive:
        archive.save_article(BASE_ARTICLE, seen_at=T0)
    return sqlite_url


@pytest.fixture
def pg_archive(pg_url: str) -> str:
    """The superuser's URL of a PostgreSQL archive holding one article."""
    with open_archive(pg_url) as archive:
        archive.save_article(BASE_ARTICLE, seen_at=T0)
    return pg_url


@pytest.fixture
def pg_reader(pg_archive: str) -> Iterator[str]:
    with reader_role(pg_archive) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def reader_url(request: pytest.FixtureRequest) -> str:
    """A URL `presswatch query` accepts, once per database."""
    return str(request.getfixturevalue("sqlite_archive" if request.param == "sqlite" else "pg_reader"))


def _pg_admin(url: str) -> psycopg.Connection:
    parsed = make_url(url)
    return psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                           dbname=parsed.database, autocommit=True)


def _statements_marked(admin: psycopg.Connection, marker: str) -> list[tuple[int, str]]:
    return admin.execute(
        "SELECT pid, state FROM pg_stat_activity WHERE query LIKE %s AND pid <> pg_backend_pid()",
        (f"%{marker}%",),
    ).fetchall()


def _wait_until(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return bool(condition())  # type: ignore[operator]


# --- timeouts -----------------------------------------------------------------------------


def test_a_long_postgresql_statement_is_cancelled_at_its_timeout_on_the_server(
    pg_archive: str, pg_reader: str
) -> None:
    marker = f"presswatch-sleep-{uuid.uuid4().hex[:8]}"
    result = run_presswatch("query", f"SELECT pg_sleep(60) /* {marker} */", "--db", pg_reader,
                            "--timeout", "1")
    assert (result.returncode, result.stdout, result.stderr) == (7, "", TIMED_OUT_1S)  # the server cancelled it
    with _pg_admin(pg_archive) as admin:
        assert _wait_until(lambda: _statements_marked(admin, marker) == [], 5)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT set_config('statement_timeout', '0', true), pg_sleep(30)",
        "SELECT set_config('statement_timeout', '0', false), pg_sleep(30)",
        ("SELECT CASE WHEN g = 1 THEN set_config('statement_timeout', '0', true) "
         "ELSE pg_sleep(10)::text END FROM generate_series(1, 3) AS g"),
    ],
    ids=["local", "session", "in-an-earlier-row"],
)
def test_a_statement_cannot_lift_its_own_timeout(pg_reader: str, sql: str) -> None:
    result = run_presswatch("query", sql, "--db", pg_reader, "--timeout", "1", "--format", "csv")
    assert (result.returncode, result.stderr) == (7, TIMED_OUT_1S)  # a lifted timeout would end in 0


def test_a_killed_client_leaves_no_statement_running_on_the_server(
    pg_archive: str, pg_reader: str
) -> None:
    marker = f"presswatch-orphan-{uuid.uuid4().hex[:8]}"
    client = subprocess.Popen(
        [*PRESSWATCH, "query", f"SELECT pg_sleep(300) /* {marker} */", "--db", pg_reader,
         "--timeout", "600"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
    )
    with _pg_admin(pg_archive) as admin:
        try:
            assert _wait_until(
                lambda: [state for _, state in _statements_marked(admin, marker)] == ["active"], 20
            )
        finally:
            client.send_signal(signal.SIGKILL)
            client.wait()
        # gone within seconds (client_connection_check_interval), not at its 600 s timeout
        assert _wait_until(lambda: _statements_marked(admin, marker) == [], 10)


def test_a_statement_cancelled_by_the_server_admin_is_not_reported_as_a_timeout(
    pg_archive: str, pg_reader: str
) -> None:
    marker = f"presswatch-cancelled-{uuid.uuid4().hex[:8]}"
    client = subprocess.Popen(
        [*PRESSWATCH, "query", f"SELECT pg_sleep(60) /* {marker} */", "--db", pg_reader,
         "--timeout", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )
    with _pg_admin(pg_archive) as admin:
        try:
            assert _wait_until(lambda: len(_statements_marked(admin, marker)) == 1, 20)
            ((pid, _),) = _statements_marked(admin, marker)
            admin.execute("SELECT pg_cancel_backend(%s)", (pid,))
            stdout, stderr = client.communicate(timeout=30)
        finally:
            client.kill()
            client.wait()
    assert (client.returncode, stdout) == (3, "")
    assert stderr == (
        "presswatch: the archive's server failed during the query: "
        "canceling statement due to user request\n"
    )


def test_a_long_sqlite_statement_is_cancelled_at_its_timeout(sqlite_archive: str) -> None:
    result = run_presswatch("query", SQLITE_ENDLESS, "--db", sqlite_archive, "--timeout", "1")
    assert (result.returncode, result.stdout, result.stderr) == (7, "", TIMED_OUT_1S)  # it never ends otherwise


def test_the_library_raises_a_timeout_error_on_both_databases(reader_url: str) -> None:
    sql = SQLITE_ENDLESS if reader_url.startswith("sqlite") else "SELECT pg_sleep(30)"
    with pytest.raises(QueryTimeoutError) as raised:
        run_readonly_query(reader_url, sql, timeout=0.5)
    assert str(raised.value) == (
        "query cancelled: it ran longer than its 0.5 s timeout (give it more with --timeout SECONDS)"
    )


def test_a_timeout_must_be_positive(sqlite_archive: str) -> None:
    result = run_presswatch("query", "SELECT 1", "--db", sqlite_archive, "--timeout", "0")
    assert result.returncode == 2
    assert "Invalid value for '--timeout'" in result.stderr


# --- streaming ----------------------------------------------------------------------------


def _rows(url: str, count: int, *, hashed: bool = True) -> str:
    """A statement answering ``count`` rows (n, and a 32-character h when ``hashed``)."""
    if url.startswith("sqlite"):
        h = ", hex(randomblob(16)) AS h" if hashed else ""
        return (f"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {count}) "
                f"SELECT n{h} FROM c")
    h = ", md5(g::text) AS h" if hashed else ""
    return f"SELECT g AS n{h} FROM generate_series(1, {count}) AS g"


def test_a_large_answer_streams_with_bounded_memory(reader_url: str, tmp_path: Path) -> None:
    """2,000,000 rows as CSV: the command's peak RSS stays far below holding them all."""
    out = tmp_path / "rows.csv"
    with out.open("wb") as handle:
        result = run_measured("query", _rows(reader_url, 2_000_000), "--db", reader_url,
                              "--format", "csv", "--timeout", "600", stdout=handle, timeout=None)
    assert (result.returncode, result.stderr) == (0, "")
    assert 0 < result.peak_rss_mb < 300, f"peak RSS {result.peak_rss_mb:.0f} MB"
    with out.open() as rows:
        assert next(rows) == "n,h\n"
        count = 1 + sum(1 for _ in rows)
    assert count == 2_000_001


def test_a_table_is_cut_at_10000_rows_with_a_note(reader_url: str) -> None:
    result = run_presswatch("query", _rows(reader_url, 10_001, hashed=False), "--db", reader_url)
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[:3] == ["n", "-----", "1"]
    assert lines[-3:] == [
        "10000",
        "(10000 rows)",
        "(cut at 10000 rows: the query returned more; --format csv, json or jsonl prints every row)",
    ]


def test_a_closed_output_stops_the_query_quietly(reader_url: str) -> None:
    shell = (f"{' '.join(PRESSWATCH)} query \"{_rows(reader_url, 2_000_000)}\" "
             f"--db '{reader_url}' --format csv | head -n 2; exit ${{PIPESTATUS[0]}}")
    result = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120,
                            cwd=REPO, check=False)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == "n,h"


# --- what the statement may call -----------------------------------------------------------


@pytest.mark.parametrize(
    "sql", ["SELECT fts3_tokenizer('simple')", "SELECT fts3_tokenizer('evil', x'0000000000000000')"],
    ids=["leak-an-address", "register-a-tokenizer"],
)
def test_sqlite_denies_fts3_tokenizer(sqlite_archive: str, sql: str) -> None:
    with pytest.raises(ReadOnlyQueryError, match=r"^presswatch query is read-only: function fts3_tokenizer\(\) refused$"):
        run_readonly_query(sqlite_archive, sql)
    result = run_presswatch("query", sql, "--db", sqlite_archive)
    assert (result.returncode, result.stdout) == (4, "")
    assert result.stderr == "presswatch: presswatch query is read-only: function fts3_tokenizer() refused\n"


# --- errors in the statement ---------------------------------------------------------------


SYNTAX_ERRORS = {
    "sqlite": 'presswatch: query failed: near "SELEC": syntax error\n',
    "postgresql": 'presswatch: query failed: syntax error at or near "SELEC"\n',
}
UNKNOWN_COLUMNS = {
    "sqlite": "presswatch: query failed: no such column: no_such_column\n",
    "postgresql": 'presswatch: query failed: column "no_such_column" does not exist\n',
}


def _kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def test_a_syntax_error_has_its_own_exit_code(reader_url: str) -> None:
    result = run_presswatch("query", "SELEC 1", "--db", reader_url)
    assert (result.returncode, result.stdout, result.stderr) == (6, "", SYNTAX_ERRORS[_kind(reader_url)])


def test_an_unknown_column_has_the_same_exit_code(reader_url: str) -> None:
    result = run_presswatch("query", "SELECT no_such_column FROM articles", "--db", reader_url)
    assert (result.returncode, result.stdout, result.stderr) == (6, "", UNKNOWN_COLUMNS[_kind(reader_url)])


def test_an_error_in_a_later_row_stops_the_output_with_exit_6(reader_url: str) -> None:
    if _kind(reader_url) == "sqlite":
        sql = ("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5000) "
               "SELECT CASE WHEN n < 4000 THEN n ELSE json_extract('not json', '$') END AS v FROM c")
        message = "presswatch: query failed: malformed JSON\n"
    else:
        sql = "SELECT 1 / (g - 4000) AS v FROM generate_series(1, 5000) AS g"
        message = "presswatch: query failed: division by zero\n"
    result = run_presswatch("query", sql, "--db", reader_url, "--format", "csv")
    assert (result.returncode, result.stderr) == (6, message)


def test_the_library_raises_query_error_for_a_wrong_statement(reader_url: str) -> None:
    with pytest.raises(QueryError, match=r"^query failed: "):
        run_readonly_query(reader_url, "SELEC 1")


def test_an_unreachable_server_is_exit_3_not_a_query_error() -> None:
    result = run_presswatch("query", "SELECT 1", "--db", "postgresql+psycopg://reader@127.0.0.1:1/x")
    assert result.returncode == 3
    assert result.stderr.startswith("presswatch: cannot connect to the archive at postgresql+psycopg://reader@127.0.0.1:1/x: ")
    assert result.stderr.count("\n") == 1


def test_a_missing_sqlite_archive_is_exit_3_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    result = run_presswatch("query", "SELECT 1", "--db", f"sqlite:///{path}")
    assert (result.returncode, result.stderr) == (3, f"presswatch: no archive at {path}; run presswatch crawl first\n")
    assert list(tmp_path.iterdir()) == []


# --- a read-only archive ------------------------------------------------------------------


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs, mounted read-only once the test has put its files in it."""
    if os.geteuid() != 0:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true: this test needs root to mount a read-only tmpfs")
        pytest.skip("mounting a read-only tmpfs needs root (root ignores chmod 0555, so only a "
                    "read-only mount makes a read-only archive)")
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_an_archive_on_a_read_only_mount_can_be_queried(
    sqlite_archive: str, read_only_mount: Path
) -> None:
    source = Path(make_url(sqlite_archive).database or "")
    with open_archive(sqlite_archive) as archive, archive.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL into the file
    copy = read_only_mount / "archive.db"
    copy.write_bytes(source.read_bytes())
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_mount)], check=True)
    url = f"sqlite:///{copy}"
    result = run_presswatch("query", "SELECT url, headline FROM articles", "--db", url,
                            "--format", "csv")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "url,headline\n"
        "https://news.example.az/en/economy/support-programme,"
        "Ministry announces support for small businesses\n"
    )
    assert sorted(p.name for p in read_only_mount.iterdir()) == ["archive.db"]
    refused = run_presswatch("query", "DELETE FROM articles", "--db", url)
    assert refused.returncode == 4


def test_an_unreadable_file_is_still_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "not-sqlite.db"
    path.write_text("this is not SQLite\n" * 200)
    with pytest.raises(ArchiveError, match=f"^cannot open the archive at {path}: file is not a database$"):
        run_readonly_query(f"sqlite:///{path}", "SELECT 1")
    result = run_presswatch("query", "SELECT 1", "--db", f"sqlite:///{path}")
    assert (result.returncode, result.stderr) == (
        3, f"presswatch: cannot open the archive at {path}: file is not a database\n")
