"""Which due run goes to which worker: one run per source at a time, a host's sources share a slot."""
from __future__ import annotations

from presswatch.crawler.config import parse_config
from presswatch.scheduler.dispatch import RunQueue, host_of, slot_for

SOURCES = parse_config({"sources": [
    {"name": "ministry-en", "start_urls": ["https://Ministry.example/en/news"]},
    {"name": "ministry-ru", "feeds": ["https://ministry.example/ru/rss"]},
    {"name": "agency", "sitemaps": ["https://agency.example/sitemap.xml"]},
]}).sources


def test_a_source_due_again_while_its_run_waits_or_goes_on_is_skipped() -> None:
    queue = RunQueue(slots=2)
    first = queue.add(SOURCES[0], timeout=300, now=0.0)
    assert first is not None
    assert queue.add(SOURCES[0], timeout=300, now=1.0) is None  # still waiting
    [taken] = queue.take(first.slot, room=10)
    assert taken is first
    assert queue.add(SOURCES[0], timeout=300, now=2.0) is None  # now going on
    queue.done(first)
    assert queue.add(SOURCES[0], timeout=300, now=3.0) is not None


def test_sources_of_one_host_share_a_slot_whatever_the_case_of_its_name() -> None:
    assert host_of(SOURCES[0]) == host_of(SOURCES[1]) == "ministry.example"
    for slots in (1, 2, 3, 7):
        assert slot_for(SOURCES[0], slots) == slot_for(SOURCES[1], slots)


def test_a_slot_takes_at_most_its_room_oldest_first_and_a_requeued_run_goes_first() -> None:
    queue = RunQueue(slots=1)
    runs = [queue.add(source, timeout=60, now=float(n)) for n, source in enumerate(SOURCES)]
    assert [r.source.name for r in queue.take(0, room=2)] == ["ministry-en", "ministry-ru"]
    assert runs[0] is not None
    queue.requeue(runs[0])
    assert [r.source.name for r in queue.take(0, room=5)] == ["ministry-en", "agency"]
    assert queue.waiting_count() == 0


def test_stopping_drops_the_waiting_runs_and_frees_their_sources() -> None:
    queue = RunQueue(slots=1)
    for source in SOURCES:
        queue.add(source, timeout=60, now=0.0)
    assert [r.source.name for r in queue.drop_waiting()] == ["ministry-en", "ministry-ru", "agency"]
    assert queue.busy == set() and queue.waiting_count() == 0
