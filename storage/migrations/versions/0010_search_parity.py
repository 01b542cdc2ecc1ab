"""PostgreSQL: search folds accents, as SQLite's ``remove_diacritics 2`` does.

Each text search configuration the archive uses (``english``, ``russian``, …,
``simple``) gets a copy named ``presswatch_<name>`` whose words pass through
the ``unaccent`` dictionary (contrib extension ``unaccent``, trusted: a
database owner may create it) before the language's stemmer, so "énergie" and
"energie" meet in the index, in queries and in ``ts_headline`` alike.
``presswatch_ts_config(language)`` returns these copies, and every article's
``articles_fts`` row is made again with its new configuration.

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
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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
PREFIX = "presswatch_"
#: The token types that may carry accents (all-ASCII words need no folding).
FOLDED_TOKENS = "word, hword, hword_part"
CONFIGS = sorted({*TS_CONFIGS.values(), "simple"})


def _config_function(prefix: str) -> str:
    """``presswatch_ts_config(language)``, naming the configurations ``<prefix><name>``."""
    cases = " ".join(f"WHEN '{code}' THEN '{prefix}{name}'" for code, name in TS_CONFIGS.items())
    return f"""CREATE OR REPLACE FUNCTION presswatch_ts_config(language text) RETURNS regconfig
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT (CASE lower(split_part(split_part(coalesce(language, ''), '-', 1), '_', 1))
                {cases} ELSE '{prefix}simple' END)::regconfig $$"""


#: Every article indexed again, with its language's configuration (as the trigger of 0003 does).
REINDEX = """
    UPDATE articles_fts AS f
    SET config = a.cfg,
        document = setweight(to_tsvector(a.cfg, coalesce(a.headline, '')), 'A')
                   || setweight(to_tsvector(a.cfg, coalesce(a.body, '')), 'B')
    FROM (SELECT id, headline, body, presswatch_ts_config(language) AS cfg FROM articles) AS a
    WHERE f.article_id = a.id"""


def _word_dictionaries(name: str) -> list[str]:
    """The dictionaries pg_catalog's configuration ``name`` sends words to, in order."""
    rows = op.get_bind().execute(text(
        "SELECT d.dictname FROM pg_ts_config_map m "
        "JOIN pg_ts_config c ON c.oid = m.mapcfg "
        "JOIN pg_namespace n ON n.oid = c.cfgnamespace AND n.nspname = 'pg_catalog' "
        "JOIN pg_ts_dict d ON d.oid = m.mapdict "
        "JOIN ts_token_type('default') t ON t.tokid = m.maptokentype "
        "WHERE c.cfgname = :name AND t.alias = 'word' ORDER BY m.mapseqno"
    ), {"name": name}).scalars().all()
    return list(rows)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    for name in CONFIGS:
        dictionaries = ", ".join(["unaccent", *_word_dictionaries(name)])
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {PREFIX}{name} (COPY = pg_catalog.{name})")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {PREFIX}{name} "
            f"ALTER MAPPING FOR {FOLDED_TOKENS} WITH {dictionaries}"
        )
    # Qualified with the schema they are made in: found whatever the search_path.
    schema = op.get_bind().scalar(text("SELECT quote_ident(current_schema())"))
    op.execute(_config_function(f"{schema}.{PREFIX}"))
    op.execute(REINDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(_config_function("pg_catalog."))
    op.execute(REINDEX)
    for name in CONFIGS:
        op.execute(f"DROP TEXT SEARCH CONFIGURATION {PREFIX}{name}")
    # The unaccent extension stays: it may have been there before, and other objects may use it.
