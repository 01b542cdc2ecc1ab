"""End-to-end fixtures: the demo sites served on loopback, crawled archives on both databases."""
from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from presswatch.crawler.site_server import SiteServer
from tests.e2e.helpers import DEMO, run_presswatch


def served_copy(root: Path) -> SiteServer:
    """A private copy of the demo sites (so a test may edit pages), served on a free port."""
    shutil.copytree(DEMO / "sites", root)
    return SiteServer(root).start()


def write_config(path: Path, server: SiteServer) -> Path:
    text = (DEMO / "sources.toml").read_text(encoding="utf-8").replace("__BASE__", server.base_url)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def demo_site(tmp_path: Path) -> Iterator[tuple[SiteServer, Path]]:
    server = served_copy(tmp_path / "sites")
    yield server, tmp_path / "sites"
    server.stop()


@pytest.fixture()
def demo_config(tmp_path: Path, demo_site: tuple[SiteServer, Path]) -> Path:
    return write_config(tmp_path / "sources.toml", demo_site[0])


@pytest.fixture(scope="session")
def truth() -> list[dict]:
    lines = (DEMO / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@dataclass(frozen=True)
class CrawledDemo:
    """The demo sites crawled once into an archive, shared by read-only tests."""

    server: SiteServer
    config: Path
    db_url: str
    stdout: str


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def crawled_demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawledDemo]:
    """Read-only tests only: the archive and the server are shared by the whole session."""
    root = tmp_path_factory.mktemp("crawled")
    with module_database(request, root) as db_url:
        server = served_copy(root / "sites")
        try:
            config = write_config(root / "sources.toml", server)
            result = run_presswatch("crawl", "--config", str(config), "--db", db_url)
            assert result.returncode == 0, result.stderr
            yield CrawledDemo(server, config, db_url, result.stdout)
        finally:
            server.stop()


@contextmanager
def module_database(request: pytest.FixtureRequest, root: Path) -> Iterator[str]:
    """A temp SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{root / 'archive.db'}"
        return
    server_url = request.getfixturevalue("pg_server_url")
    name = f"presswatch_e2e_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
