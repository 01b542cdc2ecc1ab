"""Which date a page's evidence yields, and in which zone."""
from __future__ import annotations

from datetime import UTC, datetime

from presswatch.crawler.parsing import ParseProfile, parse_article

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
BAKU = ParseProfile(publisher="Caspian Post", timezone="Asia/Baku", language="en", now=NOW)


def _date(head: str, body: str, profile: ParseProfile = BAKU,
          url: str = "https://news.example/a") -> tuple[str | None, str | None]:
    html = f"<html lang='en'><head>{head}</head><body>{body}</body></html>"
    record = parse_article(html, url, profile).to_json()
    return record["published_at"], record["date_method"]


ARTICLE = "<p>The talks went well, the ministry said on Monday in a statement.</p>"


def test_visible_minute_time_refines_a_date_only_meta() -> None:
    head = '<meta property="article:published_time" content="2023-04-10">'
    body = f"<h1>Talks in Astana</h1><div>10 April 2023 20:01</div>{ARTICLE}"
    assert _date(head, body) == ("2023-04-10T20:01:00+04:00", "text")


def test_a_next_paragraph_starting_with_am_is_no_meridiem() -> None:
    body = ("<h1>Berlin to host a trade forum</h1><div>29 July 2026 12:41</div>"
            "<p>Amid the talks, the ministry said on Monday that the forum would open in July.</p>")
    assert _date("", body) == ("2026-07-29T12:41:00+04:00", "text")


def test_meta_date_alone_is_written_as_a_bare_day() -> None:
    head = '<meta property="article:published_time" content="2023-04-10">'
    assert _date(head, f"<h1>Talks in Astana</h1>{ARTICLE}") == ("2023-04-10", "meta")


def test_json_ld_offset_is_kept_not_converted_to_the_source_zone() -> None:
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", '
            '"datePublished": "2023-04-10T18:01:00+02:00"}</script>')
    assert _date(head, ARTICLE) == ("2023-04-10T18:01:00+02:00", "json-ld")


def test_date_segment_of_the_title_counts_as_metadata() -> None:
    head = "<title>Talks in Astana | DW | 28.04.2023</title>"
    assert _date(head, f"<h1>Talks in Astana</h1>{ARTICLE}") == ("2023-04-28", "meta")


def test_date_in_the_url_is_the_last_resort() -> None:
    assert _date("", f"<h1>Talks</h1>{ARTICLE}", url="https://n.example/2023/04/10/talks") == (
        "2023-04-10", "url")


def test_date_nearest_after_the_headline_wins_over_a_related_list() -> None:
    body = ("<h1>Talks in Astana</h1><p class='d'>10.04.2023 20:01</p>" + ARTICLE
            + "<ul><li>Older story 09.04.2023 18:30</li></ul>")
    assert _date("", body) == ("2023-04-10T20:01:00+04:00", "text")


def test_naive_time_takes_the_offset_the_page_gives_for_its_update() -> None:
    head = ('<meta property="article:published_time" content="2023-04-10T20:01:00">'
            '<meta property="article:modified_time" content="2023-04-11T09:00:00+02:00">')
    profile = ParseProfile(now=NOW)
    assert _date(head, ARTICLE, profile) == ("2023-04-10T20:01:00+02:00", "meta")


def test_without_any_zone_the_time_is_taken_as_utc() -> None:
    head = '<meta property="article:published_time" content="2023-04-10T20:01:00">'
    assert _date(head, ARTICLE, ParseProfile(now=NOW)) == ("2023-04-10T20:01:00+00:00", "meta")


def test_country_domain_gives_the_zone_when_the_source_does_not() -> None:
    head = '<meta property="article:published_time" content="2023-04-10T20:01:00">'
    assert _date(head, ARTICLE, ParseProfile(now=NOW), url="https://zeitung.de/a") == (
        "2023-04-10T20:01:00+02:00", "meta")


