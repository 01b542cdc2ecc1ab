"""The alerts outbox on both databases: events with each save, one alert per story, claims and answers."""
from __future__ import annotations

import socket
from datetime import UTC, datetime

from sqlalchemy import insert, select, update

from presswatch.storage import Archive
from presswatch.storage.alerts import AlertArticle, WatchRule
from presswatch.storage.models import AlertDelivery, AlertEvent, CrawlRun
from tests.storage.conftest import FakeClock, MakeArticle


def everything(_: AlertArticle) -> bool:
    return True


def about_programmes(article: AlertArticle) -> bool:
    return "programme" in (article.body or "")


WATCH = WatchRule("desk", ("chan1", "chan2"), about_programmes)


def crawled_before(archive: Archive, source: str = "example-en") -> None:
    then = datetime(2026, 1, 1, tzinfo=UTC)
    with archive.engine.begin() as connection:
        connection.execute(insert(CrawlRun).values(
            source=source, started_at=then, finished_at=then, status="ok", pages_fetched=0, new=0, updated=0,
            unchanged=0, duplicates=0, errors=0, not_modified=0, revisited=0))


def deliveries(archive: Archive) -> list[tuple[str, str, int]]:
    with archive.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(  # type: ignore[misc]
            select(AlertDelivery.idempotency_key, AlertDelivery.status, AlertDelivery.attempts)
            .order_by(AlertDelivery.id))]


def test_a_new_story_makes_one_alert_with_a_delivery_per_channel(archive, make_article: MakeArticle) -> None:
    crawled_before(archive)
    archive.register_watches(["desk"])
    [saved] = archive.save_articles([make_article()])

    assert archive.match_alerts([WATCH]) == 1
    assert deliveries(archive) == [
        (f"desk/article-{saved.article_id}/chan1", "pending", 0),
        (f"desk/article-{saved.article_id}/chan2", "pending", 0),
    ]
    assert archive.match_alerts([WATCH]) == 0  # the events are gone


def test_copies_of_a_story_join_its_alert(archive, make_article: MakeArticle, clock: FakeClock) -> None:
    crawled_before(archive)
    archive.register_watches(["desk"])
    first = archive.save_article(make_article())
    archive.match_alerts([WATCH])
    clock.advance(minutes=5)
    copy = archive.save_article(make_article(url="https://other.example/reprint", publisher="Other"))
    assert copy.group_id is not None

    assert archive.match_alerts([WATCH]) == 0
    [claimed, _] = archive.claim_deliveries(300)
    story = archive.alert_story(claimed.alert_id)
    assert story.url == "https://news.example.az/en/economy/support-programme"
    assert [c.url for c in story.copies] == [story.url, "https://other.example/reprint"]
    assert first.article_id != copy.article_id


def test_a_first_crawl_and_articles_older_than_the_watch_alert_nothing(archive, make_article: MakeArticle,
                                                                        clock: FakeClock) -> None:
    archive.register_watches(["desk"])
    archive.save_article(make_article())  # the source has no completed run: a backfill
    assert archive.match_alerts([WATCH]) == 0
    crawled_before(archive)
    archive.save_article(make_article(url="https://news.example.az/en/other", body="A programme. " * 20))
    clock.advance(minutes=1)
    assert archive.match_alerts([WatchRule("late", ("c",), everything)]) == 0  # saved before `late` existed
    assert deliveries(archive) == []


def test_revisions_alert_only_watches_that_want_updates(archive, make_article: MakeArticle, clock: FakeClock) -> None:
    crawled_before(archive)
    archive.register_watches(["desk", "updates"])
    saved = archive.save_article(make_article())
    updates = WatchRule("updates", ("c",), about_programmes, updates=True)
    assert archive.match_alerts([WATCH, updates]) == 2
    clock.advance(hours=1)
    archive.save_article(make_article(body=f"{make_article().body}\n\nCorrected: 2 April."))

    assert archive.match_alerts([WATCH, updates]) == 1
    assert deliveries(archive)[-1] == (f"updates/article-{saved.article_id}-revision-1/c", "pending", 0)


def test_reparsing_stored_pages_records_no_event(archive, make_article: MakeArticle) -> None:
    crawled_before(archive)
    archive.save_articles([make_article()], seen=False)
    with archive.engine.connect() as connection:
        assert connection.scalar(select(AlertEvent.id)) is None


def test_a_claim_is_held_until_answered_unless_its_process_died(archive, make_article: MakeArticle,
                                                                 clock: FakeClock) -> None:
    crawled_before(archive)
    archive.register_watches(["desk"])
    archive.save_article(make_article())
    archive.match_alerts([WATCH])
    one, two = archive.claim_deliveries(300)
    assert archive.claim_deliveries(300) == []  # held by this live process
    archive.delivery_sent(one.id)
    with archive.engine.begin() as connection:  # `two` was claimed by a process of this host that died
        connection.execute(update(AlertDelivery).where(AlertDelivery.id == two.id)
                           .values(claimed_by=f"{socket.gethostname()}:999999999"))

    [again] = archive.claim_deliveries(300)

    assert (again.id, again.attempts) == (two.id, 2)
    archive.delivery_failed(again.id, "HTTP 500", None)
    assert [(s, a) for _, s, a in deliveries(archive)] == [("sent", 1), ("failed", 2)]
    assert archive.retry_failed_deliveries() == 1
    assert [d.id for d in archive.claim_deliveries(300)] == [two.id]


def test_an_archive_that_never_had_a_watch_keeps_no_events(archive, make_article: MakeArticle) -> None:
    crawled_before(archive)
    archive.save_articles([make_article()])
    with archive.engine.connect() as connection:
        assert connection.scalar(select(AlertEvent.id).limit(1)) is None
    archive.register_watches(["desk"])
    archive.save_articles([make_article(url="https://news.example.az/en/economy/second")])
    with archive.engine.connect() as connection:
        assert len(connection.execute(select(AlertEvent.id)).all()) == 1
