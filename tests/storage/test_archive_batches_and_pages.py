"""Batch saving, redirect aliases, rel=canonical, and the raw pages kept for reparse."""
from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from presswatch.storage import Archive, ArticleFilter, ArticleIn, SaveOutcome, open_archive
from presswatch.storage.hashing import content_hash
from presswatch.storage.models import ArticleRow, ArticleRevision, DuplicateGroup, RawPage, UrlAlias
from presswatch.storage.saving import RAW_COMPRESSION
from tests.storage.helpers import count_rows, select_rows

MakeArticle = Callable[..., ArticleIn]
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
T3 = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
PAGE = b"<html><head><title>Support</title></head><body><h1>Support</h1><p>Text</p></body></html>"
CANONICAL = "https://news.example.az/en/economy/support-programme"


# --- Level 1: redirects and rel=canonical -------------------------------------------------


def test_redirect_urls_are_aliases_of_the_article(
    archive: Archive, make_article: MakeArticle
) -> None:
    article = make_article(
        fetched_url=CANONICAL + "?utm_source=rss",
        aliases=("http://news.example.az/?p=77", "https://short.example/x1#top"),
    )
    result = archive.save_article(article, seen_at=T1)
    assert sorted(select_rows(archive, UrlAlias.url, UrlAlias.article_id)) == [
        ("http://news.example.az/?p=77", result.article_id),
        (CANONICAL, result.article_id),
        ("https://short.example/x1", result.article_id),
    ]
    again = archive.save_article(make_article(url="https://short.example/x1?fbclid=z"), seen_at=T2)
    assert (again.outcome, again.article_id) == (SaveOutcome.UNCHANGED, result.article_id)
    assert archive.known_urls(["http://NEWS.example.az/?p=77&gclid=4"]) == {
        "http://NEWS.example.az/?p=77&gclid=4"
    }


def test_a_page_fetched_under_another_url_with_rel_canonical_is_the_canonical_row(
    archive: Archive, make_article: MakeArticle
) -> None:
    # The crawler passes rel=canonical as url and the fetched URL separately.
    first = archive.save_article(make_article(fetched_url=CANONICAL), seen_at=T1)
    mobile = archive.save_article(
        make_article(url=CANONICAL, fetched_url="https://m.news.example.az/economy/77"),
        seen_at=T2,
    )
    assert (mobile.outcome, mobile.article_id) == (SaveOutcome.UNCHANGED, first.article_id)
    assert select_rows(archive, ArticleRow.url) == [(CANONICAL,)]
    assert count_rows(archive, UrlAlias) == 2


# --- Raw pages ---------------------------------------------------------------------------


def test_the_fetched_html_is_kept_compressed_with_the_parser_version(
    archive: Archive, make_article: MakeArticle
) -> None:
    result = archive.save_article(
        make_article(fetched_url=CANONICAL + "?utm_medium=x", html=PAGE, parser_version="7"),
        seen_at=T1,
    )
    (row,) = select_rows(archive, RawPage.article_id, RawPage.url, RawPage.fetched_at,
                   RawPage.parser_version, RawPage.compression, RawPage.html)
    assert row[:5] == (result.article_id, CANONICAL, T1, "7", RAW_COMPRESSION)
    assert zlib.decompress(row[5]) == PAGE
    (page,) = archive.stored_pages()
    assert (page.article_id, page.article_url, page.fetched_url, page.source_name) == (
        result.article_id, CANONICAL, CANONICAL, "example-en"
    )
    assert (page.fetched_at, page.parser_version, page.html) == (T1, "7", PAGE)


def test_a_changed_page_replaces_the_stored_html_and_the_same_page_keeps_it(
    archive: Archive, make_article: MakeArticle
) -> None:
    archive.save_article(make_article(html=PAGE, parser_version="1"), seen_at=T1)
    archive.save_article(make_article(html=PAGE, parser_version="1"), seen_at=T2)
    assert select_rows(archive, RawPage.fetched_at) == [(T1,)]
    changed = PAGE.replace(b"Text", b"Longer text")
    archive.save_article(make_article(html=changed, parser_version="2"), seen_at=T3)
    assert [(p.html, p.parser_version, p.fetched_at) for p in archive.stored_pages()] == [
        (changed, "2", T3)
    ]


