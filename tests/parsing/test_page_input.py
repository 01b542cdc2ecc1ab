"""`presswatch parse` input that is bad, huge or broken (issue #18, items 8 and 11).

Single-file mode: one line `presswatch: cannot read FILE: <why>` and exit 2, never a
traceback, and memory bounded by `max_page_bytes` (checked on the command's own peak RSS, a memory
bound, not a timing one). Manifest mode: one record per line, in order, `error` on the bad ones.
"""
from __future__ import annotations

import gzip
import io
import json
import subprocess
from pathlib import Path

import pytest

from presswatch.crawler.parse_batch import (
    DEFAULT_MAX_PAGE_BYTES,
    MAX_LINE_BYTES,
    PageUnreadable,
    load_page,
    manifest_lines,
    run_manifest,
)
from tests.e2e.helpers import PRESSWATCH, REPO, run_measured, run_presswatch

MEMORY_BOUND = 250 * 1024 * 1024  # bytes: the command, its imports and at most one bounded page
PAGE = (REPO / "fixtures/cases/charset-utf8-meta-stray-byte/page.html").read_bytes()
URL = "https://transition.example/presse/reforme-energie"
TOO_LARGE = f"larger than max_page_bytes ({DEFAULT_MAX_PAGE_BYTES} bytes)"
INFLATES = f"inflates to more than max_page_bytes ({DEFAULT_MAX_PAGE_BYTES} bytes)"
TRUNCATED = "corrupt gzip file: Compressed file ended before the end-of-stream marker was reached"
BAD_DEFLATE = "corrupt gzip file: Error -3 while decompressing data: invalid block type"


def run_bounded(*args: str) -> tuple[int, str, str, int]:
    """(exit code, stdout, stderr, peak resident bytes) of `presswatch ARGS`, with 2 GiB of address
    space at most (a regression fails with MemoryError instead of eating the host)."""
    result = run_measured(*args, timeout=120, address_space=2 << 30)
    return result.returncode, result.stdout, result.stderr, result.peak_rss_bytes


