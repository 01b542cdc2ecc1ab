"""Golden cases: every field of every case in fixtures/cases/ must match exactly."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.parsing.golden import CASES, Case, all_cases, load_case

# The project's seed: the plain text of the agency article the seed case renders (../shared/seed).
SEED_TEXT = CASES / "seed" / "seed-text.txt"


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


@pytest.mark.parametrize(("name", "source", "evidence"), [
    ("attribution-dateline-agency", "Azertag", "BAKU, April 10 (AZERTAG) —"),
    ("attribution-trailing-reports", "Azertag", "Azertag reports"),
    ("attribution-according-to", "Trend", "according to Trend"),
    ("attribution-citing", "Kazinform", "citing Kazinform"),
    ("attribution-source-line", "APA", "Source: APA"),
    ("attribution-ap-dateline", "AP", "WASHINGTON (AP) —"),
    ("trailing-agency-dash", "Reuters", "— Reuters"),
    ("attribution-russian-soobshchaet", "TASS", "сообщает ТАСС"),
    ("attribution-russian-peredaet", "Azertag", "передает АЗЕРТАДЖ"),
    ("attribution-agency-mentioned-in-passing", "Ministry of Energy", None),
])
def test_each_attribution_pattern_names_its_source(name, source, evidence) -> None:
    record = _case(name)
    assert (record["source"], record["source_evidence"]) == (source, evidence)


@pytest.mark.parametrize(("name", "labels"), [
    ("marker-photo-updated", ["PHOTO", "UPDATED"]),
    ("marker-dash-video", ["VIDEO"]),
    ("marker-bracketed-photo", ["PHOTO"]),
    ("marker-parenthesised-video", ["VIDEO"]),
    ("marker-russian-photo-updated", ["ФОТО", "ОБНОВЛЕНО"]),
    ("marker-foto", ["FOTO"]),
])
def test_each_marker_form_leaves_the_headline(name, labels) -> None:
    record = _case(name)
    assert record["labels"] == labels
    assert not any(label.lower() in record["headline"].lower() for label in labels)


@pytest.mark.parametrize("name", ["site-name-suffix-bar", "site-name-suffix-dash",
                                  "site-name-prefix-colon"])
def test_site_name_is_stripped_from_the_title(name) -> None:
    assert _case(name)["headline"] == "Port handles record cargo volume"


@pytest.mark.parametrize(("name", "headline"), [
    # Site names that only the page itself gives (no h1, no og:site_name, no JSON-LD, a host
    # that does not spell them): "X | Site" with X alone in an <h2>; "Site » X" with X in a
    # <div class="headline">; "Site / X" with Site the logo's alt; "X - Site" with
    # "© 2023 Site." in the footer.
    ("site-name-suffix-confirmed-by-heading", "Port handles record cargo volume"),
    ("site-name-prefix-guillemet-confirmed-by-heading", "Dredging works begin in the outer harbour"),
    ("site-name-affix-from-logo-alt", "Summer ferry timetable adds evening crossings"),
    ("site-name-affix-from-copyright-line", "Cruise berths to get shore power by 2025"),
    # The heading the page shows over its copies for search engines: an h2 printing its
    # kicker apart that og:title repeats (JSON-LD, h1 and <title> say another); an h1 with
    # its kicker apart under og:title "Wage talks: X"; an <h1 class="seotitle"> copy with the
    # h2 after it showing X; <meta name="headline"> under og:title and <title> "X-Section | Site".
    ("headline-kicker-heading-over-plain-h1", "Minister opens the new container terminal"),
    ("headline-declared-title-with-another-kicker", "Harbour pilots call off their strike"),
    ("headline-seo-h1-gives-way-to-h2", "Grain exports through the port double"),
    ("headline-meta-headline-tag", "Old lighthouse to open as a museum"),
])
def test_the_headline_is_what_the_page_itself_shows(name, headline) -> None:
    assert _case(name)["headline"] == headline


@pytest.mark.parametrize(("name", "published_at"), [
    ("dates-german-uhr", "2023-04-10T20:01:00+02:00"),
    ("dates-french", "2023-04-10T20:01:00+02:00"),
    ("dates-turkish", "2023-04-10T20:01:00+03:00"),
    ("dates-us-month-day-year-pm", "2023-04-10T20:01:00-05:00"),
    ("dates-year-first-slash", "2023-04-10"),
])
def test_dates_in_several_languages_and_orders(name, published_at) -> None:
    assert _case(name)["published_at"] == published_at


def test_javascript_app_shell_has_no_body_and_no_headline() -> None:
    record = _case("javascript-app-shell-noscript")
    assert (record["headline"], record["body"]) == (None, None)


def test_short_headline_is_not_the_first_body_paragraph() -> None:
    record = _case("short-headline-not-repeated-in-body")
    assert record["body"].startswith("The ministry said on Monday")


def test_authors_leave_the_agency_to_the_source() -> None:
    record = _case("authors-byline-without-agency")
    assert record["authors"] == ["Leyla Mammadova", "Arman Nurlanov"]
    assert record["source"] == "Azertag"


@pytest.mark.parametrize(("name", "published_at", "method"), [
    ("dates-jsonld-untyped-script", "2023-04-10T20:01:00+02:00", "json-ld"),
    ("dates-jsonld-howto", "2021-05-17", "json-ld"),
    ("dates-itemprop-abbr-title", "2021-03-14T07:45:00-05:00", "time"),
    ("dates-json-state-published-date", "2021-06-02T18:12:40+00:00", "script"),
    ("dates-trackback-rdf-comment", "2021-08-22T21:00:00+09:00", "rdf"),
    ("dates-url-day-month-year", "2021-09-14", "url"),
    ("dates-labelled-far-below", "2023-05-04", "text"),
    ("dates-date-classed-element", "2022-04-07T10:00:00+02:00", "text"),
    ("dates-headline-in-figcaption", "2022-03-02", "text"),
    ("noscript-left-open-holds-the-page", "2021-06-03", "text"),
    ("dates-month-name-from-dateparser-locale", "2020-08-17", "text"),
])
def test_dates_the_parser_used_to_miss(name, published_at, method) -> None:
    record = _case(name)
    assert (record["published_at"], record["date_method"]) == (published_at, method)


@pytest.mark.parametrize(("name", "published_at"), [
    ("dates-sidebar-and-comment-ignored", "2023-04-10"),
    ("dates-time-text-other-day", "2021-09-14"),
    ("dates-generic-meta-below-time", "2022-03-09T08:00:00+01:00"),
    ("dates-running-text-below-dateline", "2021-03-04"),
    ("dates-english-numeric-month-first", "2023-11-01"),
    ("dates-jsonld-and-meta-disagree", "2023-05-22T10:00:00+02:00"),
    ("dates-meta-tags-disagree", "2022-01-18T11:30:00+01:00"),
    ("dates-generic-meta-alone-vs-visible", "2020-04-07"),
    ("dates-time-element-text-only", "2021-03-10T12:01:00+01:00"),
])
def test_the_article_own_date_wins(name, published_at) -> None:
    assert _case(name)["published_at"] == published_at


@pytest.mark.parametrize(("name", "published_at", "raw", "instant"), [
    ("dates-malformed-utc-seconds", "2020-12-06T00:15:00+01:00", "2020-12-05T23:15:0Z",
     "2020-12-05T23:15:00+00:00"),
    ("dates-utc-in-source-timezone", "2023-03-01T19:40:00-07:00", "2023-03-02T02:40:00Z",
     "2023-03-02T02:40:00+00:00"),
    ("dates-utc-local-offset-shown-elsewhere", "2023-06-14T20:30:00-07:00",
     "2023-06-15T03:30:00Z", "2023-06-15T03:30:00+00:00"),
    ("dates-utc-in-country-zone", "2020-11-25T22:30:00-03:00", "2020-11-26T01:30:00Z",
     "2020-11-26T01:30:00+00:00"),
])
def test_a_utc_instant_is_kept_and_written_in_the_publisher_offset(name, published_at, raw,
                                                                   instant) -> None:
    record = _case(name)
    assert (record["published_at"], record["date_raw"]) == (published_at, raw)
    assert datetime.fromisoformat(published_at) == datetime.fromisoformat(instant)


@pytest.mark.parametrize(("name", "authors", "source"), [
    ("authors-byline-roles", ["Anna Berg", "Jonas Weber"], "stadtbote.example"),
    ("authors-jsonld-person-list-agency", ["Anna Berg", "Jonas Weber"], "dpa"),
    ("authors-meta-several-names-agency", ["Anna Berg", "Jonas Weber"], "AFP"),
    ("authors-link-to-author-page", ["Dr. Anna Berg"], "Stadtbote"),
])
def test_bylines_credit_people_as_authors_and_an_agency_as_source(name, authors, source) -> None:
    record = _case(name)
    assert (record["authors"], record["source"]) == (authors, source)


def test_a_listing_page_is_marked_and_a_short_article_with_related_links_is_not() -> None:
    assert _case("listing-pagination-page-html")["listing"] is True
    assert "listing" not in _case("listing-short-article-with-related-links")


@pytest.mark.parametrize("name", ["publisher-from-jsonld-publisher", "publisher-from-jsonld-website"])
def test_without_a_configured_publisher_the_page_names_its_site(name) -> None:
    assert _case(name)["publisher"] == "River News"
