"""How the headline is chosen among h1, og:title, JSON-LD headline and <title>."""
from __future__ import annotations

import json

import lxml.html

from presswatch.crawler.parsing.headline import pick_headline, site_names
from presswatch.crawler.parsing.structured import read_structured


def _pick(head: str, body: str, publisher: str | None = None,
          host: str = "news.example") -> tuple[str | None, tuple[str, ...]]:
    tree = lxml.html.document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>")
    structured = read_structured(tree)
    return pick_headline(tree, structured, site_names(structured, publisher, host))


def _ld(headline: str) -> str:
    data = {"@type": "NewsArticle", "headline": headline}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_site_suffix_is_stripped_from_the_title_when_h1_agrees() -> None:
    assert _pick("<title>Port reopens after storm | Harbour News</title>",
                 "<h1>Port reopens after storm</h1>") == ("Port reopens after storm", ())


def test_site_prefix_is_stripped_using_og_site_name() -> None:
    head = ('<meta property="og:site_name" content="Harbour News">'
            "<title>Harbour News - Port reopens after storm</title>")
    assert _pick(head, "<p>text</p>") == ("Port reopens after storm", ())


def test_logo_h1_with_the_site_name_is_not_the_headline() -> None:
    head = "<title>Port reopens after storm | Harbour News</title>"
    body = "<h1>Harbour News</h1><h1>Port reopens after storm</h1>"
    assert _pick(head, body, publisher="Harbour News") == ("Port reopens after storm", ())


def test_headline_that_mentions_the_site_name_is_kept() -> None:
    assert _pick("<title>Trend in oil prices turns upward</title>", "",
                 publisher="Trend") == ("Trend in oil prices turns upward", ())


def test_the_majority_of_the_page_sources_wins() -> None:
    head = (_ld("Minister opens wind farm") + '<meta property="og:title" content="Wind!">'
            "<title>Minister opens wind farm</title>")
    assert _pick(head, "<h1>Minister opens wind farm</h1>") == ("Minister opens wind farm", ())


def test_kicker_is_dropped_when_og_title_states_the_headline_without_it() -> None:
    head = ('<meta property="og:title" content="Judy Lybke, ganz und gar nicht eigenartig">'
            + _ld("Neue Leipziger Schule: Judy Lybke, ganz und gar nicht eigenartig"))
    body = "<h1>Neue Leipziger Schule: Judy Lybke, ganz und gar nicht eigenartig</h1>"
    assert _pick(head, body)[0] == "Judy Lybke, ganz und gar nicht eigenartig"


def test_markers_of_every_source_become_labels_declared_title_first() -> None:
    head = '<meta property="og:title" content="Fire in Baku PHOTO/UPDATED">'
    assert _pick(head, "<h1>Fire in Baku [VIDEO] [PHOTO]</h1>") == (
        "Fire in Baku", ("PHOTO", "UPDATED", "VIDEO"))


def test_breadcrumb_h1_gives_way_to_the_visible_h2_headline() -> None:
    head = _ld("Streeck lobt Haftbefehl-Doku und warnt vor Kokain-Verherrlichung")
    body = ('<h1 data-breadcrumb-headline>Haftbefehl: Streeck lobt Doku</h1>'
            "<h2>Streeck lobt Haftbefehl-Doku und warnt vor Kokain-Verherrlichung</h2>")
    assert _pick(head, body)[0] == (
        "Streeck lobt Haftbefehl-Doku und warnt vor Kokain-Verherrlichung")


def test_marked_kicker_and_screen_reader_text_are_not_part_of_the_heading() -> None:
    body = ('<h1><span class="article-title__overline">Eskalation im Nahen Osten</span>'
            '<span class="h-offscreen"> - </span>'
            '<span class="article-title__text">«Zurückhaltung hat viel mit den USA zu tun»</span>'
            "</h1>")
    assert _pick("", body)[0] == "«Zurückhaltung hat viel mit den USA zu tun»"