def gzip_bomb(path: Path, inflated: int) -> Path:
    """A small gzip file that inflates to `inflated` bytes of a repeated HTML paragraph."""
    chunk = b"<p>" + b"a" * (1024 * 1024 - 7) + b"</p>\n"
    with gzip.open(path, "wb", compresslevel=9) as packed:
        for _ in range(inflated // len(chunk)):
            packed.write(chunk)
    return path


def sparse_page(path: Path, size: int) -> Path:
    """An HTML start followed by NULs up to `size` bytes (sparse: no disk used)."""
    with path.open("wb") as file:
        file.write(b"<!DOCTYPE html><html><body><p>")
        file.truncate(size)
    return path


def assert_one_line_error(result: tuple[int, str, str, int], file: Path | str, why: str) -> None:
    code, out, err, peak = result
    assert (code, out, err) == (2, "", f"presswatch: cannot read {file}: {why}\n")
    assert peak < MEMORY_BOUND, f"peak RSS {peak / 2**20:.0f} MiB"


# -- single file: bounded, one line, exit 2 ----------------------------------------------------

def test_an_oversized_plain_page_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    page = sparse_page(tmp_path / "huge.html", 400 * 1024 * 1024)
    assert_one_line_error(run_bounded("parse", str(page)), page, TOO_LARGE)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_dev_zero_is_refused_in_bounded_memory() -> None:
    assert_one_line_error(run_bounded("parse", "/dev/zero"), "/dev/zero", TOO_LARGE)


def test_a_gzip_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    bomb = gzip_bomb(tmp_path / "bomb.html.gz", 400 * 1024 * 1024)
    assert bomb.stat().st_size < 1024 * 1024
    assert_one_line_error(run_bounded("parse", str(bomb)), bomb, INFLATES)


def test_max_page_bytes_sets_the_bound(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(PAGE + b"<!-- padding -->" * 200)
    assert_one_line_error(run_bounded("parse", str(page), "--max-page-bytes", "2048"), page,
                          "larger than max_page_bytes (2048 bytes)")
    size = str(page.stat().st_size)
    code, out, _, _ = run_bounded("parse", str(page), "--max-page-bytes", size, "--url", URL)
    assert (code, json.loads(out)["headline"]) == (0, "Réforme de l’énergie")


@pytest.mark.parametrize(("name", "make", "why"), [
    ("truncated.html.gz", lambda: gzip.compress(PAGE)[:-40], TRUNCATED),
    ("garbage.html.gz", lambda: b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff garbage", BAD_DEFLATE),
])
def test_a_corrupt_gzip_says_why(tmp_path: Path, name: str, make, why: str) -> None:
    page = tmp_path / name
    page.write_bytes(make())
    assert_one_line_error(run_bounded("parse", str(page)), page, why)


def test_a_missing_page_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.html"
    assert_one_line_error(run_bounded("parse", str(missing)), missing, "No such file or directory")


def test_a_page_declaring_a_non_text_codec_gives_its_record_not_a_traceback(tmp_path: Path) -> None:
    page = tmp_path / "rot13.html"
    page.write_bytes(b'<meta charset="rot13"><h1>Le port de Marseille a battu son record</h1><p>Caf\xe9</p>')
    code, out, err, _ = run_bounded("parse", str(page))
    assert (code, err) == (0, "")
    assert json.loads(out)["headline"] == "Le port de Marseille a battu son record"


# -- manifest: one record per line, in order -----------------------------------------------------

@pytest.fixture()
def batch(tmp_path: Path) -> Path:
    """A manifest whose good lines surround every kind of bad one."""
    (tmp_path / "good.html").write_bytes(PAGE)
    (tmp_path / "good.html.gz").write_bytes(gzip.compress(PAGE))
    gzip_bomb(tmp_path / "bomb.html.gz", 16 * 1024 * 1024)
    (tmp_path / "truncated.html.gz").write_bytes(gzip.compress(PAGE)[:-40])

    def line(**entry: object) -> bytes:
        return json.dumps(entry, ensure_ascii=False).encode()

    lines = [
        line(id="a", url=URL, html_path="good.html"),
        b'{"id": "b", "url": "https://x.example/caf\xe9", "html_path": "good.html"}',  # Latin-1 byte
        line(id="c", url=URL, html_path="good.html.gz"),
        line(id="d", url=123, html_path="good.html"),
        line(id="e", url=URL, html_path="missing.html"),
        b"{not json at all",
        line(id="f", url=URL, html_path="bomb.html.gz"),
        line(id="g", url=URL, html_path="truncated.html.gz"),
        line(id="h", url=URL, html_path=["good.html"]),
        b'["an", "array"]',
        b'{"id": "caf\xe9", "url": "https://x.example/i", "html_path": "good.html"}',  # the id unreadable
        b"",  # blank lines are skipped
        line(id="z", url=URL, html_path="good.html"),
    ]
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_bytes(b"\n".join(lines) + b"\n")
    return manifest


EXPECTED_ERRORS = [
    ("a", None),
    ("b", "bad manifest line: not UTF-8 (byte 0xe9 at offset 41)"),
    ("c", None),
    ("d", "bad manifest line: url is not a string: 123"),
    ("e", "cannot read page missing.html: No such file or directory"),
    (None, ("bad manifest line: not JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)")),
    ("f", f"cannot read page bomb.html.gz: {INFLATES}"),
    ("g", f"cannot read page truncated.html.gz: {TRUNCATED}"),
    ("h", "bad manifest line: html_path is missing or not a string"),
    (None, "bad manifest line: not a JSON object"),
    (None, "bad manifest line: not UTF-8 (byte 0xe9 at offset 11)"),
    ("z", None),
]


def _check(records: list[dict]) -> None:
    assert [(r.get("id"), r.get("error")) for r in records] == EXPECTED_ERRORS
    for record in (records[0], records[2], records[-1]):
        assert (record["url"], record["headline"]) == (URL, "Réforme de l’énergie")
    assert [records[i]["url"] for i in (1, 3, 5, 9)] == [None] * 4  # unreadable or absent
    assert records[10]["url"] == "https://x.example/i"  # readable although the id is not
    assert [records[i]["url"] for i in (4, 6, 7, 8)] == [URL, URL, URL, URL]


def test_every_bad_manifest_line_gives_an_error_record_in_its_place(batch: Path) -> None:
    result = run_presswatch("parse", "--manifest", str(batch))
    assert (result.returncode, result.stderr) == (0, "")
    _check([json.loads(line) for line in result.stdout.splitlines()])


def test_the_same_manifest_on_stdin(batch: Path) -> None:
    done = subprocess.run([*PRESSWATCH, "parse", "--manifest", "-"], input=batch.read_bytes(),
                          capture_output=True, cwd=batch.parent, check=False)
    assert (done.returncode, done.stderr) == (0, b"")
    _check([json.loads(line) for line in done.stdout.decode().splitlines()])


def test_manifest_records_keep_their_order_in_a_worker_pool(batch: Path) -> None:
    with batch.open("rb") as stream:
        lines = list(manifest_lines(stream)) * 3  # 39 lines: past the pool threshold
    out = io.StringIO()
    run_manifest(lines, out, None, batch.parent, workers=2)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r.get("id"), r.get("error")) for r in records] == EXPECTED_ERRORS * 3


def test_an_overlong_manifest_line_is_an_error_record_and_the_next_line_is_read(tmp_path: Path) -> None:
    (tmp_path / "good.html").write_bytes(PAGE)
    good = json.dumps({"id": "z", "url": URL, "html_path": "good.html"}).encode()
    huge = b'{"id": "y", "url": "' + b"x" * (MAX_LINE_BYTES * 3) + b'"}'
    (tmp_path / "m.jsonl").write_bytes(huge + b"\n" + good + b"\n")
    result = run_presswatch("parse", "--manifest", str(tmp_path / "m.jsonl"))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r.get("id"), r.get("error")) for r in records] == [
        (None, f"bad manifest line: longer than {MAX_LINE_BYTES} bytes"), ("z", None)]


def test_a_manifest_that_cannot_be_opened_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_presswatch("parse", "--manifest", str(tmp_path / "none.jsonl"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"presswatch: cannot read {tmp_path / 'none.jsonl'}: No such file or directory\n"


# -- load_page itself ----------------------------------------------------------------------------

def test_load_page_reads_up_to_the_bound_and_no_further(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(b"x" * 2048)
    assert load_page(page, 2048) == b"x" * 2048
    with pytest.raises(PageUnreadable, match=r"^larger than max_page_bytes \(2047 bytes\)$"):
        load_page(page, 2047)
    page.write_bytes(gzip.compress(b"x" * 2048))
    assert load_page(page, 2048) == b"x" * 2048
    with pytest.raises(PageUnreadable, match=r"^inflates to more than max_page_bytes \(2047 bytes\)$"):
        load_page(page, 2047)


def test_load_page_reads_a_multi_member_gzip(tmp_path: Path) -> None:
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(PAGE[:100]) + gzip.compress(PAGE[100:]))
    assert load_page(page) == PAGE
