"""Crawl runs, their failures, and the per-source summary (`presswatch sources`)."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, union, update

from presswatch.storage.models import ArticleRow, CrawlError, CrawlRun
from presswatch.storage.records import RUN_STATUSES, RUNNING, LayoutDrift, RunCounts, RunState, SourceSummary

#: Longest failure message kept (tracebacks are cut, the start says what happened).
MAX_MESSAGE_CHARS = 4000
#: Layout drift is judged on this many of a source's latest articles ...
DRIFT_SAMPLE = 50
#: ... and on the article pages of this many of its latest runs.
DRIFT_RUNS = 10
#: Failure kinds meaning "the page had no article text we could read".
TEXTLESS_KINDS = ("empty", "unparseable")

#: Is the process `pid` that started a run at `started_at` still running it?
RunAlive = Callable[[int, datetime], bool]


def start_run(
    connection: Connection, source_name: str, now: datetime, *, host: str, pid: int, alive: RunAlive,
    due_at: datetime | None = None, sole: bool = False,
) -> int:
    """A new ``running`` row; the source's earlier runs whose process is gone become ``interrupted``.

    `sole`: the caller holds the source's cluster-wide run lock (`serve --broker`), so no
    other run of it can be going on anywhere: every ``running`` row of it is abandoned,
    whatever host wrote it. `due_at`: the scheduled time this run serves.
    """
    close_abandoned_runs(connection, source_name, now, host=host, pid=pid, alive=alive, every_host=sole)
    statement = insert(CrawlRun).values(
        source=source_name, started_at=now, status=RUNNING, host=host, pid=pid, due_at=due_at,
        **asdict(RunCounts()),
    )
    return connection.execute(statement.returning(CrawlRun.id)).scalar_one()


def close_abandoned_runs(
    connection: Connection, source_name: str, now: datetime, *, host: str, pid: int | None = None, alive: RunAlive,
    every_host: bool = False,
) -> int:
    """Mark ``interrupted`` the source's ``running`` rows left by crawls that were killed.

    A row is abandoned when it was started on this host by a process that no longer
    runs it, or carries no process at all (rows older than schema 0005). A row of this
    very process (`pid`: a long-lived crawl worker) is abandoned too: a process never
    runs one source twice at once, so it is a run whose end could not be written (a
    full disk). Rows of other hosts are left alone: only that host can tell, unless
    `every_host` (the caller holds the source's cluster-wide lock). Returns how many were
    closed.
    """
    rows = connection.execute(
        select(CrawlRun.id, CrawlRun.host, CrawlRun.pid, CrawlRun.started_at)
        .where(CrawlRun.source == source_name, CrawlRun.status == RUNNING)
    ).all()
    abandoned = [
        row.id for row in rows
        if every_host or row.host is None or row.pid is None
        or (row.host == host and (row.pid == pid or not alive(row.pid, row.started_at)))
    ]
    if abandoned:
        connection.execute(
            update(CrawlRun).where(CrawlRun.id.in_(abandoned)).values(status="interrupted", finished_at=now)
        )
    return len(abandoned)


def finish_run(
    connection: Connection, run_id: int, status: str, counts: RunCounts, now: datetime,
    error_kinds: Mapping[str, int] | None = None,
) -> None:
    if status not in RUN_STATUSES:
        raise ValueError(f"run status {status!r} is not one of {sorted(RUN_STATUSES)}")
    kinds = {kind: int(n) for kind, n in sorted((error_kinds or {}).items()) if n}
    result = connection.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id)
        .values(finished_at=now, status=status, error_kinds=json.dumps(kinds) if kinds else None, **asdict(counts))
    )
    if result.rowcount != 1:
        raise ValueError(f"no crawl run with id {run_id}")


def interrupt_runs(connection: Connection, run_ids: list[int], now: datetime) -> int:
    """Mark these runs ``interrupted`` if they are still ``running`` (their process died); how many were."""
    if not run_ids:
        return 0
    result = connection.execute(
        update(CrawlRun)
        .where(CrawlRun.id.in_(run_ids), CrawlRun.status == RUNNING)
        .values(status="interrupted", finished_at=now)
    )
    return int(result.rowcount or 0)


def served(connection: Connection, source_name: str, due_at: datetime) -> bool:
    """True when a run of the source for this due time, or a later one, completed (an
    ``interrupted`` one did not): a later run has checked the source since, so a run for
    this due time would only repeat it."""
    found = connection.execute(
        select(CrawlRun.id).where(
            CrawlRun.source == source_name, CrawlRun.due_at >= due_at, CrawlRun.status.in_(("ok", "failed"))
        ).limit(1)
    ).first()
    return found is not None


def run_state(connection: Connection, name: str) -> RunState:
    """The source's last run and last success: what a new run plans from (indexed lookups only)."""
    last = connection.execute(
        select(CrawlRun.status, CrawlRun.errors)
        .where(CrawlRun.source == name)
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(1)
    ).one_or_none()
    last_success = connection.scalar(
        select(CrawlRun.finished_at)
        .where(CrawlRun.source == name, CrawlRun.status == "ok")
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )
    if last is None:
        return RunState()
    return RunState(last_status=last.status, last_errors=last.errors, last_success_at=last_success)


def failure_streaks(connection: Connection) -> dict[str, int]:
    """Failed runs since the last ``ok`` one, per source that has any (as ``consecutive_failures``)."""
    last_ok = (
        select(CrawlRun.source, func.max(CrawlRun.id).label("ok_id"))
        .where(CrawlRun.status == "ok")
        .group_by(CrawlRun.source)
        .subquery()
    )
    query = (
        select(CrawlRun.source, func.count())
        .select_from(CrawlRun)
        .outerjoin(last_ok, last_ok.c.source == CrawlRun.source)
        .where(CrawlRun.status == "failed", CrawlRun.id > func.coalesce(last_ok.c.ok_id, 0))
        .group_by(CrawlRun.source)
    )
    return {source: int(count) for source, count in connection.execute(query)}


def last_failure_kinds(connection: Connection, name: str) -> dict[str, int]:
    """The errors by kind of the source's latest ``failed`` run (an index lookup)."""
    kinds = connection.scalar(
        select(CrawlRun.error_kinds).where(CrawlRun.source == name, CrawlRun.status == "failed")
        .order_by(CrawlRun.id.desc()).limit(1)
    )
    return _kinds(kinds)


def _kinds(stored: str | None) -> dict[str, int]:
    return json.loads(stored) if stored else {}


def record_failure(
    connection: Connection,
    run_id: int,
    url: str,
    kind: str,
    status: int | None,
    message: str,
    now: datetime,
) -> None:
    connection.execute(
        insert(CrawlError).values(
            run_id=run_id,
            url=url,
            kind=kind,
            status=status,
            message=message[:MAX_MESSAGE_CHARS],
            occurred_at=now,
        )
    )


def source_summaries(connection: Connection) -> list[SourceSummary]:
    names = union(select(ArticleRow.source_name), select(CrawlRun.source)).subquery()
    sources = sorted(connection.scalars(select(names.c[0])))
    return [source_summary(connection, name) for name in sources]


def source_summary(connection: Connection, name: str) -> SourceSummary:
    articles, last_new = connection.execute(
        select(func.count(), func.max(ArticleRow.first_seen_at)).where(ArticleRow.source_name == name)
    ).one()
    last_run = connection.execute(
        select(CrawlRun.started_at, CrawlRun.finished_at, CrawlRun.status, CrawlRun.errors, CrawlRun.error_kinds)
        .where(CrawlRun.source == name)
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(1)
    ).one_or_none()
    last_ok_id, last_success = connection.execute(
        select(func.max(CrawlRun.id), func.max(CrawlRun.finished_at)).where(
            CrawlRun.source == name, CrawlRun.status == "ok"
        )
    ).one()
    return SourceSummary(
        source_name=name,
        articles=articles,
        last_run_started_at=last_run.started_at if last_run else None,
        last_run_finished_at=last_run.finished_at if last_run else None,
        last_run_status=last_run.status if last_run else None,
        last_run_errors=last_run.errors if last_run else None,
        last_success_at=last_success,
        last_new_article_at=last_new,
        consecutive_failures=_failures_since(connection, name, last_ok_id),
        last_run_error_kinds=_kinds(last_run.error_kinds) if last_run else {},
        drift=layout_drift(connection, name),
    )


def layout_drift(connection: Connection, name: str) -> LayoutDrift:
    """What the source's latest articles and recent runs' pages lack (see LayoutDrift)."""
    latest = (
        select(ArticleRow.headline, ArticleRow.published_at)
        .where(ArticleRow.source_name == name)
        .order_by(ArticleRow.first_seen_at.desc(), ArticleRow.id.desc())
        .limit(DRIFT_SAMPLE)
        .subquery()
    )
    articles, without_headline, without_date = connection.execute(
        select(
            func.count(),
            func.count().filter(func.coalesce(latest.c.headline, "") == ""),
            func.count().filter(latest.c.published_at.is_(None)),
        )
    ).one()
    recent_runs = (
        select(CrawlRun.id, CrawlRun.new, CrawlRun.updated, CrawlRun.unchanged, CrawlRun.duplicates)
        .where(CrawlRun.source == name, CrawlRun.status != RUNNING)
        .order_by(CrawlRun.id.desc())
        .limit(DRIFT_RUNS)
        .subquery()
    )
    stored = connection.scalar(
        select(func.coalesce(func.sum(recent_runs.c.new + recent_runs.c.updated + recent_runs.c.unchanged
                                      + recent_runs.c.duplicates), 0))
    )
    textless = connection.scalar(
        select(func.count()).select_from(CrawlError)
        .where(CrawlError.run_id.in_(select(recent_runs.c.id)), CrawlError.kind.in_(TEXTLESS_KINDS))
    )
    return LayoutDrift(
        recent_articles=int(articles),
        without_headline=int(without_headline),
        without_date=int(without_date),
        recent_pages=int(stored or 0) + int(textless or 0),
        pages_without_text=int(textless or 0),
    )


def _failures_since(connection: Connection, name: str, last_ok_id: int | None) -> int:
    """Failed runs after the last successful one (interrupted runs neither count nor reset)."""
    query = select(func.count()).where(CrawlRun.source == name, CrawlRun.status == "failed")
    if last_ok_id is not None:
        query = query.where(CrawlRun.id > last_ok_id)
    return int(connection.scalar(query) or 0)
