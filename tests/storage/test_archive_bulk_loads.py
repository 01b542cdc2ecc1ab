"""Bulk loads: batches prepared in a worker process, written as plain rows (COPY on PostgreSQL)."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from presswatch.storage import Archive, ArticleIn, PreparedContent, SaveOutcome
from presswatch.storage.dialect import SQLITE_BULK_PRAGMAS
from presswatch.storage.models import ArticleLsh, ArticleRow, ArticleSignature, DuplicateGroup, RawPage, UrlAlias
from presswatch.storage.neardup import band_keys, encode, signature
from presswatch.storage.prepared import PageKeys
from presswatch.storage.preparing import BatchPreparer
from tests.storage.helpers import select_rows

MakeArticle = Callable[..., ArticleIn]
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORDS = ["ministry", "economy", "programme", "support", "regions", "loans", "grants", "equipment", "commission",
         "payments"]


def _body(n: int) -> str:
    """A body of 60 words of its own: long enough to be signed, unlike any other n's."""
    return " ".join(f"{WORDS[(n * 7 + k) % len(WORDS)]}{(n * 31 + k * 17) % 101}" for k in range(60))


def _article(make_article: MakeArticle, n: int, **changes: object) -> ArticleIn:
    return make_article(
        url=f"https://site{n % 3}.example.com/release-{n}", headline=f"Release number {n}", body=_body(n),
        html=f"<html><body><h1>Release {n}</h1><p>{_body(n)}</p></body></html>".encode(),
        labels=("UPDATED",) if n % 4 == 0 else (), **changes,
    )


@pytest.mark.parametrize("processes", [True, False], ids=["process", "thread"])
def test_the_preparer_works_out_what_saving_would(make_article: MakeArticle, processes: bool) -> None:
    own = PreparedContent.of("Given", _body(99), None)
    batch = [_article(make_article, 1, fetched_url="https://site1.example.com/release-1?utm_source=x",
                      aliases=("HTTPS://Short.example/r1#top",)),
             make_article(body="Too short to sign."), _article(make_article, 2, prepared=own)]
    preparer = BatchPreparer(processes=processes)
    try:
        assert preparer.uses_processes is processes
        keys = preparer.submit(batch).result()
    finally:
        preparer.close()
    assert keys == [PageKeys.of(article) for article in batch]
    assert keys[0].aliases == ("https://site1.example.com/release-1", "https://short.example/r1")
    assert keys[0].content == PreparedContent.of(batch[0].headline, batch[0].body, batch[0].html)
    assert keys[0].content.minhashes == signature(_body(1))
    assert keys[0].band_keys == tuple(sorted(set(band_keys(signature(_body(1))))))  # type: ignore[arg-type]
    assert (keys[1].content.minhashes, keys[1].band_keys) == (None, ())
    assert keys[2].content == own  # a parse worker's content is kept


def test_save_batches_stores_what_save_articles_does(archive: Archive, make_article: MakeArticle) -> None:
    articles = [_article(make_article, n) for n in range(12)]
    copy = replace(articles[5], url="https://elsewhere.example/copy-of-5")
    batches = [articles[:5], [], articles[5:10], [*articles[10:], copy]]
    outcomes = [[r.outcome for r in results] for results in archive.save_batches(batches)]
    assert outcomes == [[SaveOutcome.NEW] * 5, [SaveOutcome.NEW] * 5, [SaveOutcome.NEW] * 2 + [SaveOutcome.DUPLICATE]]
    ids = dict(select_rows(archive, ArticleRow.url, ArticleRow.id))
    stored = [*articles, copy]
    assert select_rows(archive, ArticleRow.url, ArticleRow.headline, ArticleRow.labels, ArticleRow.published_at,
                       ArticleRow.authors, order_by=ArticleRow.id) == [
        (a.url, a.headline, a.labels, a.published_at, a.authors) for a in stored
    ]
    assert sorted(select_rows(archive, ArticleSignature.article_id, ArticleSignature.minhashes)) == sorted(
        (ids[a.url], encode(signature(a.body))) for a in stored  # type: ignore[arg-type]
    )
    assert sorted(select_rows(archive, ArticleLsh.bucket, ArticleLsh.article_id)) == sorted(
        (key, ids[a.url]) for a in stored for key in set(band_keys(signature(a.body)))  # type: ignore[arg-type]
    )
    raw = select_rows(archive, RawPage.article_id, RawPage.html)
    pages = {article_id: zlib.decompress(html) for article_id, html in raw}
    assert pages == {ids[a.url]: a.html for a in stored}
    assert select_rows(archive, DuplicateGroup.first_article_id, DuplicateGroup.size) == [(ids[articles[5].url], 2)]
    assert len(select_rows(archive, UrlAlias.url)) == 13
    assert [hit.url for hit in archive.search('"release number 7"')] == [articles[7].url]


