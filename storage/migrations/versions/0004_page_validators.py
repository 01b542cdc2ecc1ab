"""Conditional GET: stored HTTP validators of listing pages, feeds and sitemaps; 304 counts.

- ``page_validators``: the ETag / Last-Modified a source's discovery page last
  answered with, sent back as If-None-Match / If-Modified-Since on the next run.
- ``crawl_runs.not_modified``: how many of a run's requests were answered 304.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "page_validators",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("checked_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_page_validators"),
    )
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("not_modified", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("not_modified")
    op.drop_table("page_validators")