def test_pages_saved_without_html_keep_no_raw_page(
    archive: Archive, make_article: MakeArticle
) -> None:
    archive.save_article(make_article(), seen_at=T1)
    assert count_rows(archive, RawPage) == 0
    assert list(archive.stored_pages()) == []


def test_stored_pages_filter_by_source_and_fetch_time(
    archive: Archive, make_article: MakeArticle
) -> None:
    archive.save_article(make_article(html=PAGE), seen_at=T1)
    archive.save_article(
        make_article(url="https://other.example/1", source_name="other", html=PAGE), seen_at=T2
    )
    assert [p.source_name for p in archive.stored_pages(ArticleFilter(source_name="other"))] == [
        "other"
    ]
    assert [p.fetched_at for p in archive.stored_pages(ArticleFilter(since=T2))] == [T2]
    assert archive.count_stored_pages(ArticleFilter(until=T2)) == 1


# --- Batches -------------------------------------------------------------------------------


def _copy(make_article: MakeArticle, n: int, **changes: Any) -> ArticleIn:
    return make_article(url=f"https://site{n}.example.com/release", publisher=f"Site {n}",
                        source_name=f"site-{n}", **changes)


def test_a_batch_gives_the_outcomes_of_saving_one_by_one(
    archive_url: str, make_article: MakeArticle
) -> None:
    batch = [
        make_article(),
        _copy(make_article, 1),  # same body: a duplicate of the first
        make_article(url="https://news.example.az/en/other", body="Another release entirely."),
        make_article(url=CANONICAL + "?utm_source=x"),  # the first page again
        make_article(body="The release, corrected by the ministry: applications open in May."),
        _copy(make_article, 2),
    ]
    with open_archive(archive_url) as archive:
        batched = archive.save_articles(batch, seen_at=T1)
        state = select_rows(archive, ArticleRow.id, ArticleRow.url, ArticleRow.body, ArticleRow.duplicate_group_id,
                      order_by=ArticleRow.id)
        revisions = select_rows(archive, ArticleRevision.article_id, ArticleRevision.body)
    first = batched[0].article_id
    assert [(r.outcome, r.article_id) for r in batched] == [
        (SaveOutcome.NEW, first),
        (SaveOutcome.DUPLICATE, batched[1].article_id),
        (SaveOutcome.NEW, batched[2].article_id),
        (SaveOutcome.UNCHANGED, first),
        (SaveOutcome.REVISED, first),
        (SaveOutcome.DUPLICATE, batched[5].article_id),
    ]
    assert revisions == [(first, batch[0].body)]
    assert [row[1] for row in state] == [
        CANONICAL, "https://site1.example.com/release", "https://news.example.az/en/other",
        "https://site2.example.com/release",
    ]


def test_a_batch_stores_every_key_like_single_saves(
    archive: Archive, make_article: MakeArticle
) -> None:
    results = archive.save_articles(
        [make_article(html=PAGE, fetched_url="https://news.example.az/?p=1"),
         _copy(make_article, 1, html=PAGE)],
        seen_at=T1,
    )
    assert [r.outcome for r in results] == [SaveOutcome.NEW, SaveOutcome.DUPLICATE]
    assert select_rows(archive, ArticleRow.content_hash, ArticleRow.first_seen_at, order_by=ArticleRow.id) == [
        (content_hash(make_article().headline, make_article().body), T1)
    ] * 2
    assert count_rows(archive, UrlAlias) == 3 and count_rows(archive, RawPage) == 2
    assert select_rows(archive, DuplicateGroup.first_article_id, DuplicateGroup.size) == [
        (results[0].article_id, 2)
    ]


def test_save_batches_streams_results_in_order(archive: Archive, make_article: MakeArticle) -> None:
    batches = [[_copy(make_article, n) for n in range(k, k + 3)] for k in (0, 3, 6)] + [[]]
    results = [[r.outcome for r in rs] for rs in archive.save_batches(iter(batches))]
    assert results == [
        [SaveOutcome.NEW, SaveOutcome.DUPLICATE, SaveOutcome.DUPLICATE],
        [SaveOutcome.DUPLICATE] * 3,
        [SaveOutcome.DUPLICATE] * 3,
    ]
    assert select_rows(archive, DuplicateGroup.size) == [(9,)]


def test_an_empty_batch_saves_nothing(archive: Archive) -> None:
    assert archive.save_articles([]) == []
    assert list(archive.save_batches([])) == []
