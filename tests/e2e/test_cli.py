"""The `presswatch` command as users run it: exit codes, messages, formats."""
from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import DEMO, PRESSWATCH, REPO, run_presswatch
from tests.storage.reader_roles import reader_role

SEED_PAGE = DEMO / (
    "sites/caspian-post/en/news/politics/"
    "president-aliyev-azerbaijan-kazakhstan-reaching-qualitatively-new-level-of-interaction-alliance-2548871.html"
)
SEED_URL = "https://caspian-post.example/en/news/politics/president-aliyev-azerbaijan-kazakhstan-reaching-qualitatively-new-level-of-interaction-alliance-2548871"


@pytest.fixture()
def crawled(crawled_demo) -> Iterator[str]:
    """The URL to query the crawled archive with: on PostgreSQL as a reader role (`query` refuses a superuser)."""
    if crawled_demo.db_url.startswith("sqlite"):
        yield crawled_demo.db_url
        return
    with reader_role(crawled_demo.db_url) as url:
        yield url


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO articles (url) VALUES ('x')",
        "UPDATE articles SET headline = 'x'",
        "DELETE FROM articles",
        "DROP TABLE articles",
        "CREATE TABLE evil (x int)",
        "SELECT 1; DELETE FROM articles",
    ],
)
def test_query_refuses_writes_and_leaves_the_archive_unchanged(crawled: str, sql: str) -> None:
    before = run_presswatch("query", "SELECT count(*) AS n FROM articles", "--db", crawled, "--format", "json")
    refused = run_presswatch("query", sql, "--db", crawled)
    after = run_presswatch("query", "SELECT count(*) AS n FROM articles", "--db", crawled, "--format", "json")
    assert refused.returncode == 4
    assert "read-only" in refused.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)


