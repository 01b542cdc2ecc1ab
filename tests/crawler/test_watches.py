"""`[[watches]]`: validation naming the watch and the key, and the pure matching of articles."""
from __future__ import annotations

import pytest

from presswatch.crawler.config import ConfigError, parse_config
from presswatch.crawler.watches import expand_secrets, parse_query, redacted, watch_matches, words
from presswatch.storage.alerts import AlertArticle

SOURCE = {"name": "apa-en", "start_urls": ["https://example.az/en/news"]}
ARTICLE = AlertArticle(
    source_name="apa-en", source="Azertag", language="en", labels=("PHOTO",),
    headline="Baku hosts Green Energy forum",
    body="Ministers discussed hydrogen exports.\n\nThe forum closes on Friday.",
)


def config(**watch: object) -> object:
    return parse_config({"sources": [SOURCE], "watches": [{"name": "w", "notify": ["json://127.0.0.1/h"], **watch}]})


def problems(**watch: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config(**watch)
    return caught.value.problems


def matches(**watch: object) -> bool:
    [parsed] = config(**watch).watches  # type: ignore[attr-defined]
    return watch_matches(parsed, ARTICLE)


@pytest.mark.parametrize(("query", "expected"), [
    ("hydrogen", True),
    ("HYDROGEN forum", True),
    ('"green energy"', True),
    ('"energy green"', False),
    ("hydrogen -friday", False),
    ("coal OR hydrogen", True),
    ("coal OR oil", False),
    ("hydro", False),  # whole words
    ("énergy", True),  # accents ignored
])
def test_query_uses_the_search_syntax_over_headline_and_body(query: str, expected: bool) -> None:
    assert matches(query=query) is expected


@pytest.mark.parametrize(("watch", "expected"), [
    ({}, True),
    ({"sources": ["apa-en"]}, True),
    ({"agencies": ["azertag"]}, True),
    ({"agencies": ["APA"]}, False),
    ({"languages": ["ru"]}, False),
    ({"labels": ["photo", "VIDEO"]}, True),
    ({"labels": ["UPDATED"]}, False),
])
def test_every_filter_narrows_the_watch(watch: dict[str, object], expected: bool) -> None:
    assert matches(**watch) is expected


def test_a_valid_watch_is_parsed() -> None:
    [watch] = config(query='hydrogen OR "green energy"', updates=True).watches  # type: ignore[attr-defined]
    assert (watch.name, watch.updates, watch.digest_seconds, watch.notify) == ("w", True, 0, ("json://127.0.0.1/h",))
    assert watch.query == parse_query('hydrogen OR "green energy"')


@pytest.mark.parametrize(("watch", "problem"), [
    ({"colour": "red"}, "watch 'w': key 'colour': unknown key (allowed: agencies, digest, labels, languages, "
                        "name, notify, query, sources, updates)"),
    ({"query": "-only"}, "watch 'w': key 'query': '-only' has no word to look for"),
    ({"query": 3}, "watch 'w': key 'query': must be a string in `presswatch search` syntax"),
    ({"sources": ["nope"]}, "watch 'w': key 'sources': no source named 'nope' (configured: apa-en)"),
    ({"languages": ["english"]}, "watch 'w': key 'languages': 'english' is not an ISO 639-1 code such as 'en'"),
    ({"notify": ["not a url"]}, "watch 'w': key 'notify': entry 1 is not a notification URL"),
    ({"notify": ["mailto://me:hunter2@example.org"]},
     "watch 'w': key 'notify': entry 1 (mailto://example.org/…) holds a password in clear: put it in an "
     "environment variable and write ${VAR} instead"),
    ({"digest": "soon"}, "watch 'w': key 'digest': 'soon' is not \"off\" or an interval from 1m to 7d such as \"1h\""),
    ({"updates": "yes"}, "watch 'w': key 'updates': must be true or false"),
    ({"name": "Bad Name"}, "watch 'Bad Name': key 'name': required, lower-case letters, digits and '-' only"),
])
def test_a_bad_watch_is_an_error_naming_the_watch_and_the_key(watch: dict[str, object], problem: str) -> None:
    assert any(p.startswith(problem) for p in problems(**watch)), problems(**watch)


def test_duplicate_watch_names_are_an_error_and_channels_are_optional() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"sources": [SOURCE], "watches": [{"name": "a", "notify": ["json://h/1"]},
                                                        {"name": "a", "notify": ["json://h/2"]}]})
    assert caught.value.problems == ["watch 'a': key 'name': duplicate watch name"]
    [feed_only] = parse_config({"sources": [SOURCE], "watches": [{"name": "b"}]}).watches
    assert feed_only.notify == ()


@pytest.mark.parametrize("value", [3, "", "  ", ["feeds"]])
def test_feeds_dir_must_be_a_folder_path(value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"sources": [SOURCE], "alerts": {"feeds_dir": value}})
    assert caught.value.problems == [f"[alerts]: key 'feeds_dir': {value!r} is not a folder path (a non-empty string)"]


def test_feeds_dir_is_kept_as_written() -> None:
    assert parse_config({"sources": [SOURCE], "alerts": {"feeds_dir": "feeds"}}).alerts.feeds_dir == "feeds"


def test_secrets_are_expanded_only_when_asked_and_never_shown() -> None:
    template = "mailto://${SMTP_USER}:${SMTP_PASS}@mail.example.org:2525"
    assert expand_secrets(template, {"SMTP_USER": "desk", "SMTP_PASS": "pw"}) == "mailto://desk:pw@mail.example.org:2525"
    assert redacted(template) == "mailto://mail.example.org:2525/…"
    with pytest.raises(KeyError, match="environment variable SMTP_PASS is not set"):
        expand_secrets(template, {"SMTP_USER": "desk"})


def test_words_are_lower_case_without_accents() -> None:
    assert words("Énergie «verte» — Bakü, 2025") == ("energie", "verte", "baku", "2025")
