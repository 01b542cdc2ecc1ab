"""Typed SQLAlchemy models: the archive schema (DESIGN §5).

The migrations in ``storage/migrations/versions`` are the source of truth for the
database; these models mirror them and a test checks that they agree. The view
``releases`` (schema 0011: ``articles`` under plain names, for SQL users) is no model:
the code reads the tables.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from presswatch.storage.columns import JsonTextList, UtcDateTime
from presswatch.storage.schema_docs import comments

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        tuple[str, ...]: JsonTextList,
    }


class DuplicateGroup(Base):
    """Articles carrying the same release under different URLs (dedupe levels 2 and 3)."""

    __tablename__ = "duplicate_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", use_alter=True, ondelete="CASCADE")
    )
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class ArticleRow(Base):
    """One row per canonical URL: the latest version of the page."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    source_name: Mapped[str] = mapped_column(Text, index=True)
    headline: Mapped[str | None] = mapped_column(Text)
    labels: Mapped[tuple[str, ...]]
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    modified_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(Text, index=True)
    publisher: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[tuple[str, ...]]
    content_hash: Mapped[str] = mapped_column(String(64))
    body_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    date_raw: Mapped[str | None] = mapped_column(Text)
    date_precision: Mapped[str | None] = mapped_column(Text)
    date_method: Mapped[str | None] = mapped_column(Text)
    source_evidence: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    duplicate_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("duplicate_groups.id", ondelete="SET NULL"), index=True
    )


class ArticleRevision(Base):
    """An earlier version of an article whose headline or body changed."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    headline: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    replaced_at: Mapped[datetime]


class ArticleSignature(Base):
    """An article's MinHash signature (dedupe level 3, ``storage.neardup``), packed.

    Written once per article body; read to confirm the candidates that
    ``article_lsh`` finds.
    """

    __tablename__ = "article_signatures"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    minhashes: Mapped[bytes] = mapped_column(LargeBinary)


class ArticleLsh(Base):
    """One LSH band key of an article's signature: the near-duplicate candidate index.

    Candidates of a new article are the articles sharing any of its 16 keys: one
    indexed ``bucket IN (...)`` lookup that works the same for every writer of a
    shared database. On SQLite a WITHOUT ROWID table (the primary key is the table).
    """

    __tablename__ = "article_lsh"
    __table_args__ = {"sqlite_with_rowid": False}

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )


class RawPage(Base):
    """The fetched HTML of an article's latest version (compressed), for `presswatch reparse`."""

    __tablename__ = "raw_pages"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime]
    parser_version: Mapped[str | None] = mapped_column(Text)
    compression: Mapped[str] = mapped_column(Text)
    html_sha256: Mapped[str] = mapped_column(String(64))
    html: Mapped[bytes] = mapped_column(LargeBinary)


class UrlAlias(Base):
    """Every URL seen for an article (canonical and fetched), canonicalised."""

    __tablename__ = "url_aliases"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )


class CrawlRun(Base):
    """One crawl of one source."""

    __tablename__ = "crawl_runs"
    __table_args__ = (
        Index("ix_crawl_runs_source_started_at", "source", "started_at"),
        Index("ix_crawl_runs_source_status_id", "source", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(Text)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    revisited: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error_kinds: Mapped[str | None] = mapped_column(Text)  # JSON object: failures by kind
    host: Mapped[str | None] = mapped_column(Text)  # the crawling process, to tell killed runs
    pid: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime | None]  # the scheduled time a run of `serve --broker` served (schema 0007)


class PageValidator(Base):
    """The HTTP validators a listing page, feed or sitemap last answered with (conditional GET)."""

    __tablename__ = "page_validators"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    source_name: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime]


class CrawlError(Base):
    """One failed page of a run, with its URL and reason."""

    __tablename__ = "crawl_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime]


class AlertEvent(Base):
    """An article archived or revised, not yet matched against the watches: the outbox's inbox,
    written in the save's own transaction, emptied by `storage.alerts.match_events`."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)  # new | revised
    revision: Mapped[int] = mapped_column(Integer)  # 0 for new
    backfill: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class WatchRecord(Base):
    """When each configured watch was first seen: articles archived earlier never alert it."""

    __tablename__ = "watches"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    created_at: Mapped[datetime]


class Alert(Base):
    """One story (or one revision) a watch matched."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("watch", "article_id", "kind", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(Text)  # story | revision
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class AlertDelivery(Base):
    """One alert to one notification channel: the outbox row a sender claims, retries and closes."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(Text, unique=True)
    status: Mapped[str] = mapped_column(Text)  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


def _describe(metadata: MetaData) -> None:
    """Each table's and column's description (``storage.schema_docs``) as its comment, as
    PostgreSQL archives carry them (``storage.migrate``): the models mirror that too."""
    for name, (description, columns) in comments().items():
        table = metadata.tables.get(name)
        if table is None:
            continue
        table.comment = description
        for column in table.columns:
            column.comment = columns.get(column.name)


_describe(Base.metadata)
