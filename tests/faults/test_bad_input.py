"""Bad configuration and bad databases: one clear message, a non-zero exit, nothing fetched or written."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import run_presswatch
from tests.faults.helpers import database, rows
from tests.faults.server import FaultServer


@pytest.fixture()
def server() -> Iterator[FaultServer]:
    with FaultServer(lambda path: None) as s:  # every path 404: only its request log matters
        yield s


def source(server: FaultServer, extra: str = "", name: str = "wire") -> str:
    return f'[[sources]]\nname = "{name}"\nstart_urls = ["{server.base_url}/news"]\n{extra}\n'


CONFIG_MISTAKES = {
    "unknown crawl key": ("[crawl]\nconcurent_requests = 4\n{s}", "[crawl]: key 'concurent_requests': unknown key"),
    "unknown source key": ("{s}start_url = 'x'\n", "source 'wire': key 'start_url': unknown key"),
    "duplicate names": ("{s}{s}", "source 'wire': key 'name': duplicate source name"),
    "bad url": ("{s}feeds = ['htp//broken']\n", "source 'wire': key 'feeds': 'htp//broken' is not an http(s) URL"),
    "bad regex": (
        "{s}article_pattern = '/news/(\\\\d+'\n", "source 'wire': key 'article_pattern': bad regular expression"
    ),
    "unknown time zone": (
        "{s}timezone = 'Europe/Atlantis'\n", "source 'wire': key 'timezone': unknown time zone 'Europe/Atlantis'"
    ),
    "bad limit": ("{s}max_depth = -1\n", "source 'wire': key 'max_depth': -1 is out of range (from 0 to 1000000)"),
    "bad type": ("{s}max_retry_after = 'soon'\n", "source 'wire': key 'max_retry_after': must be float"),
    "not toml": ("{s}name = \n", "not valid TOML"),
}


@pytest.mark.parametrize("mistake", CONFIG_MISTAKES, ids=list(CONFIG_MISTAKES))
def test_a_config_mistake_is_named_and_nothing_is_fetched_or_written(
    mistake: str, server: FaultServer, tmp_path: Path
) -> None:
    template, message = CONFIG_MISTAKES[mistake]
    config = tmp_path / "sources.toml"
    config.write_text(template.format(s=source(server)), encoding="utf-8")
    db = tmp_path / "archive.db"
    result = run_presswatch("crawl", "--config", str(config), "--db", f"sqlite:///{db}")
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.startswith("presswatch: ") and "Traceback" not in result.stderr
    assert server.hits == []
    assert not db.exists()


def unreadable_files(tmp_path: Path) -> dict[str, Path]:
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00name = \x81\x82")
    directory = tmp_path / "a-directory.toml"
    directory.mkdir()
    return {"missing": tmp_path / "missing.toml", "not utf-8": binary, "a directory": directory}


@pytest.mark.parametrize(
    ("kind", "message"),
    [("missing", "file not found"), ("not utf-8", "cannot read the file"), ("a directory", "is a directory")],
)
def test_an_unreadable_config_file_is_a_clear_error(kind: str, message: str, tmp_path: Path) -> None:
    path = unreadable_files(tmp_path)[kind]
    db = tmp_path / "archive.db"
    result = run_presswatch("crawl", "--config", str(path), "--db", f"sqlite:///{db}")
    assert result.returncode == 2
    assert message in result.stderr and str(path) in result.stderr and "Traceback" not in result.stderr
    assert not db.exists()


def test_an_unreachable_database_is_one_message_without_the_password(server: FaultServer, tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(source(server), encoding="utf-8")
    result = run_presswatch("crawl", "--config", str(config), "--db", "postgresql+psycopg://watcher:pa55-word@127.0.0.1:1/archive")
    assert result.returncode == 3
    assert result.stderr.startswith("presswatch: cannot connect to the archive at") and "Traceback" not in result.stderr
    assert "pa55-word" not in result.stdout + result.stderr
    assert server.hits == []


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_archive_newer_than_the_code_is_refused_untouched(
    kind: str, request: pytest.FixtureRequest, server: FaultServer, tmp_path: Path
) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(source(server), encoding="utf-8")
    with database(request, tmp_path, kind) as db_url:
        assert run_presswatch("db", "upgrade", "--db", db_url).returncode == 0
        rows_before = _set_future_revision(db_url)
        result = run_presswatch("crawl", "--config", str(config), "--db", db_url)
        assert result.returncode == 3
        assert "newer than this presswatch knows" in result.stderr and "Traceback" not in result.stderr
        assert server.hits == []
        assert rows(db_url, "SELECT version_num FROM alembic_version") == [("9999_from_the_future",)]
        assert rows(db_url, "SELECT count(*) FROM crawl_runs") == rows_before


def _set_future_revision(db_url: str) -> list[tuple]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    return rows(db_url, "SELECT count(*) FROM crawl_runs")
