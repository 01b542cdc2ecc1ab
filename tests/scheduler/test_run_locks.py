"""One run per source and one worker host per site, cluster-wide (real PostgreSQL locks)."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from presswatch.crawler.config import Source
from presswatch.scheduler.run_locks import Held, RunLocks
from presswatch.storage.locks import AdvisoryLocks


def source(name: str, url: str) -> Source:
    return Source(name=name, publisher=name, start_urls=(url,))


GOV = source("gov-press", "http://press.example.org/en/news")
GOV_DE = source("gov-press-de", "http://press.example.org/de/news")  # same site
WIRE = source("trend-wire", "http://wire.example.net/news")


@pytest.fixture
def hosts(pg_url: str) -> Iterator[tuple[RunLocks, RunLocks]]:
    """Two worker hosts' lock sessions on one archive."""
    stopping = threading.Event()
    one = RunLocks(AdvisoryLocks(pg_url, purpose="test"), stopping, source_wait=0.5)
    two = RunLocks(AdvisoryLocks(pg_url, purpose="test"), stopping, source_wait=0.5)
    yield one, two
    one.locks.close()
    two.locks.close()


def test_a_run_holds_its_source_and_its_site(hosts: tuple[RunLocks, RunLocks]) -> None:
    one, _ = hosts
    held = one.take(GOV, site_wait=1)
    assert held == Held("source:gov-press", "site:press.example.org")


def test_a_source_already_running_on_this_host_is_skipped_at_once(hosts: tuple[RunLocks, RunLocks]) -> None:
    one, _ = hosts
    assert isinstance(one.take(GOV, site_wait=1), Held)
    assert one.take(GOV, site_wait=1) == "its last run is still going on here"


def test_a_source_running_on_another_host_is_skipped_after_the_wait(hosts: tuple[RunLocks, RunLocks]) -> None:
    one, two = hosts
    assert isinstance(one.take(GOV, site_wait=1), Held)
    assert two.take(GOV, site_wait=1) == "its last run is still going on on another host"


def test_a_source_given_back_may_run_anywhere(hosts: tuple[RunLocks, RunLocks]) -> None:
    one, two = hosts
    held = one.take(GOV, site_wait=1)
    assert isinstance(held, Held)
    one.give_back(GOV, held)
    assert isinstance(two.take(GOV, site_wait=1), Held)


def test_one_hosts_sources_of_one_site_run_side_by_side(hosts: tuple[RunLocks, RunLocks]) -> None:
    one, _ = hosts
    assert isinstance(one.take(GOV, site_wait=1), Held)
    assert isinstance(one.take(GOV_DE, site_wait=1), Held)


def test_another_host_waits_for_a_site_until_this_host_is_done_with_it(hosts: tuple[RunLocks, RunLocks]) -> None:
    one, two = hosts
    first, second = one.take(GOV, site_wait=1), one.take(GOV_DE, site_wait=1)
    assert isinstance(first, Held) and isinstance(second, Held)
    assert two.take(WIRE, site_wait=1) == Held("source:trend-wire", "site:wire.example.net")  # other site: free

    outcome: list[Held | str] = []
    waiting = threading.Thread(target=lambda: outcome.append(two.take(source("gov-3", "http://press.example.org/x"),
                                                                     site_wait=600)))
    waiting.start()
    one.give_back(GOV, first)
    assert outcome == [], "it must not take the site while GOV_DE still runs here"
    one.give_back(GOV_DE, second)  # the site is free now: the waiting run takes it
    waiting.join()
    assert outcome == [Held("source:gov-3", "site:press.example.org")]


def test_a_site_kept_busy_past_the_wait_skips_the_run_and_frees_its_source(hosts: tuple[RunLocks, RunLocks]) -> None:
    one, two = hosts
    assert isinstance(one.take(GOV, site_wait=1), Held)
    assert two.take(GOV_DE, site_wait=0.3) == "another host kept crawling press.example.org for 0.3s"
    assert isinstance(one.take(GOV_DE, site_wait=1), Held)  # its source lock was given back
