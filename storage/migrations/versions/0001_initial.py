"""The initial archive schema (DESIGN §5).

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when models do.
UTC = sa.DateTime(timezone=True)  # storage.columns.UtcDateTime stores through this
JSON_LIST = sa.Text()  # storage.columns.JsonTextList: JSON text, e.g. '["PHOTO"]'
_RUN_COUNTS = ("pages_fetched", "new", "updated", "unchanged", "duplicates", "errors")


def upgrade() -> None:
    _create_crawl_tables()
    _create_article_tables()


def _create_crawl_tables() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _RUN_COUNTS),
        sa.PrimaryKeyConstraint("id", name="pk_crawl_runs"),
    )
    op.create_index("ix_crawl_runs_source_started_at", "crawl_runs", ["source", "started_at"])
    op.create_table(
        "crawl_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crawl_errors"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"],
            name="fk_crawl_errors_run_id_crawl_runs", ondelete="CASCADE",
        ),
    )
    op.create_index("ix_crawl_errors_run_id", "crawl_errors", ["run_id"])


def _create_article_tables() -> None:
    op.create_table(
        "duplicate_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_article_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_duplicate_groups"),
    )
    op.create_table("articles", *_article_columns(), *_article_constraints())
    for column in ("source_name", "published_at", "source", "body_hash", "duplicate_group_id"):
        op.create_index(f"ix_articles_{column}", "articles", [column])
    # The group -> first article link closes a cycle; added once both tables exist.
    with op.batch_alter_table("duplicate_groups") as batch:
        batch.create_foreign_key(
            "fk_duplicate_groups_first_article_id_articles", "articles",
            ["first_article_id"], ["id"], ondelete="CASCADE",
        )
    _create_article_children()


def _article_columns() -> list[sa.Column[Any]]:
    text = ("headline",)
    meta = ("source", "publisher", "body", "language")
    provenance = ("date_raw", "date_precision", "date_method", "source_evidence")
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=True) for name in text),
        sa.Column("labels", JSON_LIST, nullable=False),
        sa.Column("published_at", UTC, nullable=True),
        sa.Column("modified_at", UTC, nullable=True),
        *(sa.Column(name, sa.Text(), nullable=True) for name in meta),
        sa.Column("authors", JSON_LIST, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=True),
        *(sa.Column(name, sa.Text(), nullable=True) for name in provenance),
        sa.Column("first_seen_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("last_seen_at", UTC, nullable=False),
        sa.Column("duplicate_group_id", sa.Integer(), nullable=True),
    ]


def _article_constraints() -> list[sa.Constraint]:
    return [
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("url", name="uq_articles_url"),
        sa.ForeignKeyConstraint(
            ["duplicate_group_id"], ["duplicate_groups.id"],
            name="fk_articles_duplicate_group_id_duplicate_groups", ondelete="SET NULL",
        ),
    ]


def _create_article_children() -> None:
    op.create_table(
        "article_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("headline", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("published_at", UTC, nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("replaced_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_article_revisions"),
        sa.UniqueConstraint(
            "article_id", "revision", name="uq_article_revisions_article_id_revision"
        ),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name="fk_article_revisions_article_id_articles", ondelete="CASCADE",
        ),
    )
    op.create_table(
        "url_aliases",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_url_aliases"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name="fk_url_aliases_article_id_articles", ondelete="CASCADE",
        ),
    )
    op.create_index("ix_url_aliases_article_id", "url_aliases", ["article_id"])


def downgrade() -> None:
    for table in ("url_aliases", "article_revisions"):
        op.drop_table(table)
    with op.batch_alter_table("duplicate_groups") as batch:
        batch.drop_constraint("fk_duplicate_groups_first_article_id_articles", type_="foreignkey")
    for table in ("articles", "duplicate_groups", "crawl_errors", "crawl_runs"):
        op.drop_table(table)
