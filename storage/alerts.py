"""The alerts outbox: events written with each save, matched into alerts, delivered once per channel.

1. ``record_events`` runs inside the save's own write transaction: each article archived
   (``new``) or revised gets an ``alert_events`` row, so nothing saved can be missed.
2. ``match_events`` (whoever delivers: `presswatch crawl` at its end, `serve` after each
   run) takes those rows, asks each watch whether it wants the article, records one
   ``alerts`` row per story (a duplicate group counts once) or revision and one
   ``alert_deliveries`` row per channel, and deletes the events — one transaction.
3. ``claim_due`` / ``mark_sent`` / ``mark_failed``: a sender claims due deliveries, sends,
   and records the answer; a claim by a process that died is taken over.

Storage knows nothing of the config: a watch comes in as a ``WatchRule`` whose
``matches`` decides on an ``AlertArticle``.
"""
from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from presswatch.storage.dialect import bulk_insert, insert_ignore, insert_ignore_returning, lock, rows_where_in
from presswatch.storage.liveness import run_process_alive
from presswatch.storage.models import (
    Alert,
    AlertDelivery,
    AlertEvent,
    ArticleRow,
    ArticleRevision,
    CrawlRun,
    DuplicateGroup,
    WatchRecord,
)
from presswatch.storage.records import SaveOutcome, SaveResult

PENDING, SENT, FAILED = "pending", "sent", "failed"
_MATCH_LOCK = "presswatch:alerts:match"
_EVENTS_PER_TRANSACTION = 500


@dataclass(frozen=True, slots=True)
class AlertArticle:
    """What a watch looks at."""

    source_name: str | None
    source: str | None
    language: str | None
    labels: tuple[str, ...]
    headline: str | None
    body: str | None


@dataclass(frozen=True, slots=True)
class WatchRule:
    name: str
    channels: tuple[str, ...]  # secret-free channel keys, one per notification URL
    matches: Callable[[AlertArticle], bool]
    updates: bool = False
    digest_seconds: int = 0  # >0: deliveries wait for the watch's next digest


@dataclass(frozen=True, slots=True)
class Copy:
    url: str
    publisher: str | None
    source_name: str | None


@dataclass(frozen=True, slots=True)
class AlertStory:
    """What one alert says: the matched article and every copy of its story archived so far."""

    watch: str
    kind: str  # story | revision
    revision: int
    headline: str | None
    source: str | None
    publisher: str | None
    published_at: datetime | None
    body: str | None
    url: str
    source_name: str | None
    copies: tuple[Copy, ...]


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    alert_id: int
    channel: str
    idempotency_key: str
    attempts: int


# --- 1. with the save ----------------------------------------------------------------------


def record_events(
    connection: Connection, source_names: Sequence[str | None], results: Sequence[SaveResult], now: datetime
) -> None:
    """One event per article archived or revised by this save (its own transaction).

    Nothing while no watch was ever registered: an archive without watches keeps no events
    (and an article archived before its watch existed alerts nothing anyway).
    """
    if connection.scalar(select(WatchRecord.name).limit(1)) is None:
        return
    rows = []
    settled = _sources_with_a_completed_run(connection, {n for n in source_names if n})
    for source_name, result in zip(source_names, results, strict=True):
        if result.outcome in (SaveOutcome.NEW, SaveOutcome.DUPLICATE):
            kind, revision = "new", 0
        elif result.outcome is SaveOutcome.REVISED:
            kind, revision = "revised", _latest_revision(connection, result.article_id)
        else:
            continue
        rows.append({"article_id": result.article_id, "kind": kind, "revision": revision,
                     "backfill": source_name not in settled, "created_at": now})
    if rows:
        connection.execute(insert(AlertEvent), rows)


def _sources_with_a_completed_run(connection: Connection, names: set[str]) -> set[str]:
    if not names:
        return set()
    query = select(CrawlRun.source).where(CrawlRun.source.in_(names), CrawlRun.status == "ok").distinct()
    return set(connection.scalars(query))


def _latest_revision(connection: Connection, article_id: int) -> int:
    latest = connection.scalar(
        select(func.max(ArticleRevision.revision)).where(ArticleRevision.article_id == article_id)
    )
    return latest or 0


# --- 2. matching ----------------------------------------------------------------------------


