"""Parsing in worker processes gives the same article as parsing inline, and survives a dead worker."""
from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import zlib
from pathlib import Path

from presswatch.crawler.parse_pool import POOL_THRESHOLD, ParsedPage, ParsePool, parse_many_for_archive
from presswatch.crawler.parsing import ParseProfile, parse_article
from presswatch.storage import PreparedContent

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "fixtures/demo/sites/caspian-post/en/news/politics/president-aliyev-azerbaijan-kazakhstan-reaching-qualitatively-new-level-of-interaction-alliance-2548871.html"
URL = "https://demo.example/caspian-post/en/news/politics/seed-2548871"
PROFILE = ParseProfile(publisher="Caspian Post", timezone="Asia/Baku", language="en")


def parse_with(pool: ParsePool, page: bytes) -> ParsedPage:
    return asyncio.run(pool.parse(page, URL, PROFILE))


def test_a_worker_parses_exactly_like_the_crawl_process() -> None:
    page = SEED.read_bytes()
    pool = ParsePool(1)
    try:
        assert parse_with(pool, page).article == parse_article(page, URL, PROFILE)
    finally:
        pool.close()


def test_a_worker_also_works_out_what_saving_the_page_needs() -> None:
    page = SEED.read_bytes()
    pool = ParsePool(1)
    try:
        article, prepared = parse_with(pool, page)
    finally:
        pool.close()
    assert prepared == PreparedContent.of(article.headline, article.body, page)
    assert zlib.decompress(prepared.html_compressed) == page
    assert prepared.html_sha256 == hashlib.sha256(page).hexdigest()


def test_inline_parsing_leaves_the_save_keys_to_the_archive() -> None:
    assert parse_with(ParsePool(0), SEED.read_bytes()).prepared is None


def test_a_dead_worker_makes_the_pool_parse_inline() -> None:
    page = SEED.read_bytes()
    pool = ParsePool(1)
    try:
        parse_with(pool, page)  # starts the worker
        assert pool.executor is not None
        for pid in list(pool.executor._processes):  # noqa: SLF001 - the test kills a worker on purpose
            os.kill(pid, signal.SIGKILL)
        article = parse_with(pool, page).article
        assert pool.executor is None
        assert article.headline == parse_article(page, URL, PROFILE).headline
    finally:
        pool.close()


def test_bulk_parsing_in_workers_gives_every_article_in_input_order() -> None:
    page = SEED.read_bytes()
    jobs = [(page, f"{URL}-{n}", PROFILE) for n in range(POOL_THRESHOLD + 6)]
    parsed = list(parse_many_for_archive(jobs, workers=2, compress=False))
    assert [p.article.url for p in parsed] == [url for _, url, _ in jobs]
    last = parse_article(page, jobs[-1][1], PROFILE)
    assert parsed[-1] == (last, PreparedContent.of(last.headline, last.body, page, compress=False))
    assert parsed[-1].prepared.html_compressed is None  # a reparse leaves compressing to the archive


def test_a_few_pages_are_parsed_here_and_their_save_keys_left_to_the_archive() -> None:
    page = SEED.read_bytes()
    parsed = list(parse_many_for_archive([(page, URL, PROFILE)], workers=2))
    assert parsed == [(parse_article(page, URL, PROFILE), None)]
