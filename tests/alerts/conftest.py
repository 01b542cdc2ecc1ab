"""Alert tests: the demo sites on loopback, a config with watches, and a real webhook."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert

from presswatch.crawler.site_server import SiteServer
from presswatch.storage import upgrade_archive
from presswatch.storage.models import CrawlRun
from tests.alerts.servers import Webhook
from tests.e2e.conftest import demo_site, write_config
from tests.e2e.test_crawl_demo_sites import rows

DEMO_SOURCES = ("caspian-post", "gov-press", "novosti-kaspiya", "trend-wire")


@pytest.fixture()
def webhook() -> Iterator[Webhook]:
    hook = Webhook().start()
    yield hook
    hook.stop()


def config_with_watches(path: Path, server: SiteServer, watches: str) -> Path:
    """The demo sources config with these `[[watches]]` tables added."""
    write_config(path, server)
    path.write_text(path.read_text(encoding="utf-8") + "\n" + watches, encoding="utf-8")
    return path


def dead_source_config(hook_url: str, port: int) -> str:
    """One source `dead` on a port where nothing listens, checked every 3 s; health messages to `hook_url`."""
    return f'''
[alerts]
health_notify = ["{hook_url}"]

[[sources]]
name = "dead"
start_urls = ["http://127.0.0.1:{port}/news"]
interval = "3s"
retry_times = 0
'''


def sources_crawled_before(db_url: str, names: tuple[str, ...] = DEMO_SOURCES) -> None:
    """An archive whose sources each had a completed run already (their next crawl is no backfill)."""
    upgrade_archive(db_url)
    engine = create_engine(db_url)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        with engine.begin() as connection:
            for name in names:
                connection.execute(insert(CrawlRun).values(
                    source=name, started_at=now, finished_at=now, status="ok", pages_fetched=0, new=0, updated=0,
                    unchanged=0, duplicates=0, errors=0, not_modified=0, revisited=0))
    finally:
        engine.dispose()


__all__ = ["config_with_watches", "dead_source_config", "demo_site", "rows", "sources_crawled_before", "webhook"]
