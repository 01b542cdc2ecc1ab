"""`presswatch export`: JSON lines and CSV, filters, output files, a large archive streamed."""
from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from presswatch.storage import open_archive
from presswatch.storage.reading import EXPORT_COLUMNS
from tests.archive_cli.conftest import T1, SmallArchive, article
from tests.e2e.helpers import REPO, run_presswatch

# The process's own peak RSS in KiB (VmHWM). Not ru_maxrss, which also holds the RSS the process
# had when it exec'd: pytest's, as a child of pytest, and that would hide the command's growth.
_OWN_PEAK_KIB = (
    "next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM:'))"
)


def test_export_writes_one_json_line_per_article_in_id_order(small_archive: SmallArchive) -> None:
    result = run_presswatch("export", "--db", small_archive.url)
    assert (result.returncode, result.stderr) == (0, "")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [list(r) for r in records] == [list(EXPORT_COLUMNS)] * 3
    assert [r["id"] for r in records] == sorted(small_archive.ids.values())
    first = records[0]
    assert {k: first[k] for k in ("url", "headline", "labels", "published_at", "source_name",
                                  "authors", "first_seen_at", "duplicate_group_id")} == {
        "url": "https://gov.example/en/press/hydrogen",
        "headline": "Government adopts hydrogen strategy",
        "labels": ["PHOTO"],
        "published_at": "2026-03-01T10:00:00+00:00",
        "source_name": "gov-press",
        "authors": [],
        "first_seen_at": "2026-03-02T09:00:00+00:00",
        "duplicate_group_id": None,
    }


def test_export_csv_with_filters_to_a_file(small_archive: SmallArchive, tmp_path: Path) -> None:
    out = tmp_path / "gov.csv"
    result = run_presswatch("export", "--db", small_archive.url, "--format", "csv",
                            "--source", "gov-press", "--since", "2026-03-02", "-o", str(out))
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == f"exported 1 article to {out}\n"
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == list(EXPORT_COLUMNS)
    assert [(r[1], r[3], r[4]) for r in rows[1:]] == [
        ("https://gov.example/en/press/energy-week", "[]", "2026-03-05T10:00:00+00:00")
    ]


def test_export_until_includes_that_whole_day(small_archive: SmallArchive) -> None:
    result = run_presswatch("export", "--db", small_archive.url, "--until", "2026-03-01")
    urls = [json.loads(line)["url"] for line in result.stdout.splitlines()]
    assert urls == ["https://gov.example/en/press/hydrogen", "https://gov.example/en/press/harvest"]


def test_export_to_an_unwritable_file_is_an_error(small_archive: SmallArchive, tmp_path: Path) -> None:
    result = run_presswatch("export", "--db", small_archive.url, "-o", str(tmp_path / "no" / "x"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"presswatch: cannot write {tmp_path / 'no' / 'x'}")


def test_export_of_a_large_archive_runs_in_constant_memory(archive_url: str, tmp_path: Path) -> None:
    words = [f"word{n}" for n in range(2000)]

    def body(n: int) -> str:
        rng = random.Random(n)
        return " ".join(rng.choice(words) for _ in range(400))

    with open_archive(archive_url) as archive:
        batches = [
            [article(f"r{n}", f"Release {n}", body(n), published_at=T1 - timedelta(minutes=n))
             for n in range(start, start + 1000)]
            for start in range(0, 8000, 1000)
        ]
        for _ in archive.save_batches(batches):
            pass
    out = tmp_path / "all.jsonl"
    code = (
        "import sys\n"
        "from scheduler.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as exit_:\n"
        "    assert not exit_.code, exit_.code\n"
        f"print({_OWN_PEAK_KIB}, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "export", "--db", archive_url, "-o", str(out)],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    peak_kib = int(result.stderr.splitlines()[-1])
    size = out.stat().st_size
    assert sum(1 for _ in out.open(encoding="utf-8")) == 8000
    assert size > 30_000_000  # ~30 MB exported ...
    assert peak_kib - _resting_rss_kib() < 20_000  # ... by a process that grew < 20 MB for it


def _resting_rss_kib() -> int:
    """Peak RSS of a process that imports the CLI and storage and does nothing."""
    code = (
        "import scheduler.cli, storage, sqlalchemy, psycopg\n"
        "from storage import open_archive\n"
        f"print({_OWN_PEAK_KIB})\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, check=True)
    return int(result.stdout)


def test_export_of_an_empty_archive_prints_nothing(archive_url: str) -> None:
    open_archive(archive_url).close()  # an archive with no articles yet (a missing one is refused)
    result = run_presswatch("export", "--db", archive_url, "--format", "csv")
    assert result.returncode == 0
    assert result.stdout == ",".join(EXPORT_COLUMNS) + "\n"
