"""Table-driven specifications of the parser's small normalisers."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import lxml.html
import pytest

from presswatch.crawler.parsing.attribution import find_attribution, gazetteer, text_attribution
from presswatch.crawler.parsing.authors import clean_authors, find_authors
from presswatch.crawler.parsing.charset import UnreadableInput, decode_html
from presswatch.crawler.parsing.dates import plausible
from presswatch.crawler.parsing.datetext import parse_date_string
from presswatch.crawler.parsing.headline import strip_site_name
from presswatch.crawler.parsing.language import detect_language, normalise_code
from presswatch.crawler.parsing.markers import split_markers
from presswatch.crawler.parsing.structured import read_structured
from presswatch.crawler.parsing.text import element_text

MARKERS = [
    ("Aliyev visits Astana PHOTO/UPDATED", "Aliyev visits Astana", ("PHOTO", "UPDATED")),
    ("Big fire in Baku [PHOTO]", "Big fire in Baku", ("PHOTO",)),
    ("Storm hits coast (VIDEO)", "Storm hits coast", ("VIDEO",)),
    ("VIDEO: Cat rescued from tree", "Cat rescued from tree", ("VIDEO",)),
    ("UPDATED: Oil prices rise", "Oil prices rise", ("UPDATED",)),
    ("Пожар в Баку ФОТО", "Пожар в Баку", ("ФОТО",)),
    ("Пожар в Баку ФОТО, ВИДЕО", "Пожар в Баку", ("ФОТО", "ВИДЕО")),
    ("Саммит в Астане ОБНОВЛЕНО", "Саммит в Астане", ("ОБНОВЛЕНО",)),
    ("Yeni park açıldı FOTO", "Yeni park açıldı", ("FOTO",)),
    ("Parade in Baku [Photo] (video)", "Parade in Baku", ("PHOTO", "VIDEO")),
    ("Watch the Video of the year", "Watch the Video of the year", ()),
    ("Live updates from Kyiv", "Live updates from Kyiv", ()),
]


@pytest.mark.parametrize(("raw", "headline", "labels"), MARKERS)
def test_markers_leave_the_headline_and_become_labels(raw, headline, labels) -> None:
    assert split_markers(raw) == (headline, labels)


SITE_NAMES = [
    ("Oil prices rise | Market Watchers", ["marketwatchers"], "Oil prices rise"),
    ("Market Watchers — Oil prices rise", ["marketwatchers"], "Oil prices rise"),
    ("Oil prices rise - News - SRF", ["srf"], "Oil prices rise"),
    ("Ziele, Chancen, Risiken | DW | 28.04.2023", ["dw"], "Ziele, Chancen, Risiken"),
    ("Oil prices rise - marketwatchers.example", ["marketwatchersexample"], "Oil prices rise"),
    ("Azerbaijan - Kazakhstan talks", ["caspianpost"], "Azerbaijan - Kazakhstan talks"),
    ("President Aliyev: new level", ["caspianpost"], "President Aliyev: new level"),
]


@pytest.mark.parametrize(("title", "names", "headline"), SITE_NAMES)
def test_site_name_segments_are_stripped(title, names, headline) -> None:
    assert strip_site_name(title, names) == headline


BAKU = timezone(timedelta(hours=4))
DATES = [
    ("2023-04-10T20:01:00+04:00", datetime(2023, 4, 10, 20, 1, tzinfo=BAKU), "minute"),
    ("2023-04-10T16:01:00Z", datetime(2023, 4, 10, 16, 1, tzinfo=timezone.utc), "minute"),
    ("2023-04-10", datetime(2023, 4, 10), "day"),
    ("10 April 2023 20:01", datetime(2023, 4, 10, 20, 1), "minute"),
    ("10 апреля 2023, 20:01", datetime(2023, 4, 10, 20, 1), "minute"),
    ("10.04.2023", datetime(2023, 4, 10), "day"),
    ("20:01, 10.04.2023", datetime(2023, 4, 10, 20, 1), "minute"),
    ("10. April 2023 um 20:01 Uhr", datetime(2023, 4, 10, 20, 1), "minute"),
    ("April 10, 2023 8:01 PM", datetime(2023, 4, 10, 20, 1), "minute"),
    ("10 de abril de 2023", datetime(2023, 4, 10), "day"),
    ("10 Nisan 2023 20:01", datetime(2023, 4, 10, 20, 1), "minute"),
    ("2023年4月10日", datetime(2023, 4, 10), "day"),
    ("Mon, 10 Apr 2023 20:01:00 +0400", datetime(2023, 4, 10, 20, 1, tzinfo=BAKU), "minute"),
]


@pytest.mark.parametrize(("raw", "value", "precision"), DATES)
def test_date_strings_in_several_languages_and_orders(raw, value, precision) -> None:
    parsed = parse_date_string(raw, ["en", "ru", "de", "es", "tr"], "DMY")
    assert parsed is not None
    assert (parsed.value, parsed.precision) == (value, precision)


@pytest.mark.parametrize(("order", "value"), [("DMY", datetime(2023, 4, 10)),
                                              ("MDY", datetime(2023, 10, 4))])
def test_slashed_numeric_dates_follow_the_date_order(order, value) -> None:
    assert parse_date_string("10/04/2023", ["en"], order).value == value


@pytest.mark.parametrize("raw", ["12.345.678", "1234567", "version 2.10.3", "31.02.2023", ""])
def test_numbers_that_are_not_dates_give_nothing(raw) -> None:
    assert parse_date_string(raw, ["en"], "DMY") is None


NOW = datetime(2026, 11, 27, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(("value", "ok"), [
    (datetime(2023, 4, 10, tzinfo=timezone.utc), True),
    (NOW + timedelta(hours=20), True),
    (NOW + timedelta(days=2), False),
    (datetime(1970, 1, 1, tzinfo=timezone.utc), False),
])
def test_future_and_prehistoric_dates_are_implausible(value, ok) -> None:
    assert plausible(value, NOW) is ok


ATTRIBUTIONS = [
    ("Aliyev made the remarks in Astana, Azertag reports.", "Azertag", "Azertag reports"),
    ("BAKU, April 10 (AZERTAG) — The president said", "Azertag", "BAKU, April 10 (AZERTAG) —"),
    ("WASHINGTON (AP) — The Senate voted", "AP", "WASHINGTON (AP) —"),
    ("The deal was signed on Monday.\n\n— Reuters", "Reuters", "— Reuters"),
    ("Prices rose 3 percent, according to Interfax.", "Interfax", "according to Interfax"),
    ("The minister said so, citing Xinhua.", "Xinhua", "citing Xinhua"),
    ("Цены выросли, передает ТАСС.", "TASS", "передает ТАСС"),
    ("Как сообщает РИА Новости, цены выросли", "RIA Novosti", "сообщает РИА Новости"),
    ("Nefть qiymətləri artıb.\n\nMənbə: APA", "APA", "Mənbə: APA"),
    ("Wrestlers won gold, APA's sports bureau reports.", "APA", "APA's sports bureau reports"),
    ("по данным агентства «Интерфакс».", "Interfax", "по данным агентства «Интерфакс"),
    ("The ministry met.\n\nSource: Ministry of Energy", "Ministry of Energy",
     "Source: Ministry of Energy"),
]


@pytest.mark.parametrize(("text", "source", "evidence"), ATTRIBUTIONS)
def test_attribution_patterns_name_the_agency(text, source, evidence) -> None:
    found = find_attribution(text)
    assert found is not None
    assert (found.source, found.evidence) == (source, evidence)


@pytest.mark.parametrize("text", [
    "The market is in a downward trend, analysts say.",
    "The report was published on Monday.",
    "The presidential office reports on its website.",
])
def test_common_words_are_not_agencies(text) -> None:
    assert find_attribution(text) is None


@pytest.mark.parametrize("name", sorted(gazetteer()))
def test_every_agency_name_is_found_where_a_text_credits_it(name) -> None:
    found = find_attribution(f"Talks ended in Astana on Monday, {name} reports.")
    assert found is not None
    assert found.source == gazetteer()[name]


def test_trailing_agency_reports_becomes_source() -> None:
    assert find_attribution("Talks ended in Astana, Kazinform reports.").source == "Kazinform"


_MIDDLE = [f"Paragraph {n} of the ministry's own release about its grid code." for n in range(6)]


@pytest.mark.parametrize(("paragraphs", "source"), [
    (["Prices rose 3 percent, according to Interfax.", *_MIDDLE], "Interfax"),
    ([_MIDDLE[0], "BAKU, April 10 (AZERTAG) — The president said", *_MIDDLE], "Azertag"),
    ([*_MIDDLE, "Source: APA"], "APA"),
    ([*_MIDDLE, "The deal was signed on Monday.", "— Reuters"], "Reuters"),
    ([*_MIDDLE[:3], "The minister said so last year, Reuters reported.", *_MIDDLE[3:]], None),
    ([*_MIDDLE[:3], "According to AFP, one user posted a photo.", *_MIDDLE[3:]], None),
    ([*_MIDDLE[:3], "Quelle: AFP", *_MIDDLE[3:]], None),
])
def test_text_credits_its_source_in_its_lead_or_closing_lines_only(paragraphs, source) -> None:
    found = text_attribution("\n\n".join(paragraphs))
    assert (found.source if found else None) == source


def test_short_text_is_searched_whole() -> None:
    text = "The deal was signed.\n\nBoth sides, Trend reports, praised it.\n\nMore talks follow."
    assert text_attribution(text).source == "Trend"


@pytest.mark.parametrize(("raw", "code"), [
    ("en-US", "en"), ("de_DE", "de"), ("ru", "ru"), ("deu", "de"), ("kr", "ko"),
    ("xx-YY", None), ("", None), (None, None),
])
def test_language_codes_normalise_to_iso_639_1(raw, code) -> None:
    assert normalise_code(raw) == code


@pytest.mark.parametrize(("text", "code"), [
    ("The president said that the talks with the delegation were held in a good mood", "en"),
    ("Президент заявил, что переговоры прошли в дружественной обстановке и были полезны", "ru"),
    ("Президент заявив, що переговори пройшли в дружній атмосфері і були корисні", "uk"),
    ("Der Präsident sagte, dass die Gespräche mit der Delegation in guter Stimmung waren", "de"),
])
def test_language_of_text_by_script_and_function_words(text, code) -> None:
    assert detect_language(text) == code


def test_utf8_page_labelled_cp1251_decodes_as_utf8() -> None:
    page = '<meta charset="windows-1251"><p>Привет, мир</p>'.encode()
    assert "Привет, мир" in decode_html(page)


def test_cp1251_page_labelled_utf8_decodes_as_cp1251() -> None:
    page = '<meta charset="utf-8"><p>Привет, мир, как дела у всех сегодня</p>'.encode("cp1251")
    assert "Привет, мир" in decode_html(page)


def test_byte_order_mark_wins() -> None:
    assert decode_html("\ufeff<p>Grüße</p>".encode("utf-16-le")) == "<p>Grüße</p>"


@pytest.mark.parametrize("page", [b"", b"   ", b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(300)])
def test_empty_or_binary_bytes_are_unreadable(page) -> None:
    with pytest.raises(UnreadableInput):
        decode_html(page)


@pytest.mark.parametrize(("raw", "names"), [
    (["By Anna Berg and John Smith"], ("Anna Berg", "John Smith")),
    (["Anna Berg, AFP"], ("Anna Berg",)),
    (["Reuters"], ()),
    (["https://example.org/authors/anna"], ()),
    (["Caspian Post"], ()),
    (["caspianpost.example, Baku, Azerbaijan"], ()),
    (["von David Straub, CASPIAN Desk"], ("David Straub",)),
    (["Analysis by Chris Cillizza"], ("Chris Cillizza",)),
    (["Deutsche Welle (www.dw.com)"], ()),
])
def test_authors_are_people_without_agencies_or_publisher(raw, names) -> None:
    assert clean_authors(raw, ["Caspian Post", "caspian", "caspianpost"]) == names


@pytest.mark.parametrize(("html", "text"), [
    ("<h1><span>Kultur</span><span>:</span> <span>Ehrengast</span></h1>", "Kultur: Ehrengast"),
    ("<h1><span>Kicker</span><span>Title</span></h1>", "Kicker Title"),
    ("<p>(<b>AP</b>) — Storm</p>", "(AP) — Storm"),
    ("<p>A <a href='#'>link</a>, then&nbsp;more\n text</p>", "A link, then more text"),
])
def test_element_text_spaces_tags_apart_but_not_punctuation(html, text) -> None:
    assert element_text(lxml.html.fragment_fromstring(html)) == text


@pytest.mark.parametrize(("html", "names"), [
    ("<ul><li><strong>Date</strong> 28.04.2023</li><li><strong>Author</strong> Anna Berg</li></ul>",
     ("Anna Berg",)),
    ("<dl><dt>Autorin/Autor</dt><dd>Roman Goncharenko</dd></dl>", ("Roman Goncharenko",)),
    ("<p><b>Authors:</b> Anna Berg and John Smith</p>", ("Anna Berg", "John Smith")),
    ("<p><strong>Author</strong> of the plan, the ministry said.</p><p>Text</p>", ()),
])
def test_labelled_author_fields_name_the_authors(html, names) -> None:
    tree = lxml.html.document_fromstring(f"<html><body>{html}</body></html>")
    assert find_authors(tree, read_structured(tree), ["Caspian Post"]).authors == names


@pytest.mark.parametrize(("raw", "names"), [
    (["Text: Anna Berg, Foto: Max Muster"], ("Anna Berg",)),
    (["Photo: Max Muster / Text: Anna Berg"], ("Anna Berg",)),
    (["By Anna Berg. Photos by John Smith"], ("Anna Berg",)),
    (["Von Anna Berg und John Smith"], ("Anna Berg", "John Smith")),
    (["Fotos: Max Muster"], ()),
])
def test_only_the_writers_of_a_byline_with_roles_are_authors(raw, names) -> None:
    assert clean_authors(raw, ["Caspian Post"]) == names


def _ld_page(author: str) -> str:
    return ('<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
            f'"author": {author}}}</script></head><body><p>Text</p></body></html>')


@pytest.mark.parametrize(("html", "authors", "agency"), [
    (_ld_page('[{"@type": "Person", "name": "Anna Berg"}, [{"@type": "Person", "name": "AP"}]]'),
     ("Anna Berg",), "AP"),
    (_ld_page('[{"@type": "Person", "name": "Anna Berg"}, {"@type": "Organization", "name": "dpa"}]'),
     ("Anna Berg",), "dpa"),
    (_ld_page('{"@type": "Person", "name": "AFP"}'), (), "AFP"),
    (_ld_page('{"@type": "Organization", "name": "Caspian Post"}'), (), None),
    ('<html><head><meta name="author" content="Anna Berg und John Smith, dpa"></head></html>',
     ("Anna Berg", "John Smith"), "dpa"),
    ('<html><body><p>von <a href="/autoren/name/anna-berg">Dr. Anna Berg</a></p>'
     '<nav><a href="/autoren/">Autoren</a></nav></body></html>', ("Dr. Anna Berg",), None),
])
def test_bylines_give_people_as_authors_and_an_agency_as_credit(html, authors, agency) -> None:
    tree = lxml.html.document_fromstring(html)
    credits = find_authors(tree, read_structured(tree), ["Caspian Post"])
    assert (credits.authors, credits.agency) == (authors, agency)
