"""The active scheduler's job store: the jobs kept in the archive, read from memory.

`serve --broker` keeps APScheduler's jobs in the archive (table `scheduler_jobs`) so that a
standby taking over carries on from each source's next due time. Only the lease holder writes
them, so while it holds the lease the table holds nothing it does not already know: it loads
the jobs once when it starts, answers APScheduler's reads (the due jobs, the next wake-up) from
memory and writes every change through to the table. A due run then costs one UPDATE (in
autocommit: one round trip) instead of two SELECTs and a transaction around the UPDATE.

A write the archive refuses (a lost connection) is logged and the scheduler goes on from
memory: the table's due time is then behind, so a scheduler taking over would send that due
time again, which the worker recognises (`crawl_runs.due_at`) and does not run twice. Letting
the error through would end APScheduler's thread for good.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger("presswatch.service")


class LeaseHolderJobStore(SQLAlchemyJobStore):  # type: ignore[misc]  # APScheduler 3 is untyped
    """APScheduler's SQLAlchemy job store, with reads from an in-memory copy (see the module)."""

    def __init__(self, engine: Engine, tablename: str) -> None:
        super().__init__(engine=engine.execution_options(isolation_level="AUTOCOMMIT"), tablename=tablename)
        self.memory = MemoryJobStore()

    def start(self, scheduler: Any, alias: str) -> None:
        super().start(scheduler, alias)
        self.memory.start(scheduler, alias)
        for job in super().get_all_jobs():
            self.memory.add_job(job)

    def lookup_job(self, job_id: str) -> Job | None:
        return self.memory.lookup_job(job_id)

    def get_due_jobs(self, now: datetime) -> list[Job]:
        return self.memory.get_due_jobs(now)  # type: ignore[no-any-return]

    def get_next_run_time(self) -> datetime | None:
        return self.memory.get_next_run_time()  # type: ignore[no-any-return]

    def get_all_jobs(self) -> list[Job]:
        return self.memory.get_all_jobs()  # type: ignore[no-any-return]

    def add_job(self, job: Job) -> None:
        super().add_job(job)  # first: a job id already in the table is a ConflictingIdError
        self.memory.add_job(job)

    def update_job(self, job: Job) -> None:
        self.memory.update_job(job)
        try:
            super().update_job(job)
        except SQLAlchemyError as exc:
            logger.error("the archive did not record %s's next due time (%s); going on from memory",
                         job.id, exc.__class__.__name__)

    def remove_job(self, job_id: str) -> None:
        self.memory.remove_job(job_id)
        super().remove_job(job_id)

    def remove_all_jobs(self) -> None:
        self.memory.remove_all_jobs()
        super().remove_all_jobs()
