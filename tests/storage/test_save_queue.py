"""Queued saves: batched on one writer thread, in order, and one bad page costs only itself."""
from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from sqlalchemy import text

from presswatch.storage import Archive, ArticleIn, SaveOutcome, SaveResult
from presswatch.storage.save_queue import SaveQueue
from tests.storage.conftest import MakeArticle


class Recorder:
    """A save_batch that records the batches it was given; pages whose URL contains
    "bad" make it raise."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.batches: list[list[str]] = []
        self.gate = gate

    def __call__(self, batch: Sequence[ArticleIn]) -> list[SaveResult]:
        if self.gate is not None:
            self.gate.wait(5)
        urls = [a.url for a in batch]
        if any("bad" in url for url in urls):
            raise ValueError(f"refused {urls}")
        self.batches.append(urls)
        return [SaveResult(SaveOutcome.NEW, n, None) for n, _ in enumerate(batch)]


def pages(make_article: MakeArticle, *names: str) -> list[ArticleIn]:
    return [make_article(url=f"https://news.example/{name}") for name in names]


def test_pages_queued_while_the_writer_is_busy_are_saved_together_in_order(make_article: MakeArticle) -> None:
    gate = threading.Event()
    save = Recorder(gate)
    queue = SaveQueue(save, batch=3, linger=0.05)
    futures = [queue.submit(a) for a in pages(make_article, "a", "b", "c", "d", "e")]
    gate.set()
    queue.close()
    assert [f.result().outcome for f in futures] == [SaveOutcome.NEW] * 5
    assert [url for batch in save.batches for url in batch] == [
        f"https://news.example/{n}" for n in "abcde"
    ]
    assert max(len(batch) for batch in save.batches) == 3
    assert len(save.batches) <= 3


def test_a_failing_batch_is_saved_page_by_page_and_only_the_bad_page_fails(make_article: MakeArticle) -> None:
    gate = threading.Event()
    save = Recorder(gate)
    queue = SaveQueue(save, batch=10, linger=0.05)
    futures = [queue.submit(a) for a in pages(make_article, "one", "bad", "two")]
    gate.set()
    queue.flush()
    assert futures[0].result().outcome is SaveOutcome.NEW
    with pytest.raises(ValueError, match="bad"):
        futures[1].result()
    assert futures[2].result().outcome is SaveOutcome.NEW
    queue.close()


def test_close_saves_what_is_queued_without_waiting_for_a_full_batch(make_article: MakeArticle) -> None:
    save = Recorder()
    queue = SaveQueue(save, batch=50, linger=5.0)  # the writer would wait long for a full batch
    futures = [queue.submit(a) for a in pages(make_article, "x", "y")]
    queue.close()  # close does not wait out the linger: it saves what is queued and stops
    assert all(f.done() for f in futures)
    with pytest.raises(RuntimeError):
        queue.submit(pages(make_article, "z")[0])


def test_queued_articles_are_in_the_archive_after_flush(archive: Archive, make_article: MakeArticle) -> None:
    futures = [archive.queue_article(a) for a in pages(make_article, "first", "second")]
    archive.flush()
    assert all(f.done() and f.exception() is None for f in futures)
    with archive.engine.connect() as connection:
        urls = connection.execute(text("SELECT url FROM articles ORDER BY url")).scalars().all()
    assert urls == ["https://news.example/first", "https://news.example/second"]
