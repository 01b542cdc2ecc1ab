"""Messages between `presswatch serve` and its crawl workers (pickled over a socket pair).

service → worker: `RunOrder` (crawl this source now), `CancelRun` (close that run early,
e.g. past its timeout), `StopWorker` (finish within the grace period, then exit).
worker → service: `WorkerReady` (the reactor runs), `RunStarted` (the run's row exists:
its id), `RunFinished` (its report, whatever the status).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from presswatch.crawler.archive_run import SourceReport
from presswatch.crawler.config import Source


@dataclass(frozen=True, slots=True)
class RunOrder:
    key: int  # the service's handle of this run
    source: Source
    full: bool = False
    due_at: datetime | None = None  # the scheduled time it serves (`serve --broker`)
    sole: bool = False  # the source's cluster-wide run lock is held (`serve --broker`)


@dataclass(frozen=True, slots=True)
class CancelRun:
    key: int
    reason: str  # the engine's close reason, e.g. "run_timeout"


@dataclass(frozen=True, slots=True)
class StopWorker:
    grace: float  # seconds running runs may still take; then they are closed as interrupted


@dataclass(frozen=True, slots=True)
class WorkerReady:
    pid: int


@dataclass(frozen=True, slots=True)
class RunStarted:
    key: int
    run_id: int  # crawl_runs.id


@dataclass(frozen=True, slots=True)
class RunFinished:
    key: int
    report: SourceReport


ToWorker = RunOrder | CancelRun | StopWorker
FromWorker = WorkerReady | RunStarted | RunFinished
