"""A source crosses the job engine as JSON and comes out the same source."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from presswatch.crawler.config import load_config
from presswatch.crawler.source_wire import WireError, source_from_wire, source_to_wire

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "sources.toml"

RICH = """
[crawl]
download_delay = 1.5

[[sources]]
name = "apa-en"
publisher = "APA"
start_urls = ["https://example.az/en/official-news"]
feeds = ["https://example.az/en/rss"]
timezone = "Asia/Baku"
language = "en"
interval = "auto"
date_order = "DMY"
article_pattern = "/en/news/\\\\d+"
listing_pattern = "/en/official-news(/page/\\\\d+)?$"
selectors = { headline = "h1.title", body = "div.news-text" }
max_articles = 7
"""


def test_every_demo_source_comes_back_equal_after_json() -> None:
    config = load_config(DEMO, base_url="http://127.0.0.1:8000")
    for source in config.sources:
        wire = json.loads(json.dumps(source_to_wire(source)))
        back = source_from_wire(wire)
        assert back == source_with_patterns_as_text(source, back)
        assert back.article_pattern is not None and source.article_pattern is not None
        assert back.article_pattern.pattern == source.article_pattern.pattern


def test_a_source_with_every_kind_of_field_survives(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(RICH, encoding="utf-8")
    (source,) = load_config(path).sources
    wire = json.loads(json.dumps(source_to_wire(source)))
    back = source_from_wire(wire)

    assert wire["start_urls"] == ["https://example.az/en/official-news"]
    assert wire["article_pattern"] == "/en/news/\\d+"
    assert wire["crawl"]["download_delay"] == 1.5
    assert wire["crawl"]["max_articles"] == 7
    assert back.start_urls == ("https://example.az/en/official-news",)
    assert back.selectors == {"headline": "h1.title", "body": "div.news-text"}
    assert back.crawl == source.crawl
    assert back.adaptive and back.interval_seconds == source.interval_seconds
    assert back.listing_pattern is not None and back.listing_pattern.search("/en/official-news/page/2")


def test_a_source_from_another_version_is_refused_with_what_to_do() -> None:
    config = load_config(DEMO, base_url="http://127.0.0.1:8000")
    wire = source_to_wire(config.sources[0])
    wire["brand_new_field"] = 1
    del wire["date_order"]
    with pytest.raises(WireError) as caught:
        source_from_wire(wire)
    assert str(caught.value) == (
        "the message's source has fields ['brand_new_field'] and lacks ['date_order']: the scheduler and "
        "this worker run different presswatch versions; run the same version on every host"
    )


def test_something_else_entirely_is_refused() -> None:
    with pytest.raises(WireError) as caught:
        source_from_wire(["not", "a", "source"])
    assert str(caught.value) == "not a presswatch source: \"['not', 'a', 'source']\""


def source_with_patterns_as_text(source, back):  # type: ignore[no-untyped-def]
    """`source` with `back`'s compiled patterns (compiled patterns compare by identity of flags and text)."""
    from dataclasses import replace

    return replace(source, article_pattern=back.article_pattern, listing_pattern=back.listing_pattern)
