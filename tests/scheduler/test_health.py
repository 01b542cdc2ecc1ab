"""`presswatch sources` flags a source that keeps failing or whose pages lost fields (layout drift)."""
from __future__ import annotations

from presswatch.scheduler.health import error_kinds_text, health_problems, missing_shares, missing_text
from presswatch.storage import LayoutDrift, SourceSummary


def summary(failures: int = 0, drift: LayoutDrift | None = None) -> SourceSummary:
    return SourceSummary("wire", 10, None, None, "ok", None, None, failures, drift=drift)


def test_a_source_with_complete_recent_articles_and_runs_is_healthy() -> None:
    healthy = summary(drift=LayoutDrift(50, 0, 2, 60, 1))
    assert health_problems(healthy) == []
    assert missing_shares(healthy) == {"headline": 0.0, "date": 0.04, "body": 0.0167}
    assert missing_text(missing_shares(healthy)) == "headline 0%, date 4%, body 2%"


def test_three_failed_runs_in_a_row_make_a_source_unhealthy() -> None:
    assert health_problems(summary(failures=2)) == []
    assert health_problems(summary(failures=3)) == ["3 failed runs in a row"]


def test_fields_missing_from_most_recent_articles_are_reported_as_drift() -> None:
    drifted = summary(drift=LayoutDrift(recent_articles=20, without_headline=3, without_date=15,
                                        recent_pages=40, pages_without_text=24))
    assert health_problems(drifted) == ["75% of recent articles without date", "60% of recent pages without body"]


def test_drift_is_not_judged_on_fewer_than_five_articles() -> None:
    assert health_problems(summary(drift=LayoutDrift(4, 4, 4, 4, 4))) == []
    assert missing_shares(summary(drift=LayoutDrift(0, 0, 0, 0, 0))) == {}
    assert missing_text({}) == "-"


def test_errors_by_kind_read_most_frequent_first() -> None:
    assert error_kinds_text({"timeout": 1, "http_status": 3, "empty": 1}) == "http_status×3, empty×1, timeout×1"
    assert error_kinds_text({}) == "-"
