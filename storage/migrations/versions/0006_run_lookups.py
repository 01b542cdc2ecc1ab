"""Run lookups that stay fast when a source has many runs (a check every minute is 1,440 a day).

- ``ix_crawl_runs_source_status_id``: a source's ``running`` rows (closed as
  ``interrupted`` when their process is gone), its latest ``ok`` run, and its failed
  runs since then (``consecutive_failures``) are each one index range.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_crawl_runs_source_status_id", "crawl_runs", ["source", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_crawl_runs_source_status_id", table_name="crawl_runs")
