"""`[alerts] health_notify` under `presswatch serve`: a dead source, and one whose pages lost a field,
are reported once each way, to a real webhook."""
from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from presswatch.crawler.config import load_config
from presswatch.scheduler.notifiers import Notifiers
from presswatch.storage import Archive, RunCounts, open_archive, upgrade_archive
from tests.alerts.conftest import dead_source_config, rows
from tests.alerts.servers import wait_for
from tests.e2e.helpers import PRESSWATCH, REPO, free_port
from tests.service.newsroom import Newsroom, sources_toml
from tests.service.running_service import RunningService


def test_a_source_that_keeps_failing_is_reported_once(webhook, tmp_path, sqlite_url) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(dead_source_config(webhook.url, free_port()), encoding="utf-8")
    service = subprocess.Popen([*PRESSWATCH, "serve", "--config", str(config), "--db", sqlite_url], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: webhook.received, "the health alert")
        wait_for(lambda: rows(sqlite_url, "SELECT count(*) FROM crawl_runs WHERE status = 'failed'")[0][0] >= 5,
                 "two more failed runs")
    finally:
        service.send_signal(signal.SIGTERM)
        _, log = service.communicate(timeout=60)
    assert service.returncode == 0, log
    [alert] = webhook.delivered()
    assert alert["title"] == "[presswatch] source dead is UNHEALTHY"
    assert alert["message"].startswith("3 failed runs in a row; the last one's errors: connection_refused×1.")


def test_a_source_whose_new_pages_lack_their_date_is_reported_once_and_again_when_they_are_complete(
    webhook, tmp_path, sqlite_url
) -> None:
    with Newsroom() as site:
        site.publish(3, age=timedelta(days=1))
        config = tmp_path / "sources.toml"
        config.write_text(f'[alerts]\nhealth_notify = ["{webhook.url}"]\n\n' + sources_toml(site, interval="2s"),
                          encoding="utf-8")
        service = RunningService(config, sqlite_url)
        try:
            service.wait_for(lambda: _articles(sqlite_url) == 3, 300, "the first three releases")
            site.dated = False  # a redesign: the next six pages state no date (6 of 9 recent: 67 %)
            site.publish(6)
            wait_for(lambda: webhook.received, "the drift alert", timeout=300)
            site.dated = True  # fixed: eight more dated pages (6 of 17 recent without a date: 35 %)
            site.publish(8)
            wait_for(lambda: len(webhook.delivered()) >= 2, "the all-clear", timeout=300)
            service.wait_for(lambda: _articles(sqlite_url) == 17, 300, "every release")
        finally:
            stopped = service.stop()
    assert stopped == 0, service.log
    delivered = webhook.delivered()
    assert [a["title"] for a in delivered] == [
        "[presswatch] source newsroom is UNHEALTHY: layout drift",
        "[presswatch] source newsroom's pages are complete again",
    ]
    assert delivered[0]["message"].startswith("67% of recent articles without date")


def _articles(db_url: str) -> int:
    try:
        return int(rows(db_url, "SELECT count(*) FROM articles")[0][0])
    except Exception:  # noqa: BLE001 - the archive is not made yet
        return 0


def test_without_health_notify_the_broker_scheduler_reads_no_streaks_and_a_reload_that_adds_it_starts_from_now(
    webhook, tmp_path, sqlite_url
) -> None:
    # serve --broker's active scheduler polls the health on its lease loop; nobody to tell, no query.
    upgrade_archive(sqlite_url)
    quiet, told = tmp_path / "quiet.toml", tmp_path / "told.toml"
    quiet.write_text(dead_source_config(webhook.url, free_port()).replace("health_notify", "# health_notify"),
                     encoding="utf-8")
    told.write_text(dead_source_config(webhook.url, free_port()), encoding="utf-8")
    with open_archive(sqlite_url) as archive:
        notifiers = Notifiers(archive, load_config(quiet))
        polled: list[str] = []  # the statements run while polling
        for _ in range(3):
            _finished_run(archive, "dead", "failed")
            with _statements(archive) as statements:
                notifiers.poll_health()
            polled += statements
        assert polled == []

        notifiers.follow(load_config(told))  # dead has failed 3 times in a row since: told as it stands, not as news
        notifiers.poll_health()
        _finished_run(archive, "dead", "ok")
        wait_for(lambda: notifiers.poll_health() or webhook.received, "the recovered message")  # read every 2 s
    [alert] = webhook.delivered()
    assert alert["title"] == "[presswatch] source dead recovered"


@contextmanager
def _statements(archive: Archive) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(archive.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(archive.engine, "before_cursor_execute", record)


def _finished_run(archive: Archive, source: str, status: str) -> None:
    archive.finish_run(archive.start_run(source), status, RunCounts(errors=int(status == "failed")))
