"""MinHash band signatures for near-duplicate detection (dedupe level 3).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_signatures",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("minhashes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "band", name="pk_article_signatures"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name="fk_article_signatures_article_id_articles", ondelete="CASCADE",
        ),
    )
    op.create_index("ix_article_signatures_band_bucket", "article_signatures", ["band", "bucket"])
    # The backfill that signed older articles here is gone: 0003 replaces this table
    # with another signature format and signs every archived body itself.


def downgrade() -> None:
    op.drop_index("ix_article_signatures_band_bucket", table_name="article_signatures")
    op.drop_table("article_signatures")
