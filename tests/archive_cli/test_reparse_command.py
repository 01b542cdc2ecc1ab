"""`presswatch reparse`: stored pages read again with the current parser; revisions only on change."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from presswatch.crawler.config import load_config
from presswatch.crawler.parsing import parse_article
from presswatch.crawler.parsing.version import PARSER_VERSION
from presswatch.storage import open_archive
from tests.archive_cli.conftest import T1, article
from tests.e2e.helpers import DEMO, run_presswatch

PAGE = DEMO / (
    "sites/caspian-post/en/news/politics/president-aliyev-azerbaijan-kazakhstan-reaching-"
    "qualitatively-new-level-of-interaction-alliance-2548871.html"
)
PAGE_URL = (
    "https://caspian-post.example/en/news/politics/president-aliyev-azerbaijan-kazakhstan-"
    "reaching-qualitatively-new-level-of-interaction-alliance-2548871"
)
STALE_BODY = "What an older parser made of the page: the navigation menu and nothing else."


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "sources.toml"
    toml = (DEMO / "sources.toml").read_text(encoding="utf-8")
    path.write_text(toml.replace("__BASE__", "https://caspian-post.example"), encoding="utf-8")
    return path


def _store_stale_page(url: str, **changes: object) -> int:
    """The demo page as an older parser archived it: same HTML, another body."""
    fields: dict[str, object] = {
        "source_name": "caspian-post", "fetched_url": PAGE_URL, "html": PAGE.read_bytes(),
        "parser_version": "0", "publisher": "Caspian Post",
    }
    fields.update(changes)
    stale = article("x", "President Aliyev: Azerbaijan, Kazakhstan", STALE_BODY, **fields)
    with open_archive(url) as archive:
        return archive.save_article(replace(stale, url=PAGE_URL), seen_at=T1).article_id


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def test_reparse_revises_an_article_whose_extraction_changed(archive_url: str, config: Path) -> None:
    article_id = _store_stale_page(archive_url)
    result = run_presswatch("reparse", "--config", str(config), "--db", archive_url)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"reparsed 1 stored page with parser {PARSER_VERSION}: 1 revised, 0 unchanged, "
        "0 failed, 0 skipped (source not configured)\n"
    )
    source = load_config(config).select(["caspian-post"])[0]
    expected = parse_article(PAGE.read_bytes(), PAGE_URL, source.profile())
    assert expected.body and expected.headline
    assert _rows(archive_url, "SELECT id, url, headline, body, last_seen_at FROM articles") == [
        (article_id, PAGE_URL, expected.headline, expected.body, _stored(archive_url, T1))
    ]
    assert _rows(archive_url, "SELECT article_id, revision, body FROM article_revisions") == [
        (article_id, 1, STALE_BODY)
    ]
    assert _rows(archive_url, "SELECT parser_version FROM raw_pages") == [(PARSER_VERSION,)]

    again = run_presswatch("reparse", "--config", str(config), "--db", archive_url)
    assert again.stdout == (
        f"reparsed 1 stored page with parser {PARSER_VERSION}: 0 revised, 1 unchanged, "
        "0 failed, 0 skipped (source not configured)\n"
    )
    assert _rows(archive_url, "SELECT count(*) FROM article_revisions") == [(1,)]


def _stored(url: str, when: datetime) -> object:
    """``when`` as the database driver returns it for a raw SQL read."""
    if url.startswith("sqlite"):
        return when.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return when


def test_reparse_filters_by_source_and_fetch_time(archive_url: str, config: Path) -> None:
    _store_stale_page(archive_url)
    by_source = run_presswatch("reparse", "--config", str(config), "--db", archive_url,
                               "--source", "gov-press")
    assert by_source.stdout.startswith("reparsed 0 stored pages with parser")
    later = run_presswatch("reparse", "--config", str(config), "--db", archive_url,
                           "--since", "2026-03-03")
    assert later.stdout.startswith("reparsed 0 stored pages with parser")
    same_day = run_presswatch("reparse", "--config", str(config), "--db", archive_url,
                              "--source", "caspian-post", "--since", "2026-03-02")
    assert ": 1 revised, 0 unchanged" in same_day.stdout


def test_pages_of_sources_missing_from_the_config_are_skipped(
    archive_url: str, config: Path
) -> None:
    _store_stale_page(archive_url, source_name="retired-site")
    result = run_presswatch("reparse", "--config", str(config), "--db", archive_url)
    assert result.stdout.endswith("0 revised, 0 unchanged, 0 failed, 1 skipped (source not configured)\n")
    assert _rows(archive_url, "SELECT body FROM articles") == [(STALE_BODY,)]


def test_reparse_of_an_unknown_source_is_a_config_error(archive_url: str, config: Path) -> None:
    result = run_presswatch("reparse", "--config", str(config), "--db", archive_url,
                            "--source", "nope")
    assert result.returncode == 2
    assert "no source named 'nope'" in result.stderr


def test_reparse_without_a_config_file_is_a_config_error(archive_url: str, tmp_path: Path) -> None:
    result = run_presswatch("reparse", "--config", str(tmp_path / "missing.toml"),
                            "--db", archive_url)
    assert result.returncode == 2
    assert "missing.toml" in result.stderr