def test_saving_again_through_save_batches_changes_nothing(archive: Archive, make_article: MakeArticle) -> None:
    articles = [_article(make_article, n) for n in range(6)]
    first = [r for results in archive.save_batches([articles[:3], articles[3:]]) for r in results]
    again = [r for results in archive.save_batches([articles[3:], articles[:3]]) for r in results]
    assert [r.outcome for r in again] == [SaveOutcome.UNCHANGED] * 6
    assert [r.article_id for r in again] == [r.article_id for r in first[3:] + first[:3]]
    assert len(select_rows(archive, ArticleRow.id)) == 6


def test_a_killed_worker_hands_the_work_to_a_thread(archive: Archive, make_article: MakeArticle) -> None:
    before = {child.pid for child in multiprocessing.active_children()}
    batches = [[_article(make_article, n) for n in range(k, k + 2)] for k in range(0, 12, 2)]
    stream = archive.save_batches(batches)
    saved = list(next(stream))
    workers = [child for child in multiprocessing.active_children() if child.pid not in before]
    assert len(workers) == 1
    assert workers[0].pid is not None
    os.kill(workers[0].pid, signal.SIGKILL)
    workers[0].join()
    saved += [r for results in stream for r in results]
    assert [r.outcome for r in saved] == [SaveOutcome.NEW] * 12
    assert sorted(select_rows(archive, ArticleSignature.article_id, ArticleSignature.minhashes)) == sorted(
        (r.article_id, encode(signature(_body(n)))) for n, r in enumerate(saved)  # type: ignore[arg-type]
    )
    assert list(archive.save_batches([[_article(make_article, 20)]]))[0][0].outcome is SaveOutcome.NEW


def test_a_bulk_load_gives_its_sqlite_connection_a_larger_cache(sqlite_url: str, make_article: MakeArticle) -> None:
    from presswatch.storage import open_archive

    with open_archive(sqlite_url) as archive:
        list(archive.save_batches([[_article(make_article, 1)], [_article(make_article, 2)]]))
        with archive.engine.connect() as connection:
            settings = [connection.execute(text(f"PRAGMA {name}")).scalar()
                        for name in ("cache_size", "wal_autocheckpoint")]
    assert SQLITE_BULK_PRAGMAS == ("PRAGMA cache_size = -131072", "PRAGMA wal_autocheckpoint = 10000")
    assert settings == [-131072, 10000]


def test_the_worker_ends_with_a_killed_saving_process(sqlite_url: str, tmp_path: Path) -> None:
    script = tmp_path / "load.py"
    script.write_text(
        "import os, sys\n"
        "from storage import ArticleIn, open_archive\n"
        "if __name__ == '__main__':\n"
        "    batch = [ArticleIn(url=f'https://a.example/{n}', source_name='a', headline=None, labels=(),\n"
        "                      published_at=None, modified_at=None, source=None, publisher=None,\n"
        "                      body=' '.join(f'word{n}x{k}' for k in range(50)), language=None, authors=(),\n"
        "                      date_raw=None, date_precision=None, date_method=None, source_evidence=None)\n"
        "             for n in range(4)]\n"
        "    archive = open_archive(sys.argv[1])\n"
        "    for _ in archive.save_batches([batch[:2], batch[2:]]):\n"
        "        pass\n"
        "    print(' '.join(str(p.pid) for p in __import__('multiprocessing').active_children()), flush=True)\n"
        "    sys.stdin.read()\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    loader = subprocess.Popen([sys.executable, str(script), sqlite_url], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    assert loader.stdout is not None
    (worker,) = map(int, loader.stdout.readline().split())
    loader.kill()
    loader.wait()
    deadline = time.monotonic() + 30
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
