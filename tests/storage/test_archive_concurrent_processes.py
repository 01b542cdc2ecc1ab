"""Two writer processes on one archive (as two `presswatch crawl` runs): nothing twice, nothing lost."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import create_engine, text

from presswatch.storage import open_archive

REPO = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import random, sys
    from datetime import datetime, timezone
    from presswatch.storage import ArticleIn, open_archive

    url, seed, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    words = [f"w{n}" for n in range(240)]

    def article(n):
        rng = random.Random(n // 2)  # articles 2k and 2k+1: the same release, two outlets
        body = " ".join(rng.choice(words) for _ in range(120))
        return ArticleIn(
            url=f"https://outlet{n % 2}.example/{n // 2}?utm_source=w{seed}", source_name="s",
            headline=f"Release {n // 2}", labels=(), published_at=datetime(2026, 3, 2,
            tzinfo=timezone.utc), modified_at=None, source=None, publisher=f"Outlet {n % 2}",
            body=body, language="en", authors=(), date_raw=None, date_precision=None,
            date_method=None, source_evidence=None, html=b"<html>" + str(n).encode(),
        )

    order = list(range(240))
    random.Random(seed).shuffle(order)  # each writer in its own order
    with open_archive(url) as archive:
        if mode == "batches":
            batches = [[article(n) for n in order[i:i + 20]] for i in range(0, 240, 20)]
            for _ in archive.save_batches(batches):
                pass
        else:
            for n in order:
                archive.save_article(article(n))
    """
)


def _scalar(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def _run_two_writers(url: str, modes: tuple[str, str]) -> None:
    open_archive(url).close()
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, str(seed), mode], cwd=REPO,
                         stderr=subprocess.PIPE, text=True)
        for seed, mode in enumerate(modes)
    ]
    errors = [writer.communicate(timeout=300)[1] for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], errors


def _assert_each_article_once(url: str) -> None:
    assert _scalar(url, "SELECT count(*) FROM articles") == 240
    assert _scalar(url, "SELECT count(DISTINCT url) FROM articles") == 240
    assert _scalar(url, "SELECT count(*) FROM url_aliases") == 240
    assert _scalar(url, "SELECT count(*) FROM raw_pages") == 240
    assert _scalar(url, "SELECT count(*) FROM article_revisions") == 0
    assert _scalar(url, "SELECT count(*) FROM article_signatures") == 240
    # each release on two outlets: 120 groups of two, every article in one
    assert _scalar(url, "SELECT count(*) FROM duplicate_groups") == 120
    assert _scalar(url, "SELECT count(*) FROM duplicate_groups WHERE size = 2") == 120
    assert _scalar(url, "SELECT count(*) FROM articles WHERE duplicate_group_id IS NULL") == 0
    assert _scalar(
        url,
        "SELECT count(*) FROM duplicate_groups g WHERE size <> "
        "(SELECT count(*) FROM articles a WHERE a.duplicate_group_id = g.id)",
    ) == 0


def test_two_processes_saving_one_by_one_store_each_article_once(archive_url: str) -> None:
    _run_two_writers(archive_url, ("single", "single"))
    _assert_each_article_once(archive_url)


def test_two_processes_saving_batches_store_each_article_once(archive_url: str) -> None:
    _run_two_writers(archive_url, ("batches", "batches"))
    _assert_each_article_once(archive_url)


def test_a_batch_writer_and_a_single_writer_together(archive_url: str) -> None:
    _run_two_writers(archive_url, ("batches", "single"))
    _assert_each_article_once(archive_url)