def test_russian_date_with_month_name_in_moscow_time() -> None:
    profile = ParseProfile(timezone="Europe/Moscow", language="ru", now=NOW)
    body = "<h1>Форум открылся</h1><div>10 апреля 2023, 20:01</div><p>Текст новости.</p>"
    assert _date("", body, profile) == ("2023-04-10T20:01:00+03:00", "text")


def test_body_text_far_from_the_headline_is_no_publication_date() -> None:
    filler = "<p>" + "Lorem ipsum dolor sit amet. " * 150 + "</p>"
    body = f"<h1>Talks</h1>{filler}<p>The treaty of 12 March 1995 is still valid.</p>"
    assert _date("", body) == (None, None)


def test_midnight_json_ld_is_refined_by_the_visible_time_in_its_own_offset() -> None:
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", '
            '"datePublished": "2023-04-10T00:00:00+02:00"}</script>')
    body = f"<h1>Talks in Astana</h1><div>10.04.2023 20:01</div>{ARTICLE}"
    assert _date(head, body, ParseProfile(now=NOW)) == ("2023-04-10T20:01:00+02:00", "text")


def test_iso_time_with_an_impossible_offset_is_no_date() -> None:
    from presswatch.crawler.parsing.datetext import parse_iso

    assert parse_iso("2024-03-08T17:59:39-6730") is None
    parsed = parse_iso("2022-01-10T22:06:08:684Z")
    assert parsed is not None and parsed.value == datetime(2022, 1, 10, 22, 6, 8, tzinfo=UTC)


def test_utc_time_stays_utc_when_the_page_shows_the_utc_day() -> None:
    head = '<meta property="article:published_time" content="2019-12-26T23:07:45+00:00">'
    body = f"<h1>Talks in Astana</h1><div>26/12/2019</div>{ARTICLE}"
    assert _date(head, body) == ("2019-12-26T23:07:45+00:00", "meta")


def test_utc_time_is_written_in_the_source_zone() -> None:
    head = '<meta property="article:published_time" content="2019-12-26T23:07:45+00:00">'
    assert _date(head, f"<h1>Talks in Astana</h1>{ARTICLE}") == (
        "2019-12-27T03:07:45+04:00", "meta")


def test_a_labelled_date_counts_far_from_the_headline_but_a_bare_one_does_not() -> None:
    filler = "".join(f"<p>{i}. {ARTICLE}</p>" for i in range(60))
    body = f"<h1>Talks in Astana</h1>{filler}<p>Visit us on 12 May 2023.</p>"
    assert _date("", body) == (None, None)
    assert _date("", body + "<p>Published: 11 May 2023</p>") == ("2023-05-11", "text")


def test_iso_time_with_a_zone_abbreviation_takes_its_offset() -> None:
    head = '<meta property="article:published_time" content="2020-09-25T16:02:50CDT">'
    assert _date(head, f"<h1>Talks in Astana</h1>{ARTICLE}") == (
        "2020-09-25T16:02:50-05:00", "meta")


BERLIN = ParseProfile(timezone="Europe/Berlin", language="en", now=NOW)


def test_a_wall_time_the_clocks_skipped_gets_the_zones_real_offset() -> None:
    """02:30 on 26 March 2023 never happened in Berlin (02:00 CET became 03:00 CEST): read with the
    offset before the change, it is the instant 01:30 UTC, which Berlin called 03:30+02:00."""
    body = f"<h1>Berlin to host a trade forum</h1><div>26 March 2023 02:30</div>{ARTICLE}"
    assert _date("", body, BERLIN) == ("2023-03-26T03:30:00+02:00", "text")


def test_a_wall_time_the_clocks_repeated_keeps_its_first_offset() -> None:
    """02:30 on 29 October 2023 happened twice in Berlin: the first (summer time) is taken."""
    body = f"<h1>Berlin to host a trade forum</h1><div>29 October 2023 02:30</div>{ARTICLE}"
    assert _date("", body, BERLIN) == ("2023-10-29T02:30:00+02:00", "text")
