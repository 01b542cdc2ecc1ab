"""Prometheus metrics and a health check for `presswatch serve --metrics-port` (`pip install 'presswatch[metrics]'`).

`http://HOST:PORT/metrics` serves the metrics, `/healthz` answers 200 while the scheduler
and every crawl worker are alive and 503 otherwise (a worker died and is not replaced
yet, or the service is stopping); any other path is 404. Binds to 127.0.0.1 unless told
otherwise (DESIGN §9: no listening port the user did not ask for).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from presswatch.scheduler.health import MAX_CONSECUTIVE_FAILURES

if TYPE_CHECKING:
    from presswatch.scheduler.results import RunResult
    from presswatch.scheduler.workers import PoolState

OUTCOMES = ("new", "updated", "unchanged", "duplicates")


class MetricsUnavailable(Exception):
    """prometheus_client is not installed, or the port cannot be bound."""


class ServiceMetrics:
    """Counters per source, fed by each finished run, and the pool's state, served over HTTP."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        try:
            from prometheus_client import CollectorRegistry, Counter, Gauge
        except ImportError:
            raise MetricsUnavailable(
                "--metrics-port needs prometheus_client: pip install 'presswatch[metrics]'"
            ) from None
        registry = self.registry = CollectorRegistry()

        def counter(name: str, text: str, labels: tuple[str, ...] = ("source",)) -> Any:
            return Counter(name, text, list(labels), registry=registry)

        def gauge(name: str, text: str, labels: tuple[str, ...] = ("source",)) -> Any:
            return Gauge(name, text, list(labels), registry=registry)

        self.runs = counter("presswatch_runs", "Crawl runs by source and status.", ("source", "status"))
        self.articles = counter("presswatch_articles", "Articles saved, by source and outcome.", ("source", "outcome"))
        self.pages = counter("presswatch_pages_fetched", "Pages fetched, by source.")
        self.errors = counter("presswatch_page_errors", "Recorded page failures, by source.")
        self.not_modified = counter("presswatch_pages_not_modified", "Pages answered 304 Not Modified, by source.")
        self.revisited = counter("presswatch_pages_revisited", "Recent articles fetched again (revisit policy), by source.")
        self.skipped_checks = counter(
            "presswatch_checks_skipped", "Due checks skipped because the source's last run was still going.")
        self.seconds = gauge("presswatch_last_run_seconds", "Duration of the last run.")
        self.last_success = gauge("presswatch_last_success_timestamp_seconds", "When the last ok run finished.")
        self.up = gauge("presswatch_source_up",
                        f"0 when the source's last {MAX_CONSECUTIVE_FAILURES} or more runs failed (UNHEALTHY), else 1.")
        self.failures = gauge("presswatch_source_consecutive_failures", "Failed runs since the last ok one.")
        self.workers = gauge("presswatch_workers", "Crawl worker slots, and those with a live worker.", ("state",))
        self.in_flight = gauge("presswatch_runs_in_flight", "Runs going on in the crawl workers.", ())
        self.waiting = gauge("presswatch_runs_waiting", "Due runs waiting for room in their worker.", ())
        self.restarts = gauge("presswatch_worker_restarts", "Crawl workers started again (died or recycled).", ())
        self.last_queue_wait = gauge(
            "presswatch_queue_wait_seconds", "How long the last run taken from the job engine had waited there.", ())
        self.sent = counter("presswatch_runs_sent", "Due runs sent to the job engine (`serve --broker`).", ())
        self.active = gauge("presswatch_scheduler_active", "1 while this `serve --broker` holds the lease, else 0.", ())
        self.engine_queue = gauge(
            "presswatch_engine_queue_runs", "Runs waiting on the job engine (ready; delayed: given back).", ("state",))
        self.engine_state: Callable[[], tuple[bool, int, int]] | None = None
        self.streaks: dict[str, int] = {}
        self.lock = threading.Lock()
        self.healthy: Callable[[], bool] = lambda: False
        self.pool_state: Callable[[], PoolState] | None = None
        try:
            self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        except OSError as exc:
            raise MetricsUnavailable(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}") from None
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="presswatch-metrics", daemon=True).start()

    def watch(self, healthy: Callable[[], bool], pool_state: Callable[[], PoolState] | None) -> None:
        """Where /healthz and the worker gauges read the service's state."""
        self.healthy, self.pool_state = healthy, pool_state

    def watch_engine(self, state: Callable[[], tuple[bool, int, int]]) -> None:
        """Where `serve --broker` reads (holds the lease, runs ready, runs delayed) for its gauges."""
        self.engine_state = state

    def track_sources(self, sources: Iterable[str], streaks: dict[str, int]) -> None:
        """Start each configured source's up/failure gauges from the archive's failure streaks."""
        with self.lock:
            for name in sources:
                self._set_streak(name, streaks.get(name, 0))

    def _set_streak(self, source: str, failures: int) -> None:
        self.streaks[source] = failures
        self.failures.labels(source).set(failures)
        self.up.labels(source).set(0 if failures >= MAX_CONSECUTIVE_FAILURES else 1)

    def queue_wait(self, seconds: float) -> None:
        """A run came from the job engine after waiting `seconds` in its queue (`presswatch worker`)."""
        self.last_queue_wait.set(max(seconds, 0.0))

    def skipped(self, source: str) -> None:
        self.skipped_checks.labels(source).inc()

    def observe(self, result: RunResult) -> None:
        self.runs.labels(result.source, result.status).inc()
        self.seconds.labels(result.source).set(result.seconds)
        with self.lock:  # interrupted runs neither count as failures nor reset the streak
            if result.status == "ok":
                self._set_streak(result.source, 0)
            elif result.status == "failed":
                self._set_streak(result.source, self.streaks.get(result.source, 0) + 1)
        if not result.counts:
            return
        for outcome in OUTCOMES:
            self.articles.labels(result.source, outcome).inc(result.counts[outcome])
        self.pages.labels(result.source).inc(result.counts["pages_fetched"])
        self.errors.labels(result.source).inc(result.counts["errors"])
        self.not_modified.labels(result.source).inc(result.counts["not_modified"])
        self.revisited.labels(result.source).inc(result.counts["revisited"])
        if result.status == "ok":
            self.last_success.labels(result.source).set(time.time())

    def exposition(self) -> bytes:
        from prometheus_client import generate_latest

        if self.pool_state is not None:
            state = self.pool_state()
            self.workers.labels("slots").set(state.slots)
            self.workers.labels("alive").set(state.alive)
            self.in_flight.set(state.running)
            self.waiting.set(state.waiting)
            self.restarts.set(state.restarts)
        if self.engine_state is not None:
            try:
                active, ready, delayed = self.engine_state()
            except Exception:  # noqa: BLE001 - the broker is unreachable: the gauges keep their last values
                pass
            else:
                self.active.set(1 if active else 0)
                self.engine_queue.labels("ready").set(ready)
                self.engine_queue.labels("delayed").set(delayed)
        return bytes(generate_latest(self.registry))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler_for(metrics: ServiceMetrics) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                from prometheus_client import CONTENT_TYPE_LATEST

                self._send(200, metrics.exposition(), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                ok = metrics.healthy()
                self._send(200 if ok else 503, b"ok\n" if ok else b"unhealthy\n", "text/plain; charset=utf-8")
            else:
                self._send(404, b"not found: try /metrics or /healthz\n", "text/plain; charset=utf-8")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
            """Quiet: scrapes every few seconds would drown the service log."""

    return Handler
