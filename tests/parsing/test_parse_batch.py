"""The batch runner: pages in, one JSON record per manifest line out, in order, never a crash."""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from presswatch.crawler.parse_batch import load_page, main, parse_to_record, run_manifest

PAGE = (b"<html lang='en'><head><title>Port reopens | Harbour News</title>"
        b"<meta property='og:site_name' content='Harbour News'></head><body>"
        b"<h1>Port reopens</h1><p class='date'>10.04.2023 20:01</p>"
        b"<p>The port reopened on Monday after the storm, Reuters reports.</p>"
        b"<p>Ships queued outside the harbour for two days.</p></body></html>")


@pytest.fixture()
def pages(tmp_path: Path) -> Path:
    (tmp_path / "plain.html").write_bytes(PAGE)
    (tmp_path / "packed.html.gz").write_bytes(gzip.compress(PAGE))
    (tmp_path / "empty.html").write_bytes(b"")
    return tmp_path


def test_load_page_unpacks_gzip_by_magic_bytes(pages: Path) -> None:
    assert load_page(pages / "packed.html.gz") == load_page(pages / "plain.html") == PAGE


def test_parse_to_record_is_the_article_json() -> None:
    record = parse_to_record(PAGE, "https://harbour.example/port", None)
    assert (record["headline"], record["source"], record["publisher"]) == (
        "Port reopens", "Reuters", "Harbour News")
    assert record["published_at"] == "2023-04-10T20:01:00+00:00"


def test_parse_to_record_never_raises_on_garbage() -> None:
    record = parse_to_record(b"\x00\x01\x02" * 100, "https://x.example/", None)
    assert record["url"] == "https://x.example/" and "error" in record


def _manifest(*entries: object) -> list[str]:
    return [e if isinstance(e, str) else json.dumps(e) for e in entries]


def test_manifest_gives_one_record_per_line_in_order_echoing_ids(pages: Path) -> None:
    lines = _manifest(
        {"id": "a", "url": "https://h.example/a", "html_path": "plain.html"},
        "{not json",
        {"id": "b", "url": "https://h.example/b", "html_path": "missing.html"},
        {"id": "c", "url": "https://h.example/c", "html_path": str(pages / "packed.html.gz")},
        {"id": "d", "url": "https://h.example/d", "html_path": "empty.html"},
        {"url": "https://h.example/e", "html_path": "plain.html"},
    )
    out = io.StringIO()
    assert run_manifest(lines, out, None, pages, workers=1) == 6
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r.get("id") for r in records] == ["a", None, "b", "c", "d", None]
    assert [("error" in r) for r in records] == [False, True, True, False, True, False]
    assert records[0]["headline"] == records[3]["headline"] == "Port reopens"
    assert records[5]["url"] == "https://h.example/e"


def test_manifest_order_is_kept_with_a_worker_pool(pages: Path) -> None:
    lines = _manifest(*({"id": i, "url": f"https://h.example/{i}", "html_path": "plain.html"}
                        for i in range(30)))
    out = io.StringIO()
    run_manifest(lines, out, None, pages, workers=2)
    assert [json.loads(line)["id"] for line in out.getvalue().splitlines()] == list(range(30))


def test_cli_parses_one_file_with_timezone(pages: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(pages / "packed.html.gz"), "--url", "https://h.example/p",
                 "--timezone", "Asia/Baku", "--language", "en"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["url"], record["published_at"]) == ("https://h.example/p",
                                                       "2023-04-10T20:01:00+04:00")
