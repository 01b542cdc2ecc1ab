"""Full-text search, raw pages, and a compact near-duplicate index.

- ``articles_fts``: SQLite FTS5 (external content over ``articles``, porter +
  unicode61 tokenizer) / PostgreSQL table of weighted ``tsvector`` documents
  (language-aware configuration) with a GIN index; on both, triggers on
  ``articles`` keep it in step with every write.
- ``raw_pages``: the fetched HTML of each article (compressed) and the parser
  version that read it.
- ``article_signatures`` becomes one packed one-permutation MinHash per article
  and ``article_lsh`` holds its 16 band keys (replacing 16 text rows per
  article); every archived body is signed again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from presswatch.storage import neardup

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)
_BACKFILL_CHUNK = 1000

#: ISO 639-1 code -> PostgreSQL text search configuration (frozen copy of
#: storage.fulltext.TS_CONFIGS at this revision); anything else is 'simple'.
TS_CONFIGS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "da": "danish",
    "nl": "dutch", "en": "english", "fi": "finnish", "fr": "french", "de": "german",
    "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian",
    "nn": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}

SQLITE_FTS = [
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        headline, body, content='articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    # ORDER BY rank: BM25 with the headline weighted 5x the body.
    "INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0)')",
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, headline, body) VALUES (new.id, new.headline, new.body);
    END""",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, headline, body)
        VALUES ('delete', old.id, old.headline, old.body);
    END""",
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF headline, body ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, headline, body)
        VALUES ('delete', old.id, old.headline, old.body);
        INSERT INTO articles_fts(rowid, headline, body) VALUES (new.id, new.headline, new.body);
    END""",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]


def _pg_fts() -> list[str]:
    cases = " ".join(f"WHEN '{code}' THEN 'pg_catalog.{name}'" for code, name in TS_CONFIGS.items())
    return [
        f"""CREATE FUNCTION presswatch_ts_config(language text) RETURNS regconfig
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT (CASE lower(split_part(split_part(coalesce(language, ''), '-', 1), '_', 1))
                    {cases} ELSE 'pg_catalog.simple' END)::regconfig $$""",
        """CREATE TABLE articles_fts (
            article_id integer NOT NULL,
            config regconfig NOT NULL,
            document tsvector NOT NULL,
            CONSTRAINT pk_articles_fts PRIMARY KEY (article_id),
            CONSTRAINT fk_articles_fts_article_id_articles FOREIGN KEY (article_id)
                REFERENCES articles (id) ON DELETE CASCADE)""",
        "CREATE INDEX ix_articles_fts_document ON articles_fts USING gin (document)",
        # raw_pages.html is zlib-compressed already: stored out of line, not compressed again.
        "ALTER TABLE raw_pages ALTER COLUMN html SET STORAGE EXTERNAL",
        """CREATE FUNCTION presswatch_articles_fts() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE cfg regconfig := presswatch_ts_config(NEW.language);
        BEGIN
            INSERT INTO articles_fts (article_id, config, document)
            VALUES (NEW.id, cfg,
                    setweight(to_tsvector(cfg, coalesce(NEW.headline, '')), 'A')
                    || setweight(to_tsvector(cfg, coalesce(NEW.body, '')), 'B'))
            ON CONFLICT (article_id)
            DO UPDATE SET config = EXCLUDED.config, document = EXCLUDED.document;
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER articles_fts_sync
            AFTER INSERT OR UPDATE OF headline, body, language ON articles
            FOR EACH ROW EXECUTE FUNCTION presswatch_articles_fts()""",
        """INSERT INTO articles_fts (article_id, config, document)
            SELECT id, cfg,
                   setweight(to_tsvector(cfg, coalesce(headline, '')), 'A')
                   || setweight(to_tsvector(cfg, coalesce(body, '')), 'B')
            FROM (SELECT *, presswatch_ts_config(language) AS cfg FROM articles) AS a""",
    ]


def upgrade() -> None:
    _create_raw_pages()
    _replace_signatures()
    statements = SQLITE_FTS if op.get_bind().dialect.name == "sqlite" else _pg_fts()
    for statement in statements:
        op.execute(statement)


def _create_raw_pages() -> None:
    op.create_table(
        "raw_pages",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("fetched_at", UTC, nullable=False),
        sa.Column("parser_version", sa.Text(), nullable=True),
        sa.Column("compression", sa.Text(), nullable=False),
        sa.Column("html_sha256", sa.String(64), nullable=False),
        sa.Column("html", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_raw_pages"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name="fk_raw_pages_article_id_articles", ondelete="CASCADE",
        ),
    )


def _replace_signatures() -> None:
    op.drop_index("ix_article_signatures_band_bucket", table_name="article_signatures")
    op.drop_table("article_signatures")
    signatures = op.create_table(
        "article_signatures",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("minhashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_article_signatures"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name="fk_article_signatures_article_id_articles", ondelete="CASCADE",
        ),
    )
    lsh = op.create_table(
        "article_lsh",
        sa.Column("bucket", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("article_id", sa.Integer(), nullable=False, autoincrement=False),
        sa.PrimaryKeyConstraint("bucket", "article_id", name="pk_article_lsh"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name="fk_article_lsh_article_id_articles", ondelete="CASCADE",
        ),
        sqlite_with_rowid=False,
    )
    assert signatures is not None and lsh is not None
    _backfill(signatures, lsh)


def _backfill(signatures: sa.Table, lsh: sa.Table) -> None:
    """Sign every archived body again with the one-permutation MinHash."""
    connection = op.get_bind()
    articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("body", sa.Text))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(articles.c.id, articles.c.body)
            .where(articles.c.id > last_id)
            .order_by(articles.c.id)
            .limit(_BACKFILL_CHUNK)
        ).all()
        if not rows:
            return
        last_id = rows[-1][0]
        signed = [(article_id, neardup.signature(body)) for article_id, body in rows]
        signed_rows = [(article_id, sig) for article_id, sig in signed if sig is not None]
        if signed_rows:
            connection.execute(signatures.insert(), [
                {"article_id": article_id, "minhashes": neardup.encode(sig)}
                for article_id, sig in signed_rows
            ])
            connection.execute(lsh.insert(), [
                {"bucket": key, "article_id": article_id}
                for article_id, sig in signed_rows
                for key in sorted(set(neardup.band_keys(sig)))
            ])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("articles_fts_insert", "articles_fts_delete", "articles_fts_update"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE articles_fts")
    else:
        op.execute("DROP TRIGGER articles_fts_sync ON articles")
        op.execute("DROP FUNCTION presswatch_articles_fts()")
        op.execute("DROP TABLE articles_fts")
        op.execute("DROP FUNCTION presswatch_ts_config(text)")
    op.drop_table("raw_pages")
    op.drop_table("article_lsh")
    op.drop_table("article_signatures")
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
