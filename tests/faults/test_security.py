"""`presswatch query` writes and attaches no file; passwords never reach the output or the log.

(That the crawler stays on its hosts and on HTTP(S) is checked on the fault crawl itself,
`test_fault_crawl.py::test_no_link_leaves_the_allowed_hosts_or_http`.)
"""
from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.e2e.helpers import run_presswatch
from tests.faults import bigsite
from tests.faults.helpers import database, rows
from tests.faults.server import FaultServer

SQLITE_ESCAPES = [
    "ATTACH DATABASE '{dir}/attached.db' AS other",
    "ATTACH DATABASE 'file:{dir}/attached.db?mode=rwc' AS other",
    "VACUUM INTO '{dir}/copy.db'",
    "SELECT load_extension('{dir}/evil')",
    "PRAGMA journal_mode = DELETE",
    "SELECT 1; ATTACH DATABASE '{dir}/attached.db' AS other",
]
POSTGRES_ESCAPES = [
    "COPY articles TO '{dir}/copy.csv'",
    "COPY (SELECT 1) TO PROGRAM 'touch {dir}/program-ran'",
    "SELECT 1; COPY articles TO '{dir}/copy.csv'",
    "CREATE TEMP TABLE scratch AS SELECT * FROM articles",
]


@pytest.fixture()
def shared_dir() -> Iterator[Path]:
    """A directory the PostgreSQL server process could write to, if it were allowed."""
    path = Path(tempfile.gettempdir()) / f"presswatch-escape-{uuid.uuid4().hex[:8]}"
    path.mkdir(mode=0o777)
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_query_cannot_write_or_attach_files(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, shared_dir: Path
) -> None:
    statements = SQLITE_ESCAPES if kind == "sqlite" else POSTGRES_ESCAPES
    with database(request, tmp_path, kind) as db_url:
        assert run_presswatch("db", "upgrade", "--db", db_url).returncode == 0
        for sql in statements:
            result = run_presswatch("query", sql.format(dir=shared_dir), "--db", db_url)
            assert result.returncode == 4, (sql, result.stderr)
            assert "read-only" in result.stderr
        assert list(shared_dir.iterdir()) == []
        if kind == "sqlite":
            assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("archive")) in (
                ["archive.db"], ["archive.db", "archive.db-shm", "archive.db-wal"],
            )


@pytest.fixture()
def wire() -> Iterator[FaultServer]:
    server = bigsite.big_site(article_delay=0)
    yield server
    server.stop()


def test_a_database_password_never_appears_in_output_or_logs(
    wire: FaultServer, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config = bigsite.write_config(tmp_path / "sources.toml", wire)
    secret = f"s3cret-{uuid.uuid4().hex[:10]}"
    with database(request, tmp_path, "postgresql") as db_url:
        # the test server trusts loopback connections, so any password is accepted and ignored
        with_password = make_url(db_url).set(password=secret).render_as_string(hide_password=False)
        crawl = run_presswatch("crawl", "--config", str(config), "--db", with_password, "-vv")
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        assert rows(db_url, "SELECT count(*) FROM articles") == [(bigsite.ARTICLES,)]
        failing = run_presswatch("query", "SELECT no_such_column FROM articles", "--db", with_password)
        assert failing.returncode != 0
        sources = run_presswatch("sources", "--config", str(config), "--db", with_password)
        for result in (crawl, failing, sources):
            assert secret not in result.stdout + result.stderr
