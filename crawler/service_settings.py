"""The `[service]` table of the sources config: how `presswatch serve` runs its crawl workers.

```toml
[service]
workers = 2                 # long-lived crawl worker processes (default: one per CPU core)
runs_per_worker = 50        # runs going on at once in one worker
requests_per_worker = 100   # requests in flight in one worker, all its runs together
recycle_after_runs = 10000  # a worker is replaced after this many runs (0: never) ...
recycle_above_mb = 600      # ... or once it and its parse workers hold more memory than this (0: never)
run_timeout = "auto"        # a run is stopped after this long; "auto": 3 intervals, at least 5m, at most 1h
stop_grace = "10s"          # on SIGTERM, running runs get this long to finish (then they are interrupted)
restart_delay = "1s"        # a worker that died is replaced after this (doubling while workers keep dying)
```
Every value is range-checked; unknown keys are refused like everywhere else in the config.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

AUTO = "auto"
#: (smallest, largest) accepted for each whole-number key.
INTEGER_RANGES = {
    "workers": (1, 64),
    "runs_per_worker": (1, 1000),
    "requests_per_worker": (1, 10_000),
    "recycle_after_runs": (0, 10_000_000),
    "recycle_above_mb": (0, 1_000_000),
}
#: A worker holds ~150 MB before it runs anything: a lower limit would recycle it endlessly.
MIN_RECYCLE_MB = 200
#: (shortest, longest) accepted for each duration key, in seconds.
DURATION_RANGES = {
    "run_timeout": (10, 86_400),
    "stop_grace": (0, 3600),
    "restart_delay": (0, 600),
}


def cpu_count() -> int:
    """CPUs this process may run on (the default number of workers)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """The `[service]` table, validated (see the module docstring)."""

    workers: int = 0  # 0: one per CPU core (`worker_count`)
    runs_per_worker: int = 50
    requests_per_worker: int = 100
    recycle_after_runs: int = 10_000
    recycle_above_mb: int = 600
    run_timeout: str = AUTO
    stop_grace: str = "10s"
    restart_delay: str = "1s"

    @property
    def worker_count(self) -> int:
        return self.workers or cpu_count()

    @property
    def run_timeout_seconds(self) -> int | None:
        """The configured run timeout, or None for "auto" (see `scheduler.service.default_timeout`)."""
        return None if self.run_timeout == AUTO else _seconds(self.run_timeout)

    @property
    def stop_grace_seconds(self) -> int:
        return _seconds(self.stop_grace)

    @property
    def restart_delay_seconds(self) -> int:
        return _seconds(self.restart_delay)


SERVICE_KEYS = {f.name for f in fields(ServiceSettings)}


def parse_service(raw: Any, problems: list[str]) -> ServiceSettings:
    """The `[service]` table as `ServiceSettings`; each bad key adds a problem naming it."""
    label = "[service]"
    if not isinstance(raw, dict):
        problems.append(f"{label}: must be a table")
        return ServiceSettings()
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in SERVICE_KEYS:
            problems.append(f"{label}: key {key!r}: unknown key (allowed: {', '.join(sorted(SERVICE_KEYS))})")
        elif key in INTEGER_RANGES:
            if _integer_ok(key, value, label, problems):
                changes[key] = value
        elif _duration_ok(key, value, label, problems):
            changes[key] = value.strip()
    return replace(ServiceSettings(), **changes)


def _integer_ok(key: str, value: Any, label: str, problems: list[str]) -> bool:
    low, high = INTEGER_RANGES[key]
    if type(value) is not int or not low <= value <= high:
        problems.append(f"{label}: key {key!r}: must be a whole number from {low} to {high}, got {value!r}")
        return False
    if key == "recycle_above_mb" and 0 < value < MIN_RECYCLE_MB:
        problems.append(
            f"{label}: key {key!r}: {value} MB is less than a worker needs to start "
            f"(use 0 for never, or at least {MIN_RECYCLE_MB})"
        )
        return False
    return True


def _duration_ok(key: str, value: Any, label: str, problems: list[str]) -> bool:
    if key == "run_timeout" and value == AUTO:
        return True
    low, high = DURATION_RANGES[key]
    hint = "'auto' or a duration such as '10m'" if key == "run_timeout" else "a duration such as '10s'"
    try:
        seconds = _seconds(value) if isinstance(value, str) else None
    except ValueError:
        seconds = None
    if seconds is None:
        problems.append(f"{label}: key {key!r}: must be {hint}, got {value!r}")
        return False
    if not low <= seconds <= high:
        problems.append(f"{label}: key {key!r}: {value!r} is out of range ({low}s to {high}s)")
        return False
    return True


def _seconds(text: str) -> int:
    from presswatch.crawler.config import interval_to_seconds

    return interval_to_seconds(text, allow_zero=True)
