"""Full-text search: ranking, filters, snippets, query syntax, and an index that follows writes."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from presswatch.storage import Archive, ArticleFilter, ArticleIn
from presswatch.storage.fulltext import Terms, fts5_query, parse_terms, snippet_words, ts_config, tsquery_sql

MakeArticle = Callable[..., ArticleIn]
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FILLER = "The ministry published the figures on its website on Monday afternoon."


def _save(archive: Archive, make_article: MakeArticle, slug: str, headline: str, body: str,
          **changes: object) -> int:
    article = make_article(url=f"https://news.example.az/en/{slug}", headline=headline,
                           body=body, **changes)
    return archive.save_article(article, seen_at=T1).article_id


@pytest.fixture
def corpus(archive: Archive, make_article: MakeArticle) -> dict[str, int]:
    """Four releases: one about hydrogen in its headline, one in its body only, two others."""
    return {
        "headline": _save(archive, make_article, "hydrogen-strategy",
                          "Government adopts hydrogen strategy", f"{FILLER} The plan runs to 2030.",
                          published_at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
        "body": _save(archive, make_article, "energy-week", "Energy week opens in Baku",
                      f"Delegates discussed green hydrogen exports. {FILLER}",
                      published_at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
        "other": _save(archive, make_article, "grain-harvest", "Grain harvest grows",
                       f"The harvest grew by four percent. {FILLER}", source_name="agri-news",
                       published_at=datetime(2026, 2, 20, 10, 0, tzinfo=UTC)),
        "phrase": _save(archive, make_article, "green-bonds", "Green bonds issued",
                        f"The first green bonds were issued to fund solar parks. {FILLER}",
                        published_at=None),
    }


def test_matches_in_the_headline_rank_above_matches_in_the_body(
    archive: Archive, corpus: dict[str, int]
) -> None:
    hits = archive.search("hydrogen")
    assert [h.article_id for h in hits] == [corpus["headline"], corpus["body"]]
    assert hits[0].score > hits[1].score > 0
    assert hits[0].headline == "Government adopts hydrogen strategy"
    assert hits[0].url == "https://news.example.az/en/hydrogen-strategy"


def test_a_headline_match_outranks_a_body_match_whatever_the_scores(
    archive: Archive, make_article: MakeArticle
) -> None:
    """README: "a headline match outranks a body match" -- an ordering key, not a weight."""
    # Long headlines among short ones, six mentions in short bodies: BM25's best cases
    # for the body, which on SQLite outscore the headline despite its 5x weight.
    cable = _save(archive, make_article, "cable", "Interconnector cable laid under the strait "
                  "between the two countries after three years of work by engineers from both sides",
                  FILLER)
    grid = _save(archive, make_article, "grid", "Grid report",
                 " ".join(["The interconnector carried power."] * 6))
    tariff = _save(archive, make_article, "tariff", "New tariff for exporters of fruit and "
                   "vegetables to the markets of the region from the first of April", FILLER)
    subsidy = _save(archive, make_article, "subsidy", "Farm report",
                    " ".join(["The subsidy was paid."] * 6))
    both = _save(archive, make_article, "both", "Hydrogen valley", f"{FILLER} Exports.")
    body = _save(archive, make_article, "body-only", "Port report",
                 " ".join(["Hydrogen exports grew."] * 6))

    hits = archive.search("interconnector")
    assert [h.article_id for h in hits] == [cable, grid]
    if archive.engine.dialect.name == "sqlite":  # BM25 alone would put the body match first
        assert hits[1].score > hits[0].score
    assert hits[0].snippet == (
        "[Interconnector] cable laid under the strait between the two countries after three "
        "years of work by engineers from both sides"
    )
    assert [h.article_id for h in archive.search("tariff OR subsidy")] == [tariff, subsidy]
    # one of the words in the headline is a headline match
    assert [h.article_id for h in archive.search("hydrogen exports")] == [both, body]


def test_snippets_mark_the_matched_words(archive: Archive, corpus: dict[str, int]) -> None:
    (hit,) = archive.search("exports")
    assert hit.article_id == corpus["body"]
    assert "[exports]" in hit.snippet
    assert hit.snippet.startswith("Delegates discussed green hydrogen [exports]")


def test_every_word_must_occur_and_stemming_finds_other_forms(
    archive: Archive, corpus: dict[str, int]
) -> None:
    assert [h.article_id for h in archive.search("hydrogen exports")] == [corpus["body"]]
    assert [h.article_id for h in archive.search("discussing")] == [corpus["body"]]  # discussed
    assert archive.search("hydrogen harvest") == []


def test_phrases_alternatives_and_exclusions(archive: Archive, corpus: dict[str, int]) -> None:
    assert [h.article_id for h in archive.search('"green bonds"')] == [corpus["phrase"]]
    assert {h.article_id for h in archive.search("harvest OR bonds")} == {
        corpus["other"], corpus["phrase"]
    }
    assert [h.article_id for h in archive.search("hydrogen -exports")] == [corpus["headline"]]
    assert archive.search("-hydrogen") == []
    assert archive.search('"" ()') == []


def test_filters_by_source_and_publication_time(archive: Archive, corpus: dict[str, int]) -> None:
    def ids(where: ArticleFilter) -> set[int]:
        return {h.article_id for h in archive.search("ministry", where)}

    assert ids(ArticleFilter(source_name="agri-news")) == {corpus["other"]}
    since = datetime(2026, 3, 1, tzinfo=UTC)
    until = datetime(2026, 3, 2, tzinfo=UTC)
    # "phrase" has no publication time: its first-seen time (T1 = 2 March) counts.
    assert ids(ArticleFilter(since=since)) == {corpus["headline"], corpus["body"], corpus["phrase"]}
    assert ids(ArticleFilter(until=until)) == {corpus["headline"], corpus["other"]}
    assert ids(ArticleFilter(since=since, until=until)) == {corpus["headline"]}


def test_the_limit_keeps_the_best_results(archive: Archive, corpus: dict[str, int]) -> None:
    assert [h.article_id for h in archive.search("hydrogen", limit=1)] == [corpus["headline"]]
    assert archive.search("hydrogen", limit=0) == []


def test_the_index_follows_revisions(
    archive: Archive, make_article: MakeArticle, corpus: dict[str, int]
) -> None:
    _save(archive, make_article, "energy-week", "Energy week opens in Baku",
          f"Delegates discussed wind power. {FILLER}")
    assert [h.article_id for h in archive.search("hydrogen")] == [corpus["headline"]]
    assert [h.article_id for h in archive.search("wind")] == [corpus["body"]]


def test_deleting_an_article_removes_it_from_the_index(
    archive: Archive, corpus: dict[str, int]
) -> None:
    with archive.engine.begin() as connection:
        connection.execute(text("DELETE FROM articles WHERE id = :id"), {"id": corpus["body"]})
    assert [h.article_id for h in archive.search("hydrogen")] == [corpus["headline"]]


def test_postgresql_stems_each_article_in_its_language(
    pg_url: str, make_article: MakeArticle
) -> None:
    from presswatch.storage import open_archive

    with open_archive(pg_url) as archive:
        russian = _save(archive, make_article, "kaspiy", "Уровень Каспийского моря",
                        "Уровень моря опустился до исторического минимума.", language="ru")
        german = _save(archive, make_article, "wasser", "Wasserstoff für Häfen",
                       "Die Häfen bauen neue Anlagen.", language="de")
        assert [h.article_id for h in archive.search("море")] == [russian]  # моря -> мор
        assert [h.article_id for h in archive.search("Hafen")] == [german]  # Häfen -> haf
        with archive.engine.connect() as connection:
            configs = connection.execute(text(
                "SELECT config::text FROM articles_fts ORDER BY article_id"
            )).scalars().all()
    # pg_catalog's russian and german, with accents folded (schema 0010)
    assert configs == ["presswatch_russian", "presswatch_german"]


@pytest.mark.parametrize(
    ("language", "config"),
    [("en", "presswatch_english"), ("ru", "presswatch_russian"), ("de-AT", "presswatch_german"),
     ("TR", "presswatch_turkish"), ("fr_CA", "presswatch_french"), ("es", "presswatch_spanish"),
     ("az", "presswatch_simple"), (None, "presswatch_simple"), ("", "presswatch_simple")],
)
def test_languages_map_to_postgresql_configurations(language: str | None, config: str) -> None:
    assert ts_config(language) == config


def test_postgresql_function_maps_languages_like_python(pg_url: str) -> None:
    from presswatch.storage import open_archive

    languages = ["en", "ru", "de-AT", "TR", "fr_CA", "az", None]
    with open_archive(pg_url) as archive, archive.engine.connect() as connection:
        mapped = [
            connection.scalar(text("SELECT presswatch_ts_config(:l)::text"), {"l": lang})
            for lang in languages
        ]
    assert mapped == [ts_config(lang) for lang in languages]


@pytest.mark.parametrize(
    ("terms", "query"),
    [
        ("hydrogen strategy", '("hydrogen") AND ("strategy")'),
        ('"green bonds" solar', '("green bonds") AND ("solar")'),
        ("wind OR solar", '("wind" OR "solar")'),
        ("hydrogen -exports", '("hydrogen") NOT "exports"'),
        ('say "hi', '("say") AND ("hi")'),
        ("AND NOT NEAR(", '("NEAR(")'),  # and, not: stop words
        ("OR NEAR", '("NEAR")'),
        ("the OR a", None),
        ("-only", None),
        ("  ", None),
    ],
)
def test_search_terms_become_safe_fts5_queries(terms: str, query: str | None) -> None:
    assert fts5_query(terms) == query


@pytest.mark.parametrize(
    ("terms", "parsed"),
    [
        ("Tbilisi OR Baku pipeline", Terms((("Tbilisi", "Baku"), ("pipeline",)), ())),
        ('"trade minister" -tariff -"New tariff"',
         Terms((("trade minister",),), ("tariff", "New tariff"))),
        ("the minister -the OR a", Terms((("minister",),), ())),  # stop words: as if not typed
        ('"visit to Baku"', Terms((("visit to Baku",),), ())),  # inside a phrase they stay
        ('say"hi', Terms((("say hi",),), ())),
        ("Brandt's O’Neill’s -Brandt’S", Terms((("Brandt",), ("O’Neill",)), ("Brandt",))),
        ('"Brandt\'s visit"', Terms((("Brandt's visit",),), ())),
        ("OR wind", Terms((("wind",),), ())),
        ("-wind", None),
        ("the", None),
    ],
)
def test_search_terms_are_parsed_once_for_both_engines(terms: str, parsed: Terms | None) -> None:
    assert parse_terms(terms) == parsed


def test_postgresql_query_is_built_with_or_binding_closer_than_and() -> None:
    parsed = parse_terms("Tbilisi OR Baku pipeline -oil")
    assert parsed is not None

    def phrase(i: int) -> str:
        return f"phraseto_tsquery(cfg, :phrase_{i})"

    assert tsquery_sql(parsed, "cfg") == (
        f"(({phrase(0)} || {phrase(1)}) && ({phrase(2)}) && !!{phrase(3)})"
    )
    assert tsquery_sql(parsed, "cfg", part="positive") == (
        f"(({phrase(0)} || {phrase(1)}) && ({phrase(2)}))"
    )
    assert tsquery_sql(parsed, "cfg", part="any") == f"({phrase(0)} || {phrase(1)} || {phrase(2)})"


@pytest.mark.parametrize(
    ("terms", "words"),
    [("hydrogen", 24), ('"a b c d e f g h i j k l m n o p q r"', 26), (" ".join(["w"] * 70), 24),
     ('"' + " ".join(["w"] * 70) + '"', 64)],
)
def test_snippets_are_long_enough_for_the_longest_phrase(terms: str, words: int) -> None:
    parsed = parse_terms(terms)
    assert parsed is not None and snippet_words(parsed) == words
