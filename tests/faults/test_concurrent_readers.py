"""Readers of the SQLite archive (WAL) get consistent answers while a crawl writes to it."""
from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import PRESSWATCH, REPO
from tests.faults import bigsite
from tests.faults.helpers import popen_presswatch, query_json, rows, sqlite_integrity
from tests.faults.server import FaultServer

COUNTS = "SELECT count(*) AS n, count(DISTINCT url) AS urls, count(DISTINCT id) AS ids FROM articles"


@pytest.fixture()
def wire() -> Iterator[FaultServer]:
    server = bigsite.big_site(article_delay=0.08)
    yield server
    server.stop()


def search_hits(db_url: str) -> int:
    """Articles `presswatch search` finds for a word every release of the site contains."""
    found = subprocess.run([*PRESSWATCH, "search", "wire", "--db", db_url, "--limit", "1000", "--format", "json"],
                           capture_output=True, text=True, cwd=REPO, timeout=60)
    assert found.returncode == 0, found.stderr
    return len(json.loads(found.stdout))


def count(db_url: str) -> int:
    result = query_json(db_url, COUNTS)
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert row["n"] == row["urls"] == row["ids"]  # no half-written or doubled rows
    return row["n"]


def test_query_and_search_stay_consistent_while_a_crawl_writes(
    wire: FaultServer, sqlite_url: str, tmp_path: Path
) -> None:
    config = bigsite.write_config(tmp_path / "sources.toml", wire)
    assert subprocess.run([*PRESSWATCH, "db", "upgrade", "--db", sqlite_url], cwd=REPO).returncode == 0
    crawl = popen_presswatch("crawl", "--config", str(config), "--db", sqlite_url)
    seen: list[int] = []
    try:
        while crawl.poll() is None:
            before = count(sqlite_url)
            hits = search_hits(sqlite_url)
            after = count(sqlite_url)
            assert before <= hits <= after  # search sees the archive as it was at one moment
            seen += [before, after]
    finally:
        out, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, err
    assert seen == sorted(seen)  # never goes backwards
    assert len([n for n in seen if 0 < n < bigsite.ARTICLES]) >= 2, seen  # really read mid-crawl
    assert rows(sqlite_url, "SELECT count(*) FROM articles") == [(bigsite.ARTICLES,)]
    assert sqlite_integrity(sqlite_url) == "ok"
