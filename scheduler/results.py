"""What a finished run tells the service, and the one log line per run."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

from presswatch.crawler.archive_run import SourceReport

logger = logging.getLogger("presswatch.service")

COUNT_KEYS = ("pages_fetched", "not_modified", "revisited", "new", "updated", "unchanged", "duplicates", "errors")


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run's outcome. `counts` is empty when the run's worker died before reporting it."""

    source: str
    status: str
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    error_kinds: dict[str, int] = field(default_factory=dict)
    note: str = ""  # why a run ended without a report (e.g. its worker died)


def result_of(report: SourceReport) -> RunResult:
    counts = {key: int(value) for key, value in asdict(report.counts).items() if key in COUNT_KEYS}
    return RunResult(report.source, report.status, report.seconds, counts, dict(report.error_kinds))


def log_run(result: RunResult) -> None:
    """One line per run: source, status, new, updated, duplicates, errors, pages, 304s, revisits, seconds."""
    level = logging.INFO if result.status == "ok" else logging.WARNING
    if not result.counts:
        logger.log(level, "source=%s status=%s seconds=%.1f%s", result.source, result.status, result.seconds,
                   f" ({result.note})" if result.note else "")
        return
    c = result.counts
    kinds = " kinds=" + ",".join(f"{k}:{n}" for k, n in sorted(result.error_kinds.items())) if result.error_kinds else ""
    logger.log(
        level,
        "source=%s status=%s new=%d updated=%d duplicates=%d errors=%d pages=%d not_modified=%d revisited=%d "
        "seconds=%.1f%s",
        result.source, result.status, c["new"], c["updated"], c["duplicates"], c["errors"], c["pages_fetched"],
        c["not_modified"], c["revisited"], result.seconds, kinds,
    )