def register_watches(connection: Connection, names: Sequence[str], now: datetime) -> dict[str, datetime]:
    """Each watch's first-seen time (now, for one never seen before)."""
    for name in names:
        insert_ignore(connection, WatchRecord, {"name": name, "created_at": now}, ["name"])
    rows = connection.execute(select(WatchRecord.name, WatchRecord.created_at).where(WatchRecord.name.in_(names)))
    return {name: created for name, created in rows}


def match_events(connection: Connection, watches: Sequence[WatchRule], now: datetime) -> tuple[int, int]:
    """Match a chunk of pending events against `watches` (in the caller's write transaction):
    (events taken, alerts recorded). Call again while events were taken.

    The chunk is matched in memory, then its stories and alerts are read and written a few
    statements per chunk, not per alert (an article often matches several watches).
    """
    lock(connection, _MATCH_LOCK)  # one matcher at a time (PostgreSQL; SQLite's write lock already is)
    since = register_watches(connection, [w.name for w in watches], now)
    events = connection.execute(
        select(AlertEvent.id, AlertEvent.kind, AlertEvent.revision, AlertEvent.backfill, AlertEvent.created_at,
               *_ARTICLE_COLUMNS)
        .join(ArticleRow, ArticleRow.id == AlertEvent.article_id)
        .order_by(AlertEvent.id).limit(_EVENTS_PER_TRANSACTION)
    ).all()
    matched: list[tuple[Any, WatchRule]] = []
    for event in events:
        if event.backfill:
            continue
        fields = AlertArticle(event.source_name, event.source, event.language, tuple(event.labels),
                              event.headline, event.body)
        matched.extend((event, watch) for watch in watches
                       if event.created_at >= since[watch.name] and watch.matches(fields))
    recorded = _insert_alerts(connection, _new_alerts(connection, matched, since, now), watches, now)
    if events:
        connection.execute(delete(AlertEvent).where(AlertEvent.id.in_([e.id for e in events])))
    return len(events), recorded


_ARTICLE_COLUMNS = (
    ArticleRow.id.label("article_id"), ArticleRow.source_name, ArticleRow.source, ArticleRow.language, ArticleRow.labels,
    ArticleRow.headline, ArticleRow.body, ArticleRow.first_seen_at, ArticleRow.duplicate_group_id,
)
_ALERT_KEY = ("watch", "article_id", "kind", "revision")
StoryKey = tuple[str, int]  # ("group", duplicate group id) or ("article", article id)


def _new_alerts(
    connection: Connection, matched: Sequence[tuple[Any, WatchRule]], since: dict[str, datetime], now: datetime,
) -> list[dict[str, Any]]:
    """The alerts to record, in event order: each revision a watch wants updates of, and each
    story a watch has no alert for yet (one per story: its copies are listed in it, or came after
    it was sent) unless the story was archived before the watch existed."""
    members = _story_members(connection, [event for event, _ in matched if event.kind != "revised"])
    told = _told(connection, members)
    rows = []
    for event, watch in matched:
        if event.kind == "revised":
            if watch.updates:
                rows.append({"watch": watch.name, "article_id": event.article_id, "kind": "revision",
                             "revision": event.revision, "created_at": now})
            continue
        story = _story_key(event)
        if (watch.name, story) in told or any(first_seen < since[watch.name] for _, first_seen in members[story]):
            continue
        told.add((watch.name, story))
        rows.append({"watch": watch.name, "article_id": event.article_id, "kind": "story", "revision": 0,
                     "created_at": now})
    return rows


def _story_key(event: Any) -> StoryKey:
    group = event.duplicate_group_id
    return ("group", group) if group is not None else ("article", event.article_id)


def _story_members(connection: Connection, events: Sequence[Any]) -> dict[StoryKey, list[tuple[int, datetime]]]:
    """Each event's story: its articles (id, first seen)."""
    members = {("article", e.article_id): [(e.article_id, e.first_seen_at)]
               for e in events if e.duplicate_group_id is None}
    groups = {e.duplicate_group_id for e in events if e.duplicate_group_id is not None}
    group = ArticleRow.duplicate_group_id.expression
    for row in rows_where_in(connection, [ArticleRow.id.expression, ArticleRow.first_seen_at.expression, group], group, groups):
        members.setdefault(("group", row.duplicate_group_id), []).append((row.id, row.first_seen_at))
    return members


