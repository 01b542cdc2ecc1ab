"""Prometheus metrics for `presswatch serve --metrics-port` (optional: `pip install 'presswatch[metrics]'`).

Binds to 127.0.0.1 unless told otherwise (DESIGN §9: no listening port the user did not ask for).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scheduler.service import RunResult

OUTCOMES = ("new", "updated", "unchanged", "duplicates")


class MetricsUnavailable(Exception):
    """prometheus_client is not installed, or the port cannot be bound."""


class ServiceMetrics:
    """Counters per source, fed by each finished crawl run, served at /metrics."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        try:
            from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
        except ImportError:
            raise MetricsUnavailable(
                "--metrics-port needs prometheus_client: pip install 'presswatch[metrics]'"
            ) from None
        self.registry: Any = CollectorRegistry()
        self.runs = Counter("presswatch_runs", "Crawl runs by source and status.", ["source", "status"], registry=self.registry)
        self.articles = Counter("presswatch_articles", "Articles saved, by source and outcome.", ["source", "outcome"], registry=self.registry)
        self.pages = Counter("presswatch_pages_fetched", "Pages fetched, by source.", ["source"], registry=self.registry)
        self.errors = Counter("presswatch_page_errors", "Recorded page failures, by source.", ["source"], registry=self.registry)
        self.not_modified = Counter(
            "presswatch_pages_not_modified", "Pages answered 304 Not Modified, by source.", ["source"], registry=self.registry
        )
        self.revisited = Counter(
            "presswatch_pages_revisited", "Recent articles fetched again (revisit policy), by source.", ["source"],
            registry=self.registry,
        )
        self.seconds = Gauge("presswatch_last_run_seconds", "Duration of the last run.", ["source"], registry=self.registry)
        self.last_success = Gauge(
            "presswatch_last_success_timestamp_seconds", "When the last ok run finished.", ["source"], registry=self.registry
        )
        try:
            self.server, _ = start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            raise MetricsUnavailable(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}") from None

    def observe(self, result: RunResult) -> None:
        self.runs.labels(result.source, result.status).inc()
        self.seconds.labels(result.source).set(result.seconds)
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

    def close(self) -> None:
        self.server.shutdown()
