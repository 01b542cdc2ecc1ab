"""`[alerts] health_notify` under `presswatch serve`: a dead source is reported once, to a real webhook."""
from __future__ import annotations

import signal
import subprocess

from tests.alerts.conftest import dead_source_config, rows
from tests.alerts.servers import wait_for
from tests.e2e.helpers import PRESSWATCH, REPO, free_port


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