def _told(connection: Connection, members: dict[StoryKey, list[tuple[int, datetime]]]) -> set[tuple[str, StoryKey]]:
    """(watch, story) for every story alert already recorded on one of these stories' articles."""
    story_of = {article_id: story for story, articles in members.items() for article_id, _ in articles}
    article = Alert.article_id.expression
    rows = rows_where_in(connection, [Alert.watch.expression, article, Alert.kind.expression], article, story_of)
    return {(row.watch, story_of[row.article_id]) for row in rows if row.kind == "story"}


def _insert_alerts(
    connection: Connection, rows: Sequence[dict[str, Any]], watches: Sequence[WatchRule], now: datetime,
) -> int:
    """Record the alerts (one already there is skipped) and a delivery per channel of each: how many alerts."""
    inserted = insert_ignore_returning(connection, Alert, rows, _ALERT_KEY, ("id", *_ALERT_KEY))
    by_name = {watch.name: watch for watch in watches}
    due: dict[tuple[str, str], datetime] = {}
    deliveries = []
    for alert in inserted:
        watch = by_name[alert.watch]
        story = f"article-{alert.article_id}" + (f"-revision-{alert.revision}" if alert.kind == "revision" else "")
        for channel in watch.channels:
            if (watch.name, channel) not in due:
                due[watch.name, channel] = _due(connection, watch, channel, now)
            deliveries.append({
                "alert_id": alert.id, "channel": channel, "idempotency_key": f"{watch.name}/{story}/{channel}",
                "status": PENDING, "attempts": 0, "next_attempt_at": due[watch.name, channel], "created_at": now,
            })
    bulk_insert(connection, AlertDelivery, deliveries, ["idempotency_key"])
    return len(inserted)


def _due(connection: Connection, watch: WatchRule, channel: str, now: datetime) -> datetime:
    """Now; for a digest, the due time of the digest this channel already waits for, else one interval on."""
    if not watch.digest_seconds:
        return now
    waiting = connection.scalar(
        select(func.min(AlertDelivery.next_attempt_at))
        .join(Alert, Alert.id == AlertDelivery.alert_id)
        .where(Alert.watch == watch.name, AlertDelivery.channel == channel,
               AlertDelivery.status == PENDING, AlertDelivery.attempts == 0)
    )
    return waiting if waiting is not None else now + timedelta(seconds=watch.digest_seconds)


# --- 3. delivering -------------------------------------------------------------------------


