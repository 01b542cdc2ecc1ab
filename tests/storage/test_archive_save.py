"""Saving pages: one row per canonical URL, revisions for changed text, duplicate groups."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func

from presswatch.storage import Archive, ArticleIn, SaveOutcome, open_archive
from presswatch.storage.hashing import content_hash
from presswatch.storage.models import ArticleRow, ArticleRevision, DuplicateGroup, UrlAlias
from tests.storage.helpers import count_rows, select_rows

MakeArticle = Callable[..., ArticleIn]
UTC = UTC
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
T3 = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
RELEASE_BODY = (
    "The Ministry of Economy announced on Monday a new programme of support for small "
    "businesses in the regions.\n\nThe programme opens for applications on 1 April."
)  # the body of make_article()
NEW_BODY = (
    "The Ministry of Economy announced on Monday a new programme of support for small "
    "businesses in the regions.\n\nApplications open on 15 April, not 1 April."
)


# --- Level 1: one row per canonical URL -------------------------------------------------


def test_first_save_of_a_page_is_new_and_stores_every_field(
    archive: Archive, make_article: MakeArticle
) -> None:
    article = make_article(url="https://News.Example.AZ/en/economy/support-programme?utm_source=x")
    result = archive.save_article(article, seen_at=T1)
    assert result.outcome is SaveOutcome.NEW and result.outcome == "new"
    assert result.group_id is None
    stored = select_rows(
        archive, ArticleRow.id, ArticleRow.url, ArticleRow.source_name, ArticleRow.headline, ArticleRow.labels,
        ArticleRow.published_at, ArticleRow.source, ArticleRow.publisher, ArticleRow.body, ArticleRow.language,
        ArticleRow.authors, ArticleRow.content_hash, ArticleRow.date_method, ArticleRow.first_seen_at,
        ArticleRow.updated_at, ArticleRow.last_seen_at, ArticleRow.duplicate_group_id,
    )
    assert stored == [(
        result.article_id, "https://news.example.az/en/economy/support-programme", "example-en",
        article.headline, (), datetime(2026, 3, 2, 8, 30, tzinfo=UTC), "Ministry of Economy",
        "Example News", article.body, "en", ("A. Aliyev",),
        content_hash(article.headline, article.body), "json-ld", T1, T1, T1, None,
    )]


def test_tracking_parameter_variants_of_a_url_are_one_row(
    archive: Archive, make_article: MakeArticle
) -> None:
    variants = [
        "https://news.example.az/en/economy/support-programme",
        "https://news.example.az/en/economy/support-programme?utm_source=tw&utm_medium=social",
        "https://NEWS.example.az/en/economy/support-programme?fbclid=IwAR0abc",
        "HTTPS://news.example.az:443/en/economy/support-programme?gclid=1#top",
    ]
    results = [archive.save_article(make_article(url=url), seen_at=T1) for url in variants]
    assert [r.outcome for r in results] == ["new", "unchanged", "unchanged", "unchanged"]
    assert {r.article_id for r in results} == {results[0].article_id}
    assert select_rows(archive, ArticleRow.url) == [("https://news.example.az/en/economy/support-programme",)]


def test_same_content_again_is_unchanged_and_only_moves_last_seen(
    archive: Archive, make_article: MakeArticle
) -> None:
    first = archive.save_article(make_article(), seen_at=T1)
    again = archive.save_article(make_article(), seen_at=T2)
    assert (again.outcome, again.article_id) == (SaveOutcome.UNCHANGED, first.article_id)
    assert select_rows(archive, ArticleRow.first_seen_at, ArticleRow.updated_at, ArticleRow.last_seen_at) == [
        (T1, T1, T2)
    ]
    assert count_rows(archive, ArticleRevision) == 0


def test_whitespace_and_case_changes_are_not_a_revision(
    archive: Archive, make_article: MakeArticle
) -> None:
    archive.save_article(make_article(), seen_at=T1)
    reflowed = make_article(
        headline="MINISTRY  announces support for small businesses ",
        body=RELEASE_BODY.replace(" ", "\u00a0").replace("\n\n", "\n \n"),
    )
    assert archive.save_article(reflowed, seen_at=T2).outcome is SaveOutcome.UNCHANGED
    assert count_rows(archive, ArticleRevision) == 0


# --- Revisions ----------------------------------------------------------------------------


def test_changed_body_becomes_exactly_one_revision_with_the_old_text(
    archive: Archive, make_article: MakeArticle
) -> None:
    old = make_article()
    first = archive.save_article(old, seen_at=T1)
    revised = archive.save_article(make_article(body=NEW_BODY), seen_at=T2)
    assert (revised.outcome, revised.article_id) == (SaveOutcome.REVISED, first.article_id)
    assert select_rows(
        archive, ArticleRevision.article_id, ArticleRevision.revision, ArticleRevision.headline,
        ArticleRevision.body, ArticleRevision.published_at, ArticleRevision.source,
        ArticleRevision.content_hash, ArticleRevision.replaced_at,
    ) == [(
        first.article_id, 1, old.headline, old.body, datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
        "Ministry of Economy", content_hash(old.headline, old.body), T2,
    )]
    assert select_rows(
        archive, ArticleRow.body, ArticleRow.content_hash, ArticleRow.first_seen_at, ArticleRow.updated_at
    ) == [(NEW_BODY, content_hash(old.headline, NEW_BODY), T1, T2)]


def test_each_further_change_adds_the_next_revision(
    archive: Archive, make_article: MakeArticle
) -> None:
    versions = [f"Version {n} of the release text, long enough." for n in ("one", "two", "three")]
    archive.save_article(make_article(body=versions[0]), seen_at=T1)
    archive.save_article(make_article(body=versions[1]), seen_at=T2)
    third = archive.save_article(make_article(body=versions[2]), seen_at=T3)
    assert third.outcome is SaveOutcome.REVISED
    assert select_rows(
        archive, ArticleRevision.revision, ArticleRevision.body, ArticleRevision.replaced_at,
        order_by=ArticleRevision.revision,
    ) == [(1, versions[0], T2), (2, versions[1], T3)]
    assert select_rows(archive, ArticleRow.body) == [(versions[2],)]


def test_changed_headline_alone_is_a_revision(archive: Archive, make_article: MakeArticle) -> None:
    archive.save_article(make_article(), seen_at=T1)
    result = archive.save_article(make_article(headline="Ministry extends support"), seen_at=T2)
    assert result.outcome is SaveOutcome.REVISED
    assert select_rows(archive, ArticleRevision.headline) == [(make_article().headline,)]
    assert select_rows(archive, ArticleRow.headline) == [("Ministry extends support",)]


def test_label_only_change_is_not_a_revision_but_updates_the_labels_and_updated_at(
    archive: Archive, make_article: MakeArticle
) -> None:
    archive.save_article(make_article(labels=()), seen_at=T1)
    result = archive.save_article(make_article(labels=("PHOTO", "UPDATED")), seen_at=T2)
    assert result.outcome is SaveOutcome.UNCHANGED
    assert count_rows(archive, ArticleRevision) == 0
    assert select_rows(archive, ArticleRow.labels, ArticleRow.updated_at, ArticleRow.last_seen_at) == [
        (("PHOTO", "UPDATED"), T2, T2)  # the publisher marked it updated: so was the article
    ]


def test_a_later_page_without_a_date_keeps_the_stored_date(
    archive: Archive, make_article: MakeArticle
) -> None:
    archive.save_article(make_article(), seen_at=T1)
    archive.save_article(make_article(published_at=None, source=None), seen_at=T2)
    assert select_rows(archive, ArticleRow.published_at, ArticleRow.source) == [
        (datetime(2026, 3, 2, 8, 30, tzinfo=UTC), "Ministry of Economy")
    ]


# --- Level 2: the same body under another URL ---------------------------------------------


def _copy(make_article: MakeArticle, **changes: Any) -> ArticleIn:
    """The same release as republished by another outlet (published 10:15 UTC)."""
    fields: dict[str, Any] = {
        "url": "https://daily.example.com/business/2026/03/02/support-for-small-business",
        "source_name": "other-daily",
        "publisher": "Other Daily",
        "headline": "Support for small businesses announced",
        "published_at": datetime(2026, 3, 2, 10, 15, tzinfo=UTC),
    }
    return make_article(**{**fields, **changes})


def test_republished_body_on_another_site_forms_a_duplicate_group(
    archive: Archive, make_article: MakeArticle
) -> None:
    original = archive.save_article(make_article(), seen_at=T1)  # published 08:30 UTC
    copy = archive.save_article(_copy(make_article), seen_at=T2)
    assert copy.outcome is SaveOutcome.DUPLICATE
    assert copy.article_id != original.article_id and copy.group_id is not None
    groups = select_rows(archive, DuplicateGroup.id, DuplicateGroup.first_article_id, DuplicateGroup.size)
    assert groups == [(copy.group_id, original.article_id, 2)]
    assert select_rows(
        archive, ArticleRow.id, ArticleRow.publisher, ArticleRow.duplicate_group_id, order_by=ArticleRow.id
    ) == [
        (original.article_id, "Example News", copy.group_id),
        (copy.article_id, "Other Daily", copy.group_id),
    ]
    again = archive.save_article(_copy(make_article), seen_at=T3)
    assert (again.outcome, again.group_id) == (SaveOutcome.UNCHANGED, copy.group_id)


def test_first_copy_is_the_earliest_published_even_when_seen_later(
    archive: Archive, make_article: MakeArticle
) -> None:
    copy = archive.save_article(_copy(make_article), seen_at=T1)  # published 10:15 UTC
    original = archive.save_article(make_article(), seen_at=T2)  # published 08:30 UTC
    assert original.outcome is SaveOutcome.DUPLICATE
    assert select_rows(archive, DuplicateGroup.first_article_id, DuplicateGroup.size) == [
        (original.article_id, 2)
    ]
    assert copy.group_id is None


def test_without_publication_times_the_first_seen_copy_is_first(
    archive: Archive, make_article: MakeArticle
) -> None:
    copy = _copy(make_article, published_at=None, body=RELEASE_BODY.upper())
    first = archive.save_article(make_article(published_at=None), seen_at=T1)
    second = archive.save_article(copy, seen_at=T2)
    assert second.outcome is SaveOutcome.DUPLICATE
    assert select_rows(archive, DuplicateGroup.first_article_id) == [(first.article_id,)]


def test_a_third_copy_joins_the_existing_group(archive: Archive, make_article: MakeArticle) -> None:
    archive.save_article(make_article(), seen_at=T1)
    second = archive.save_article(_copy(make_article), seen_at=T2)
    third = archive.save_article(
        _copy(make_article, url="https://third.example.org/news/1", publisher="Third"), seen_at=T3
    )
    assert (third.outcome, third.group_id) == (SaveOutcome.DUPLICATE, second.group_id)
    assert select_rows(archive, DuplicateGroup.size) == [(3,)]
    assert count_rows(archive, ArticleRow) == 3


def test_short_boilerplate_bodies_are_not_duplicates(
    archive: Archive, make_article: MakeArticle
) -> None:
    first = archive.save_article(make_article(body="Read more."), seen_at=T1)
    second = archive.save_article(_copy(make_article, body="Read more."), seen_at=T2)
    assert (first.outcome, second.outcome) == (SaveOutcome.NEW, SaveOutcome.NEW)
    assert count_rows(archive, DuplicateGroup) == 0


def test_pages_without_a_body_are_not_duplicates(
    archive: Archive, make_article: MakeArticle
) -> None:
    archive.save_article(make_article(body=None), seen_at=T1)
    second = archive.save_article(_copy(make_article, body=None), seen_at=T2)
    assert second.outcome is SaveOutcome.NEW
    assert select_rows(archive, ArticleRow.body_hash) == [(None,), (None,)]


# --- Aliases and known_urls ------------------------------------------------------------------


def test_fetched_url_is_recorded_as_an_alias(archive: Archive, make_article: MakeArticle) -> None:
    article = make_article(fetched_url="https://news.example.az/?p=123&utm_source=rss")
    result = archive.save_article(article, seen_at=T1)
    assert sorted(select_rows(archive, UrlAlias.url, UrlAlias.article_id)) == [
        ("https://news.example.az/?p=123", result.article_id),
        ("https://news.example.az/en/economy/support-programme", result.article_id),
    ]


def test_known_urls_finds_canonical_urls_and_aliases(
    archive: Archive, make_article: MakeArticle
) -> None:
    archive.save_article(make_article(fetched_url="https://news.example.az/?p=123"), seen_at=T1)
    asked = [
        "https://news.example.az/?p=123&fbclid=x",
        "https://NEWS.example.az/en/economy/support-programme#comments",
        "https://news.example.az/en/economy/other-release",
        "https://news.example.az/?p=124",
    ]
    assert archive.known_urls(asked) == {asked[0], asked[1]}
    assert archive.known_urls([]) == set()


def test_a_page_saved_again_under_its_alias_is_the_same_article(
    archive: Archive, make_article: MakeArticle
) -> None:
    first = archive.save_article(
        make_article(fetched_url="https://news.example.az/?p=123"), seen_at=T1
    )
    again = archive.save_article(make_article(url="https://news.example.az/?p=123"), seen_at=T2)
    assert (again.outcome, again.article_id) == (SaveOutcome.UNCHANGED, first.article_id)
    assert count_rows(archive, ArticleRow) == 1


def test_known_urls_handles_many_urls(archive: Archive, make_article: MakeArticle) -> None:
    archive.save_article(make_article(), seen_at=T1)
    asked = [f"https://news.example.az/en/item/{n}" for n in range(1200)] + [make_article().url]
    assert archive.known_urls(asked) == {make_article().url}


# --- Concurrent writers ------------------------------------------------------------------------


def _save_concurrently(url: str, articles: list[ArticleIn], writers: int) -> list[SaveOutcome]:
    outcomes: list[SaveOutcome] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def write() -> None:
        try:
            with open_archive(url) as archive:
                barrier.wait()
                for n, article in enumerate(articles):
                    seen = T1 + timedelta(seconds=n)
                    outcomes.append(archive.save_article(article, seen_at=seen).outcome)
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return outcomes


def test_concurrent_writers_of_one_page_store_one_row(
    archive_url: str, make_article: MakeArticle
) -> None:
    open_archive(archive_url).close()
    outcomes = _save_concurrently(archive_url, [make_article()] * 5, writers=4)
    assert Counter(outcomes) == {SaveOutcome.NEW: 1, SaveOutcome.UNCHANGED: 19}
    with open_archive(archive_url) as archive:
        assert count_rows(archive, ArticleRow) == 1
        assert count_rows(archive, UrlAlias) == 1


def test_concurrent_writers_of_copies_build_one_group(
    archive_url: str, make_article: MakeArticle
) -> None:
    open_archive(archive_url).close()
    copies = [make_article(url=f"https://site{n}.example.com/release") for n in range(6)]
    outcomes = _save_concurrently(archive_url, copies, writers=3)
    assert Counter(outcomes) == {
        SaveOutcome.NEW: 1, SaveOutcome.DUPLICATE: 5, SaveOutcome.UNCHANGED: 12
    }
    with open_archive(archive_url) as archive:
        assert select_rows(archive, DuplicateGroup.size) == [(6,)]
        assert select_rows(archive, func.count(func.distinct(ArticleRow.duplicate_group_id))) == [(1,)]
