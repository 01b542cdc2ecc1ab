"""Every demo press-site article parses to exactly its record in fixtures/demo/truth.jsonl."""
from __future__ import annotations

import pytest

from presswatch.crawler.parsing import parse_article
from tests.parsing.demo import FIELDS, DemoPage, demo_pages

PAGES = demo_pages()


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.expected["path"])
def test_demo_article_matches_its_truth(page: DemoPage) -> None:
    assert page.path.is_file(), f"no page file for {page.expected['path']}"
    record = parse_article(page.path.read_bytes(), page.url, page.profile).to_json()
    assert {f: record[f] for f in FIELDS} == {f: page.expected[f] for f in FIELDS}


SEED_PATH = ("/caspian-post/en/news/politics/president-aliyev-azerbaijan-kazakhstan-reaching-"
             "qualitatively-new-level-of-interaction-alliance-2548871")


def test_seed_article_on_the_demo_site_is_the_agency_story() -> None:
    page = next(p for p in PAGES if p.expected["path"] == SEED_PATH)
    record = parse_article(page.path.read_bytes(), page.url, page.profile).to_json()
    assert (record["headline"], record["labels"], record["published_at"], record["source"]) == (
        "President Aliyev: Azerbaijan, Kazakhstan reaching qualitatively new level of "
        "interaction, alliance", ["PHOTO", "UPDATED"], "2023-04-10T20:01:00+04:00", "Azertag")


def test_every_demo_article_has_a_truth_record() -> None:
    assert len(PAGES) == 68
