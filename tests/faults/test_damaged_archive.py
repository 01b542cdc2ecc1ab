"""A damaged archive: one line and exit 3 from every command, and reparse skips unreadable pages."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from presswatch.storage import ArticleIn, open_archive
from tests.e2e.helpers import run_presswatch

CONFIG = '[[sources]]\nname = "gov-press"\nstart_urls = ["https://gov.example/en/press"]\n'


def release(n: int) -> ArticleIn:
    body = f"The ministry published release number {n} about the national grid and its new lines. " * 3
    return ArticleIn(
        url=f"https://gov.example/en/press/release-{n}", source_name="gov-press", headline=f"Release {n}",
        labels=(), published_at=None, modified_at=None, source="Ministry", publisher="Gov Press", body=body,
        language="en", authors=(), date_raw=None, date_precision=None, date_method=None, source_evidence=None,
        html=f"<html><body><h1>Release {n}</h1><p>{body}</p></body></html>".encode(),
    )


@pytest.fixture()
def archive_file(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    with open_archive(f"sqlite:///{path}") as archive:
        archive.save_articles([release(n) for n in range(3)])
    return path


def test_a_stored_page_that_cannot_be_read_back_is_counted_failed_and_left_alone(
    archive_file: Path, tmp_path: Path
) -> None:
    with sqlite3.connect(archive_file) as connection:  # the bytes of one stored page, damaged
        connection.execute("UPDATE raw_pages SET html = X'789c0000dead' WHERE article_id = 2")
    config = tmp_path / "sources.toml"
    config.write_text(CONFIG, encoding="utf-8")
    result = run_presswatch("reparse", "--config", str(config), "--db", f"sqlite:///{archive_file}")
    assert result.returncode == 0, result.stderr
    assert "reparsed 3 stored pages with parser" in result.stdout and "0 revised, 2 unchanged, 1 failed" in result.stdout
    assert ("reparse: https://gov.example/en/press/release-1: the stored page cannot be read (error: Error -5 "
            "while decompressing data: incomplete or truncated stream); left as it is") in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_says_in_one_line_that_a_malformed_archive_is_damaged(archive_file: Path, tmp_path: Path) -> None:
    size = archive_file.stat().st_size
    with archive_file.open("r+b") as damaged:  # keep the header, scramble the pages behind it
        for offset in range(4096, size, 4096):
            damaged.seek(offset + 64)
            damaged.write(os.urandom(512))
    config = tmp_path / "sources.toml"
    config.write_text(CONFIG, encoding="utf-8")
    db = ["--db", f"sqlite:///{archive_file}"]
    for command in (["export"], ["sources", "--config", str(config)], ["reparse", "--config", str(config)]):
        result = run_presswatch(*command, *db)
        assert result.returncode == 3, (command, result.stderr)
        assert result.stderr.startswith("presswatch: "), (command, result.stderr)
        assert "Traceback" not in result.stderr and "damaged" in result.stderr, (command, result.stderr)