def owner() -> str:
    """Who claims a delivery: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_due(connection: Connection, now: datetime, lease: timedelta, limit: int = 100) -> list[Delivery]:
    """Claim due deliveries for this process (until `lease` has passed, or it dies)."""
    free = or_(AlertDelivery.next_attempt_at <= now, AlertDelivery.claimed_by.in_(_dead_claimants(connection)))
    rows = connection.execute(
        select(AlertDelivery.id).where(AlertDelivery.status == PENDING, free)
        .order_by(AlertDelivery.id).limit(limit)
    ).scalars().all()
    claimed: list[Delivery] = []
    me = owner()
    for delivery_id in rows:
        result = connection.execute(
            update(AlertDelivery)
            .where(AlertDelivery.id == delivery_id, AlertDelivery.status == PENDING, free)
            .values(claimed_by=me, next_attempt_at=now + lease, attempts=AlertDelivery.attempts + 1)
            .returning(AlertDelivery.id, AlertDelivery.alert_id, AlertDelivery.channel,
                       AlertDelivery.idempotency_key, AlertDelivery.attempts)
        ).one_or_none()
        if result is not None:
            claimed.append(Delivery(*result))
    return claimed


def _dead_claimants(connection: Connection) -> list[str]:
    """Claims held by processes of this host that are gone (a crash between claim and answer)."""
    host = socket.gethostname()
    claimants = connection.scalars(
        select(AlertDelivery.claimed_by).where(AlertDelivery.status == PENDING,
                                               AlertDelivery.claimed_by.like(f"{host}:%")).distinct()
    ).all()
    dead: list[str] = []
    for claimant in claimants:
        if claimant is None:
            continue
        pid = claimant.rsplit(":", 1)[1]
        if pid.isdigit() and claimant != owner() and not run_process_alive(int(pid), datetime.now().astimezone()):
            dead.append(claimant)
    return dead


def mark_sent(connection: Connection, delivery_id: int, now: datetime) -> None:
    connection.execute(update(AlertDelivery).where(AlertDelivery.id == delivery_id).values(
        status=SENT, sent_at=now, last_error=None, claimed_by=None))


def mark_failed(connection: Connection, delivery_id: int, error: str, retry_at: datetime | None) -> None:
    """A failed attempt: due again at `retry_at`, or `failed` for good when None."""
    values = {"status": FAILED} if retry_at is None else {"next_attempt_at": retry_at}
    connection.execute(update(AlertDelivery).where(AlertDelivery.id == delivery_id).values(
        last_error=error[:1000], claimed_by=None, **values))


def retry_failed(connection: Connection, now: datetime) -> int:
    """Failed deliveries back to pending, due now: how many."""
    result = connection.execute(update(AlertDelivery).where(AlertDelivery.status == FAILED).values(
        status=PENDING, attempts=0, next_attempt_at=now, claimed_by=None))
    return result.rowcount or 0


def alert_story(connection: Connection, alert_id: int) -> AlertStory:
    """The alert's story as it stands now: its group's first copy leads, then every other copy."""
    alert = connection.execute(select(Alert.__table__).where(Alert.id == alert_id)).one()
    article = connection.execute(select(ArticleRow.__table__).where(ArticleRow.id == alert.article_id)).one()
    members = [article]
    if article.duplicate_group_id is not None and alert.kind == "story":
        first = connection.scalar(
            select(DuplicateGroup.first_article_id).where(DuplicateGroup.id == article.duplicate_group_id))
        members = list(connection.execute(
            select(ArticleRow.__table__).where(ArticleRow.duplicate_group_id == article.duplicate_group_id)
            .order_by(ArticleRow.id != first, ArticleRow.published_at.is_(None), ArticleRow.published_at, ArticleRow.id)
        ))
        article = members[0]
    copies = tuple(Copy(m.url, m.publisher, m.source_name) for m in members)
    return AlertStory(alert.watch, alert.kind, alert.revision, article.headline, article.source, article.publisher,
                      article.published_at, article.body, article.url, article.source_name, copies)


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    watch: str
    headline: str | None
    channel: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    sent_at: datetime | None


def deliveries(connection: Connection, statuses: Sequence[str], limit: int = 200) -> list[DeliveryRow]:
    rows = connection.execute(
        select(AlertDelivery.id, Alert.watch, ArticleRow.headline, AlertDelivery.channel, AlertDelivery.status,
               AlertDelivery.attempts, AlertDelivery.last_error, AlertDelivery.next_attempt_at,
               AlertDelivery.sent_at)
        .join(Alert, Alert.id == AlertDelivery.alert_id).join(ArticleRow, ArticleRow.id == Alert.article_id)
        .where(AlertDelivery.status.in_(statuses)).order_by(AlertDelivery.id).limit(limit)
    )
    return [DeliveryRow(*row) for row in rows]


def alert_counts(connection: Connection) -> dict[str, tuple[int, int, int, int]]:
    """By watch: (alerts, sent, pending, failed) deliveries."""
    counts: dict[str, list[int]] = {}
    for watch, total in connection.execute(select(Alert.watch, func.count()).group_by(Alert.watch)):
        counts.setdefault(watch, [0, 0, 0, 0])[0] = total
    query = (select(Alert.watch, AlertDelivery.status, func.count())
             .join(Alert, Alert.id == AlertDelivery.alert_id).group_by(Alert.watch, AlertDelivery.status))
    slot = {SENT: 1, PENDING: 2, FAILED: 3}
    for watch, status, total in connection.execute(query):
        counts.setdefault(watch, [0, 0, 0, 0])[slot[status]] = total
    return {watch: (c[0], c[1], c[2], c[3]) for watch, c in counts.items()}


def pending_events(connection: Connection) -> int:
    return connection.scalar(select(func.count()).select_from(AlertEvent)) or 0


def anything_pending(connection: Connection) -> bool:
    """Is any delivery waiting (due or not)?"""
    return connection.scalar(select(AlertDelivery.id).where(AlertDelivery.status == PENDING).limit(1)) is not None


__all__ = [
    "AlertArticle", "AlertStory", "Copy", "Delivery", "DeliveryRow", "WatchRule", "alert_counts", "alert_story",
    "anything_pending", "claim_due", "deliveries", "mark_failed", "mark_sent", "match_events", "pending_events", "record_events",
    "retry_failed",
]


def alert_ids(connection: Connection, watch: str, limit: int) -> list[tuple[int, datetime]]:
    """The watch's latest alerts (id, when matched), newest first: what its feed lists."""
    rows = connection.execute(
        select(Alert.id, Alert.created_at).where(Alert.watch == watch)
        .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
    )
    return [(row.id, row.created_at) for row in rows]
