"""`presswatch serve` on long-lived crawl workers: many sources at once, workers that die, wedge or grow.

Every test runs the real service against real loopback sites and a real SQLite archive,
and waits for conditions (never for a fixed time, never with an upper bound on speed).
"""
from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from tests.e2e.helpers import free_port, run_presswatch
from tests.faults import bigsite
from tests.faults.helpers import instant, rows
from tests.service.newsroom import Newsroom
from tests.service.running_service import (
    count,
    kill,
    start_service,
    stop_cleanly,
    stored,
)

CRAWL = '[crawl]\ndownload_delay = 0\nautothrottle = false\nconcurrent_per_domain = 4\n'


def source_toml(name: str, url: str, interval: str = "2s", **keys: object) -> str:
    lines = ["[[sources]]", f'name = "{name}"', f'start_urls = ["{url}"]', 'timezone = "UTC"', 'language = "en"',
             f'interval = "{interval}"']
    lines += [f"{key} = {json.dumps(value)}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"


def service_toml(**keys: object) -> str:
    return "[service]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())


def run_rows(db_url: str, source: str) -> list[tuple[str, datetime | None, datetime | None]]:
    found = rows(
        db_url, "SELECT status, started_at, finished_at FROM crawl_runs WHERE source = :s ORDER BY id", s=source
    )
    return [(status, instant(started), instant(finished)) for status, started, finished in found]


def health(port: int) -> int | None:
    """/healthz's status; None while nothing listens."""
    return urllib_status(f"http://127.0.0.1:{port}/healthz")


def scrape(port: int) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    samples = (line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {name: float(value) for name, value in samples}


@contextmanager
def newsrooms(count_: int, releases: int) -> Iterator[list[Newsroom]]:
    """`count_` newsrooms, each on its own loopback address (127.0.3.1, 127.0.3.2, ...)."""
    with ExitStack() as stack:
        sites = []
        for n in range(count_):
            site = stack.enter_context(Newsroom(office=f"Office{n}", host=f"127.0.{3 + n // 250}.{1 + n % 250}"))
            site.publish(releases, age=timedelta(days=1))
            sites.append(site)
        yield sites


def test_a_hundred_sources_on_their_own_hosts_are_archived_and_checked_again_and_again(tmp_path: Path) -> None:
    with newsrooms(100, releases=2) as sites:
        config = CRAWL + service_toml(workers=2) + "".join(
            source_toml(f"office-{n:03d}", site.base_url + "/news", interval="4s") for n, site in enumerate(sites)
        )
        service, db_url = start_service(tmp_path, config)
        try:
            service.wait_for(lambda: count(db_url) == 200, 180, "all 200 releases archived")
            service.wait_for(lambda: all(service.runs_logged(f"office-{n:03d}", "ok") >= 3 for n in range(100)),
                             180, "three runs of every source")
            fresh = {n: sites[n].publish(1)[0] for n in (3, 41, 97)}
            service.wait_for(lambda: all(stored(db_url, sites[n].base_url + path) for n, path in fresh.items()),
                             60, "three new releases archived")
        finally:
            stop_cleanly(service)
    assert count(db_url) == 203
    statuses = rows(db_url, "SELECT status, count(*) FROM crawl_runs GROUP BY status ORDER BY status")
    assert [status for status, _ in statuses] in (["ok"], ["interrupted", "ok"]), statuses  # cut off by the stop only
    for n, site in enumerate(sites):
        runs = run_rows(db_url, f"office-{n:03d}")
        assert all(later[1] >= earlier[2] for earlier, later in pairwise(runs) if earlier[2]), runs  # no overlap
        assert sorted(site.article_hits()) == sorted(set(site.article_hits()))  # each release fetched once
    assert "2 crawl worker(s)" in service.log


def test_a_worker_killed_mid_run_has_its_run_interrupted_and_the_next_run_completes_it(tmp_path: Path) -> None:
    wire = bigsite.big_site(article_delay=0.03)
    try:
        config = bigsite.write_config(tmp_path / "wire.toml", wire).read_text(encoding="utf-8")
        config = service_toml(workers=1, restart_delay="1s") + config + 'interval = "2s"\n'
        service, db_url = start_service(tmp_path, config)
        try:
            service.wait_for(lambda: count(db_url) >= bigsite.ARTICLES * 0.4, 120, "40 % of the site archived")
            [worker] = service.workers()
            kill(worker)
            service.wait_for(lambda: "source=wire status=interrupted" in service.log, 30, "the run logged interrupted")
            service.wait_for(lambda: count(db_url) == bigsite.ARTICLES, 180, "the whole site archived")
            service.wait_for(lambda: service.runs_logged("wire", "ok") >= 1, 60, "a run that completes")
            assert worker not in service.workers()
        finally:
            stop_cleanly(service)
    finally:
        wire.stop()
    urls = [url for (url,) in rows(db_url, "SELECT url FROM articles ORDER BY url")]
    assert urls == bigsite.all_urls(wire)  # every article, each once
    statuses = [status for status, *_ in run_rows(db_url, "wire")]
    assert statuses[0] == "interrupted" and "ok" in statuses, statuses
    assert f"worker {worker} exited (signal 9)" in service.log
    assert "crawl worker" in service.log and "died (signal 9); a new one starts in 1s" in service.log


@contextmanager
def wedged_server() -> Iterator[str]:
    """A server that accepts connections and never answers: its base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def test_a_wedged_server_does_not_stall_the_other_sources_of_its_worker(tmp_path: Path) -> None:
    with wedged_server() as wedged, Newsroom() as site:
        site.publish(2, age=timedelta(days=1))
        config = (CRAWL + service_toml(workers=1, stop_grace="1s")
                  + source_toml("wedged", wedged + "/news", download_timeout=600.0)
                  + source_toml("newsroom", site.base_url + "/news"))
        service, db_url = start_service(tmp_path, config)
        try:
            service.wait_for(lambda: service.runs_logged("newsroom", "ok") >= 4, 90, "four runs of the live source")
            [path] = site.publish(1)
            service.wait_for(lambda: stored(db_url, site.base_url + path), 60, "a new release of the live source")
            assert run_rows(db_url, "wedged")[0][0] == "running"  # its first run still waits for an answer
            assert len(run_rows(db_url, "wedged")) == 1  # and its due checks were skipped, not stacked
        finally:
            stop_cleanly(service)
    assert [status for status, *_ in run_rows(db_url, "wedged")] == ["interrupted"]
    assert "source=wedged status=interrupted" in service.log
    # Scrapy's engine would wait for the hung download: the worker records the run closed and exits.
    assert "wedged: the run did not close (a download still hangs); recorded as interrupted" in service.log
    assert "did not stop in time" not in service.log and "leaked" not in service.log


def test_a_dead_source_turns_unhealthy_after_three_failed_runs_and_healthy_when_it_comes_back(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    config = CRAWL + source_toml("ministry", f"http://127.0.0.1:{port}/news")
    service, db_url = start_service(tmp_path, config, "--metrics-port", str(metrics_port))
    try:
        service.wait_for(lambda: service.runs_logged("ministry", "failed") >= 3, 90, "three failed runs")
        listed = json.loads(run_presswatch("sources", "--config", str(service.config), "--db", db_url,
                                           "--format", "json").stdout)
        metrics = scrape(metrics_port)
        with Newsroom(port=port) as site:
            site.publish(2, age=timedelta(days=1))
            service.wait_for(lambda: service.runs_logged("ministry", "ok") >= 1, 60, "a run once the site is back")
            back = json.loads(run_presswatch("sources", "--config", str(service.config), "--db", db_url,
                                             "--format", "json").stdout)
            metrics_back = scrape(metrics_port)
    finally:
        stop_cleanly(service)
    [row] = listed
    assert row["health"].startswith("UNHEALTHY: ") and "failed runs in a row" in row["health"], row
    assert row["consecutive_failures"] >= 3 and row["last_status"] in ("failed", "running"), row  # the next may be on
    first = rows(db_url, "SELECT status, error_kinds FROM crawl_runs ORDER BY id LIMIT 1")
    assert first == [("failed", '{"connection_refused": 1}')]
    assert metrics['presswatch_source_up{source="ministry"}'] == 0.0
    assert metrics['presswatch_source_consecutive_failures{source="ministry"}'] >= 3
    [row] = back
    assert (row["health"], row["consecutive_failures"], row["last_status"], row["articles"]) == ("ok", 0, "ok", 2)
    assert metrics_back['presswatch_source_up{source="ministry"}'] == 1.0


def test_sigterm_cuts_off_a_long_run_as_interrupted_in_row_and_log_alike(tmp_path: Path) -> None:
    wire = bigsite.big_site(article_delay=0.2)
    try:
        config = service_toml(stop_grace="1s") + bigsite.write_config(tmp_path / "w.toml", wire, 1).read_text()
        config += 'interval = "2s"\n'
        service, db_url = start_service(tmp_path, config)
        try:
            service.wait_for(lambda: count(db_url) >= 5, 60, "the run under way")
        finally:
            stop_cleanly(service)
    finally:
        wire.stop()
    assert [status for status, *_ in run_rows(db_url, "wire")] == ["interrupted"]
    [line] = [line for line in service.lines if "source=wire status=" in line]
    assert "source=wire status=interrupted new=" in line
    assert "leaked" not in service.log and "Traceback" not in service.log and " ERROR " not in service.log


def test_healthz_is_503_while_a_killed_worker_waits_to_be_replaced_then_200_again(tmp_path: Path) -> None:
    metrics_port = free_port()
    with Newsroom() as site:
        site.publish(1, age=timedelta(days=1))
        config = CRAWL + service_toml(workers=1, restart_delay="5s") + source_toml("newsroom", site.base_url + "/news")
        service, _ = start_service(tmp_path, config, "--metrics-port", str(metrics_port))
        try:
            service.wait_for(lambda: health(metrics_port) == 200, 60, "a healthy service")
            [worker] = service.workers()
            kill(worker)
            service.wait_for(lambda: health(metrics_port) == 503, 30, "/healthz 503 without the worker")
            service.wait_for(lambda: health(metrics_port) == 200, 60, "/healthz 200 with its replacement")
            metrics = scrape(metrics_port)
            assert service.workers() != [worker]
        finally:
            stop_cleanly(service)
    assert metrics['presswatch_workers{state="alive"}'] == 1.0
    assert metrics["presswatch_worker_restarts"] == 1.0
    assert urllib_status(f"http://127.0.0.1:{metrics_port}/other") is None  # the service is gone


def urllib_status(url: str) -> int | None:
    try:
        return int(urllib.request.urlopen(url, timeout=2).status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.mark.parametrize(("keys", "reason"), [
    ({"recycle_after_runs": 3}, "recycled after 3 runs"),
    ({"recycle_above_mb": 200}, "MB (recycle_above_mb = 200)"),
])
def test_a_worker_is_recycled_after_its_runs_or_above_its_memory_and_no_run_is_lost(
    tmp_path: Path, keys: dict[str, int], reason: str
) -> None:
    with Newsroom() as site:
        site.publish(3, age=timedelta(days=1))
        config = CRAWL + service_toml(workers=1, **keys) + source_toml("newsroom", site.base_url + "/news")
        service, db_url = start_service(tmp_path, config)
        try:
            service.wait_for(lambda: reason in service.log, 90, "a recycled worker")
            recycled_at = len(service.lines)
            [path] = site.publish(1)
            service.wait_for(lambda: stored(db_url, site.base_url + path), 60, "a release archived after recycling")
            service.wait_for(lambda: service.runs_logged("newsroom", "ok") >= 6, 60, "more runs")
        finally:
            stop_cleanly(service)
    assert sum("ready (slot 0)" in line for line in service.lines[recycled_at - 1:]) >= 1  # a new worker took over
    statuses = [status for status, *_ in run_rows(db_url, "newsroom")]
    assert "failed" not in statuses and statuses.count("interrupted") <= 1, statuses  # the stop may cut one off
    assert count(db_url) == 4


def test_politeness_holds_across_two_sources_of_one_host_running_at_once(tmp_path: Path) -> None:
    with Newsroom() as site:
        site.publish(12, age=timedelta(days=1))
        polite = '[crawl]\ndownload_delay = 0.3\nautothrottle = false\nconcurrent_per_domain = 1\nobey_robots = false\n'
        # Both names put the first runs 0.06 s apart (a stable hash of the name picks each offset).
        config = (polite + service_toml(workers=1)
                  + source_toml("ministry-news", site.base_url + "/news", interval="3s")
                  + source_toml("ministry-b", site.base_url + "/news?page=2", interval="3s"))
        service, db_url = start_service(tmp_path, config)
        try:
            service.wait_for(lambda: count(db_url) == 12, 90, "all 12 releases archived")
            service.wait_for(lambda: service.runs_logged("ministry-news", "ok") >= 1
                             and service.runs_logged("ministry-b", "ok") >= 1, 30, "a run of each logged")
        finally:
            stop_cleanly(service)
    first_a, first_b = run_rows(db_url, "ministry-news")[0], run_rows(db_url, "ministry-b")[0]
    assert first_a[1] < first_b[2] and first_b[1] < first_a[2], (first_a, first_b)  # they ran at the same time
    starts = sorted(hit.at for hit in site.server.hits)
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    assert min(gaps) >= 0.3 * 0.95, gaps  # one host, two runs at once: still one request per 0.3 s
    statuses = {status for status, *_ in run_rows(db_url, "ministry-news") + run_rows(db_url, "ministry-b")}
    assert statuses <= {"ok", "interrupted"}, statuses


def test_a_run_past_its_timeout_is_closed_as_failed_and_the_next_run_carries_on(tmp_path: Path) -> None:
    wire = bigsite.big_site(article_delay=0.1)  # 300 articles one at a time: about half a minute
    try:
        sources = bigsite.write_config(tmp_path / "w.toml", wire, 1).read_text()
        config = service_toml(workers=1, run_timeout="10s") + sources
        config += 'interval = "3s"\n'
        service, db_url = start_service(tmp_path, config)
        try:
            service.wait_for(lambda: service.runs_logged("wire", "failed") >= 1, 90, "the run closed at its timeout")
            stored_at_timeout = count(db_url)
            service.wait_for(lambda: count(db_url) > stored_at_timeout, 60, "the next run archiving more")
        finally:
            stop_cleanly(service)
    finally:
        wire.stop()
    first = rows(db_url, "SELECT status, error_kinds FROM crawl_runs ORDER BY id LIMIT 1")
    assert first == [("failed", '{"run_timeout": 1}')]
    assert rows(db_url, "SELECT kind, message FROM crawl_errors ORDER BY id LIMIT 1") == [
        ("run_timeout", "the run took longer than its timeout and was stopped")
    ]
    assert "source=wire past its 10s timeout: closing the run" in service.log
    assert 0 < stored_at_timeout < bigsite.ARTICLES


def test_a_wedged_run_past_its_timeout_is_recorded_failed_even_though_its_download_never_ends(tmp_path: Path) -> None:
    with wedged_server() as wedged:
        config = (CRAWL + service_toml(workers=1, run_timeout="10s")
                  + source_toml("wedged", wedged + "/news", download_timeout=600.0))
        service, db_url = start_service(tmp_path, config)
        try:
            service.wait_for(lambda: service.runs_logged("wedged", "failed") >= 1, 90, "the wedged run closed")
            service.wait_for(lambda: len(run_rows(db_url, "wedged")) >= 2, 30, "the next run of the source")
        finally:
            stop_cleanly(service)
    assert rows(db_url, "SELECT status, error_kinds FROM crawl_runs ORDER BY id LIMIT 1") == [
        ("failed", '{"run_timeout": 1}')
    ]
    assert "wedged: the run did not close (a download still hangs); recorded as failed" in service.log
    assert "recycled by force" not in service.log  # the worker closed it itself
