"""Dedupe level 3: the same release republished with small edits joins one group."""
from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func

from presswatch.storage import Archive, ArticleIn, SaveOutcome
from presswatch.storage.models import ArticleLsh, ArticleRow, ArticleSignature, DuplicateGroup
from presswatch.storage.neardup import (
    BANDS,
    CONTAINMENT,
    CONTAINMENT_SAME_HEADLINE,
    LEAD_CHARS,
    THRESHOLD,
    Opening,
    _densified,
    band_keys,
    containment,
    decode,
    shingles,
    signature,
    similarity,
)
from tests.storage.helpers import select_rows

MakeArticle = Callable[..., ArticleIn]
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

RELEASE = (
    "BAKU, 2 March. The Ministry of Economy announced on Monday a new programme of support "
    "for small and medium-sized businesses in the regions of the country.\n\n"
    "Under the programme, entrepreneurs outside the capital may apply for low-interest loans "
    "of up to 50,000 manat and for grants covering half the cost of new equipment.\n\n"
    "Applications open on 1 April and will be reviewed by a commission within thirty days, "
    "the ministry said, adding that the first payments are expected in early summer."
)
EDITED = (
    "The Ministry of Economy announced on Monday a new programme of support "
    "for small and medium-sized businesses in the regions of the country.\n\n"
    "Under the programme, entrepreneurs outside the capital may apply for low-interest loans "
    "of up to 50,000 manat and for grants covering half the cost of new equipment.\n\n"
    "Applications open on 1 April and will be reviewed by a commission within thirty days, "
    "the ministry said, adding that the first payments are expected in early summer. "
    "Follow us on social media."
)
UNRELATED = (
    "BAKU, 2 March. The Ministry of Economy announced on Monday the results of the annual "
    "survey of industrial production, which grew by four percent compared with last year.\n\n"
    "The strongest growth was recorded in food processing and construction materials, while "
    "textile output declined slightly, according to the figures published by the ministry.\n\n"
    "The full report will be presented to parliament at the end of the month, the ministry said."
)


def test_signatures_estimate_similarity_of_edited_and_unrelated_texts() -> None:
    original, edited, unrelated = signature(RELEASE), signature(EDITED), signature(UNRELATED)
    assert original is not None and edited is not None and unrelated is not None
    assert similarity(original, original) == 1.0
    assert similarity(original, edited) >= 0.8
    assert similarity(original, unrelated) < 0.3
    assert len(set(band_keys(original))) == BANDS


def test_signatures_are_pinned_values_comparable_with_stored_ones() -> None:
    # No per-process hash seeds: a signature stored today must match one made tomorrow.
    # If this fails, the constants changed: add a migration that re-signs the archive.
    minhashes = signature(RELEASE)
    assert minhashes is not None and len(minhashes) == 64
    assert minhashes[:2] == (145739966, 930302633)
    assert band_keys(minhashes)[:2] == [1503143883, (1 << 32) | 3801426827]
    assert minhashes == signature(RELEASE.upper().replace(" ", "  "))


def _signature_by_definition(body: str) -> tuple[int, ...]:
    """The one-permutation MinHash as the module docstring defines it, shingle by shingle."""
    mins = [1 << 32] * 64
    for shingle in shingles(body):
        mixed = (zlib.crc32(shingle.encode("utf-8", "surrogatepass")) * 0x9E3779B97F4A7C15) % (1 << 64)
        slot, value = mixed >> 58, (mixed >> 26) % (1 << 32)
        mins[slot] = min(mins[slot], value)
    return tuple(_densified(mins))


@pytest.mark.parametrize("body", [
    RELEASE,
    UNRELATED + " Ünïcödé wörds, «quotes», ß and Ж, 中文 text, an emoji 😀 and a lone \ud800 surrogate.",
    " ".join(f"w{n % 7}" for n in range(60)),  # few distinct shingles: empty bins borrow values
])
def test_signatures_are_the_minhash_of_the_shingles_as_defined(body: str) -> None:
    assert signature(body) == _signature_by_definition(body)


def test_shingles_are_word_five_grams_of_the_normalised_text() -> None:
    assert shingles("The  Ministry of ECONOMY announced today") == {
        "the ministry of economy announced", "ministry of economy announced today"
    }


def test_short_bodies_get_no_signature() -> None:
    assert signature("A short note of thirty words or so is not enough to compare.") is None
    assert signature(None) is None


