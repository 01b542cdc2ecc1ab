"""Service health: revisits, errors by kind, and who runs a crawl.

- ``crawl_runs.revisited``: article pages fetched again by the revisit policy
  (recent articles re-read to catch edits such as "UPDATED" releases).
- ``crawl_runs.error_kinds``: the run's failures counted by kind, a JSON object
  such as ``{"http_404": 2, "timeout": 1}`` (the pages are in ``crawl_errors``).
- ``crawl_runs.host`` / ``pid``: the process that runs it, so a run left
  ``running`` by a killed crawl can be told from one still going and be marked
  ``interrupted`` when the source's next run starts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("revisited", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("error_kinds", sa.Text(), nullable=True))
        batch.add_column(sa.Column("host", sa.Text(), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("pid")
        batch.drop_column("host")
        batch.drop_column("error_kinds")
        batch.drop_column("revisited")
