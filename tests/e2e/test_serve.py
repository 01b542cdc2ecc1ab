"""`presswatch serve` as a real process: it crawls on schedule and stops cleanly."""
from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import create_engine, text

from tests.e2e.helpers import PRESSWATCH, REPO, free_port, processes_of_service

T = TypeVar("T")


def article_count(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
    except Exception:
        return 0
    finally:
        engine.dispose()


def test_serve_archives_on_schedule_and_stops_cleanly_on_sigterm(
    tmp_path: Path, demo_config: Path, truth: list[dict]
) -> None:
    config = demo_config.read_text(encoding="utf-8").replace('interval = "10m"', 'interval = "3s"')
    demo_config.write_text(config, encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'served.db'}"
    metrics_port = free_port()
    service = subprocess.Popen(
        [*PRESSWATCH, "serve", "--config", str(demo_config), "--db", db_url, "--metrics-port", str(metrics_port)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        metrics = wait_for(lambda: _every_source_ran_ok(db_url, len(truth), metrics_port),
                           "every demo article archived and every source's run counted ok", service)
    finally:
        service.send_signal(signal.SIGTERM)
        _, log = service.communicate(timeout=120)  # a hang guard only
    assert service.returncode == 0, log
    assert processes_of_service(service.pid) == []
    assert "source=caspian-post status=ok" in log
    assert "stopped" in log
    new = {s: metrics[f'presswatch_articles_total{{outcome="new",source="{s}"}}'] for s in SOURCES}
    duplicates = sum(metrics[f'presswatch_articles_total{{outcome="duplicates",source="{s}"}}'] for s in SOURCES)
    assert sum(new.values()) + duplicates == len(truth)
    assert all(metrics[f'presswatch_runs_total{{source="{s}",status="ok"}}'] >= 1 for s in SOURCES)


SOURCES = ("caspian-post", "gov-press", "trend-wire", "novosti-kaspiya")


def _every_source_ran_ok(db_url: str, articles: int, port: int) -> dict[str, float] | None:
    """The metrics once the archive holds every article and each source has an ok run, else None."""
    if article_count(db_url) < articles:
        return None
    metrics = scrape(port)
    ran = all(metrics.get(f'presswatch_runs_total{{source="{s}",status="ok"}}', 0) >= 1 for s in SOURCES)
    return metrics if ran else None


def wait_for(condition: Callable[[], T | None], what: str, service: subprocess.Popen[str]) -> T:
    """Poll until `condition` gives a value (a 5-minute guard against hangs, not a speed bound)."""
    deadline = time.monotonic() + 300
    while (value := condition()) is None:
        assert service.poll() is None, f"serve exited ({service.returncode}) waiting for {what}"
        assert time.monotonic() < deadline, f"no {what}"
        time.sleep(0.2)
    return value


def scrape(port: int) -> dict[str, float]:
    """The service's /metrics as {'name{labels}': value}."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    samples = (line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {name: float(value) for name, value in samples}
