"""Delivery that survives: mail with secrets kept out of sight, a killed crawl, a webhook down under `serve`."""
from __future__ import annotations

import os
import signal
import subprocess
import threading

from sqlalchemy import create_engine, text

from tests.alerts.conftest import config_with_watches, rows, sources_crawled_before
from tests.alerts.servers import Mailbox, Webhook, wait_for
from tests.e2e.helpers import PRESSWATCH, REPO, free_port, run_presswatch

SECRET = "pa55-Wd-n0t-for-logs"
HYDROGEN = '''
[[watches]]
name = "hydrogen"
query = '"green hydrogen" memorandum'
notify = ["{url}"]
'''


def presswatch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = run_presswatch(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result


def archive_dump(db_url: str) -> str:
    """Every value of every table, as text (where a leaked secret would show)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            if db_url.startswith("sqlite"):
                return "\n".join(raw.iterdump())  # type: ignore[union-attr]
            tables = rows(db_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return "\n".join(str(rows(db_url, f'SELECT * FROM "{name}"')) for (name,) in tables)
    finally:
        engine.dispose()


def test_mail_alert_with_its_password_from_the_environment_never_shows_it(demo_site, tmp_path, archive_url) -> None:
    server, _ = demo_site
    mailbox = Mailbox("alerts", SECRET).start()
    try:
        url = (f"mailto://alerts:${{SMTP_PASS}}@127.0.0.1:{mailbox.port}?smtp=127.0.0.1&mode=insecure"
               "&from=alerts@example.org&to=desk@example.org")
        config = config_with_watches(tmp_path / "sources.toml", server, HYDROGEN.format(url=url))
        sources_crawled_before(archive_url)
        env = {"SMTP_PASS": SECRET}

        crawl = presswatch("crawl", "--config", str(config), "--db", archive_url, "-vv", env=env)
        listing = presswatch("alerts", "list", "--config", str(config), "--db", archive_url, env=env)
    finally:
        mailbox.stop()
    [mail] = mailbox.messages
    assert mail["Subject"] == (
        "[hydrogen] Ministry of Energy and Azerbaijan sign memorandum on green hydrogen partnership"
    )
    assert mail["To"] == "desk@example.org"
    plain = mail.get_body(preferencelist=("plain",))
    assert plain is not None
    text = plain.get_content()
    assert "Source: Ministry of Energy" in text and "Published: 2024-06-04T10:30:00+02:00" in text
    assert mailbox.logins == [("alerts", SECRET)]
    assert "hydrogen" in listing.stdout and "mailto://127.0.0.1" in listing.stdout
    for shown in (crawl.stdout, crawl.stderr, listing.stdout, listing.stderr, archive_dump(archive_url)):
        assert SECRET not in shown


def test_a_crawl_killed_while_sending_delivers_once_after_restart(demo_site, tmp_path, archive_url) -> None:
    server, _ = demo_site
    webhook = Webhook(statuses=[500], hold=threading.Event()).start()  # the first request hangs, then fails
    try:
        config = config_with_watches(tmp_path / "sources.toml", server, HYDROGEN.format(url=webhook.url))
        sources_crawled_before(archive_url)
        crawl = subprocess.Popen([*PRESSWATCH, "crawl", "--config", str(config), "--db", archive_url], cwd=REPO,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(webhook.arrived.is_set, "the alert to reach the webhook")
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.wait()
        assert rows(archive_url, "SELECT status, attempts FROM alert_deliveries") == [("pending", 1)]
        webhook.hold.set()  # type: ignore[union-attr]
        wait_for(lambda: webhook.received, "the hung request to end")

        presswatch("crawl", "--config", str(config), "--db", archive_url)
        presswatch("crawl", "--config", str(config), "--db", archive_url)
    finally:
        webhook.stop()
    assert [h.status for h in webhook.received] == [500, 200]
    assert len(webhook.delivered()) == 1
    assert rows(archive_url, "SELECT status, attempts FROM alert_deliveries") == [("sent", 2)]


def test_a_crawl_killed_after_saving_loses_no_alert_and_sends_none_twice(
    demo_site, webhook, tmp_path, archive_url
) -> None:
    server, _ = demo_site
    config = config_with_watches(tmp_path / "sources.toml", server, HYDROGEN.format(url=webhook.url))
    sources_crawled_before(archive_url)
    crawl = subprocess.Popen([*PRESSWATCH, "crawl", "--config", str(config), "--db", archive_url], cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: rows(archive_url, "SELECT count(*) FROM articles")[0][0] > 0, "the crawl to save articles")
    os.kill(crawl.pid, signal.SIGKILL)
    crawl.wait()

    presswatch("crawl", "--config", str(config), "--db", archive_url)
    presswatch("crawl", "--config", str(config), "--db", archive_url)

    assert [a["title"] for a in webhook.delivered()] == [
        "[hydrogen] Ministry of Energy and Azerbaijan sign memorandum on green hydrogen partnership"]


def test_serve_delivers_once_the_webhook_comes_back(demo_site, tmp_path, sqlite_url) -> None:
    server, _ = demo_site
    port = free_port()  # nothing listens there yet: connection refused
    down = Webhook(port=port)
    config = config_with_watches(tmp_path / "sources.toml", server, HYDROGEN.format(url=down.url))
    config.write_text(config.read_text(encoding="utf-8").replace('interval = "10m"', 'interval = "3s"'),
                      encoding="utf-8")
    sources_crawled_before(sqlite_url)
    service = subprocess.Popen([*PRESSWATCH, "serve", "--config", str(config), "--db", sqlite_url], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: rows(sqlite_url, "SELECT last_error FROM alert_deliveries WHERE last_error IS NOT NULL"),
                 "a failed delivery")
        webhook = Webhook(port=port).start()
        try:
            wait_for(lambda: rows(sqlite_url, "SELECT 1 FROM alert_deliveries WHERE status = 'sent'"), "the delivery")
            runs = rows(sqlite_url, "SELECT count(*) FROM crawl_runs")[0][0]
            wait_for(lambda: rows(sqlite_url, "SELECT count(*) FROM crawl_runs WHERE status = 'ok'")[0][0] >= runs + 4,
                     "another round of runs")
        finally:
            webhook.stop()
    finally:
        service.send_signal(signal.SIGTERM)
        _, log = service.communicate(timeout=60)
    assert service.returncode == 0, log
    assert len(webhook.delivered()) == 1
    [(status, attempts, error)] = rows(sqlite_url, "SELECT status, attempts, last_error FROM alert_deliveries")
    assert (status, attempts >= 2, error) == ("sent", True, None)
    assert "alert for watch 'hydrogen' not delivered (attempt 1): A Connection error occurred" in log


def test_alerts_retry_sends_a_delivery_that_was_given_up(demo_site, webhook, tmp_path, sqlite_url) -> None:
    server, _ = demo_site
    config = config_with_watches(tmp_path / "sources.toml", server, HYDROGEN.format(url=webhook.url))
    sources_crawled_before(sqlite_url)
    presswatch("crawl", "--config", str(config), "--db", sqlite_url, "--no-notify")
    webhook.statuses = [500]
    first = presswatch("alerts", "retry", "--config", str(config), "--db", sqlite_url)
    assert first.stdout == "0 failed deliveries retried; 0 sent, 1 failed\n"
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:  # what MAX_ATTEMPTS failed attempts leave behind
        connection.execute(text("UPDATE alert_deliveries SET status = 'failed'"))
    engine.dispose()
    listing = presswatch("alerts", "list", "--config", str(config), "--db", sqlite_url)
    assert "failed" in listing.stdout
    assert "last error: Failed to send JSON POST notification: Internal server error., error=500." in listing.stdout

    second = presswatch("alerts", "retry", "--config", str(config), "--db", sqlite_url)

    assert second.stdout == "1 failed deliveries retried; 1 sent, 0 failed\n"
    assert len(webhook.delivered()) == 1
    assert rows(sqlite_url, "SELECT status FROM alert_deliveries") == [("sent",)]


def test_alerts_test_sends_a_sample_to_every_channel(webhook, tmp_path) -> None:
    dead = f"json://127.0.0.1:{free_port()}/hook"
    config = tmp_path / "sources.toml"
    config.write_text(f'''
[[sources]]
name = "site"
start_urls = ["http://127.0.0.1:9/news"]

[[watches]]
name = "desk"
notify = ["{webhook.url}", "{dead}"]
''', encoding="utf-8")

    result = run_presswatch("alerts", "test", "desk", "--config", str(config))

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"json://127.0.0.1:{webhook.port}/…: sent: Sent JSON POST notification."
    assert lines[1].startswith(f"json://127.0.0.1:{dead.split(':')[2].split('/')[0]}/…: FAILED: A Connection error")
    [sample] = webhook.delivered()
    assert sample["title"] == "[desk] presswatch test alert"
