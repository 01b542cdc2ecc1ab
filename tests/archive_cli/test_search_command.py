"""`presswatch search` as users run it: ranked results, snippets, filters, formats, errors."""
from __future__ import annotations

import json
from pathlib import Path

from tests.archive_cli.conftest import SmallArchive
from tests.e2e.helpers import run_presswatch


def _search(archive: SmallArchive, *args: str) -> list[dict[str, object]]:
    result = run_presswatch("search", "--db", archive.url, "--format", "jsonl", *args)
    assert (result.returncode, result.stderr) == (0, "")
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_search_ranks_headline_matches_first_and_shows_snippets(small_archive: SmallArchive) -> None:
    hits = _search(small_archive, "hydrogen")
    assert [(h["rank"], h["url"], h["source_name"]) for h in hits] == [
        (1, "https://gov.example/en/press/hydrogen", "gov-press"),
        (2, "https://gov.example/en/press/energy-week", "gov-press"),
    ]
    assert [h["published_at"] for h in hits] == [
        "2026-03-01T10:00:00+00:00", "2026-03-05T10:00:00+00:00"
    ]
    assert hits[0]["headline"] == "Government adopts hydrogen strategy"
    assert str(hits[1]["snippet"]).startswith("Delegates discussed [hydrogen] exports and wind")
    assert float(hits[0]["score"]) > float(hits[1]["score"]) > 0  # type: ignore[arg-type]


def test_search_filters_by_source_dates_and_limit(small_archive: SmallArchive) -> None:
    def urls(*args: str) -> list[str]:
        return [str(h["url"]).rsplit("/", 1)[1] for h in _search(small_archive, *args)]

    assert urls("percent OR hydrogen", "--source", "agri-news") == ["harvest"]
    assert urls("hydrogen", "--since", "2026-03-02") == ["energy-week"]
    assert urls("hydrogen", "--until", "2026-03-01") == ["hydrogen"]  # the whole day
    assert urls("hydrogen", "--until", "2026-03-01T09:00:00Z") == []
    assert urls("hydrogen", "--since", "2026-03-01T11:00:00+01:00") == ["hydrogen", "energy-week"]
    assert urls("hydrogen", "--since", "2026-03-01T12:00:00+01:00") == ["energy-week"]
    assert urls("hydrogen", "--limit", "1") == ["hydrogen"]


def test_search_prints_a_table_by_default(small_archive: SmallArchive) -> None:
    result = run_presswatch("search", "harvest", "--db", small_archive.url)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "rank", "score", "published_at", "source_name", "headline", "url", "snippet"
    ]
    assert lines[2].startswith("1 ") and "Grain harvest grows" in lines[2]
    assert lines[-1] == "(1 row)"


def test_search_without_matches_prints_no_rows(small_archive: SmallArchive) -> None:
    assert _search(small_archive, "nonexistentword") == []
    assert _search(small_archive, "--", "-hydrogen") == []  # only exclusions: nothing to find


def test_search_rejects_a_bad_date_with_a_usage_error(small_archive: SmallArchive) -> None:
    result = run_presswatch("search", "x", "--db", small_archive.url, "--since", "March 2")
    assert result.returncode == 2
    assert "'March 2' is not a date (YYYY-MM-DD) or ISO 8601 time" in result.stderr


def test_search_on_an_unreachable_database_exits_3() -> None:
    result = run_presswatch("search", "x", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 3
    assert result.stderr.startswith("presswatch: cannot connect to the archive at")


def test_archive_commands_are_presswatch_commands() -> None:
    from presswatch.scheduler import cli

    assert {"search", "export", "reparse"} <= set(cli.main.commands)


def test_search_and_export_of_an_unknown_source_are_errors(small_archive: SmallArchive, tmp_path: Path) -> None:
    expected = "presswatch: no source named 'nope' in the archive (its sources: agri-news, gov-press)\n"
    searched = run_presswatch("search", "hydrogen", "--db", small_archive.url, "--source", "nope")
    out = tmp_path / "out.jsonl"
    exported = run_presswatch("export", "--db", small_archive.url, "--source", "nope", "-o", str(out))
    assert [(r.returncode, r.stderr, r.stdout) for r in (searched, exported)] == [(2, expected, "")] * 2
    assert not out.exists()
    known = run_presswatch("export", "--db", small_archive.url, "--source", "agri-news")
    assert (known.returncode, len(known.stdout.splitlines())) == (0, 1)
