"""`presswatch serve` as a real process: it crawls on schedule and stops cleanly."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.e2e.helpers import PRESSWATCH, REPO


def article_count(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
    except Exception:
        return 0
    finally:
        engine.dispose()


def processes_mentioning(needle: str) -> list[int]:
    """Live processes whose command line contains `needle` (crawl children carry the config path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if needle in cmdline:
                found.append(int(entry.name))
    return found


def test_serve_archives_on_schedule_and_stops_cleanly_on_sigterm(tmp_path: Path, demo_config: Path, truth: list[dict]) -> None:
    config = demo_config.read_text(encoding="utf-8").replace('interval = "10m"', 'interval = "3s"')
    demo_config.write_text(config, encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'served.db'}"
    service = subprocess.Popen(
        [*PRESSWATCH, "serve", "--config", str(demo_config), "--db", db_url],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while article_count(db_url) < len(truth) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert article_count(db_url) == len(truth)
        time.sleep(4)  # let the next scheduled runs start
    finally:
        service.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _, log = service.communicate(timeout=30)
    assert service.returncode == 0, log
    assert time.monotonic() - started < 15
    assert processes_mentioning(str(demo_config)) == []
    assert "source=caspian-post status=ok" in log
    assert "stopped" in log
