"""Duplicate groups follow edits: an article whose text changes leaves the group of its old text.

Each test runs on a SQLite file and on PostgreSQL (the `archive` fixture); the last one with
two writer processes at once.
"""
from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from presswatch.storage import Archive, ArticleIn, SaveOutcome, open_archive
from presswatch.storage.models import ArticleRow, DuplicateGroup
from tests.storage.conftest import RELEASE_BODY, MakeArticle
from tests.storage.helpers import select_rows

REPO = Path(__file__).resolve().parents[2]
T1 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
OTHER_STORY = (
    "The State Statistics Committee published its figures for grain exports in February, "
    "which rose by a tenth against January.\n\nWheat made up most of the shipments."
)
THIRD_STORY = (
    "The Ministry of Culture opens a festival of folk music in Sheki next week, with "
    "ensembles from twelve regions.\n\nTickets are free and go on sale on Friday."
)


def at(hour: int) -> datetime:
    return datetime(2026, 3, 2, hour, 0, tzinfo=UTC)


def copy(make_article: MakeArticle, outlet: str, hour: int, body: str = RELEASE_BODY,
         **changes: str) -> ArticleIn:
    return make_article(url=f"https://{outlet}.example/release", publisher=outlet.title(),
                        source_name=outlet, published_at=at(hour), body=body, **changes)


def groups(archive: Archive) -> list[tuple[int, int]]:
    """(first article id, size) of every group."""
    return sorted(select_rows(archive, DuplicateGroup.first_article_id, DuplicateGroup.size))


def members(archive: Archive) -> dict[int, int | None]:
    return dict(select_rows(archive, ArticleRow.id, ArticleRow.duplicate_group_id))


def test_an_edited_copy_leaves_its_group_and_a_group_of_one_dissolves(
    archive: Archive, make_article: MakeArticle
) -> None:
    later = archive.save_article(copy(make_article, "alpha", 12))  # A/x, published later
    earlier = archive.save_article(copy(make_article, "bravo", 9))  # B/y, published earlier
    assert groups(archive) == [(earlier.article_id, 2)]

    edited = archive.save_article(copy(make_article, "bravo", 9, body=OTHER_STORY), seen_at=T1)

    assert edited.outcome is SaveOutcome.REVISED and edited.group_id is None
    assert groups(archive) == []
    assert members(archive) == {later.article_id: None, earlier.article_id: None}
    first_published_by = [row["first_published_by"] for row in archive.export_articles()]
    assert first_published_by == [None, None]


def test_the_group_keeps_its_other_copies_and_its_first_copy_follows(
    archive: Archive, make_article: MakeArticle
) -> None:
    a = archive.save_article(copy(make_article, "alpha", 12))
    b = archive.save_article(copy(make_article, "bravo", 9))
    c = archive.save_article(copy(make_article, "charlie", 10))
    assert groups(archive) == [(b.article_id, 3)]
    group = c.group_id

    archive.save_article(copy(make_article, "bravo", 9, body=OTHER_STORY), seen_at=T1)

    assert groups(archive) == [(c.article_id, 2)]  # charlie (10:00) is now the earliest copy
    assert members(archive) == {a.article_id: group, b.article_id: None, c.article_id: group}
    assert [row["first_published_by"] for row in archive.export_articles()] == [
        "https://charlie.example/release", None, "https://charlie.example/release"
    ]


def test_an_edited_article_joins_the_group_of_the_text_it_now_carries(
    archive: Archive, make_article: MakeArticle
) -> None:
    a = archive.save_article(copy(make_article, "alpha", 12))
    b = archive.save_article(copy(make_article, "bravo", 9))
    other = archive.save_article(copy(make_article, "delta", 8, body=OTHER_STORY))
    assert other.outcome is SaveOutcome.NEW

    moved = archive.save_article(copy(make_article, "alpha", 12, body=OTHER_STORY), seen_at=T1)

    assert moved.outcome is SaveOutcome.REVISED and moved.group_id is not None
    assert groups(archive) == [(other.article_id, 2)]  # the old group (bravo alone) dissolved
    assert members(archive) == {a.article_id: moved.group_id, b.article_id: None,
                                other.article_id: moved.group_id}


def chain_bodies() -> tuple[str, str, str]:
    """Three texts: the middle one near each end one (MinHash ≥ 0.8), the ends not (0.75), and
    the ends open with different words (under different headlines, only similarity links)."""
    words = [f"word{n}" for n in range(2000)]
    rng = random.Random(1)
    base = [rng.choice(words) for _ in range(600)]

    def edited(text: list[str], start: int, seed: int) -> list[str]:
        changed, pick = list(text), random.Random(seed)
        for i in range(start, start + 30, 3):
            changed[i] = pick.choice(words)
        return changed

    middle = edited(base, 0, 1)
    return " ".join(base), " ".join(middle), " ".join(edited(middle, 570, 2))


