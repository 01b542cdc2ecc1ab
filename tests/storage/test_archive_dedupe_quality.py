"""Dedupe quality: syndicated and edited copies join one group, unrelated releases never do."""
from __future__ import annotations

import importlib.util
import random
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func

from presswatch.storage import Archive, ArticleIn, SaveOutcome, neardup
from presswatch.storage.models import ArticleRow, ArticleRevision, DuplicateGroup
from tests.storage.helpers import select_rows

MakeArticle = Callable[..., ArticleIn]
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEXTGEN = Path(__file__).resolve().parents[2] / "benchmarks" / "textgen.py"

PARAGRAPHS = [
    ("The Ministry of Energy and the European Investment Bank signed an agreement on Tuesday "
     "to finance three new solar power plants in the southern regions of the country."),
    ("Under the agreement, the bank will provide a loan of 240 million euros with a maturity "
     "of twenty years, while the ministry will contribute land and grid connections."),
    ("The plants are expected to generate 1.2 terawatt hours of electricity a year and to "
     "reduce carbon dioxide emissions by about 600,000 tonnes, the ministry said."),
    ("Construction is scheduled to begin in the autumn, with the first plant due to be "
     "connected to the national grid by the end of next year."),
]
RELEASE = "\n\n".join(PARAGRAPHS)


