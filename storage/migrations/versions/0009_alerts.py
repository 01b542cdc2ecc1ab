"""Alerts: the outbox of watches (issue #14).

- ``alert_events``: each article archived or revised, written in the save's own
  transaction; matched against the watches (and deleted) by whoever delivers alerts.
- ``watches``: when each watch was first seen, so nothing archived before it alerts.
- ``alerts``: one row per story (or revision) a watch matched.
- ``alert_deliveries``: one row per alert and notification channel, with its status,
  attempts, last error and sent time; ``idempotency_key`` (watch × story × channel)
  is unique, so a delivery is recorded once and, once sent, never sent again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)  # storage.columns.UtcDateTime stores through this


def upgrade() -> None:
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("backfill", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_events"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"],
                                name="fk_alert_events_article_id_articles", ondelete="CASCADE"),
    )
    op.create_table(
        "watches",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_watches"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watch", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"],
                                name="fk_alerts_article_id_articles", ondelete="CASCADE"),
        sa.UniqueConstraint("watch", "article_id", "kind", "revision",
                            name="uq_alerts_watch_article_id_kind_revision"),
    )
    op.create_index("ix_alerts_article_id", "alerts", ["article_id"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("claimed_by", sa.Text(), nullable=True),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_deliveries"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"],
                                name="fk_alert_deliveries_alert_id_alerts", ondelete="CASCADE"),
        sa.UniqueConstraint("idempotency_key", name="uq_alert_deliveries_idempotency_key"),
    )
    op.create_index("ix_alert_deliveries_alert_id", "alert_deliveries", ["alert_id"])
    op.create_index("ix_alert_deliveries_status_next_attempt_at", "alert_deliveries",
                    ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("alert_deliveries")
    op.drop_table("alerts")
    op.drop_table("watches")
    op.drop_table("alert_events")