def test_query_refuses_attach_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    assert run_presswatch("db", "upgrade", "--db", sqlite_url).returncode == 0
    result = run_presswatch("query", f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS other", "--db", sqlite_url)
    assert result.returncode == 4
    assert not (tmp_path / "other.db").exists()


def test_query_prints_every_format(crawled: str) -> None:
    sql = "SELECT source_name, count(*) AS n FROM articles GROUP BY source_name ORDER BY source_name"
    as_json = json.loads(run_presswatch("query", sql, "--db", crawled, "--format", "json").stdout)
    names = [r["source_name"] for r in as_json]
    assert names == ["caspian-post", "gov-press", "novosti-kaspiya", "trend-wire"]
    jsonl = run_presswatch("query", sql, "--db", crawled, "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in jsonl] == as_json
    csv_lines = run_presswatch("query", sql, "--db", crawled, "--format", "csv").stdout.splitlines()
    assert csv_lines[0] == "source_name,n"
    assert csv_lines[1:] == [f"{r['source_name']},{r['n']}" for r in as_json]
    table = run_presswatch("query", sql, "--db", crawled).stdout
    assert table.splitlines()[0].split() == ["source_name", "n"]
    assert table.rstrip().endswith("(4 rows)")


def test_sources_shows_last_runs(crawled_demo) -> None:
    result = run_presswatch(
        "sources", "--config", str(crawled_demo.config), "--db", crawled_demo.db_url, "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    listed = {r["source"]: r for r in json.loads(result.stdout)}
    assert sorted(listed) == ["caspian-post", "gov-press", "novosti-kaspiya", "trend-wire"]
    assert all(r["last_status"] == "ok" and r["consecutive_failures"] == 0 for r in listed.values())
    assert sum(r["articles"] for r in listed.values()) == len((DEMO / "truth.jsonl").read_text().splitlines())


def test_a_bad_config_names_source_and_key_and_fetches_nothing(tmp_path: Path, demo_site) -> None:
    server, _ = demo_site
    config = tmp_path / "bad.toml"
    config.write_text(
        f'[[sources]]\nname = "wire"\nstart_urls = ["{server.base_url}/caspian-post/en/news"]\n'
        'timezone = "Mars/Base"\n',
        encoding="utf-8",
    )
    db = tmp_path / "archive.db"
    result = run_presswatch("crawl", "--config", str(config), "--db", f"sqlite:///{db}")
    assert result.returncode == 2
    assert "source 'wire': key 'timezone': unknown time zone 'Mars/Base'" in result.stderr
    assert server.requests == []
    assert not db.exists()


def test_an_unreachable_database_fails_without_showing_the_password(demo_config: Path) -> None:
    url = "postgresql+psycopg://watcher:s3cret-pw@127.0.0.1:1/archive"
    result = run_presswatch("crawl", "--config", str(demo_config), "--db", url)
    assert result.returncode == 3
    assert "s3cret-pw" not in result.stderr + result.stdout
    assert "127.0.0.1" in result.stderr


def test_parse_prints_the_seed_record(tmp_path: Path) -> None:
    expected = json.loads((DEMO.parent / "cases/seed/expected.json").read_text(encoding="utf-8"))
    result = run_presswatch(
        "parse", str(SEED_PAGE), "--url", SEED_URL, "--timezone", "Asia/Baku", "--language", "en",
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    for key in ("headline", "labels", "published_at", "source", "body", "language", "authors"):
        assert record[key] == expected[key], key


def test_parse_manifest_reads_gzip_and_survives_a_broken_page(tmp_path: Path) -> None:
    (tmp_path / "seed.html.gz").write_bytes(gzip.compress(SEED_PAGE.read_bytes()))
    (tmp_path / "broken.html").write_bytes(b"\x00\x9f\x92\x96 not html at all \xff\xfe")
    manifest = "\n".join(json.dumps(line) for line in [
        {"id": "a", "url": SEED_URL, "html_path": "seed.html.gz"},
        {"id": "b", "url": "https://x.example/broken", "html_path": "broken.html"},
        {"id": "c", "url": "https://x.example/missing", "html_path": "missing.html"},
    ])
    (tmp_path / "manifest.jsonl").write_text(manifest + "\n", encoding="utf-8")
    result = run_presswatch("parse", "--manifest", str(tmp_path / "manifest.jsonl"), "--timezone", "Asia/Baku")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert records[0]["headline"].startswith("President Aliyev: Azerbaijan, Kazakhstan")
    assert records[0]["published_at"] == "2023-04-10T20:01:00+04:00"
    assert "error" in records[1] and "error" in records[2]


def test_query_takes_named_parameters_and_sql_from_stdin_or_a_file(crawled: str, tmp_path: Path) -> None:
    sql = "SELECT count(*) AS n FROM articles WHERE source_name = :name AND id >= :first"
    by_param = run_presswatch("query", sql, "-p", "name", "gov-press", "-p", "first", "1", "--db", crawled,
                              "--format", "json")
    assert by_param.returncode == 0, by_param.stderr
    assert json.loads(by_param.stdout) == [{"n": 17}]
    from_stdin = run_presswatch("query", "-", "-p", "name", "gov-press", "-p", "first", "1", "--db", crawled,
                                "--format", "json", stdin=sql)
    assert json.loads(from_stdin.stdout) == [{"n": 17}]
    script = tmp_path / "count.sql"
    script.write_text("-- one source's articles\n" + sql + "\n", encoding="utf-8")
    from_file = run_presswatch("query", "--file", str(script), "-p", "name", "trend-wire", "-p", "first", "1",
                               "--db", crawled, "--format", "json")
    assert json.loads(from_file.stdout) == [{"n": 17}]


def test_query_needs_its_statement_once(crawled: str) -> None:
    none = run_presswatch("query", "--db", crawled)
    both = run_presswatch("query", "SELECT 1", "--file", "-", "--db", crawled, stdin="SELECT 2")
    empty = run_presswatch("query", "-", "--db", crawled, stdin="  \n")
    assert [r.returncode for r in (none, both, empty)] == [2, 2, 2]
    assert "no statement: give SQL, '-' (standard input) or --file PATH" in none.stderr
    assert "give the statement once: as SQL or as --file, not both" in both.stderr
    assert "no statement: <stdin> is empty" in empty.stderr


def test_a_placeholder_without_its_parameter_is_a_query_error(crawled: str) -> None:
    result = run_presswatch("query", "SELECT count(*) FROM articles WHERE source_name = :name", "--db", crawled)
    assert result.returncode == 6, result.stderr


def test_parse_reads_a_page_from_standard_input() -> None:
    html = SEED_PAGE.read_text(encoding="utf-8")
    from_stdin = run_presswatch("parse", "-", "--url", SEED_URL, stdin=html)
    from_file = run_presswatch("parse", str(SEED_PAGE), "--url", SEED_URL)
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert json.loads(from_stdin.stdout) == json.loads(from_file.stdout)
    assert json.loads(from_stdin.stdout)["source"] == "Azertag"
    unnamed = json.loads(run_presswatch("parse", "-", stdin=html).stdout)
    assert unnamed["url"] == "file:///dev/stdin"


def test_parse_reads_gzip_from_standard_input_within_the_page_limit() -> None:
    import subprocess

    packed = gzip.compress(SEED_PAGE.read_bytes())
    done = subprocess.run([*PRESSWATCH, "parse", "-", "--url", SEED_URL], input=packed, capture_output=True,
                          cwd=REPO, timeout=180)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["source"] == "Azertag"
    too_big = subprocess.run([*PRESSWATCH, "parse", "-", "--max-page-bytes", "1024"], input=b"x" * 5000,
                             capture_output=True, cwd=REPO, timeout=180)
    assert too_big.returncode == 2
    assert b"cannot read -: larger than max_page_bytes (1024 bytes)" in too_big.stderr


def test_sources_json_holds_typed_values_and_the_table_iso_times(crawled_demo) -> None:
    from datetime import datetime

    listed = json.loads(run_presswatch("sources", "--config", str(crawled_demo.config), "--db",
                                       crawled_demo.db_url, "--format", "json").stdout)
    row = next(r for r in listed if r["source"] == "gov-press")
    assert isinstance(row["articles"], int) and row["consecutive_failures"] == 0
    assert row["last_errors"] == {}
    assert set(row["missing"]) == {"headline", "date", "body"}
    assert all(isinstance(share, float) and 0 <= share <= 1 for share in row["missing"].values())
    started = datetime.fromisoformat(row["last_run"])
    assert started.utcoffset() is not None and started.utcoffset().total_seconds() == 0
    table = run_presswatch("sources", "--config", str(crawled_demo.config), "--db", crawled_demo.db_url).stdout
    line = next(text for text in table.splitlines() if text.startswith("gov-press"))
    assert started.isoformat(timespec="seconds") in line


def test_query_prints_archive_times_in_iso_8601_with_their_offset_on_both_databases(crawled: str) -> None:
    sql = ("SELECT published_at, first_seen_at, headline FROM articles "
           "WHERE url LIKE '%memorandum-on-green-hydrogen-partnership-24117'")
    [row] = json.loads(run_presswatch("query", sql, "--db", crawled, "--format", "json").stdout)
    assert row["published_at"] == "2024-06-04T08:30:00+00:00"
    assert row["first_seen_at"].endswith("+00:00") and "T" in row["first_seen_at"]
    table = run_presswatch("query", sql, "--db", crawled).stdout
    assert "2024-06-04T08:30:00+00:00" in table
    text = run_presswatch("query", "SELECT '2024-06-04 08:30:00' AS literal", "--db", crawled, "--format", "json")
    assert json.loads(text.stdout) == [{"literal": "2024-06-04 08:30:00"}]  # a string is left as written