def _textgen() -> Any:
    spec = importlib.util.spec_from_file_location("presswatch_textgen", TEXTGEN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _outlet(make_article: MakeArticle, n: int, body: str, **changes: Any) -> ArticleIn:
    fields: dict[str, Any] = {
        "url": f"https://outlet{n}.example.com/news/solar-plants",
        "source_name": f"outlet-{n}",
        "publisher": f"Outlet {n}",
        "headline": f"Outlet {n}: bank to finance solar plants",
        "body": body,
        "published_at": T1 + timedelta(hours=n),
    }
    return make_article(**{**fields, **changes})


def test_edited_republications_join_the_group_of_the_original(
    archive: Archive, make_article: MakeArticle
) -> None:
    edits = {
        "dateline": "BAKU, March 2 (Outlet). " + RELEASE,
        "changed paragraph": RELEASE.replace(
            "by the end of next year", "in the second half of next year, officials said"
        ),
        "new headline only": RELEASE,
        "sign-off": RELEASE + "\n\nFollow Outlet on social media for more news.",
    }
    original = archive.save_article(_outlet(make_article, 0, RELEASE), seen_at=T1)
    outcomes = {
        name: archive.save_article(_outlet(make_article, n, body), seen_at=T1).outcome
        for n, (name, body) in enumerate(edits.items(), start=1)
    }
    assert outcomes == dict.fromkeys(edits, SaveOutcome.DUPLICATE)
    assert select_rows(archive, DuplicateGroup.first_article_id, DuplicateGroup.size) == [
        (original.article_id, 5)
    ]


REWRITTEN = (
    "The ministry added that local companies will build the plants and that about two "
    "thousand people are expected to find work on the construction sites across the regions."
)
TEMPLATE_OPENING = "BAKU, 2 March. The Ministry of Energy announced on Tuesday that"
ABOUT = (
    "About the ministry: the Ministry of Energy develops and carries out state policy on "
    "oil, gas, electricity and renewable energy, supervises the energy companies of the "
    "country and represents it in international energy organisations. The ministry was "
    "founded in 2001 and has offices in the capital and in six regional centres, where "
    "citizens and companies can apply for licences and permits.\n\n"
    "Press office: +994 12 000 00 00, press@energy.example.az, open on working days from "
    "nine to six."
)


def test_a_release_reposted_with_one_paragraph_of_four_rewritten_joins_the_group(
    archive: Archive, make_article: MakeArticle
) -> None:
    """An update under a new URL (same headline), and a reprint with another closing paragraph
    (its own headline): a quarter of the text differs, the rest is the original's."""
    headline = "Bank to finance three solar plants in the south"
    update = "\n\n".join([*PARAGRAPHS[:2], REWRITTEN, PARAGRAPHS[3]])
    reprint = "\n\n".join([*PARAGRAPHS[:3], REWRITTEN])
    original = archive.save_article(_outlet(make_article, 0, RELEASE, headline=headline), seen_at=T1)
    outcomes = [
        archive.save_article(_outlet(make_article, 1, update, headline=headline), seen_at=T1).outcome,
        archive.save_article(_outlet(make_article, 2, reprint), seen_at=T1).outcome,
    ]
    assert outcomes == [SaveOutcome.DUPLICATE, SaveOutcome.DUPLICATE]
    assert select_rows(archive, DuplicateGroup.first_article_id, DuplicateGroup.size) == [
        (original.article_id, 3)
    ]


def test_an_article_revised_into_a_rewritten_copy_joins_the_group(
    archive: Archive, make_article: MakeArticle
) -> None:
    """The same rule when a stored page's text changes (one candidate query, not a batch)."""
    original = archive.save_article(_outlet(make_article, 0, RELEASE), seen_at=T1)
    draft = archive.save_article(_outlet(make_article, 1, ABOUT), seen_at=T1)
    reprint = "\n\n".join([*PARAGRAPHS[:3], REWRITTEN])
    revised = archive.save_article(_outlet(make_article, 1, reprint), seen_at=T1)
    assert (revised.outcome, revised.article_id) == (SaveOutcome.REVISED, draft.article_id)
    assert select_rows(archive, DuplicateGroup.first_article_id, DuplicateGroup.size) == [
        (original.article_id, 2)
    ]


def test_releases_sharing_a_template_and_boilerplate_are_not_merged(
    archive: Archive, make_article: MakeArticle
) -> None:
    """Two releases of one ministry: the same opening phrase, "about" paragraph and contacts
    (three quarters of the text), so that their signatures make them candidates and one looks
    mostly inside the other; different news under different headlines."""
    first = (
        f"{TEMPLATE_OPENING} the tender for the construction of a wind farm on the Absheron "
        f"peninsula has been won by a consortium of three foreign companies.\n\n{ABOUT}"
    )
    second = (
        f"{TEMPLATE_OPENING} electricity consumption in the country rose by six percent in "
        f"January compared with the same month of last year, driven by industry.\n\n{ABOUT}"
    )
    signatures = [neardup.signature(first), neardup.signature(second)]
    assert signatures[0] is not None and signatures[1] is not None
    assert set(neardup.band_keys(signatures[0])) & set(neardup.band_keys(signatures[1]))
    assert neardup.containment(*signatures) >= neardup.CONTAINMENT
    headlines = ["Foreign consortium wins wind farm tender", "Electricity use up six percent"]
    saved = [
        archive.save_article(_outlet(make_article, n, body, headline=headlines[n]), seen_at=T1)
        for n, body in enumerate([first, second])
    ]
    assert [result.outcome for result in saved] == [SaveOutcome.NEW, SaveOutcome.NEW]
    assert select_rows(archive, DuplicateGroup.id) == []


def test_copies_linked_by_their_opening_stay_together_when_another_copy_leaves(
    archive: Archive, make_article: MakeArticle
) -> None:
    headline = "Bank to finance three solar plants in the south"
    update = "\n\n".join([*PARAGRAPHS[:2], REWRITTEN, PARAGRAPHS[3]])
    original = archive.save_article(_outlet(make_article, 0, RELEASE, headline=headline), seen_at=T1)
    archive.save_article(_outlet(make_article, 1, update, headline=headline), seen_at=T1)
    leaving = _outlet(make_article, 2, RELEASE)
    archive.save_article(leaving, seen_at=T1)
    archive.save_article(replace(leaving, body=ABOUT + "\n\n" + REWRITTEN), seen_at=T1)
    assert select_rows(archive, DuplicateGroup.first_article_id, DuplicateGroup.size) == [
        (original.article_id, 2)
    ]


def test_the_earliest_published_copy_is_first_even_when_archived_last(
    archive: Archive, make_article: MakeArticle
) -> None:
    late = archive.save_article(_outlet(make_article, 2, RELEASE + " Outlet 2."), seen_at=T1)
    archive.save_article(_outlet(make_article, 3, "DATELINE. " + RELEASE), seen_at=T1)
    earliest = archive.save_article(
        _outlet(make_article, 1, RELEASE, published_at=T1 - timedelta(days=1)), seen_at=T1
    )
    assert late.outcome is SaveOutcome.NEW and earliest.outcome is SaveOutcome.DUPLICATE
    assert select_rows(archive, DuplicateGroup.first_article_id, DuplicateGroup.size) == [
        (earliest.article_id, 3)
    ]


def test_unrelated_releases_on_the_same_topic_are_never_merged(
    archive: Archive, make_article: MakeArticle
) -> None:
    # 400 releases built from the same sentence templates, names and topics, each ending
    # in the same "about us" paragraph: similar vocabulary, different releases.
    textgen, rng = _textgen(), random.Random(20261127)
    about = ("About the ministry: the Ministry of Economy develops and implements state policy "
             "on economic development, investment, trade and entrepreneurship in the country.")
    articles = [
        make_article(url=f"https://news.example.az/en/{n}", headline=textgen.headline(rng),
                     body="\n\n".join([*textgen.paragraphs(rng, rng.randint(3, 5)), about]))
        for n in range(400)
    ]
    for start in range(0, 400, 100):
        archive.save_articles(articles[start : start + 100], seen_at=T1)
    false_merges = select_rows(archive, func.count(ArticleRow.duplicate_group_id))
    assert false_merges == [(0,)]


def test_a_flood_of_near_identical_pages_forms_one_group_in_bounded_time(
    archive: Archive, make_article: MakeArticle
) -> None:
    template = (
        "Official exchange rates of the Central Bank for {day}: the US dollar is 1.7000 manat, "
        "the euro 1.8{n:03d} manat, the Russian rouble 0.0185 manat, the Turkish lira 0.0527 "
        "manat, the pound sterling 2.1800 manat and the Chinese yuan 0.2349 manat. The "
        "rates apply to all banks and exchange offices from nine o'clock in the morning, the "
        "bank said in a statement published on its website on the same day."
        "\n\nThe Central Bank sets the official rates every working day on the basis of the "
        "average rates of the interbank currency market and of the international currency "
        "markets. The official rate of the manat against foreign currencies is used for "
        "accounting, taxation and customs purposes and for the statistics of the balance of "
        "payments. Banks and exchange offices set their own buying and selling rates within "
        "the limits established by the regulations of the Central Bank, and the rates of the "
        "previous working day remain in force on weekends and public holidays."
    )
    pages = [
        make_article(url=f"https://cbar.example.az/rates/{n}", headline=f"Rates for day {n}",
                     body=template.format(day=f"day {n}", n=n))
        for n in range(300)
    ]
    started = time.monotonic()
    for start in range(0, 300, 50):
        archive.save_articles(pages[start : start + 50], seen_at=T1)
    for page in pages[:20]:  # and one by one, as a crawl saves them
        archive.save_article(page, seen_at=T1 + timedelta(hours=1))
    assert time.monotonic() - started < 30
    assert select_rows(archive, DuplicateGroup.size) == [(300,)]


def test_an_article_revised_into_a_copy_joins_that_group(
    archive: Archive, make_article: MakeArticle
) -> None:
    original = archive.save_article(_outlet(make_article, 0, RELEASE), seen_at=T1)
    draft = "An earlier draft about something else entirely, too short to compare."
    other = archive.save_article(_outlet(make_article, 1, draft), seen_at=T1)
    revised = archive.save_article(_outlet(make_article, 1, "BAKU. " + RELEASE), seen_at=T1)
    assert (revised.outcome, revised.article_id) == (SaveOutcome.REVISED, other.article_id)
    assert revised.group_id is not None
    assert select_rows(archive, DuplicateGroup.first_article_id, DuplicateGroup.size) == [
        (original.article_id, 2)
    ]
    assert select_rows(archive, ArticleRevision.body) == [(draft,)]
