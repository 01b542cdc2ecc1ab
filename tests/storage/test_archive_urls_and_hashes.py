"""Canonical URLs and content fingerprints: the keys dedupe is built on."""
from __future__ import annotations

import pytest

from presswatch.storage.hashing import body_hash, content_hash, normalise_text
from presswatch.storage.urls import canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.AZ/en/item?id=5", "https://news.example.az/en/item?id=5"),
        ("https://news.example.az/en/item?id=5#comments", "https://news.example.az/en/item?id=5"),
        ("https://news.example.az:443/en/item", "https://news.example.az/en/item"),
        ("http://news.example.az:80/en/item", "http://news.example.az/en/item"),
        ("https://news.example.az:8443/en/item", "https://news.example.az:8443/en/item"),
        ("https://news.example.az/en/item?b=2&a=1", "https://news.example.az/en/item?a=1&b=2"),
        ("https://news.example.az", "https://news.example.az/"),
        ("  https://news.example.az/en/item\n", "https://news.example.az/en/item"),
        ("https://news.example.az/en/a b", "https://news.example.az/en/a%20b"),
        ("https://news.example.az/En/Item", "https://news.example.az/En/Item"),
    ],
)
def test_canonical_url_normalises_spelling_but_keeps_the_path(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "tracking",
    [
        "utm_source=tw", "utm_medium=social&utm_campaign=spring", "UTM_Content=x", "fbclid=abc",
        "gclid=1", "yclid=2", "_ga=2.1", "mc_cid=7&mc_eid=8", "msclkid=9", "igshid=q",
    ],
)
def test_canonical_url_drops_tracking_parameters(tracking: str) -> None:
    url = f"https://news.example.az/en/item?id=5&{tracking}"
    assert canonical_url(url) == "https://news.example.az/en/item?id=5"


def test_canonical_url_keeps_every_other_parameter() -> None:
    url = "https://news.example.az/list?page=2&lang=en&ref=home&utm_source=x"
    assert canonical_url(url) == "https://news.example.az/list?lang=en&page=2&ref=home"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Ministry  announces\nsupport", "ministry announces support"),
        ("Ｍｉｎｉｓｔｒｙ", "ministry"),  # full-width letters (NFKC)
        ("STRASSE", "straße"),  # case folding, not just lower()
        ("news\u00a0item\u200b", "news item"),  # no-break space, zero-width space
    ],
)
def test_normalised_text_ignores_case_width_and_whitespace(first: str, second: str) -> None:
    assert normalise_text(first) == normalise_text(second)


def test_content_hash_changes_with_headline_or_body_only() -> None:
    base = content_hash("Headline", "Body text")
    assert content_hash(" headline ", "body   TEXT") == base
    assert content_hash("Headline 2", "Body text") != base
    assert content_hash("Headline", "Body text.") != base
    assert content_hash("HeadlineBody", "text") != content_hash("Headline", "Body text")
    assert len(base) == 64


def test_body_hash_is_none_without_a_body() -> None:
    assert body_hash(None) is None
    assert body_hash(" \n ") is None
    assert body_hash("Body text") == body_hash("BODY  text")
