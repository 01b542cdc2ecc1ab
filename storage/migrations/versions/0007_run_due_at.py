"""The scheduled time each run served (``crawl_runs.due_at``).

Set when a run comes from `presswatch serve` over a job engine (``--broker``): a run
delivered again after its worker died, or enqueued again by a scheduler that took over,
is recognised by its source and due time, so the archive never records two completed
runs for one due time. NULL for one-off crawls and for runs older than this schema.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("due_at")
