"""Search parity: the same query over the same archive finds the same articles on SQLite and
PostgreSQL (README, "Search: what a query matches").

Every test runs on both databases and states one expected answer; where the engines differ on
purpose (stemming beyond English, PostgreSQL's wider accent folding, decimal numbers), the
expectation names each engine's answer.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from presswatch.storage import Archive, ArticleIn, open_archive
from presswatch.storage.migrate import alembic_config

MakeArticle = Callable[..., ArticleIn]
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

#: slug -> (language, headline, body)
CORPUS = {
    "brandt": ("en", "Minister Brandt's visit to Baku", "The minister met officials."),
    "brandt-typographic": ("en", "Talks with Brandt’s team", "The delegation arrived on Monday."),
    "brandt-square": ("en", "Willy Brandt Square reopens", "The square was rebuilt."),
    "oneill": ("en", "O’Neill meets the trade minister", "Talks covered gas supplies."),
    "oneill-ascii": ("en", "Trade talks continue", "Commissioner O'Neill said the talks went well."),
    "ministere": ("fr", "Le Ministère de l'Énergie publie son bilan",
                  "La consommation d'énergie a baissé."),
    "energie": ("de", "Energiewende: neue Energie für Häfen", "Die Energie kommt aus Wind."),
    "strasse": ("de", "Neue Straße in Baku", "Die Straße ist fertig."),
    "coeur": ("fr", "Au cœur de Bakou", "Le cœur de la ville."),
    "cooperation": ("en", "Co-operation agreement signed", "The co-operation covers transport."),
    "pipeline": ("en", "Baku-Tbilisi-Ceyhan pipeline carries record volumes", "Oil flows rose."),
    "caspian": ("ru", "Уровень Каспийского моря",
                "Уровень моря опустился до исторического минимума."),
    "yolka": ("ru", "Новогодняя ёлка в Баку", "Ёлку поставили на площади."),
    "cjk": ("zh", "中国与阿塞拜疆签署协议", "双方 签署 能源 合作 协议。"),
    "numbers": ("en", "Growth of 1.5 percent in 2026", "Exports rose 10% in the first quarter."),
}


@pytest.fixture
def slugs(archive: Archive, make_article: MakeArticle) -> dict[int, str]:
    """The corpus archived; article id -> slug."""
    saved = {}
    for slug, (language, headline, body) in CORPUS.items():
        article = make_article(url=f"https://news.example.az/{slug}", headline=headline,
                               body=body, language=language)
        saved[archive.save_article(article, seen_at=T1).article_id] = slug
    return saved


def found(archive: Archive, slugs: dict[int, str], *queries: str) -> dict[str, set[str]]:
    """Each query -> the slugs of the articles it finds."""
    return {query: {slugs[hit.article_id] for hit in archive.search(query)} for query in queries}


def database(archive: Archive) -> str:
    return archive.engine.dialect.name  # "sqlite" or "postgresql"


def test_apostrophes_separate_words_whichever_apostrophe(
    archive: Archive, slugs: dict[int, str]
) -> None:
    brandt = {"brandt", "brandt-typographic", "brandt-square"}
    oneill = {"oneill", "oneill-ascii"}
    # A lone word's possessive 's is left out (PostgreSQL's English stop word "s");
    # in a phrase it stays.
    assert found(archive, slugs, "Brandt's", "Brandt’s", "Brandt", "Brandts", "O'Neill",
                 "O’Neill", "Neill", "ONeill", "talks -O’Neill", '"Brandt\'s visit"',
                 '"Brandt visit"') == {
        "Brandt's": brandt, "Brandt’s": brandt, "Brandt": brandt, "Brandts": brandt,
        '"Brandt\'s visit"': {"brandt"}, '"Brandt visit"': set(),
        "O'Neill": oneill, "O’Neill": oneill, "Neill": oneill, "ONeill": set(),
        "talks -O’Neill": {"brandt-typographic"},
    }


def test_accents_are_folded_both_ways(archive: Archive, slugs: dict[int, str]) -> None:
    energie = {"ministere", "energie"}
    assert found(archive, slugs, "énergie", "energie", "ÉNERGIE", "Ministère", "ministere",
                 "d'énergie", "Energiewende -énergie", "Häfen", "Hafen") == {
        "énergie": energie, "energie": energie, "ÉNERGIE": energie,
        "Ministère": {"ministere"}, "ministere": {"ministere"}, "d'énergie": {"ministere"},
        "Energiewende -énergie": set(),
        "Häfen": {"energie"},
        "Hafen": {"energie"},  # folded to "hafen" on SQLite; German stemming on PostgreSQL
    }


def test_postgresql_also_folds_letters_sqlite_keeps(
    archive: Archive, slugs: dict[int, str]
) -> None:
    # unaccent folds ё, ß and œ too; SQLite's remove_diacritics only strips marks from letters.
    folded = database(archive) == "postgresql"
    assert found(archive, slugs, "ёлка", "елка", "Straße", "strasse", "cœur", "coeur") == {
        "ёлка": {"yolka"}, "елка": {"yolka"} if folded else set(),
        "Straße": {"strasse"}, "strasse": {"strasse"} if folded else set(),
        "cœur": {"coeur"}, "coeur": {"coeur"} if folded else set(),
    }


def test_hyphenated_words_match_as_written_or_by_their_parts(
    archive: Archive, slugs: dict[int, str]
) -> None:
    assert found(archive, slugs, "co-operation", "Co-Operation", "co operation", "operation",
                 "cooperation", "Baku-Tbilisi-Ceyhan", "Tbilisi", "Tbilisi-Baku") == {
        "co-operation": {"cooperation"}, "Co-Operation": {"cooperation"},
        "co operation": {"cooperation"}, "operation": {"cooperation"}, "cooperation": set(),
        "Baku-Tbilisi-Ceyhan": {"pipeline"}, "Tbilisi": {"pipeline"}, "Tbilisi-Baku": set(),
    }


def test_cyrillic_is_case_folded_and_stemmed_in_russian_on_postgresql_only(
    archive: Archive, slugs: dict[int, str]
) -> None:
    stemmed = database(archive) == "postgresql"
    assert found(archive, slugs, "Каспийского", "КАСПИЙСКОГО", "моря", "море") == {
        "Каспийского": {"caspian"}, "КАСПИЙСКОГО": {"caspian"}, "моря": {"caspian"},
        "море": {"caspian"} if stemmed else set(),  # моря -> мор (Russian snowball)
    }


def test_cjk_text_matches_whole_unspaced_runs_only(
    archive: Archive, slugs: dict[int, str]
) -> None:
    assert found(archive, slugs, "中国与阿塞拜疆签署协议", "中国", "能源", "签署") == {
        "中国与阿塞拜疆签署协议": {"cjk"}, "中国": set(), "能源": {"cjk"}, "签署": {"cjk"},
    }


def test_numbers_match_as_written(archive: Archive, slugs: dict[int, str]) -> None:
    split_decimals = database(archive) == "sqlite"  # unicode61 splits 1.5 into 1 and 5
    assert found(archive, slugs, "2026", "1.5", "10%", "10", "1") == {
        "2026": {"numbers"}, "1.5": {"numbers"}, "10%": {"numbers"}, "10": {"numbers"},
        "1": {"numbers"} if split_decimals else set(),
    }


def test_phrases_alternatives_and_exclusions(archive: Archive, slugs: dict[int, str]) -> None:
    assert found(archive, slugs, '"trade minister"', '"minister trade"', "Tbilisi OR Каспийского",
                 "Tbilisi OR Baku pipeline", "Baku -Brandt", "-Baku", '"Brandt’s team"',
                 '"record volumes oil flows"') == {
        '"trade minister"': {"oneill"}, '"minister trade"': set(),
        "Tbilisi OR Каспийского": {"pipeline", "caspian"},
        # OR binds closer than the implicit AND: (Tbilisi or Baku) and pipeline
        "Tbilisi OR Baku pipeline": {"pipeline"},
        "Baku -Brandt": {"pipeline", "strasse"}, "-Baku": set(),
        '"Brandt’s team"': {"brandt-typographic"},
        '"record volumes oil flows"': set(),  # a phrase does not run from headline into body
    }


def test_english_stop_words_on_their_own_are_left_out(
    archive: Archive, slugs: dict[int, str]
) -> None:
    minister = {"brandt", "oneill"}
    assert found(archive, slugs, "a minister", "the minister", "minister -the", "in Baku", "the",
                 '"Minister Brandt\'s visit to Baku"', '"visit Baku"') == {
        "a minister": minister, "the minister": minister, "minister -the": minister,
        "in Baku": {"brandt", "pipeline", "strasse"}, "the": set(),
        '"Minister Brandt\'s visit to Baku"': {"brandt"}, '"visit Baku"': set(),
    }


def test_a_headline_only_match_shows_the_headline_with_the_match_marked(
    archive: Archive, slugs: dict[int, str]
) -> None:
    def snippets(query: str) -> list[str]:
        return [hit.snippet for hit in archive.search(query)]

    assert snippets("Tbilisi") == ["Baku-[Tbilisi]-Ceyhan pipeline carries record volumes"]
    assert snippets("Growth") == ["[Growth] of 1.5 percent in 2026"]
    assert snippets("中国与阿塞拜疆签署协议") == ["[中国与阿塞拜疆签署协议]"]
    assert snippets("Baku -Tbilisi -Brandt") == ["Neue Straße in [Baku]"]


def test_a_body_match_shows_the_body(archive: Archive, slugs: dict[int, str]) -> None:
    # PostgreSQL's ts_headline leaves out the punctuation that ends a snippet.
    end = "." if database(archive) == "sqlite" else ""
    (hit,) = archive.search("delegation")
    assert hit.snippet == f"The [delegation] arrived on Monday{end}"
    (hit,) = archive.search("gas")
    assert hit.snippet == f"Talks covered [gas] supplies{end}"


def _migrate(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if revision == "0008":
                command.downgrade(alembic_config(connection), revision)
            else:
                command.upgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


def _configs(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(
                text("SELECT config::text FROM articles_fts ORDER BY article_id")))
    finally:
        engine.dispose()


def test_schema_0010_indexes_archived_articles_again_with_accents_folded(
    pg_url: str, make_article: MakeArticle
) -> None:
    article = make_article(url="https://news.example.az/ministere", language="fr",
                           headline="Le Ministère de l'Énergie publie son bilan",
                           body="La consommation d'énergie a baissé.")
    with open_archive(pg_url) as archive:
        ministere = archive.save_article(article, seen_at=T1).article_id
    _migrate(pg_url, "0008")
    assert _configs(pg_url) == ["french"]  # pg_catalog's: "energie" would not find "Énergie"

    _migrate(pg_url, "head")

    assert _configs(pg_url) == ["presswatch_french"]
    with open_archive(pg_url) as archive:
        assert [hit.article_id for hit in archive.search("energie")] == [ministere]
        assert [hit.snippet for hit in archive.search("ENERGIE")] == [
            "La consommation d'[énergie] a baissé"
        ]
        assert archive.search('"son bilan la consommation"') == []  # headline, gap, body


def test_schema_0010_leaves_sqlite_as_it_is(sqlite_url: str, make_article: MakeArticle) -> None:
    article = make_article(url="https://news.example.az/ministere", language="fr",
                           headline="Le Ministère de l'Énergie publie son bilan", body="Bilan.")
    with open_archive(sqlite_url) as archive:
        ministere = archive.save_article(article, seen_at=T1).article_id
    _migrate(sqlite_url, "0008")
    _migrate(sqlite_url, "head")
    with open_archive(sqlite_url) as archive:
        assert [hit.article_id for hit in archive.search("energie")] == [ministere]
