"""`presswatch crawl` with watches: the demo sites on loopback, alerts to a real webhook."""
from __future__ import annotations

import json
from pathlib import Path

from tests.alerts.conftest import config_with_watches, rows, sources_crawled_before
from tests.alerts.servers import Webhook
from tests.e2e.helpers import run_presswatch

HYDROGEN_FIRST = (
    "/gov-press/en/press/2024/ministry-of-energy-and-azerbaijan-sign-memorandum-on-green-hydrogen-partnership-24117"
)
HYDROGEN_COPY = ("/caspian-post/en/news/energy/azerbaijan-signs-memorandum-on-green-hydrogen-partnership-with-ministry"
                 "-of-energy-2871150")
WRESTLERS = "/caspian-post/en/news/sport/azerbaijani-wrestlers-win-three-gold-medals-at-european-u23"


def watches(hook: Webhook) -> str:
    return f'''
[[watches]]
name = "hydrogen"
query = '"green hydrogen" memorandum'
notify = ["{hook.url}"]

[[watches]]
name = "wrestling-en"
query = "wrestlers OR judo -judoka"
languages = ["en"]
agencies = ["APA"]
notify = ["{hook.url}"]

[[watches]]
name = "nothing"
query = "zeppelin"
notify = ["{hook.url}"]
'''


def crawl(config: Path, db_url: str, *extra: str) -> str:
    result = run_presswatch("crawl", "--config", str(config), "--db", db_url, *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_one_alert_per_matching_story_listing_every_copy(demo_site, webhook, tmp_path, archive_url) -> None:
    server, _ = demo_site
    config = config_with_watches(tmp_path / "sources.toml", server, watches(webhook))
    sources_crawled_before(archive_url)

    out = crawl(config, archive_url)

    alerts = sorted(webhook.delivered(), key=lambda a: a["title"])
    assert [a["title"] for a in alerts] == [
        "[hydrogen] Ministry of Energy and Azerbaijan sign memorandum on green hydrogen partnership",
        "[wrestling-en] Azerbaijani wrestlers win three gold medals at European U23 Championships",
    ]
    hydrogen = alerts[0]["message"].splitlines()
    base = server.base_url
    assert hydrogen[:6] == [
        "Source: Ministry of Energy",
        "Publisher: Ministry of Energy",
        "Published: 2024-06-04T10:30:00+02:00",  # as the page has it (Europe/Berlin)
        "",
        f"{base}{HYDROGEN_FIRST} (Ministry of Energy)",
        f"{base}{HYDROGEN_COPY} (Caspian Post)",
    ]
    assert hydrogen[6] == "" and hydrogen[7].startswith("Minister of Energy Dr. Anna Lehmann and the Minister")
    assert "alerts: 2 new, 2 sent" in out
    [hydrogen_hook] = [h for h in webhook.received if h.payload["title"].startswith("[hydrogen]")]
    [(article_id,)] = rows(archive_url, "SELECT article_id FROM alerts WHERE watch = 'hydrogen'")
    [(channel,)] = rows(archive_url, "SELECT DISTINCT channel FROM alert_deliveries")
    assert hydrogen_hook.headers["Idempotency-Key"] == f"hydrogen/article-{article_id}/{channel}"
    assert rows(archive_url, "SELECT status, attempts FROM alert_deliveries") == [("sent", 1), ("sent", 1)]

    crawl(config, archive_url, "--full")  # the same stories again: nothing more
    assert len(webhook.delivered()) == 2


def test_the_first_crawl_of_a_source_alerts_nothing(demo_site, webhook, tmp_path, archive_url) -> None:
    server, _ = demo_site
    config = config_with_watches(tmp_path / "sources.toml", server, watches(webhook))

    crawl(config, archive_url)

    assert webhook.received == []
    assert rows(archive_url, "SELECT count(*) FROM alerts") == [(0,)]
    assert rows(archive_url, "SELECT count(*) FROM alert_events") == [(0,)]


def test_a_revision_alerts_only_watches_that_ask_for_updates(demo_site, webhook, tmp_path, archive_url) -> None:
    server, root = demo_site
    config = config_with_watches(tmp_path / "sources.toml", server, watches(webhook) + f'''
[[watches]]
name = "hydrogen-updates"
query = "hydrogen memorandum"
sources = ["gov-press"]
updates = true
notify = ["{webhook.url}"]
''')
    sources_crawled_before(archive_url)
    crawl(config, archive_url)
    assert sorted(a["title"].split("]")[0] for a in webhook.delivered()) == [
        "[hydrogen", "[hydrogen-updates", "[wrestling-en"]
    page = root / (HYDROGEN_FIRST.lstrip("/") + ".html")
    html = page.read_text(encoding="utf-8")
    first_paragraph = "today signed a memorandum of understanding on a partnership for green hydrogen in Berlin."
    assert first_paragraph in html
    page.write_text(html.replace(first_paragraph, first_paragraph + " The figures were revised on Friday."),
                    encoding="utf-8")

    crawl(config, archive_url, "--full")

    later = webhook.delivered()[3:]
    assert [a["title"] for a in later] == [
        "[hydrogen-updates] Updated: Ministry of Energy and Azerbaijan sign memorandum on green hydrogen partnership"
    ]
    assert rows(archive_url, "SELECT kind, revision FROM alerts WHERE watch = 'hydrogen-updates' ORDER BY id") == [
        ("story", 0), ("revision", 1)]


def test_crawl_no_notify_leaves_the_alerts_for_the_next_crawl(demo_site, webhook, tmp_path, archive_url) -> None:
    server, _ = demo_site
    config = config_with_watches(tmp_path / "sources.toml", server, watches(webhook))
    sources_crawled_before(archive_url)

    crawl(config, archive_url, "--no-notify")
    assert webhook.received == []
    crawl(config, archive_url)

    assert len(webhook.delivered()) == 2


def test_a_failing_webhook_gets_the_alert_exactly_once_after_retries(demo_site, webhook, tmp_path, archive_url) -> None:
    server, _ = demo_site
    webhook.statuses = [500, 503]
    config = config_with_watches(tmp_path / "sources.toml", server, f'''
[[watches]]
name = "hydrogen"
query = '"green hydrogen" memorandum'
notify = ["{webhook.url}"]
''')
    sources_crawled_before(archive_url)

    crawl(config, archive_url)

    assert [h.status for h in webhook.received] == [500, 503, 200]
    assert len(webhook.delivered()) == 1
    [(status, attempts, sent_at)] = rows(archive_url, "SELECT status, attempts, sent_at FROM alert_deliveries")
    assert (status, attempts, sent_at is not None) == ("sent", 3, True)
    assert json.dumps(webhook.delivered()[0]).count("green hydrogen") >= 1
