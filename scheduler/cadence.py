"""Adaptive cadence (`interval = "auto"`): how often to crawl a source, from how often it publishes.

Pure functions: the service and `presswatch sources` feed them the source's
publication times from the archive and get the same answer.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

#: Publications older than this do not count: a source's habits change.
LOOKBACK = timedelta(days=7)
#: Crawl this many times per typical gap between two publications, so a new
#: release waits about half a gap (and never more than one) to be archived.
CHECKS_PER_GAP = 2


def adaptive_interval(published: Sequence[datetime], now: datetime, shortest: int, longest: int) -> int:
    """Seconds between crawls: the typical gap between recent publications / CHECKS_PER_GAP, within bounds.

    The typical gap is the time from the oldest publication in the LOOKBACK window
    to now, divided by the publications in it; so a source that publishes often
    tightens to `shortest`, and one that has gone quiet backs off towards
    `longest` as the silence grows (and sits at `longest` with nothing recent).
    """
    recent = [t for t in published if now - LOOKBACK <= t <= now]
    if not recent:
        return longest
    gap = (now - min(recent)).total_seconds() / len(recent)
    return int(min(max(gap / CHECKS_PER_GAP, shortest), longest))


def describe_interval(seconds: int) -> str:
    """90 → '1m30s', 3600 → '1h', 5400 → '1h30m', 86400 → '1d'."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts[:2]) or "0s"
