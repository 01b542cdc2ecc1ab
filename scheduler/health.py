"""Is a source healthy? Reasons to look at it, from its archive summary (pure)."""
from __future__ import annotations

from presswatch.storage import SourceSummary

#: This many failed runs in a row make a source unhealthy.
MAX_CONSECUTIVE_FAILURES = 3
#: A field missing from more than this share of recent articles suggests the
#: site's template changed under the parser (layout drift) ...
MAX_MISSING_SHARE = 0.5
#: ... judged only on at least this many recent articles (or pages, for the body).
MIN_SAMPLE = 5


def health_problems(summary: SourceSummary) -> list[str]:
    """Why the source needs attention; empty when it looks healthy."""
    problems = []
    if summary.consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
        problems.append(f"{summary.consecutive_failures} failed runs in a row")
    return problems + drift_problems(summary)


def drift_problems(summary: SourceSummary) -> list[str]:
    """The fields recent pages lack (layout drift), as `health_problems` words them; empty if none."""
    drift = summary.drift
    if drift is None:
        return []
    samples = {"headline": drift.recent_articles, "date": drift.recent_articles, "body": drift.recent_pages}
    return [f"{share:.0%} of recent {'pages' if field == 'body' else 'articles'} without {field}"
            for field, share in drift.shares().items()
            if share is not None and samples[field] >= MIN_SAMPLE and share > MAX_MISSING_SHARE]


def missing_shares(summary: SourceSummary) -> dict[str, float]:
    """{field: share of recent articles (pages, for body) without it}, fields with nothing to judge left out."""
    if summary.drift is None:
        return {}
    return {field: round(share, 4) for field, share in summary.drift.shares().items() if share is not None}


def missing_text(shares: dict[str, float]) -> str:
    """'headline 0%, date 12%, body 0%'; '-' when there is nothing to judge."""
    return ", ".join(f"{field} {share:.0%}" for field, share in shares.items()) or "-"


def error_kinds_text(kinds: dict[str, int]) -> str:
    """'http_404×2, timeout×1' (most frequent first); '-' for none."""
    if not kinds:
        return "-"
    ordered = sorted(kinds.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{kind}×{count}" for kind, count in ordered)
