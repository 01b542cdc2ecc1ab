"""Several machines: schedulers and workers on separate hosts, one PostgreSQL archive, RabbitMQ.

Each host is a network namespace of its own (`tests.cluster.hosts`): 8 site hosts serving
32 sources, 2 scheduler hosts (`serve --broker`: one active, one standing by) and 3 worker
hosts (`presswatch worker`). The promises: every article stored once; a worker killed
mid-run has its run delivered again and completed elsewhere; the standby scheduler takes
over with no due run missed or doubled; a broker restart mid-run loses nothing; a second
worker on one host joins cleanly.
"""
from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cluster.deployment import INTERVAL, Deployment, Node, Run
from tests.cluster.hosts import Cluster

SLOW = 0  # the site host whose first source crawls slowly, in tests marked `slow_source` (a run to catch going on)


@pytest.fixture
def deployment(
    cluster_hosts: Cluster, pg_url: str, amqp_url: str, tmp_path: Path, request: pytest.FixtureRequest,
) -> Iterator[Deployment]:
    slow = SLOW if request.node.get_closest_marker("slow_source") else None
    built = Deployment(cluster_hosts, pg_url, amqp_url, tmp_path, slow_site=slow)
    try:
        yield built
    finally:
        built.close()


#: Errors that say the archive could not be reached for a while (once seen in CI: every new
#: PostgreSQL connection of the hosts timed out for some 25 s at the start of a test). They are
#: the machine's, not presswatch's, and what the tests check (every article stored once, no
#: due run lost or doubled) must hold through them; any other ERROR line fails the test.
UNREACHABLE_ARCHIVE = re.compile(
    r"connection timeout expired|server closed the connection unexpectedly"
    r"|the lock session on \S+ is closed|crawl worker \d+ died \(exit status 3\)"
)


def product_errors(nodes: list[Node]) -> list[str]:
    """The ERROR lines of these nodes' logs but those about an unreachable archive."""
    return [line for node in nodes for line in node.lines
            if "ERROR" in line and not UNREACHABLE_ARCHIVE.search(line)]


def completed_due_times(runs: list[Run]) -> Counter[tuple[str, datetime]]:
    return Counter((run.source, run.due_at) for run in runs if run.status in ("ok", "failed") and run.due_at)


def assert_stored_once(deployment: Deployment) -> None:
    urls = deployment.article_urls()
    assert len(urls) == len(set(urls))
    assert set(urls) == deployment.expected_urls()
    assert deployment.rows("SELECT count(*) FROM article_revisions") == [(0,)]  # none stored twice as an edit
    runs = deployment.completed()
    saved = sum(run.new + run.duplicates for run in runs)
    if any(run.status == "interrupted" for run in deployment.runs()):
        assert saved <= len(urls)  # an interrupted run's saves are in the archive, not in its counts
    else:
        assert saved == len(urls)  # each article saved as new once
    doubled = [key for key, n in completed_due_times(runs).items() if n > 1]
    assert doubled == []


def test_every_article_of_32_sources_is_stored_once_by_three_workers(deployment: Deployment) -> None:
    deployment.scheduler("sched1")
    workers = [deployment.worker(f"worker{i}") for i in range(3)]

    deployment.wait_for(lambda: deployment.every_source_ran_ok(times=2), "two ok runs of every source")

    assert_stored_once(deployment)
    by_worker = Counter(
        next((w.name for w in workers if run.pid in w.children()), "?") for run in deployment.completed()
    )
    assert set(by_worker) - {"?"} == {w.name for w in workers}, f"runs by worker: {by_worker}"
    assert product_errors(workers) == [], deployment.logs()


@pytest.mark.slow_source
def test_a_run_of_a_worker_killed_mid_run_is_completed_by_another(deployment: Deployment) -> None:
    deployment.scheduler("sched1")
    first = deployment.worker("worker0")
    slow = deployment.source_names(SLOW)[0]
    deployment.wait_for(lambda: any(r.status == "running" for r in deployment.runs(slow)), f"{slow} running")
    deployment.wait_for(lambda: len(deployment.article_urls()) > 0, "a first article saved")
    (killed,) = [r for r in deployment.runs(slow) if r.status == "running"]
    assert killed.pid in first.children()
    others = [deployment.worker("worker1"), deployment.worker("worker2")]

    first.kill9()

    # RabbitMQ hands the killed worker's runs (the one going on, and those it had taken but not
    # started) to the others; the first of the source's to run there completes its work.
    # Its due time is either run again or, when a later due time of the source ran first,
    # found covered by that run ("already run"): never dropped.
    assert killed.due_at is not None
    deployment.wait_for(lambda: (slow, killed.due_at) in handled_due_times(others, deployment.runs(slow)),
                        f"{slow}'s killed run done again")
    deployment.wait_for(lambda: deployment.every_source_ran_ok(), "an ok run of every source")
    runs = deployment.runs(slow)
    assert [r.status for r in runs if r.id == killed.id] == ["interrupted"]
    completed = next(r for r in runs if r.status == "ok" and r.id > killed.id)
    assert completed.due_at is not None and completed.due_at >= killed.due_at
    assert any(completed.pid in w.children() for w in others)
    assert_stored_once(deployment)


