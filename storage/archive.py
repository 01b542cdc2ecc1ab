"""The archive: open (and migrate) a database, then save and read through it."""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Engine, MetaData, Table, Text, select, union, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError

from presswatch.storage import alerts, fulltext, reading, recency, runs, saving
from presswatch.storage.columns import require_aware
from presswatch.storage.dialect import (
    create_archive_engine,
    is_retryable,
    is_sqlite,
    masked,
    parse_url,
    refresh_stale_statistics,
    sqlite_path,
    upsert,
    write_transaction,
)
from presswatch.storage.errors import ArchiveError, ArchiveFull
from presswatch.storage.liveness import run_process_alive
from presswatch.storage.migrate import migrate_to_head
from presswatch.storage.models import ArticleRow, PageValidator, UrlAlias
from presswatch.storage.preparing import BatchPreparer, Contents, here
from presswatch.storage.records import (
    ArticleFilter,
    ArticleIn,
    RunCounts,
    RunState,
    SaveResult,
    SearchHit,
    SourceSummary,
    StoredPage,
    Validators,
)
from presswatch.storage.reserve import disk_full, ensure_reserve, release_reserve
from presswatch.storage.save_queue import SaveQueue
from presswatch.storage.urls import canonical_url

Clock = Callable[[], datetime]
T = TypeVar("T")
logger = logging.getLogger(__name__)
#: Alembic's own table: the write probe updates its one row to itself (and rolls back).
AlembicVersion = Table("alembic_version", MetaData(), Column("version_num", Text))
_LOOKUP_CHUNK = 500
_WRITE_ATTEMPTS = 5
_STATISTICS_EVERY = 20  # batches
#: Batches handed to the preparing worker ahead of the one being written.
_PREPARED_AHEAD = 2
_BULK_TABLES = (
    "articles", "article_lsh", "article_signatures", "url_aliases", "raw_pages",
    "duplicate_groups", "articles_fts",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Archive:
    """An open archive. Thread-safe: every call takes its own connection."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._clock = clock
        self._save_queue: SaveQueue | None = None
        self._queue_lock = threading.Lock()
        self._batch_preparer: BatchPreparer | None = None  # save_batches' worker, started on first use
        self._full = False  # the disk filled and the reserve was released (SQLite)

    @property
    def engine(self) -> Engine:
        return self._engine

    def __repr__(self) -> str:
        return f"Archive({masked(self._engine.url)!r})"

    def save_article(self, a: ArticleIn, *, seen_at: datetime | None = None) -> SaveResult:
        """Store one parsed page; see ``SaveOutcome`` for what can happen."""
        return self.save_articles([a], seen_at=seen_at)[0]

    def save_articles(
        self, batch: Sequence[ArticleIn], *, seen_at: datetime | None = None, seen: bool = True
    ) -> list[SaveResult]:
        """Store several parsed pages in one transaction; one result per page, in order.

        ``seen=False`` is for re-parsed stored pages: ``last_seen_at`` stays. A
        batch that loses a deadlock to another writer (PostgreSQL) is retried.
        """
        if not batch:
            return []
        return self._write(saving.PreparedBatch(batch), seen_at, seen)

    def queue_article(self, a: ArticleIn) -> Future[SaveResult]:
        """Save ``a`` in the background, batched with other queued pages (see ``storage.save_queue``).

        The future holds the page's ``SaveResult`` (or the exception that stopped it);
        ``flush()`` waits for every queued page, ``close()`` saves them before closing.
        """
        with self._queue_lock:
            if self._save_queue is None:
                self._save_queue = SaveQueue(self.save_articles)
            save_queue = self._save_queue
        return save_queue.submit(a)

    def flush(self) -> None:
        """Wait until every page given to ``queue_article`` is saved."""
        if self._save_queue is not None:
            self._save_queue.flush()

    def save_batches(
        self, batches: Iterable[Sequence[ArticleIn]], *, seen: bool = True
    ) -> Iterator[list[SaveResult]]:
        """Save a stream of batches (each as ``save_articles``), yielding each one's results.

        For bulk loads (re-parsing, imports): while one batch is written, a worker
        process prepares the next ones (normalising, hashing, signing, compressing:
        ``storage.preparing``), so the CPU work runs beside the database's.
        """
        pending: deque[tuple[Sequence[ArticleIn], Future[Contents]]] = deque()
        written = 0
        for n, batch in enumerate(batches):
            if batch:  # the first is prepared here, while the worker starts
                pending.append((batch, self._preparer().submit(batch) if n else here(batch)))
            if len(pending) > _PREPARED_AHEAD:
                yield self._write_prepared(*pending.popleft(), seen)
                written += 1
                if written % _STATISTICS_EVERY == 1:
                    self._refresh_statistics()
        while pending:
            yield self._write_prepared(*pending.popleft(), seen)

    def _preparer(self) -> BatchPreparer:
        with self._queue_lock:
            if self._batch_preparer is None:
                self._batch_preparer = BatchPreparer()
            return self._batch_preparer

    def _write_prepared(
        self, batch: Sequence[ArticleIn], contents: Future[Contents], seen: bool
    ) -> list[SaveResult]:
        try:
            prepared = saving.PreparedBatch(batch, contents.result())
        except BrokenProcessPool:  # the worker died: this batch is prepared here
            prepared = saving.PreparedBatch(batch)
        return self._write(prepared, None, seen, bulk=True)

    def _refresh_statistics(self) -> None:
        """Keep the planner's picture of the dedupe tables current during a bulk load."""
        with self._engine.connect() as connection:
            refresh_stale_statistics(connection, _BULK_TABLES)
            connection.commit()

    def _write(
        self, batch: saving.PreparedBatch, seen_at: datetime | None, seen: bool, *, bulk: bool = False
    ) -> list[SaveResult]:
        if self._full:
            raise ArchiveFull("the disk under the archive is full: pages are not saved (free some space)")
        now = require_aware(seen_at, "seen_at") if seen_at is not None else self._now()
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                with write_transaction(self._engine, bulk=bulk) as connection:
                    results = saving.save_articles(connection, batch, now, seen=seen)
                    if seen:  # re-parsing stored pages alerts nobody
                        names = [page.article.source_name for page in batch.pages]
                        alerts.record_events(connection, names, results, now)
                    return results
            except DBAPIError as exc:
                if attempt == _WRITE_ATTEMPTS or not is_retryable(exc):
                    raise
        raise AssertionError("unreachable")

    def search(
        self, terms: str, where: ArticleFilter | None = None, *, limit: int = 20
    ) -> list[SearchHit]:
        """Full-text search, best match first (see ``storage.fulltext``)."""
        with self._engine.connect() as connection:
            return fulltext.search(connection, terms, where or ArticleFilter(), limit)

    def export_articles(self, where: ArticleFilter | None = None) -> Iterator[dict[str, Any]]:
        """Every matching article as a dict, in id order, streamed in chunks."""
        return reading.export_articles(self._engine, where or ArticleFilter())

    def stored_pages(self, where: ArticleFilter | None = None) -> Iterator[StoredPage]:
        """The raw pages kept for matching articles (``since``/``until``: fetch time)."""
        return reading.stored_pages(self._engine, where or ArticleFilter())

    def latest_articles(self, limit: int = 8) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        """(columns, rows) of the latest published articles: what `presswatch demo` shows."""
        with self._engine.connect() as connection:
            return reading.LATEST_COLUMNS, reading.latest_articles(connection, limit)

    def count_stored_pages(self, where: ArticleFilter | None = None) -> int:
        with self._engine.connect() as connection:
            return reading.count_stored_pages(connection, where or ArticleFilter())

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Those of ``urls`` already archived (after canonicalisation, aliases included)."""
        by_canonical: dict[str, list[str]] = {}
        for url in urls:
            by_canonical.setdefault(canonical_url(url), []).append(url)
        found: set[str] = set()
        keys = list(by_canonical)
        with self._engine.connect() as connection:
            for start in range(0, len(keys), _LOOKUP_CHUNK):
                chunk = keys[start : start + _LOOKUP_CHUNK]
                query = union(
                    select(ArticleRow.url).where(ArticleRow.url.in_(chunk)),
                    select(UrlAlias.url).where(UrlAlias.url.in_(chunk)),
                )
                found.update(connection.scalars(query))
        return {url for key in found for url in by_canonical[key]}

    def validators(self, urls: Iterable[str]) -> dict[str, Validators]:
        """The stored HTTP validators of those of ``urls`` that have any."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, Validators] = {}
        with self._engine.connect() as connection:
            for start in range(0, len(wanted), _LOOKUP_CHUNK):
                chunk = wanted[start : start + _LOOKUP_CHUNK]
                query = select(PageValidator.url, PageValidator.etag, PageValidator.last_modified)
                for url, etag, last_modified in connection.execute(query.where(PageValidator.url.in_(chunk))):
                    found[url] = Validators(etag, last_modified)
        return found

    def save_validators(self, source_name: str, validators: Mapping[str, Validators]) -> None:
        """Remember what these pages answered with, for the next run's conditional GET."""
        now = self._now()
        rows = [
            {
                "url": url, "source_name": source_name, "etag": v.etag, "last_modified": v.last_modified,
                "checked_at": now,
            }
            for url, v in validators.items()
        ]
        with write_transaction(self._engine) as connection:
            upsert(connection, PageValidator, rows, ["url"])

    def start_run(self, source_name: str, *, due_at: datetime | None = None, sole: bool = False) -> int:
        """A new ``running`` row for this process; runs of the source left by killed crawls become ``interrupted``.

        `sole`: the caller holds the source's cluster-wide run lock, so every ``running``
        row of the source, on any host, is abandoned (see `storage.runs.start_run`).
        """
        def write(connection: Connection) -> int:
            return runs.start_run(
                connection, source_name, self._now(), host=socket.gethostname(), pid=os.getpid(),
                alive=run_process_alive, due_at=due_at, sole=sole,
            )

        return self._bookkeeping(write)

    def finish_run(
        self, run_id: int, status: str, counts: RunCounts, error_kinds: Mapping[str, int] | None = None
    ) -> None:
        self._bookkeeping(
            lambda connection: runs.finish_run(connection, run_id, status, counts, self._now(), error_kinds)
        )

    def interrupt_runs(self, run_ids: Sequence[int]) -> int:
        """Close runs whose process died as ``interrupted`` (those still ``running``); how many were."""
        return self._bookkeeping(lambda connection: runs.interrupt_runs(connection, list(run_ids), self._now()))

    def run_state(self, source_name: str) -> RunState:
        """The source's last run and last success (cheap: what each new run plans from)."""
        with self._engine.connect() as connection:
            return runs.run_state(connection, source_name)

    def served(self, source_name: str, due_at: datetime) -> bool:
        """True when a run of the source for this scheduled time, or a later one, has completed
        (``ok`` or ``failed``)."""
        with self._engine.connect() as connection:
            return runs.served(connection, source_name, due_at)

    def failure_streaks(self) -> dict[str, int]:
        """Failed runs since the last successful one, by source (sources with none left out)."""
        with self._engine.connect() as connection:
            return runs.failure_streaks(connection)

    def last_failure_kinds(self, source_name: str) -> dict[str, int]:
        """The errors by kind of the source's latest failed run ({} when it has none)."""
        with self._engine.connect() as connection:
            return runs.last_failure_kinds(connection, source_name)

    def due_for_revisit(
        self, source_name: str, published_since: datetime, seen_before: datetime, limit: int
    ) -> list[str]:
        """URLs of the source's articles published since `published_since` and last fetched before `seen_before`.

        The fetched URL of the stored page where there is one (a rel=canonical may
        point off the crawled site), newest first.
        """
        with self._engine.connect() as connection:
            return recency.due_for_revisit(connection, source_name, published_since, seen_before, limit)

    def publication_times(self, source_name: str, since: datetime) -> list[datetime]:
        """When the source's articles since `since` were published (first seen, for those without a date)."""
        with self._engine.connect() as connection:
            return recency.publication_times(connection, source_name, since, self._now())

    def record_failure(
        self, run_id: int, url: str, kind: str, status: int | None, message: str
    ) -> None:
        self._bookkeeping(
            lambda connection: runs.record_failure(connection, run_id, url, kind, status, message, self._now())
        )

    def _bookkeeping(self, write: Callable[[Connection], T]) -> T:
        """A run's own small write (its row, its failures): when a SQLite archive's disk is full,
        the reserve beside it is released and the write tried once more (see `storage.reserve`)."""
        try:
            with write_transaction(self._engine) as connection:
                return write(connection)
        except DBAPIError as exc:
            path = self._sqlite_file()
            if path is None or not disk_full(exc) or not release_reserve(path):
                raise
            self._full = True  # the reserve's room is for bookkeeping: no more pages
        with write_transaction(self._engine) as connection:
            return write(connection)

    def _sqlite_file(self) -> Path | None:
        url = self._engine.url
        return sqlite_path(url) if is_sqlite(url) else None

    def source_summaries(self) -> list[SourceSummary]:
        with self._engine.connect() as connection:
            return runs.source_summaries(connection)

    def source_summary(self, source_name: str) -> SourceSummary:
        """One source's state (zero articles and no runs when it was never crawled)."""
        with self._engine.connect() as connection:
            return runs.source_summary(connection, source_name)

    def register_watches(self, names: Sequence[str]) -> None:
        """Note when each watch was first seen (before a crawl: what it archives may alert them)."""
        if names:
            self._bookkeeping(lambda connection: alerts.register_watches(connection, names, self._now()))

    def match_alerts(self, watches: Sequence[alerts.WatchRule]) -> int:
        """Match every pending alert event against `watches`: how many alerts were recorded."""
        recorded = 0
        with self._engine.connect() as connection:  # the usual case, nothing new: no write lock taken
            if not alerts.pending_events(connection):
                return 0
        while True:
            with write_transaction(self._engine) as connection:
                taken, new = alerts.match_events(connection, watches, self._now())
            recorded += new
            if not taken:
                return recorded

    def claim_deliveries(self, lease_seconds: float) -> list[alerts.Delivery]:
        """Due deliveries, claimed for this process for `lease_seconds` (or until it dies)."""
        with self._engine.connect() as connection:  # nothing pending: no write lock taken
            if not alerts.anything_pending(connection):
                return []
        with write_transaction(self._engine) as connection:
            return alerts.claim_due(connection, self._now(), timedelta(seconds=lease_seconds))

    def alert_story(self, alert_id: int) -> alerts.AlertStory:
        with self._engine.connect() as connection:
            return alerts.alert_story(connection, alert_id)

    def watch_alerts(self, watch: str, limit: int = 50) -> list[tuple[datetime, alerts.AlertStory]]:
        """The watch's latest alerts, newest first, each with when it matched."""
        with self._engine.connect() as connection:
            return [(when, alerts.alert_story(connection, alert_id))
                    for alert_id, when in alerts.alert_ids(connection, watch, limit)]

    def delivery_sent(self, delivery_id: int) -> None:
        with write_transaction(self._engine) as connection:
            alerts.mark_sent(connection, delivery_id, self._now())

    def delivery_failed(self, delivery_id: int, error: str, retry_at: datetime | None) -> None:
        with write_transaction(self._engine) as connection:
            alerts.mark_failed(connection, delivery_id, error, retry_at)

    def retry_failed_deliveries(self) -> int:
        with write_transaction(self._engine) as connection:
            return alerts.retry_failed(connection, self._now())

    def alert_overview(self) -> tuple[dict[str, tuple[int, int, int, int]], list[alerts.DeliveryRow], int]:
        """(counts by watch, pending and failed deliveries, events not matched yet)."""
        with self._engine.connect() as connection:
            return (alerts.alert_counts(connection), alerts.deliveries(connection, (alerts.PENDING, alerts.FAILED)),
                    alerts.pending_events(connection))

    def now(self) -> datetime:
        return self._now()

    def require_writable(self) -> None:
        """Raise ArchiveError unless the archive takes a write now (a read-only file or mount,
        a full disk, a read-only PostgreSQL): found before anything is fetched, not page by page."""
        try:
            with self._engine.connect() as connection, connection.begin() as transaction:
                connection.execute(update(AlembicVersion).values(version_num=AlembicVersion.c.version_num))
                transaction.rollback()
        except DBAPIError as exc:
            reason = str(exc.orig).strip() or type(exc.orig).__name__
            raise ArchiveError(
                f"the archive at {masked(self._engine.url)} cannot be written: {reason}; "
                "check free disk space and the permissions of the file (or the database user)"
            ) from exc
        path = self._sqlite_file()
        if path is not None and not ensure_reserve(path):
            logger.warning("no room for the archive's 1 MiB reserve beside %s: a full disk could leave a run "
                           "unrecorded", path)

    def close(self) -> None:
        with self._queue_lock:
            save_queue, self._save_queue = self._save_queue, None
            preparer, self._batch_preparer = self._batch_preparer, None
        if save_queue is not None:
            save_queue.close()
        if preparer is not None:
            preparer.close()
        self._engine.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _now(self) -> datetime:
        return require_aware(self._clock(), "clock time")


def archive_exists(url: str) -> bool:
    """False only for a SQLite file that is not there yet (a server database is assumed to exist)."""
    parsed = parse_url(url)
    path = sqlite_path(parsed) if is_sqlite(parsed) else None
    return path is None or path.exists()


def open_archive(url: str, *, clock: Clock | None = None) -> Archive:
    """Open the archive at ``url`` (creating and migrating it as needed)."""
    engine = _migrated_engine(url)
    return Archive(engine, clock=clock or utc_now)


def upgrade_archive(url: str) -> None:
    """Create the archive at ``url`` or bring its schema up to date."""
    _migrated_engine(url).dispose()


def _migrated_engine(url: str) -> Engine:
    parsed = parse_url(url)
    path = sqlite_path(parsed) if is_sqlite(parsed) else None
    if path is not None and not path.parent.is_dir():
        raise ArchiveError(
            f"cannot create the archive at {path}: its folder {path.parent} does not exist; "
            f"create it (mkdir -p {path.parent}) or give another --db"
        )
    try:
        engine = create_archive_engine(parsed)
    except (NoSuchModuleError, ImportError) as exc:
        raise ArchiveError(f"cannot use {masked(parsed)}: {exc}") from exc
    except OSError as exc:
        raise ArchiveError(f"cannot create the archive at {masked(parsed)}: {exc}") from exc
    try:
        migrate_to_head(engine)
    except BaseException as exc:
        engine.dispose()
        if isinstance(exc, DBAPIError):
            raise ArchiveError(_unreachable(parsed, exc)) from exc
        if isinstance(exc, SQLAlchemyError):
            raise ArchiveError(f"cannot open the archive at {masked(parsed)}: {exc}") from exc
        raise
    return engine


def _unreachable(url: URL, exc: DBAPIError) -> str:
    reason = str(exc.orig).strip() or type(exc.orig).__name__
    if url.password:
        reason = reason.replace(str(url.password), "***")
    if is_sqlite(url):
        if "malformed" in reason or "not a database" in reason:
            return (
                f"cannot open the SQLite archive at {url.database}: {reason}; the archive is damaged (or not an "
                "archive): restore it from a backup (SQLite: try `sqlite3 FILE .recover`)"
            )
        return (
            f"cannot open the SQLite archive at {url.database}: {reason}; "
            "check the path, its permissions and that it is a presswatch database"
        )
    return (
        f"cannot connect to the archive at {masked(url)}: {reason}; "
        "check that PostgreSQL is running and the URL (host, port, user, database) is right"
    )
