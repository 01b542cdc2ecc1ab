"""Bytes to text: declared charsets decode with replacement before any guess (issue #18, item 6).

The golden cases in fixtures/cases/charset-* are real pages as a server sends them; here their
decisive strings are pinned exactly, then the order of evidence is checked piece by piece.
"""
from __future__ import annotations

import re

import pytest

from presswatch.crawler.parsing import ParseProfile, parse_article
from presswatch.crawler.parsing.charset import declared_charset, decode_html, served_charset
from tests.parsing.golden import CASES, load_case

FRENCH = "Réforme de l’énergie"
CAFE_PAGE = (  # one "é" per mention, one stray byte: too little UTF-8 to outvote a guess
    "<html><head><title>Café Verona reopens after the storm</title></head><body>"
    "<h1>Café Verona reopens after the storm</h1>"
    "<p>The owners said the terrace will open again on Monday after repairs to the roof and "
    "the kitchen were finished.</p><footer>Photo: city archive STRAY</footer></body></html>"
).encode().replace(b"STRAY", b"\xff")


def _case(name: str) -> dict:
    return load_case(CASES / name).actual()


def _h1(text: str) -> str:
    return re.search("<h1>(.*?)</h1>", text).group(1)


def test_utf8_page_declared_by_meta_survives_one_stray_byte() -> None:
    record = _case("charset-utf8-meta-stray-byte")
    assert record["headline"] == FRENCH
    assert record["body"].startswith(
        "Le gouvernement a présenté lundi en Conseil des ministres la réforme du marché de "
        "l’électricité, qui doit protéger les ménages")
    assert "« Nous voulons des prix stables et prévisibles », a déclaré la ministre" in record["body"]
    assert record["publisher"] == "Ministère de la Transition"


def test_utf8_page_declared_by_the_http_header_survives_one_stray_byte() -> None:
    record = _case("charset-utf8-http-header-stray-byte")
    assert record["headline"] == "Un café din Cluj, primul beneficiar al programului de eficienta energetica"
    assert "Primul beneficiar este un café din centrul Clujului" in record["body"]


def test_without_the_http_header_that_page_would_be_guessed_wrong() -> None:
    """What the crawl did before the header reached the parser: the guess reads Latin-2."""
    page = (CASES / "charset-utf8-http-header-stray-byte" / "page.html").read_bytes()
    assert "cafĂŠ" in _h1(decode_html(page))
    assert _h1(decode_html(page, "text/html; charset=UTF-8")).startswith("Un café din Cluj")


def test_utf8_byte_order_mark_wins_over_a_wrong_meta_and_a_stray_byte() -> None:
    record = _case("charset-utf8-bom-stray-byte")
    assert record["headline"] == "Grüne Wasserstoffstrategie beschlossen"
    assert record["body"].endswith("Die Förderung für Unternehmen wird über einen Fonds abgewickelt, "
                                   "über den ein Beirat wacht.")


def test_windows_1251_page_that_declares_it_decodes_despite_an_undefined_byte() -> None:
    record = _case("charset-cp1251-declared")
    assert record["headline"] == "Курс маната не изменился"
    assert record["body"] == ("Центральный банк Азербайджана установил официальный курс маната на уровне "
                              "1,7 маната за доллар.\n\nКурс остается неизменным с 2017 года, сообщает Интерфакс.")
    assert record["source"] == "Interfax"


def test_page_declaring_nothing_gets_a_sensible_guess() -> None:
    record = _case("charset-undeclared-cp1252-guess")
    assert record["headline"] == "Le port de Marseille bat son record de trafic"
    assert record["body"].startswith("Le port a traité l’an dernier un volume record de marchandises")


def test_the_http_header_charset_reaches_parse_article_through_the_profile() -> None:
    url = "https://verona.example/news/reopens"
    served = ParseProfile().served_as(b"text/html; charset=utf-8")
    assert served.content_type == "text/html; charset=utf-8"
    assert parse_article(CAFE_PAGE, url, served).headline == "Café Verona reopens after the storm"
    assert parse_article(CAFE_PAGE, url).headline == "CafĂŠ Verona reopens after the storm"


def test_a_wrong_utf8_header_gives_way_to_the_meta_when_the_bytes_refute_it() -> None:
    page = ('<meta charset="windows-1251"><h1>Курс маната не изменился</h1>'
            '<p>Центральный банк установил курс.</p>').encode("cp1251")
    assert _h1(decode_html(page, "text/html; charset=utf-8")) == "Курс маната не изменился"


def test_a_legacy_header_gives_way_to_bytes_that_are_utf8_but_for_a_stray_byte() -> None:
    page = ("<h1>Réforme de l’énergie</h1><p>Le gouvernement a présenté la réforme.</p>"
            "<footer>STRAY</footer>").encode().replace(b"STRAY", b"\xff")
    assert _h1(decode_html(page, "text/html; charset=ISO-8859-1")) == FRENCH


def test_valid_utf8_wins_over_a_legacy_header() -> None:
    assert _h1(decode_html("<h1>Привет, мир</h1>".encode(), "text/html; charset=windows-1251")) == "Привет, мир"


def test_a_legacy_header_decodes_a_page_without_meta() -> None:
    page = "<h1>Привет, мир</h1><p>Всё хорошо.</p>".encode("koi8-r")
    assert _h1(decode_html(page, "text/html; charset=KOI8-R")) == "Привет, мир"


def test_utf16_named_by_the_header_without_a_bom_is_not_binary() -> None:
    assert decode_html("<h1>Grüße</h1>".encode("utf-16-le"), "text/html; charset=utf-16") == "<h1>Grüße</h1>"


def test_undeclared_utf8_with_a_stray_byte_is_still_utf8() -> None:
    page = ("<h1>Réforme de l’énergie</h1><p>Le gouvernement a présenté la réforme.</p>"
            "<footer>STRAY</footer>").encode().replace(b"STRAY", b"\xff")
    assert decode_html(page) == ("<h1>Réforme de l’énergie</h1><p>Le gouvernement a présenté la réforme.</p>"
                                 "<footer>\ufffd</footer>")


@pytest.mark.parametrize("label", ["rot13", "base64", "hex", "zlib", "unicode_escape", "utf-7", "no-such-charset"])
def test_a_label_that_is_no_web_charset_is_no_declaration(label: str) -> None:
    page = f'<meta charset="{label}"><h1>Le port de Marseille a battu son record.</h1>'.encode() + b"<p>Caf\xe9</p>"
    assert declared_charset(page) is None
    record = parse_article(page, "https://port.example/a").to_json()
    assert record["headline"] == "Le port de Marseille a battu son record."
    assert "error" not in record


@pytest.mark.parametrize(("content_type", "charset"), [
    ("text/html; charset=UTF-8", "utf-8"),
    ('text/html; charset="windows-1251"', "cp1251"),
    ("text/html; charset=latin1", "cp1252"),
    ("text/html; charset=utf-7", None),
    ("text/html", None),
    (None, None),
])
def test_the_http_header_charset_is_read_as_browsers_read_it(content_type, charset) -> None:
    assert served_charset(content_type) == charset


def test_a_latin1_meta_means_windows_1252() -> None:
    page = b'<meta charset="iso-8859-1"><h1>l\x92\xe9nergie</h1>'
    assert _h1(decode_html(page)) == "l’énergie"