def test_the_standby_scheduler_takes_over_with_no_due_run_missed_or_doubled(deployment: Deployment) -> None:
    active = deployment.scheduler("sched1")
    deployment.wait_for(lambda: active.logged("active scheduler"), "an active scheduler")
    standby = deployment.scheduler("sched2")
    deployment.wait_for(lambda: standby.logged("standing by"), "a standby")
    workers = [deployment.worker(f"worker{i}") for i in range(3)]
    deployment.wait_for(lambda: deployment.every_source_ran_ok(times=2), "two ok runs of every source")

    killed_at = datetime.now(UTC)
    active.kill9()
    deployment.wait_for(lambda: standby.logged("active scheduler"), "the standby taking over")
    took_over_at = datetime.now(UTC)
    after = max(run.id for run in deployment.runs())
    deployment.wait_for(lambda: deployment.every_source_ran_ok(since_id=after, times=2),
                        "two more ok runs of every source")

    runs = deployment.completed()
    assert [key for key, n in completed_due_times(runs).items() if n > 1] == []
    handled = handled_due_times(workers, runs)
    for source in deployment.source_names():
        due = sorted(run.due_at for run in runs if run.source == source and run.due_at)
        grid = [due[0] + timedelta(seconds=INTERVAL * k)
                for k in range(round((due[-1] - due[0]).total_seconds() / INTERVAL) + 1)]
        missing = [t for t in grid if (source, t) not in handled]
        # While no scheduler is active, due times pass unsent; the new one sends the latest of
        # them at once (APScheduler's coalesce): only those may be missing, never one outside.
        outside = [t for t in missing if not killed_at - timedelta(seconds=INTERVAL) <= t <= took_over_at]
        assert outside == [], f"{source}: due times never run: {outside}\n{deployment.logs()}"
    assert_stored_once(deployment)


@pytest.mark.slow_source
def test_runs_resume_after_the_broker_restarts_mid_run(deployment: Deployment) -> None:
    deployment.scheduler("sched1")
    workers = [deployment.worker(f"worker{i}") for i in range(3)]
    slow = deployment.source_names(SLOW)[0]
    deployment.wait_for(lambda: any(r.status == "running" for r in deployment.runs(slow)), f"{slow} running")

    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, capture_output=True)
    restarted = max(run.id for run in deployment.runs())

    deployment.wait_for(lambda: deployment.every_source_ran_ok(since_id=restarted, times=2),
                        "two ok runs of every source after the restart")
    assert [r.status for r in deployment.runs(slow)][0] == "ok"  # the run going on at the restart finished
    assert_stored_once(deployment)
    assert all(w.process.poll() is None for w in workers)


def test_a_second_worker_on_one_host_joins_cleanly(deployment: Deployment) -> None:
    deployment.scheduler("sched1")
    first = deployment.worker("worker0")
    second = deployment.worker("worker0b", host=first.host)

    deployment.wait_for(lambda: deployment.every_source_ran_ok(times=2), "two ok runs of every source")

    pids = {run.pid for run in deployment.completed()}
    assert pids & first.children() and pids & second.children()
    assert_stored_once(deployment)
    assert first.stop() == 0 and second.stop() == 0
    assert product_errors([first, second]) == [], deployment.logs()


HANDLED_LINE = re.compile(r"source=(\S+) due at (\S+): (?:check skipped|already run)")


def handled_due_times(workers: list[Node], runs: list[Run]) -> set[tuple[str, datetime]]:
    """(source, due time) of every due run a worker ran to the end, skipped (the source's last run
    still going on) or found covered (a run for it or a later due time had completed)."""
    found = {(run.source, run.due_at) for run in runs if run.status in ("ok", "failed") and run.due_at}
    for worker in workers:
        for line in list(worker.lines):
            if match := HANDLED_LINE.search(line):
                found.add((match[1], datetime.fromisoformat(match[2])))
    return found
