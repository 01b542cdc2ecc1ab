"""SQLite: ``articles_fts`` declared with ``content="articles"`` (double quotes).

Migration 0003 declared the FTS5 table with ``content='articles'``. FTS5 takes
either quoting, but tools that find a table's full-text index by reading its
declaration in ``sqlite_master`` (Datasette, for `presswatch browse` and any
plain ``datasette`` run) look for ``content="articles"`` or ``content=[articles]``
only. A virtual table's declaration cannot be altered, so the table is made
again under the same name, options and tokenizer, its BM25 weights set again and
the index rebuilt from ``articles`` (one pass over the archive's text). The
triggers of 0003 write to it by name and keep working unchanged.

PostgreSQL's ``articles_fts`` is an ordinary table: nothing to do there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fts_table(content_option: str) -> list[str]:
    return [
        "DROP TABLE articles_fts",
        f"""CREATE VIRTUAL TABLE articles_fts USING fts5(
        headline, body, {content_option}, content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
        # ORDER BY rank: BM25 with the headline weighted 5x the body (as in 0003).
        "INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0)')",
        "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _fts_table('content="articles"'):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _fts_table("content='articles'"):
            op.execute(statement)