def test_a_group_held_together_by_the_edited_article_splits(
    archive: Archive, make_article: MakeArticle
) -> None:
    left, middle, right = chain_bodies()
    a = archive.save_article(copy(make_article, "alpha", 8, body=left, headline="Alpha's take"))
    c = archive.save_article(copy(make_article, "charlie", 10, body=right))
    d = archive.save_article(copy(make_article, "delta", 11, body=right))
    b = archive.save_article(copy(make_article, "bravo", 9, body=middle))  # links alpha to charlie
    assert (a.outcome, c.outcome) == (SaveOutcome.NEW, SaveOutcome.NEW)
    assert groups(archive) == [(a.article_id, 4)]

    archive.save_article(copy(make_article, "bravo", 9, body=THIRD_STORY), seen_at=T1)

    assert groups(archive) == [(c.article_id, 2)]  # charlie and delta still match; alpha is alone
    assert members(archive) == {a.article_id: None, b.article_id: None,
                                c.article_id: d.group_id, d.article_id: d.group_id}


def test_a_new_publication_time_moves_the_first_copy(archive: Archive, make_article: MakeArticle) -> None:
    a = archive.save_article(copy(make_article, "alpha", 12))
    b = archive.save_article(copy(make_article, "bravo", 9))
    assert groups(archive) == [(b.article_id, 2)]

    archive.save_article(copy(make_article, "alpha", 7), seen_at=T1)  # same text, corrected time

    assert groups(archive) == [(a.article_id, 2)]


# -- two writers at once -------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    from presswatch.storage import ArticleIn, open_archive

    url, role, releases = sys.argv[1], sys.argv[2], int(sys.argv[3])

    def article(outlet, n, hour, story):
        body = " ".join(f"{story}{n}w{k} release{n} common{k % 7}" for k in range(60))
        return ArticleIn(
            url=f"https://{outlet}.example/{n}", source_name=outlet, headline=f"Release {n}",
            labels=(), published_at=datetime(2026, 3, 2, hour, tzinfo=timezone.utc), modified_at=None,
            source=None, publisher=outlet, body=body, language="en", authors=(),
            date_raw=None, date_precision=None, date_method=None, source_evidence=None,
        )

    with open_archive(url) as archive:
        for n in range(releases):
            if role == "setup":  # one release on two outlets: alpha (12:00), bravo (09:00)
                archive.save_article(article("alpha", n, 12, "release"))
                archive.save_article(article("bravo", n, 9, "release"))
            elif role == "editor":  # bravo's copy becomes another story
                archive.save_article(article("bravo", n, 9, "other"))
            else:  # a third outlet reprints the release (10:00)
                archive.save_article(article("charlie", n, 10, "release"))
    """
)
RELEASES = 40


def run_writers(url: str, *roles: str) -> None:
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, role, str(RELEASES)], cwd=REPO,
                                stderr=subprocess.PIPE, text=True) for role in roles]
    errors = [writer.communicate(timeout=600)[1] for writer in writers]
    assert [writer.returncode for writer in writers] == [0] * len(roles), errors


def test_an_edit_and_a_new_copy_saved_at_once_leave_consistent_groups(archive_url: str) -> None:
    run_writers(archive_url, "setup")
    run_writers(archive_url, "editor", "reprinter")  # at once: each release's edit and reprint meet

    with open_archive(archive_url) as archive:
        by_group: dict[int | None, list[str]] = {}
        for url, group in select_rows(archive, ArticleRow.url, ArticleRow.duplicate_group_id):
            by_group.setdefault(group, []).append(url)
        groups_ = {group: (first, size) for group, first, size in select_rows(
            archive, DuplicateGroup.id, DuplicateGroup.first_article_id, DuplicateGroup.size)}
        urls = dict(select_rows(archive, ArticleRow.id, ArticleRow.url))
    assert sorted(by_group.pop(None)) == sorted(f"https://bravo.example/{n}" for n in range(RELEASES))
    assert sorted(sorted(copies) for copies in by_group.values()) == sorted(
        [f"https://alpha.example/{n}", f"https://charlie.example/{n}"] for n in range(RELEASES)
    )
    assert set(groups_) == set(by_group)
    assert {urls[first].split("/")[2] for first, _ in groups_.values()} == {"charlie.example"}  # 10:00
    assert {size for _, size in groups_.values()} == {2}
