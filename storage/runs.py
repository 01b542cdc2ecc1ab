"""Crawl runs, their failures, and the per-source summary (`presswatch sources`)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, union, update

from storage.models import Article, CrawlError, CrawlRun
from storage.records import RUN_STATUSES, RUNNING, RunCounts, SourceSummary

#: Longest failure message kept (tracebacks are cut, the start says what happened).
MAX_MESSAGE_CHARS = 4000


def start_run(connection: Connection, source_name: str, now: datetime) -> int:
    statement = insert(CrawlRun).values(
        source=source_name, started_at=now, status=RUNNING, **asdict(RunCounts())
    )
    return connection.execute(statement.returning(CrawlRun.id)).scalar_one()


def finish_run(
    connection: Connection, run_id: int, status: str, counts: RunCounts, now: datetime
) -> None:
    if status not in RUN_STATUSES:
        raise ValueError(f"run status {status!r} is not one of {sorted(RUN_STATUSES)}")
    result = connection.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id)
        .values(finished_at=now, status=status, **asdict(counts))
    )
    if result.rowcount != 1:
        raise ValueError(f"no crawl run with id {run_id}")


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
    names = union(select(Article.source_name), select(CrawlRun.source)).subquery()
    sources = sorted(connection.scalars(select(names.c[0])))
    return [source_summary(connection, name) for name in sources]


def source_summary(connection: Connection, name: str) -> SourceSummary:
    articles, last_new = connection.execute(
        select(func.count(), func.max(Article.first_seen_at)).where(Article.source_name == name)
    ).one()
    last_run = connection.execute(
        select(CrawlRun.started_at, CrawlRun.finished_at, CrawlRun.status, CrawlRun.errors)
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
    )


def _failures_since(connection: Connection, name: str, last_ok_id: int | None) -> int:
    """Failed runs after the last successful one (interrupted runs neither count nor reset)."""
    query = select(func.count()).where(CrawlRun.source == name, CrawlRun.status == "failed")
    if last_ok_id is not None:
        query = query.where(CrawlRun.id > last_ok_id)
    return int(connection.scalar(query) or 0)
