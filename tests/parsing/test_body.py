"""What the body keeps and drops around the article text."""
from __future__ import annotations

import pytest

from presswatch.crawler.parsing import ParseProfile, parse_article
from presswatch.crawler.parsing.body import tidy_body, with_lead

TEXT = ["The ministry signed the agreement on Monday.", "Both sides praised the deal."]


@pytest.mark.parametrize(("paragraphs", "kept"), [
    (["Press release No. 12/2023 · Energy", "Grid law passed", *TEXT], TEXT),
    (["Grid law passed", "16.05.2023 (updated 17.05.2023)", *TEXT], TEXT),
    ([*TEXT, "Press contact", "Press Service · Tel. +49 30 555"], TEXT),
    ([*TEXT, "Read also: Another story about grids"], TEXT),
    ([*TEXT, "Sign up for our newsletter"], TEXT),
    ([*TEXT, "(Reporting by Jane Doe; editing by John Roe)"], TEXT),
    ([*TEXT, "Source: Trend"], [*TEXT, "Source: Trend"]),
    (["More than 300 players took part.", *TEXT], ["More than 300 players took part.", *TEXT]),
])
def test_tidy_body_drops_page_furniture_only(paragraphs, kept) -> None:
    body = tidy_body("\n\n".join(paragraphs), ["Grid law passed"], ["2023-05-16"])
    assert body == "\n\n".join(kept)


def test_a_short_paragraph_naming_the_headline_after_the_text_is_kept() -> None:
    text = ["The ministry signed the agreement on Monday with the national grid operator and two "
            "development banks in the capital.",
            "Both sides praised the deal, which covers three new substations in the western region "
            "and a new control centre.",
            "The ministry later corrected the figures (grid law passed)."]
    assert tidy_body("\n\n".join(text), ["Grid law passed"], []) == "\n\n".join(text)


def test_visible_standfirst_missing_from_the_text_is_put_first() -> None:
    lead = "The cabinet approved the grid acceleration law presented by the ministry."
    page = f"Grid law passed {lead} The ministry signed"
    assert with_lead("\n\n".join(TEXT), lead, page) == "\n\n".join([lead, *TEXT])


def test_standfirst_only_in_metadata_is_not_added() -> None:
    lead = "The cabinet approved the grid acceleration law presented by the ministry."
    assert with_lead("\n\n".join(TEXT), lead, "Grid law passed") == "\n\n".join(TEXT)


def test_declared_body_selector_is_used_in_reading_order() -> None:
    html = ("<html><body><div class='x'><p>Menu</p></div><div class='text'><p>One.</p>"
            "<div class='share'>Share</div><h2>Sub-heading</h2><p>Two <b>bold</b> words.</p>"
            "</div></body></html>")
    profile = ParseProfile(selectors={"body": ".text"})
    assert parse_article(html, "https://x.example/a", profile).body == (
        "One.\n\nSub-heading\n\nTwo bold words.")


def test_a_short_headline_is_not_repeated_as_the_first_paragraph() -> None:
    body = tidy_body("\n\n".join(["No date", *TEXT]), ["No date"], [])
    assert body == "\n\n".join(TEXT)


def test_noscript_text_is_never_the_body() -> None:
    page = ("<html><head><title>App</title></head><body><div id='root'></div>"
            "<noscript>You need to enable JavaScript to run this app.</noscript></body></html>")
    assert parse_article(page, "https://app.example/").body is None
