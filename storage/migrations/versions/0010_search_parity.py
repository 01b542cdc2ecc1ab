"""PostgreSQL: search folds accents and keeps headline and body apart, as SQLite does.

Each text search configuration the archive uses (``english``, ``russian``, …,
``simple``) gets a copy named ``presswatch_<name>`` whose words pass through
the ``unaccent`` dictionary (contrib extension ``unaccent``, trusted: a
database owner may create it) before the language's stemmer, so "énergie" and
"energie" meet in the index, in queries and in ``ts_headline`` alike.
``presswatch_ts_config(language)`` returns these copies (0003's function, which
names pg_catalog's, stays as ``presswatch_language_config``), and every article's
``articles_fts`` row is made again with its new configuration. The document now
keeps a gap between headline and body (``presswatch_fts_document``), so that a
phrase cannot span them: on SQLite they are two columns.

SQLite already folds accents (tokenizer ``unicode61 remove_diacritics 2``):
nothing to do there. The ordering and snippet rules of search parity
(``storage.fulltext``) are code, not schema.

Revision ID: 0010
Revises: 0008 (0009 is being written in parallel; re-chain at merge)
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX = "presswatch_"
#: The token types that may carry accents (all-ASCII words need no folding).
FOLDED_TOKENS = "word, hword, hword_part"
#: 0003's language -> configuration function, kept under this name: the new one wraps it.
LANGUAGE_CONFIG = "presswatch_language_config"


def _config_function(schema: str) -> str:
    """``presswatch_ts_config(language)``: the copy (in ``schema``) of 0003's configuration."""
    return f"""CREATE FUNCTION presswatch_ts_config(language text) RETURNS regconfig
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CAST('{schema}.{PREFIX}' || {schema}.{LANGUAGE_CONFIG}(language)::text AS regconfig)
        $$"""


#: 0003's document: the body's words follow the headline's (a phrase could span the two).
JOINED = "setweight(to_tsvector({cfg}, coalesce({row}headline, '')), 'A') " \
    "|| setweight(to_tsvector({cfg}, coalesce({row}body, '')), 'B')"
#: 0010's: a gap of 100 positions between headline and body (a placeholder lexeme, then
#: deleted), so that no phrase spans them, as on SQLite where they are two columns.
DOCUMENT_FUNCTION = """CREATE FUNCTION presswatch_fts_document(cfg regconfig, headline text,
    body text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ts_delete(setweight(to_tsvector(cfg, coalesce(headline, '')), 'A')
        || 'presswatch_gap:100'::tsvector
        || setweight(to_tsvector(cfg, coalesce(body, '')), 'B'), 'presswatch_gap') $$"""
APART = "presswatch_fts_document({cfg}, {row}headline, {row}body)"


def _trigger_function(document: str) -> str:
    """0003's trigger function, with ``document`` (``JOINED`` or ``APART``) as the tsvector."""
    return f"""CREATE OR REPLACE FUNCTION presswatch_articles_fts() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE cfg regconfig := presswatch_ts_config(NEW.language);
        BEGIN
            INSERT INTO articles_fts (article_id, config, document)
            VALUES (NEW.id, cfg, {document.format(cfg="cfg", row="NEW.")})
            ON CONFLICT (article_id)
            DO UPDATE SET config = EXCLUDED.config, document = EXCLUDED.document;
            RETURN NULL;
        END $$"""


def _reindex(document: str) -> str:
    """Every article indexed again, with its language's configuration."""
    return f"""UPDATE articles_fts AS f
        SET config = a.cfg, document = {document.format(cfg="a.cfg", row="a.")}
        FROM (SELECT id, headline, body, presswatch_ts_config(language) AS cfg FROM articles) AS a
        WHERE f.article_id = a.id"""


def _word_dictionaries(name: str) -> list[str]:
    """The dictionaries pg_catalog's configuration ``name`` sends words to, in order."""
    rows = op.get_bind().execute(text(
        "SELECT d.dictname FROM pg_ts_config_map m "
        "JOIN pg_ts_config c ON c.oid = m.mapcfg "
        "JOIN pg_ts_dict d ON d.oid = m.mapdict "
        "JOIN ts_token_type('default') t ON t.tokid = m.maptokentype "
        "WHERE c.cfgnamespace = 'pg_catalog'::regnamespace AND c.cfgname = :name "
        "AND t.alias = 'word' ORDER BY m.mapseqno"
    ), {"name": name}).scalars().all()
    return list(rows)


def _catalog_configs() -> list[str]:
    """Every built-in configuration: those 0003 maps languages to, and ``simple``."""
    rows = op.get_bind().execute(text(
        "SELECT cfgname FROM pg_ts_config "
        "WHERE cfgnamespace = 'pg_catalog'::regnamespace ORDER BY cfgname"
    )).scalars().all()
    return list(rows)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    for name in _catalog_configs():
        dictionaries = ", ".join(["unaccent", *_word_dictionaries(name)])
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {PREFIX}{name} (COPY = pg_catalog.{name})")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {PREFIX}{name} "
            f"ALTER MAPPING FOR {FOLDED_TOKENS} WITH {dictionaries}"
        )
    op.execute(f"ALTER FUNCTION presswatch_ts_config(text) RENAME TO {LANGUAGE_CONFIG}")
    # Qualified with the schema they are made in: found whatever the search_path.
    schema = op.get_bind().scalar(text("SELECT quote_ident(current_schema())"))
    op.execute(_config_function(schema))
    op.execute(DOCUMENT_FUNCTION)
    op.execute(_trigger_function(APART))
    op.execute(_reindex(APART))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(_trigger_function(JOINED))
    op.execute("DROP FUNCTION presswatch_ts_config(text)")
    op.execute(f"ALTER FUNCTION {LANGUAGE_CONFIG}(text) RENAME TO presswatch_ts_config")
    op.execute(_reindex(JOINED))
    op.execute("DROP FUNCTION presswatch_fts_document(regconfig, text, text)")
    for name in _catalog_configs():
        op.execute(f"DROP TEXT SEARCH CONFIGURATION {PREFIX}{name}")
    # The unaccent extension stays: it may have been there before, and other objects may use it.
