"""Parsing in worker processes gives the same article as parsing inline, and survives a dead worker."""
from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from crawler.parse_pool import POOL_THRESHOLD, ParsePool, parse_many
from crawler.parsing import ParseProfile, parse_article

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "fixtures/demo/sites/caspian-post/en/news/politics/president-aliyev-azerbaijan-kazakhstan-reaching-qualitatively-new-level-of-interaction-alliance-2548871.html"
URL = "https://demo.example/caspian-post/en/news/politics/seed-2548871"
PROFILE = ParseProfile(publisher="Caspian Post", timezone="Asia/Baku", language="en")


def parse_with(pool: ParsePool, page: bytes) -> object:
    return asyncio.run(pool.parse(page, URL, PROFILE))


def test_a_worker_parses_exactly_like_the_crawl_process() -> None:
    page = SEED.read_bytes()
    pool = ParsePool(1)
    try:
        assert parse_with(pool, page) == parse_article(page, URL, PROFILE)
    finally:
        pool.close()


def test_a_dead_worker_makes_the_pool_parse_inline() -> None:
    page = SEED.read_bytes()
    pool = ParsePool(1)
    try:
        parse_with(pool, page)  # starts the worker
        assert pool.executor is not None
        for pid in list(pool.executor._processes):  # noqa: SLF001 - the test kills a worker on purpose
            os.kill(pid, signal.SIGKILL)
        article = parse_with(pool, page)
        assert pool.executor is None
        assert article.headline == parse_article(page, URL, PROFILE).headline
    finally:
        pool.close()


def test_bulk_parsing_in_workers_gives_every_article_in_input_order() -> None:
    page = SEED.read_bytes()
    jobs = [(page, f"{URL}-{n}", PROFILE) for n in range(POOL_THRESHOLD + 6)]
    parsed = list(parse_many(jobs, workers=2))
    assert [a.url for a in parsed] == [url for _, url, _ in jobs]
    assert parsed[-1] == parse_article(page, jobs[-1][1], PROFILE)