def test_second_clause_after_a_colon_is_not_a_section_suffix() -> None:
    head = ('<meta property="og:title" content="Waffenlieferungen an Israel: Beschwerde eingelegt">'
            "<title>Waffenlieferungen an Israel: Beschwerde eingelegt</title>")
    assert _pick(head, "<h1>Waffenlieferungen an Israel</h1>")[0] == (
        "Waffenlieferungen an Israel: Beschwerde eingelegt")


def test_site_prefix_with_a_colon_is_stripped() -> None:
    head = ('<meta property="og:site_name" content="Harbour News">'
            "<title>Harbour News: Port reopens after storm</title>")
    assert _pick(head, "<p>text</p>") == ("Port reopens after storm", ())


def test_h1_that_links_to_the_home_page_is_the_logo() -> None:
    head = "<title>Port reopens after storm - Harbour Media Group</title>"
    body = '<a href="/"><h1>Harbour Daily News</h1></a><p>text</p>'
    assert _pick(head, body)[0] == "Port reopens after storm - Harbour Media Group"
    assert _pick(head, '<h1 class="site-logo">Harbour Daily News</h1>')[0] != "Harbour Daily News"


def test_section_in_front_with_a_bar_is_dropped_when_the_h1_states_the_headline() -> None:
    head = ('<meta property="og:title" content="Opinion | The port must reopen">'
            "<title>Opinion | The port must reopen - The Harbour Times</title>")
    assert _pick(head, "<h1>The port must reopen</h1>")[0] == "The port must reopen"


def test_kicker_with_a_colon_stays_when_only_the_h1_lacks_it() -> None:
    head = ('<meta property="og:title" content="Storm season: The port must reopen">'
            "<title>Storm season: The port must reopen</title>")
    assert _pick(head, "<h1>The port must reopen</h1>")[0] == "Storm season: The port must reopen"


def test_placeholder_titles_are_not_headlines() -> None:
    assert _pick("<title>Loading…</title>", "<div id='root'></div>") == (None, ())
    assert _pick("<title>Just a moment...</title>", "") == (None, ())


def test_of_several_h1_the_one_the_title_repeats_is_the_headline() -> None:
    head = "<title>Port reopens after storm | Harbour News</title>"
    body = "<h1>Maritime</h1><h1>Port reopens after storm</h1>"
    assert _pick(head, body, publisher="Harbour News")[0] == "Port reopens after storm"


def test_h1_that_links_to_itself_or_nowhere_is_still_the_headline() -> None:
    for href in ("#", "", "/news/port-reopens", "?id=7"):
        body = f'<h1><a href="{href}">Port reopens after storm</a></h1>'
        assert _pick("<title>Harbour News</title>", body, publisher="Harbour News")[0] == (
            "Port reopens after storm")


def test_a_title_segment_shown_alone_in_a_heading_makes_the_rest_a_site_name() -> None:
    head = "<title>Acme Newsroom » Port reopens after storm</title>"
    body = '<h2 class="release-title">Port reopens after storm</h2><p>text</p>'
    assert _pick(head, body) == ("Port reopens after storm", ())


def test_the_site_name_in_the_page_header_is_not_taken_for_the_headline() -> None:
    # The header repeats the title's site part; the headline is the rest, shown nowhere else.
    head = "<title>Enchufla figures - Salsa figures - Rueda in Berlin</title>"
    body = ('<div class="site-title"><a href="/">Salsa figures - Rueda in Berlin</a></div>'
            "<p>text</p>")
    assert _pick(head, body) == ("Enchufla figures - Salsa figures - Rueda in Berlin", ())


def test_a_heading_printing_its_kicker_apart_outweighs_a_plain_h1() -> None:
    head = (_ld("Storm damage closes the port for three days")
            + '<meta property="og:title" content="Port reopens after storm">'
            "<title>Storm damage closes the port for three days</title>")
    body = ("<h1>Storm damage closes the port for three days</h1>"
            '<h2><span data-article-kicker="Weather">Weather</span> Port reopens after storm</h2>')
    assert _pick(head, body)[0] == "Port reopens after storm"
