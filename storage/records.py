"""The archive's input and output records (what other packages see)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from presswatch.storage.columns import require_aware

if TYPE_CHECKING:
    from presswatch.storage.prepared import PreparedContent


@dataclass(frozen=True, slots=True)
class ArticleIn:
    """One parsed page to archive.

    ``url`` is the page's canonical URL as the crawler found it (rel=canonical or
    the fetched URL); ``fetched_url`` is the URL actually fetched when it differs,
    and ``aliases`` the URLs that redirected to it: all recorded as aliases.
    ``html`` is the fetched page, kept compressed in ``raw_pages`` with the
    ``parser_version`` that read it. Datetimes must be aware (any offset; stored in UTC).
    ``prepared`` is ``PreparedContent.of(headline, body, html)`` when it was worked out ahead
    (in a parse worker, possibly leaving the compressing for later); saving works it out
    itself when it is None.
    """

    url: str
    source_name: str
    headline: str | None
    labels: tuple[str, ...]
    published_at: datetime | None
    modified_at: datetime | None
    source: str | None
    publisher: str | None
    body: str | None
    language: str | None
    authors: tuple[str, ...]
    date_raw: str | None
    date_precision: str | None
    date_method: str | None
    source_evidence: str | None
    fetched_url: str | None = None
    html: bytes | None = None
    parser_version: str | None = None
    aliases: tuple[str, ...] = ()
    prepared: PreparedContent | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("published_at", "modified_at"):
            value = getattr(self, name)
            if value is not None:
                require_aware(value, name)
        if not self.url or not self.url.strip():
            raise ValueError("ArticleIn.url is empty")
        if not self.source_name:
            raise ValueError("ArticleIn.source_name is empty")


class SaveOutcome(StrEnum):
    """What saving one page did."""

    NEW = "new"
    UNCHANGED = "unchanged"
    REVISED = "revised"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class SaveResult:
    outcome: SaveOutcome
    article_id: int
    group_id: int | None


@dataclass(slots=True)
class RunCounts:
    """The counters of one crawl run, as stored in ``crawl_runs``."""

    pages_fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    errors: int = 0
    not_modified: int = 0
    revisited: int = 0  # article pages fetched again by the revisit policy


@dataclass(frozen=True, slots=True)
class Validators:
    """What a page last answered with, to be sent back as If-None-Match / If-Modified-Since."""

    etag: str | None
    last_modified: str | None


RUN_STATUSES = frozenset({"ok", "failed", "interrupted"})
RUNNING = "running"


@dataclass(frozen=True, slots=True)
class RunState:
    """What a new run of a source needs to know of the ones before it (two indexed lookups)."""

    last_status: str | None = None  # None: never crawled
    last_errors: int | None = None  # pages that failed in the last run
    last_success_at: datetime | None = None  # when the latest ``ok`` run finished


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """One source's state, for `presswatch sources`."""

    source_name: str
    articles: int
    last_run_started_at: datetime | None
    last_run_finished_at: datetime | None
    last_run_status: str | None
    last_success_at: datetime | None
    last_new_article_at: datetime | None
    consecutive_failures: int
    last_run_errors: int | None = None  # pages that failed in the last run
    last_run_error_kinds: dict[str, int] = field(default_factory=dict)  # the last run's failures by kind
    drift: LayoutDrift | None = None  # what recent articles lack


@dataclass(frozen=True, slots=True)
class LayoutDrift:
    """What a source's recent pages lack: the sign of a changed site template.

    ``recent_articles`` are the source's latest stored articles (at most
    ``DRIFT_SAMPLE``); ``recent_pages`` the article pages its recent runs fetched,
    of which ``pages_without_text`` gave no article text (not stored, failures of
    kind ``empty`` or ``unparseable``).
    """

    recent_articles: int
    without_headline: int
    without_date: int
    recent_pages: int
    pages_without_text: int

    def shares(self) -> dict[str, float | None]:
        """Share missing per field (None when there is nothing recent to judge)."""
        def share(part: int, whole: int) -> float | None:
            return part / whole if whole else None

        return {
            "headline": share(self.without_headline, self.recent_articles),
            "date": share(self.without_date, self.recent_articles),
            "body": share(self.pages_without_text, self.recent_pages),
        }


@dataclass(frozen=True, slots=True)
class QueryResult:
    """The answer of a read-only query: column names and rows as the driver returns them."""

    columns: list[str]
    rows: list[tuple[object, ...]]


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which articles `search`, `export` and `reparse` look at (all fields optional).

    ``since``/``until`` bound the publication time (the first-seen time for
    articles without one): ``since <= t < until``.
    """

    source_name: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                require_aware(value, name)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One full-text search result; ``snippet`` marks the matched terms with [ ]."""

    article_id: int
    url: str
    headline: str | None
    published_at: datetime | None
    source_name: str
    publisher: str | None
    score: float
    snippet: str


@dataclass(frozen=True, slots=True)
class StoredPage:
    """A raw page kept in the archive, decompressed, with what `reparse` needs."""

    article_id: int
    article_url: str
    fetched_url: str
    source_name: str
    fetched_at: datetime
    parser_version: str | None
    html: bytes
    damaged: str | None = None  # why the stored page could not be read back (then `html` is empty)
