"""Alerts under `serve --broker`: the active scheduler delivers them, a standby does not.

Real components on this machine: two `serve --broker` schedulers (one active, one standing by)
and one `presswatch worker`, over a RabbitMQ virtual host and a PostgreSQL archive of the
test's own, crawling a live newsroom on loopback and telling a real webhook.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.alerts.conftest import dead_source_config
from tests.alerts.servers import Webhook
from tests.e2e.helpers import free_port
from tests.faults.helpers import rows
from tests.service.newsroom import Newsroom, sources_toml
from tests.service.processes import Process, wait_for


class Cluster:
    """Schedulers and a worker on one archive and one broker; all stopped (SIGTERM) at the end."""

    def __init__(self, config: Path, db_url: str, broker_url: str) -> None:
        self.config, self.db_url, self.broker_url = config, db_url, broker_url
        self.processes: list[Process] = []

    def scheduler(self, state: str = "active scheduler") -> Process:
        """One more `serve --broker`, once it logs `state` (the first is active, the next stands by)."""
        process = self.start("serve", "--broker", self.broker_url, "--db", self.db_url, "--config", str(self.config))
        wait_for(lambda: process.logged(state), state, process)
        return process

    def worker(self) -> Process:
        return self.start("worker", "--broker", self.broker_url, "--db", self.db_url)

    def start(self, *args: str) -> Process:
        process = Process(*args)
        self.processes.append(process)
        return process

    def count(self, sql: str) -> int:
        return int(rows(self.db_url, sql)[0][0])

    def stop(self) -> list[int]:
        return [process.stop() for process in reversed(self.processes)]


@pytest.fixture
def cluster(tmp_path: Path, pg_url: str, amqp_url: str) -> Iterator[Cluster]:
    running = Cluster(tmp_path / "sources.toml", pg_url, amqp_url)
    yield running
    running.stop()


def test_a_watch_hears_of_a_new_release_once_from_the_active_scheduler(cluster: Cluster, webhook: Webhook) -> None:
    with Newsroom() as site:
        site.publish(3, age=timedelta(days=1))
        cluster.config.write_text(sources_toml(site, interval="3s") + f'''
[[watches]]
name = "fourth"
query = '"release number 4"'
notify = ["{webhook.url}"]
''', encoding="utf-8")
        active = cluster.scheduler()
        standby = cluster.scheduler("standing by")
        worker = cluster.worker()
        processes = (active, standby, worker)
        wait_for(lambda: cluster.count("SELECT count(*) FROM crawl_runs WHERE status = 'ok'") >= 1
                 and cluster.count("SELECT count(*) FROM articles") == 3, "the first crawl (backfill)", *processes)

        site.publish(2)  # numbers 4 and 5: the watch wants the first of them

        wait_for(lambda: webhook.received and cluster.count("SELECT count(*) FROM articles") == 5
                 and cluster.count("SELECT count(*) FROM alert_events") == 0
                 and cluster.count("SELECT count(*) FROM alert_deliveries WHERE status <> 'sent'") == 0,
                 "the alert, with both releases archived and matched", *processes)
        codes = cluster.stop()

    assert codes == [0, 0, 0]
    assert [hook.payload["title"] for hook in webhook.received] == ["[fourth] Ministry release number 4"]
    assert f"\n{site.base_url}/news/ministry-release-number-4 (Ministry)\n" in webhook.received[0].payload["message"]
    assert rows(cluster.db_url, "SELECT watch, kind FROM alerts") == [("fourth", "story")]
    assert active.logged("alerts: 1 new, 1 sent")
    assert not standby.logged("alerts:")


def test_a_failing_source_is_reported_once_and_its_recovery_after_a_take_over(
    cluster: Cluster, webhook: Webhook,
) -> None:
    port = free_port()  # nothing listens there until the site comes back
    cluster.config.write_text(dead_source_config(webhook.url, port), encoding="utf-8")
    first = cluster.scheduler()
    second = cluster.scheduler("standing by")
    worker = cluster.worker()
    failed = "SELECT count(*) FROM crawl_runs WHERE status = 'failed'"
    wait_for(lambda: webhook.received, "the UNHEALTHY message", first, second, worker)
    wait_for(lambda: cluster.count(failed) >= 5, "two more failed runs", first, second, worker)

    assert first.stop() == 0  # gives the lease back: the standby takes over, the source still failing
    wait_for(lambda: second.logged("active scheduler"), "the take-over", second, worker)
    told = cluster.count(failed)
    wait_for(lambda: cluster.count(failed) >= told + 2, "two failed runs after the take-over", second, worker)
    assert len(webhook.received) == 1  # the new active scheduler does not repeat it

    with Newsroom(port=port) as site:
        site.publish(1)
        wait_for(lambda: len(webhook.received) >= 2, "the recovered message", second, worker)
        wait_for(lambda: cluster.count("SELECT count(*) FROM crawl_runs WHERE status = 'ok'") >= 2,
                 "another ok run", second, worker)
        codes = cluster.stop()

    assert codes == [0, 0, 0]
    unhealthy, recovered = webhook.delivered()
    assert unhealthy["title"] == "[presswatch] source dead is UNHEALTHY"
    # The scheduler reads the streak every 2 s: a fourth failure may have come before it looked.
    # (Apprise drops the body's last line break.)
    assert re.fullmatch(r"[3-9] failed runs in a row; the last one's errors: connection_refused×1\.\n"
                        r"`presswatch sources` shows its state\.", unhealthy["message"]), unhealthy["message"]
    assert (recovered["title"], recovered["message"]) == ("[presswatch] source dead recovered",
                                                         "Its last run was ok again.")
    assert len(webhook.received) == 2
