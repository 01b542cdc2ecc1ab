"""Naming clarity for SQL users (#16): the view ``releases``; ``jsonb`` lists on PostgreSQL.

- ``releases``: one row per article with plain names, on both databases.
  ``credited_source`` is ``articles.source`` (the agency or office the text credits, e.g.
  Azertag for "..., Azertag reports"), ``configured_source`` is ``articles.source_name``
  (the sources.toml entry that crawled it, ``crawl_runs.source``). The tables keep their
  names (DESIGN §5). On PostgreSQL the roles that may read ``articles`` (``presswatch db
  reader``'s) may read the view too.
- PostgreSQL: ``articles.labels`` and ``authors`` become ``jsonb`` (one rewrite of the
  table); SQLite keeps JSON text, which its JSON functions read. Either way the values
  read back as the same JSON text (``["PHOTO", "UPDATED"]``).

A later migration that rebuilds or alters ``articles`` must set the view aside:
``storage.migrations.dependents.dependents_set_aside``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-14
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from presswatch.storage.migrations.dependents import grant, grants_of

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: storage.schema_docs describes these columns, in this order.
RELEASES = """CREATE VIEW releases AS
SELECT id, published_at, headline, labels,
       source AS credited_source, publisher, source_name AS configured_source,
       language, authors, url, body, duplicate_group_id, first_seen_at, updated_at
FROM articles"""


def _json_lists(to: str) -> str:
    return (
        f"ALTER TABLE articles ALTER COLUMN labels TYPE {to} USING labels::{to}, "
        f"ALTER COLUMN authors TYPE {to} USING authors::{to}"
    )


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(_json_lists("jsonb"))  # before the view: a column a view reads keeps its type
    op.execute(RELEASES)
    if postgresql:
        readers = [held for held in grants_of(op.get_bind(), "articles") if held[0] == "SELECT"]
        grant(op.get_bind(), "releases", readers)


def downgrade() -> None:
    op.execute("DROP VIEW releases")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_json_lists("text"))
