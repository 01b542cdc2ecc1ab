"""The browse tests' archive and server: the demo sites crawled, then `presswatch browse` on it.

The archive is the demo's 68 articles (one release republished: a reprint cluster of two),
one of them revised, plus a configured source whose site is gone (`dead-wire`: two failed
runs, one 404 each). `presswatch browse` serves it as a real process on a free loopback port.
"""
from __future__ import annotations

import json
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from presswatch.crawler.site_server import SiteServer
from tests.browse.chromium import INSTALL, Chromium, chromium_path
from tests.conftest import _service_unavailable
from tests.e2e.conftest import served_copy, write_config
from tests.e2e.helpers import DEMO, PRESSWATCH, REPO, free_port, run_presswatch

DEAD_SOURCE = """
[[sources]]
name = "dead-wire"
publisher = "Dead Wire"
start_urls = ["{base}/dead-wire/en/news"]
"""
REVISED_NOTE = " The figures were revised on Friday."


@dataclass(frozen=True)
class BrowsedArchive:
    db_url: str
    server: SiteServer
    truth: list[dict]
    revised: dict  # the truth record of the gov-press release whose first paragraph changed

    def url_of(self, record: dict) -> str:
        return self.server.base_url + record["path"]


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    path = chromium_path()
    if path is None:
        _service_unavailable(f"Chromium is not installed ({INSTALL}); browser tests skipped")
    return Chromium(path)


def _crawl(config: Path, db_url: str, *extra: str) -> None:
    result = run_presswatch("crawl", "--config", str(config), "--db", db_url, *extra)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def browsed_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowsedArchive]:
    root = tmp_path_factory.mktemp("browsed")
    truth = [json.loads(line) for line in (DEMO / "truth.jsonl").read_text(encoding="utf-8").splitlines() if line]
    server = served_copy(root / "sites")
    try:
        config = write_config(root / "sources.toml", server)
        with config.open("a", encoding="utf-8") as file:
            file.write(DEAD_SOURCE.format(base=server.base_url))
        db_url = f"sqlite:///{root / 'archive.db'}"
        _crawl(config, db_url)
        revised = next(t for t in truth if t["site"] == "gov-press" and not t["republished_from"])
        page = root / "sites" / (revised["path"].lstrip("/") + ".html")
        first = revised["body"].split("\n\n")[0]
        page.write_text(page.read_text(encoding="utf-8").replace(first, first + REVISED_NOTE), encoding="utf-8")
        _crawl(config, db_url, "--full")
        yield BrowsedArchive(db_url, server, truth, revised)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browse_url(browsed_archive: BrowsedArchive) -> Iterator[str]:
    """`presswatch browse` serving the archive; its base URL once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [*PRESSWATCH, "browse", "--db", browsed_archive.db_url, "--port", str(port)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_served(process, f"{base}/archive")
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.startswith(f"Browsing {Path(browsed_archive.db_url.removeprefix('sqlite:///'))} at {base}/archive")


def wait_until_served(process: subprocess.Popen[str], url: str) -> None:
    """Poll until the page answers 200; fail at once if the process ends first."""
    while True:
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"presswatch browse exited {process.returncode}: {err or out}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        try:
            process.wait(timeout=0.1)  # the pause between polls; returns early if it dies
        except subprocess.TimeoutExpired:
            pass
