"""`presswatch export` and `search` on a SQLite archive that is not there: refused, not created."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import run_presswatch


@pytest.mark.parametrize(
    "command",
    [["export"], ["export", "--format", "csv"], ["search", "hydrogen"], ["query", "SELECT 1"]],
    ids=["export", "export-csv", "search", "query"],
)
def test_a_reading_command_refuses_a_missing_archive_and_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "archive.db"
    result = run_presswatch(*command, "--db", f"sqlite:///{path}")
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == f"presswatch: no archive at {path}; run presswatch crawl first\n"
    assert list(tmp_path.iterdir()) == []


def test_export_to_a_file_from_a_missing_archive_writes_no_file(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    out = tmp_path / "out.jsonl"
    result = run_presswatch("export", "--db", f"sqlite:///{path}", "-o", str(out))
    assert result.returncode == 3
    assert result.stderr == f"presswatch: no archive at {path}; run presswatch crawl first\n"
    assert list(tmp_path.iterdir()) == []


def test_a_missing_directory_is_refused_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "archive.db"
    result = run_presswatch("search", "hydrogen", "--db", f"sqlite:///{path}")
    assert (result.returncode, result.stderr) == (
        3, f"presswatch: no archive at {path}; run presswatch crawl first\n")
    assert list(tmp_path.iterdir()) == []


def test_crawl_into_a_missing_folder_is_refused_before_anything_runs(tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text('[[sources]]\nname = "wire"\nstart_urls = ["http://127.0.0.1:9/news/"]\n', encoding="utf-8")
    path = tmp_path / "nonexistent" / "dir" / "a.db"
    result = run_presswatch("crawl", "--config", str(config), "--db", f"sqlite:///{path}")
    assert result.returncode == 3
    assert f"its folder {path.parent} does not exist; create it (mkdir -p {path.parent})" in result.stderr
    assert list(tmp_path.iterdir()) == [config]
