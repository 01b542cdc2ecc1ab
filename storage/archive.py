"""The archive: open (and migrate) a database, then save and read through it."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy import Engine, select, union
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError

from storage import runs, saving
from storage.columns import require_aware
from storage.dialect import create_archive_engine, is_sqlite, masked, parse_url, write_transaction
from storage.errors import ArchiveError
from storage.migrate import migrate_to_head
from storage.models import Article, UrlAlias
from storage.records import ArticleIn, RunCounts, SaveResult, SourceSummary
from storage.urls import canonical_url

Clock = Callable[[], datetime]
_LOOKUP_CHUNK = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


class Archive:
    """An open archive. Thread-safe: every call takes its own connection."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    @property
    def engine(self) -> Engine:
        return self._engine

    def __repr__(self) -> str:
        return f"Archive({masked(self._engine.url)!r})"

    def save_article(self, a: ArticleIn, *, seen_at: datetime | None = None) -> SaveResult:
        """Store one parsed page; see ``SaveOutcome`` for what can happen."""
        now = require_aware(seen_at, "seen_at") if seen_at is not None else self._now()
        with write_transaction(self._engine) as connection:
            return saving.save_article(connection, a, now)

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
                    select(Article.url).where(Article.url.in_(chunk)),
                    select(UrlAlias.url).where(UrlAlias.url.in_(chunk)),
                )
                found.update(connection.scalars(query))
        return {url for key in found for url in by_canonical[key]}

    def start_run(self, source_name: str) -> int:
        with write_transaction(self._engine) as connection:
            return runs.start_run(connection, source_name, self._now())

    def finish_run(self, run_id: int, status: str, counts: RunCounts) -> None:
        with write_transaction(self._engine) as connection:
            runs.finish_run(connection, run_id, status, counts, self._now())

    def record_failure(
        self, run_id: int, url: str, kind: str, status: int | None, message: str
    ) -> None:
        with write_transaction(self._engine) as connection:
            runs.record_failure(connection, run_id, url, kind, status, message, self._now())

    def source_summaries(self) -> list[SourceSummary]:
        with self._engine.connect() as connection:
            return runs.source_summaries(connection)

    def close(self) -> None:
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


def open_archive(url: str, *, clock: Clock | None = None) -> Archive:
    """Open the archive at ``url`` (creating and migrating it as needed)."""
    engine = _migrated_engine(url)
    return Archive(engine, clock=clock or utc_now)


def upgrade_archive(url: str) -> None:
    """Create the archive at ``url`` or bring its schema up to date."""
    _migrated_engine(url).dispose()


def _migrated_engine(url: str) -> Engine:
    parsed = parse_url(url)
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
        return (
            f"cannot open the SQLite archive at {url.database}: {reason}; "
            "check the path, its permissions and that it is a presswatch database"
        )
    return (
        f"cannot connect to the archive at {masked(url)}: {reason}; "
        "check that PostgreSQL is running and the URL (host, port, user, database) is right"
    )
