"""Export: every article once, in id order, filtered like search, in constant memory."""
from __future__ import annotations

import io
import random
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from presswatch.scheduler.archive_commands import write_export
from presswatch.storage import Archive, ArticleFilter, ArticleIn
from presswatch.storage.hashing import content_hash
from presswatch.storage.reading import EXPORT_COLUMNS

MakeArticle = Callable[..., ArticleIn]
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_export_yields_every_column_of_every_article_in_id_order(
    archive: Archive, make_article: MakeArticle
) -> None:
    first = archive.save_article(make_article(labels=("PHOTO",)), seen_at=T1)
    copy = archive.save_article(
        make_article(url="https://daily.example.com/x", source_name="daily", publisher="Daily",
                     published_at=datetime(2026, 3, 2, 11, 0, tzinfo=UTC)),
        seen_at=T1,
    )
    records = list(archive.export_articles())
    assert [tuple(r) for r in records] == [EXPORT_COLUMNS] * 2
    base = make_article()
    assert records[0] == {
        "id": first.article_id, "url": "https://news.example.az/en/economy/support-programme",
        "headline": base.headline, "labels": ("PHOTO",),
        "published_at": datetime(2026, 3, 2, 8, 30, tzinfo=UTC), "modified_at": None,
        "source": "Ministry of Economy", "publisher": "Example News", "source_name": "example-en",
        "language": "en", "authors": ("A. Aliyev",), "body": base.body,
        "content_hash": content_hash(base.headline, base.body), "first_seen_at": T1,
        "updated_at": T1, "duplicate_group_id": copy.group_id,
        "first_published_by": "https://news.example.az/en/economy/support-programme",
    }
    assert (records[1]["id"], records[1]["first_published_by"]) == (
        copy.article_id, "https://news.example.az/en/economy/support-programme"
    )


def test_export_filters_like_search(archive: Archive, make_article: MakeArticle) -> None:
    for n, day in enumerate((1, 2, 3)):
        archive.save_article(
            make_article(url=f"https://news.example.az/{n}", body=f"Release number {n}.",
                         source_name="a" if n < 2 else "b",
                         published_at=datetime(2026, 3, day, 12, 0, tzinfo=UTC)),
            seen_at=T1,
        )

    def urls(where: ArticleFilter) -> list[str]:
        return [r["url"] for r in archive.export_articles(where)]

    assert urls(ArticleFilter(source_name="a")) == [
        "https://news.example.az/0", "https://news.example.az/1"
    ]
    assert urls(ArticleFilter(since=datetime(2026, 3, 2, tzinfo=UTC),
                              until=datetime(2026, 3, 3, tzinfo=UTC))) == ["https://news.example.az/1"]


def test_export_writes_jsonl_and_csv_values(archive: Archive, make_article: MakeArticle) -> None:
    archive.save_article(make_article(labels=("PHOTO", "UPDATED"), body='Says "yes", twice.'),
                         seen_at=T1)
    columns = ("url", "labels", "published_at", "modified_at", "body")
    jsonl, csv_text = io.StringIO(), io.StringIO()
    assert write_export(archive.export_articles(), columns, "jsonl", jsonl, None) == 1
    assert write_export(archive.export_articles(), columns, "csv", csv_text, None) == 1
    assert jsonl.getvalue() == (
        '{"url": "https://news.example.az/en/economy/support-programme", '
        '"labels": ["PHOTO", "UPDATED"], "published_at": "2026-03-02T08:30:00+00:00", '
        '"modified_at": null, "body": "Says \\"yes\\", twice."}\n'
    )
    assert csv_text.getvalue() == (
        "url,labels,published_at,modified_at,body\n"
        'https://news.example.az/en/economy/support-programme,"[""PHOTO"", ""UPDATED""]",'
        '2026-03-02T08:30:00+00:00,,"Says ""yes"", twice."\n'
    )


def _body(words: list[str], seed: int) -> str:
    """About 1.5 kB of words unlike any other article's (no duplicates to group)."""
    rng = random.Random(seed)
    return " ".join(rng.choice(words) for _ in range(300))


class _CountingSink(io.TextIOBase):
    """Counts what is written and keeps none of it."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def test_exporting_a_large_archive_takes_constant_memory(
    archive: Archive, make_article: MakeArticle
) -> None:
    words = [f"w{n}" for n in range(600)]
    batches = [
        [make_article(url=f"https://news.example.az/{n}", body=_body(words, n),
                      published_at=T1 - timedelta(minutes=n))
         for n in range(start, start + 1000)]
        for start in range(0, 4000, 1000)
    ]
    for _ in archive.save_batches(batches):
        pass
    sink = _CountingSink()
    tracemalloc.start()
    try:
        written = write_export(archive.export_articles(), EXPORT_COLUMNS, "jsonl", sink, None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written == 4000
    assert sink.chars > 6_000_000  # the whole export: about 6 MB of JSON
    assert peak < 4_000_000  # what was held at once: a chunk of 500 rows
