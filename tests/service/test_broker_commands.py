"""`serve --broker` and `presswatch worker` on one machine: their errors, their metrics, their stop.

The several-hosts behaviour (kills, take-over, broker restarts) is in tests/cluster; here the
commands as a user meets them first: one line and a documented exit status for each mistake,
Prometheus metrics from the scheduler and from workers, a clean stop.
"""
from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from presswatch.crawler.site_server import SiteServer
from tests.e2e.helpers import DEMO, free_port, run_presswatch
from tests.service.processes import Process, wait_for


def test_a_broker_url_that_is_not_rabbitmq_is_refused(pg_url: str) -> None:
    done = run_presswatch("worker", "--broker", "redis://127.0.0.1:6379/0", "--db", pg_url)
    assert done.returncode == 2
    assert done.stderr == (
        "presswatch: --broker redis://127.0.0.1:6379/0: expected a RabbitMQ URL such as "
        "amqp://guest:guest@127.0.0.1:5672/ (scheme amqp or amqps, not 'redis')\n"
    )


def test_several_machines_need_a_postgresql_archive(tmp_path: Path, amqp_url: str) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    config = tmp_path / "sources.toml"
    config.write_text((DEMO / "sources.toml").read_text().replace("__BASE__", "http://127.0.0.1:9"), encoding="utf-8")
    worker = run_presswatch("worker", "--broker", amqp_url, "--db", db)
    serve = run_presswatch("serve", "--broker", amqp_url, "--db", db, "--config", str(config))
    for done, command in ((worker, "presswatch worker"), (serve, "serve --broker")):
        assert done.returncode == 3
        assert done.stderr == (
            f"presswatch: {command} needs a PostgreSQL archive that every host reaches "
            f"(--db postgresql+psycopg://...); {db} is a SQLite file on one machine\n"
        )


def test_an_unreachable_broker_is_one_line_and_exit_3(pg_url: str) -> None:
    port = free_port()  # nothing listens there
    done = run_presswatch("worker", "--broker", f"amqp://guest:secret@127.0.0.1:{port}/", "--db", pg_url)
    assert done.returncode == 3
    assert done.stderr.startswith(f"presswatch: cannot reach the broker at amqp://guest:***@127.0.0.1:{port}/: ")
    assert done.stderr.endswith("; start RabbitMQ or fix --broker\n")
    assert "secret" not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1


@pytest.fixture
def sites() -> Iterator[SiteServer]:
    with SiteServer(DEMO / "sites") as server:
        yield server


def metrics(port: int, path: str = "/metrics") -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def value(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_the_scheduler_and_a_worker_serve_their_metrics_and_stop_cleanly(
    tmp_path: Path, pg_url: str, amqp_url: str, sites: SiteServer,
) -> None:
    config = tmp_path / "sources.toml"
    config.write_text((DEMO / "sources.toml").read_text().replace("__BASE__", sites.base_url.rstrip("/"))
                      .replace('interval = "10m"', 'interval = "10s"'), encoding="utf-8")
    scheduler_port, worker_port = free_port(), free_port()
    scheduler = Process("serve", "--broker", amqp_url, "--db", pg_url, "--config", str(config),
                        "--metrics-port", str(scheduler_port))
    worker = Process("worker", "--broker", amqp_url, "--db", pg_url, "--metrics-port", str(worker_port))
    try:
        wait_for(lambda: sum(worker.logged(f"source={name} status=ok") for name in
                             ("caspian-post", "gov-press", "novosti-kaspiya", "trend-wire")) == 4,
                 "an ok run of every source", scheduler, worker)

        status, scheduled = metrics(scheduler_port)
        assert status == 200
        assert value(scheduled, "presswatch_scheduler_active") == 1.0
        sent = value(scheduled, "presswatch_runs_sent_total")
        assert sent is not None and sent >= 4
        assert value(scheduled, 'presswatch_engine_queue_runs{state="ready"}') is not None
        assert metrics(scheduler_port, "/healthz")[0] == 200

        status, worked = metrics(worker_port)
        assert status == 200
        assert value(worked, 'presswatch_runs_total{source="gov-press",status="ok"}') is not None
        assert value(worked, "presswatch_queue_wait_seconds") is not None
        assert value(worked, 'presswatch_workers{state="alive"}') == value(worked, 'presswatch_workers{state="slots"}')
        assert metrics(worker_port, "/healthz")[0] == 200
    finally:
        codes = (worker.stop(), scheduler.stop())
    assert codes == (0, 0)
    assert worker.lines[-1].endswith("INFO stopped") and scheduler.lines[-1].endswith("INFO stopped")
    assert not [line for line in worker.lines + scheduler.lines if "Traceback" in line or " ERROR " in line]
