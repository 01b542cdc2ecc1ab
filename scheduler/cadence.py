"""Adaptive cadence (`interval = "auto"`): how often to crawl a source, from how often it publishes.

Pure functions: the service and `presswatch sources` feed them the source's
publication times from the archive and get the same answer.

The rule, in full (README's "half the typical gap"):

1. Only publications of the last `LOOKBACK` (7 days) count, none in the future.
2. The gaps between consecutive releases are measured. Releases that share one
   timestamp (a batch, or dates known only to the day, all at midnight) share the
   gap before them: 5 releases dated the same day after a 24 h gap are 5 gaps of
   4.8 h. The first batch of the window has no gap before it: its extra releases
   count as gaps of 0 (they did come together).
3. The typical gap is the *median* of those gaps, each weighted by how recent it is
   (`HALF_LIFE`: a gap ending 2 days ago counts half as much as one ending now). A
   median is not moved by the long gaps of the night or the weekend, so a source
   publishing 5 times a day between 09:00 and 17:00 has a typical gap of 2 h, not the
   4 h a plain average over the whole week would say.
4. When the source has been silent for longer than any time between two of its
   releases in the window (it went quiet), the silence so far is the typical gap
   instead: the interval backs off as the silence grows. With only one release (or
   one batch of them), the typical gap is the time since then / the batch's size.
5. The interval is the typical gap / `CHECKS_PER_GAP`, within the source's
   `min_interval` … `max_interval`; with nothing published in the window, the longest.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import groupby

#: Publications older than this do not count: a source's habits change.
LOOKBACK = timedelta(days=7)
#: Crawl this many times per typical gap between two publications, so a new
#: release waits about half a gap (and never more than one) to be archived.
CHECKS_PER_GAP = 2
#: A gap that ended this long ago weighs half as much as one that ends now.
HALF_LIFE = timedelta(days=2)


def adaptive_interval(published: Sequence[datetime], now: datetime, shortest: int, longest: int) -> int:
    """Seconds between crawls: the typical gap between recent publications / CHECKS_PER_GAP, within bounds.

    See the module docstring for the typical gap.
    """
    gap = typical_gap(published, now)
    if gap is None:
        return longest
    return int(min(max(gap / CHECKS_PER_GAP, shortest), longest))


def typical_gap(published: Sequence[datetime], now: datetime) -> float | None:
    """Seconds of the typical gap between the recent publications (None: none in the window)."""
    recent = sorted(t for t in published if now - LOOKBACK <= t <= now)
    if not recent:
        return None
    silence = (now - recent[-1]).total_seconds()
    distinct = sorted(set(recent))
    if len(distinct) < 2:  # one release, or one batch of them: its size over the time since
        return silence / len(recent)
    longest_gap = max(((b - a).total_seconds() for a, b in zip(distinct, distinct[1:], strict=False)), default=0.0)
    if silence > longest_gap:
        return silence
    gaps = release_gaps(recent)
    weighted = [(seconds, 0.5 ** ((now - ended).total_seconds() / HALF_LIFE.total_seconds()))
                for seconds, ended in gaps]
    return weighted_median(weighted)


def release_gaps(times: Sequence[datetime]) -> list[tuple[float, datetime]]:
    """(seconds, when it ended) of each gap between sorted release times; a batch shares the gap before it."""
    batches = [(time, len(list(group))) for time, group in groupby(times)]
    first_time, first_count = batches[0]
    gaps = [(0.0, first_time)] * (first_count - 1)
    for (before, _), (time, count) in zip(batches, batches[1:], strict=False):
        gaps += [((time - before).total_seconds() / count, time)] * count
    return gaps


def weighted_median(values: Sequence[tuple[float, float]]) -> float:
    """The value at which half the total weight lies on each side (the lower one on a tie)."""
    ordered = sorted(values)
    half = sum(weight for _, weight in ordered) / 2
    running = 0.0
    for value, weight in ordered:
        running += weight
        if running >= half:
            return value
    return ordered[-1][0]


def describe_interval(seconds: int) -> str:
    """90 → '1m30s', 3600 → '1h', 5400 → '1h30m', 86400 → '1d'."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts[:2]) or "0s"
