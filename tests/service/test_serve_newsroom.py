"""`presswatch serve` against a live newsroom: new releases arrive on time, politely, runs never overlap.

The issue's bounds, counted in runs rather than seconds where they can be: with
`interval = "3s"` a new release is archived by the run going on when it appears or the next
one (within two intervals); SIGTERM ends the service with exit code 0 and no child left
behind (one still running 30 s after SIGTERM is killed, and fails: `RunningService.stop`).
"""
from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from tests.e2e.helpers import processes_of_service, run_presswatch
from tests.faults.helpers import instant, rows
from tests.service import running_service as serving
from tests.service.newsroom import Newsroom, sources_toml
from tests.service.running_service import RunningService, count, start_service, stored


def finished_runs(db_url: str) -> list[tuple[datetime, datetime, str, int]]:
    found = rows(
        db_url, "SELECT started_at, finished_at, status, new FROM crawl_runs WHERE finished_at IS NOT NULL ORDER BY id"
    )
    return [(_instant(s), _instant(f), status, new) for s, f, status, new in found]


def _instant(value: object) -> datetime:
    moment = instant(value)
    assert moment is not None
    return moment


def stop_cleanly(service: RunningService) -> None:
    serving.stop_cleanly(service)


def test_a_new_release_is_archived_within_two_intervals_and_runs_never_overlap(tmp_path: Path) -> None:
    with Newsroom() as site:
        site.publish(3, age=timedelta(days=1))
        service, db_url = start_service(tmp_path, sources_toml(site, interval="3s"))
        try:
            service.wait_for(lambda: processes_of_service(service.process.pid) != [], 30, "a crawl child running")
            service.wait_for(lambda: count(db_url) == 3, 60, "first 3 releases archived")
            service.wait_for(lambda: service.runs_logged("newsroom") >= 2, 30, "a second run")
            [path] = site.publish(1)
            published = datetime.now(UTC)
            service.wait_for(lambda: stored(db_url, site.base_url + path), 60, "the new release")
            service.wait_for(lambda: service.runs_logged("newsroom") >= 4, 30, "more runs")
        finally:
            stop_cleanly(service)
    runs = finished_runs(db_url)
    # archived by the run going on when it appeared, or else by the first run started after it
    [(found_by_run_started, *_)] = [run for run in runs if run[3] == 1]
    first_after = min(started for started, *_ in runs if started >= published)
    assert found_by_run_started <= first_after, (published, runs)
    assert all(status == "ok" for _, _, status, _ in runs), runs
    assert sum(new for *_, new in runs) == 4
    assert all(later[0] >= earlier[1] for earlier, later in pairwise(runs)), runs  # no overlap
    article_fetches = site.article_hits()
    assert sorted(article_fetches) == sorted(set(article_fetches))  # each release fetched once
    assert len(article_fetches) == 4
    assert "source=newsroom status=ok new=1 " in service.log


def test_the_service_waits_out_retry_after_and_keeps_robots_crawl_delay(tmp_path: Path) -> None:
    with Newsroom(crawl_delay=1) as site:
        paths = site.publish(3, age=timedelta(days=1))
        site.throttle_once(paths[1], retry_after=2)
        service, db_url = start_service(tmp_path, sources_toml(site, interval="3s", retry_times=2))
        try:
            service.wait_for(lambda: count(db_url) == 3, 90, "3 releases archived")
        finally:
            stop_cleanly(service)
        hits = [h for h in site.server.hits if h.path != "/robots.txt"]
    first, second = [h.at for h in hits if h.path == paths[1]]
    assert second - first >= 2 * 0.95  # Retry-After: 2
    gaps = [later.at - earlier.at for earlier, later in pairwise(hits)]
    assert min(gaps) >= 0.9, gaps  # Crawl-delay: 1
    assert rows(db_url, "SELECT errors FROM crawl_runs ORDER BY id LIMIT 1") == [(0,)]


def test_an_adaptive_source_tightens_to_its_shortest_interval_when_it_publishes_often(tmp_path: Path) -> None:
    with Newsroom() as site:
        site.publish(6)  # six releases this very moment: a busy source
        config = sources_toml(site, interval="auto", min_interval="3s", max_interval="1h")
        service, db_url = start_service(tmp_path, config)
        try:
            service.wait_for(lambda: "source=newsroom interval=auto now every 3s" in service.log, 60, "retuning")
            [path] = site.publish(1)
            service.wait_for(lambda: stored(db_url, site.base_url + path), 30, "the new release")
            listed = run_presswatch("sources", "--config", str(service.config), "--db", db_url, "--format", "json")
        finally:
            stop_cleanly(service)
    assert "serving 1 source(s): newsroom (auto: every 1h)" in service.log  # nothing archived yet
    [row] = json.loads(listed.stdout)
    assert (row["interval"], row["articles"], row["health"]) == ("auto (3s)", 7, "ok")


def test_sighup_picks_up_a_new_source_and_a_broken_config_keeps_the_running_one(tmp_path: Path) -> None:
    with Newsroom() as first, Newsroom(office="Embassy") as second:
        first.publish(2, age=timedelta(days=1))
        second.publish(3, age=timedelta(days=1))
        service, db_url = start_service(tmp_path, sources_toml(first, interval="3s"))
        try:
            service.wait_for(lambda: count(db_url) == 2, 60, "the first source archived")
            service.config.write_text("[[sources]]\nname = 'broken'\n", encoding="utf-8")
            service.process.send_signal(signal.SIGHUP)
            service.wait_for(lambda: "config not reloaded" in service.log, 20, "the broken config refused")
            refused_at = len(service.lines)
            service.wait_for(lambda: any("source=newsroom status=" in line for line in service.lines[refused_at:]),
                             30, "a run after the refusal")
            after = [line for line in service.lines[refused_at:] if "source=newsroom status=" in line]
            assert "status=ok" in after[0], service.log  # children still read the config the service runs
            both = sources_toml(first, interval="3s") + sources_toml(second, "second", crawl_table=False, interval="3s")
            service.config.write_text(both, encoding="utf-8")
            service.process.send_signal(signal.SIGHUP)
            # The run, not just its articles: stopping while it closes would fail it.
            service.wait_for(lambda: count(db_url) == 5 and service.runs_logged("second") >= 1, 60,
                             "the added source archived")
        finally:
            stop_cleanly(service)
    assert "config reloaded: 2 source(s)" in service.log
    assert "source=newsroom status=ok" in service.log and "source=second status=ok new=3 " in service.log
