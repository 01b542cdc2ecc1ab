"""Golden cases: every field of every case in fixtures/cases/ must match exactly."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.parsing.golden import CASES, Case, all_cases, load_case

SEED_TEXT = Path("/work/shared/seed/000_6e52855dfdb79a4c.txt")


@pytest.mark.parametrize("case", all_cases(), ids=lambda case: case.name)
def test_golden_case_matches_expected_record(case: Case) -> None:
    assert case.actual() == case.expected()


def _case(name: str) -> dict:
    return load_case(CASES / name).actual()


def test_seed_page_gives_the_agency_record() -> None:
    record = _case("seed")
    assert record["headline"] == (
        "President Aliyev: Azerbaijan, Kazakhstan reaching qualitatively new level of "
        "interaction, alliance"
    )
    assert record["labels"] == ["PHOTO", "UPDATED"]
    assert record["published_at"] == "2023-04-10T20:01:00+04:00"
    assert (record["source"], record["publisher"]) == ("Azertag", "Caspian Post")
    assert (record["language"], record["authors"]) == ("en", [])


@pytest.mark.skipif(not SEED_TEXT.exists(), reason="the shared seed text is not mounted")
@pytest.mark.parametrize("name", ["seed", "seed-own-rendering"])
def test_seed_page_body_is_the_seed_text_after_its_date_line(name: str) -> None:
    lines = SEED_TEXT.read_text("utf-8").split("\n")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", "\n".join(lines[3:])) if p.strip()]
    assert _case(name)["body"] == "\n\n".join(paragraphs)


def test_visible_date_with_time_in_source_timezone() -> None:
    record = _case("dates-russian-month-name")
    assert (record["published_at"], record["date_method"]) == ("2023-04-10T20:01:00+03:00", "text")


def test_article_date_wins_over_todays_date_in_the_page_header() -> None:
    assert _case("dates-numeric-dmy-header-today")["published_at"] == "2023-04-10T20:01:00+02:00"


def test_future_meta_date_is_rejected_for_the_visible_one() -> None:
    record = _case("future-date-rejected")
    assert (record["published_at"], record["date_raw"]) == (
        "2023-04-10T20:01:00-05:00", "04/10/2023 8:01 PM")


def test_page_without_a_date_has_none() -> None:
    record = _case("no-date-publisher-fallback")
    assert (record["published_at"], record["date_raw"], record["date_method"]) == (None, None, None)


def test_page_naming_no_agency_is_attributed_to_its_publisher() -> None:
    record = _case("no-date-publisher-fallback")
    assert (record["source"], record["source_evidence"]) == ("City Gazette", None)


def test_json_ld_graph_date_keeps_its_own_offset() -> None:
    record = _case("jsonld-graph-iso-offset")
    assert (record["published_at"], record["date_method"]) == (
        "2023-04-10T20:01:00+02:00", "json-ld")
    assert record["authors"] == ["Leyla Mammadova", "John Smith"]


@pytest.mark.parametrize("name", ["charset-utf8-labelled-cp1251", "charset-cp1251-labelled-utf8"])
def test_mislabelled_charset_still_decodes(name: str) -> None:
    assert _case(name)["headline"] == "Курс маната не изменился"


def test_binary_input_gives_an_error_record() -> None:
    record = _case("binary-input")
    assert record["error"] == "unparseable input: empty or binary input"
    assert record["body"] is None