def test_containment_estimates_how_much_of_the_shorter_text_the_other_holds() -> None:
    longer = RELEASE + "\n\n" + UNRELATED
    original, extended, unrelated = signature(RELEASE), signature(longer), signature(UNRELATED)
    assert original is not None and extended is not None and unrelated is not None
    # The release is all inside the longer text; a short text's empty bins (filled from its
    # other bins) blur the estimate a little: 0.8 here.
    assert similarity(original, extended) < THRESHOLD
    assert containment(original, extended) == containment(extended, original) >= 0.75
    assert containment(original, unrelated) < 0.3


@pytest.mark.parametrize(("first", "second", "needs"), [
    (("Bank to finance solar plants", RELEASE), ("Support for businesses", "SUMGAIT (Outlet). " + RELEASE),
     CONTAINMENT),
    (("Ministry opens a support programme", RELEASE), ("Ministry opens a support programme", UNRELATED),
     CONTAINMENT_SAME_HEADLINE),
    (("Ministry opens a support programme", RELEASE), ("Ministry opens support programme", UNRELATED), None),
    (("Press release", RELEASE), ("Press release", UNRELATED), None),
    (("Ministry opens a support programme", RELEASE), ("Industry grew", UNRELATED), None),
])
def test_texts_that_open_alike_need_less_proof_of_containment(first, second, needs) -> None:
    # The same first twenty words (after a dateline), else the same headline of four words
    # or more (headlines recur more often than opening words); "BAKU, 2 March. The Ministry
    # of Economy announced on Monday" is a common opening, not the same one.
    assert Opening.of(*first).needs(Opening.of(*second)) == needs
    assert Opening.of(*second).needs(Opening.of(*first)) == needs


def test_the_opening_reads_the_body_as_far_as_the_candidate_query_does() -> None:
    opening = Opening.of(None, RELEASE)
    assert len(RELEASE) > LEAD_CHARS
    assert opening == Opening.of(None, RELEASE[:LEAD_CHARS])
    assert opening.lead[-2:] == ("commission", "within")  # not "thir", cut from "thirty"


def test_a_release_republished_with_small_edits_joins_the_group(
    archive: Archive, make_article: MakeArticle
) -> None:
    original = archive.save_article(make_article(body=RELEASE), seen_at=T1)
    copy = archive.save_article(
        make_article(url="https://daily.example.com/economy/support", publisher="Other Daily",
                     source_name="other-daily", body=EDITED,
                     published_at=datetime(2026, 3, 2, 11, 0, tzinfo=UTC)),
        seen_at=T2,
    )
    assert copy.outcome is SaveOutcome.DUPLICATE and copy.group_id is not None
    assert select_rows(archive, DuplicateGroup.first_article_id, DuplicateGroup.size) == [
        (original.article_id, 2)
    ]
    assert sorted(select_rows(archive, ArticleRow.publisher, ArticleRow.duplicate_group_id)) == [
        ("Example News", copy.group_id), ("Other Daily", copy.group_id)
    ]


def test_different_releases_of_one_ministry_are_not_duplicates(
    archive: Archive, make_article: MakeArticle
) -> None:
    archive.save_article(make_article(body=RELEASE), seen_at=T1)
    other = archive.save_article(
        make_article(url="https://news.example.az/en/economy/industry", body=UNRELATED),
        seen_at=T2,
    )
    assert other.outcome is SaveOutcome.NEW
    assert select_rows(archive, DuplicateGroup.id) == []
    assert select_rows(archive, func.count(ArticleSignature.article_id)) == [(2,)]
    assert select_rows(archive, func.count(func.distinct(ArticleLsh.article_id))) == [(2,)]


def test_a_revised_body_replaces_the_stored_signature(
    archive: Archive, make_article: MakeArticle
) -> None:
    first = archive.save_article(make_article(body=RELEASE), seen_at=T1)
    archive.save_article(make_article(body=UNRELATED), seen_at=T2)
    expected = signature(UNRELATED)
    assert expected is not None
    stored = select_rows(archive, ArticleSignature.article_id, ArticleSignature.minhashes)
    assert [(article_id, decode(packed)) for article_id, packed in stored] == [
        (first.article_id, expected)
    ]
    assert sorted(select_rows(archive, ArticleLsh.bucket, ArticleLsh.article_id)) == [
        (key, first.article_id) for key in sorted(set(band_keys(expected)))
    ]


def test_articles_too_short_to_compare_store_no_signature(
    archive: Archive, make_article: MakeArticle
) -> None:
    archive.save_article(make_article(body="Too short to compare."), seen_at=T1)
    assert select_rows(archive, ArticleSignature.article_id) == []
    assert select_rows(archive, ArticleLsh.article_id) == []
