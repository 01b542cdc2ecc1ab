"""`digest = "1h"`: the stories of an interval in one message, to a real webhook (the archive's clock moved by hand)."""
from __future__ import annotations

from dataclasses import replace

from presswatch.crawler.config import parse_config
from presswatch.scheduler.alerts import deliver
from presswatch.storage import open_archive
from tests.alerts.conftest import sources_crawled_before
from tests.storage.conftest import BASE_ARTICLE, FakeClock

SOURCE = {"name": "example-en", "start_urls": ["https://news.example.az/en/"]}


def story(n: int):  # noqa: ANN201
    return replace(BASE_ARTICLE, url=f"https://news.example.az/en/{n}", headline=f"Programme {n} opens",
                   body=f"Programme number {n} opens for applications in region {n}. " * 5)


def test_a_digest_sends_the_stories_of_its_interval_in_one_message(webhook, archive_url) -> None:
    config = parse_config({"sources": [SOURCE], "watches": [
        {"name": "desk", "query": "programme", "digest": "1h", "notify": [webhook.url]}]})
    sources_crawled_before(archive_url, ("example-en",))
    clock = FakeClock()
    with open_archive(archive_url, clock=clock) as archive:
        archive.register_watches(["desk"])
        archive.save_articles([story(1), story(2)])
        assert deliver(archive, config).sent == 0
        clock.advance(minutes=30)
        archive.save_article(story(3))
        assert deliver(archive, config).sent == 0
        assert webhook.received == []

        clock.advance(minutes=31)
        assert deliver(archive, config).sent == 3
        clock.advance(minutes=5)
        archive.save_article(story(4))
        assert deliver(archive, config).sent == 0
        clock.advance(hours=1)
        assert deliver(archive, config).sent == 1

    first, second = webhook.delivered()
    assert first["title"] == "[desk] 3 new stories"
    assert [line for line in first["message"].splitlines() if line.startswith("[desk]")] == [
        "[desk] Programme 1 opens", "[desk] Programme 2 opens", "[desk] Programme 3 opens"]
    assert second["title"] == "[desk] Programme 4 opens"
