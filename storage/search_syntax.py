"""The query syntax of `presswatch search` and of alert watches, read once (pure; no SQLAlchemy).

Words must all occur, ``"a phrase"`` as written, ``a OR b`` either (OR binds closer than the
words around it: ``a OR b c`` is (a or b) and c), ``-word`` excludes. An English stop word on
its own is left out, and so is a possessive 's ending a lone word (``Brandt's`` is ``Brandt``);
inside a phrase both stay. `storage.fulltext` builds each database's query from the parse;
`crawler.watches` matches it against a new article's words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

#: PostgreSQL's English stop words (tsearch_data/english.stop): a query word that is one
#: of them, on its own, is left out on both databases, as PostgreSQL's english configuration
#: does (inside a "phrase" it stays: SQLite matches the phrase as written).
STOP_WORDS = frozenset((
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours",
    "yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself",
    "it", "its", "itself", "they", "them", "their", "theirs", "themselves", "what", "which",
    "who", "whom", "this", "that", "these", "those", "am", "is", "are", "was", "were", "be",
    "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "a", "an",
    "the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by",
    "for", "with", "about", "against", "between", "into", "through", "during", "before",
    "after", "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over",
    "under", "again", "further", "then", "once", "here", "there", "when", "where", "why",
    "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no",
    "nor", "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can", "will",
    "just", "don", "should", "now",
))
#: An English possessive ending a one-word term ('s, ’s): left out on both databases.
_POSSESSIVE = re.compile(r"(?<=\w)['’]s$", re.IGNORECASE)
_TOKEN = re.compile(r'-?"[^"]*"?|\S+')


@dataclass(frozen=True)
class Terms:
    """Search terms parsed: every clause must match (a clause: phrases, one of which must
    occur), and no excluded phrase may. A phrase is the words as typed, quotes removed."""

    clauses: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...]

    @property
    def phrases(self) -> tuple[str, ...]:
        """Every phrase the query looks for (not the excluded ones), in order."""
        return tuple(phrase for clause in self.clauses for phrase in clause)


def parse_terms(terms: str) -> Terms | None:
    """Web-search syntax parsed (words, ``"phrases"``, ``OR``, ``-word``); None: nothing to find."""
    clauses: list[tuple[str, ...]] = []
    excluded: list[str] = []
    join_next = False
    for token in _TOKEN.findall(terms):
        if token == "OR":
            join_next = bool(clauses)
            continue
        negative = token.startswith("-") and len(token) > 1
        # a quote inside a word separates words, as on both engines' tokenizers
        phrase = (token[1:] if negative else token).strip('"').replace('"', " ")
        if not re.search(r"\s", phrase):  # Brandt's -> Brandt, as PostgreSQL drops the s
            phrase = _POSSESSIVE.sub("", phrase)
        if not re.search(r"\w", phrase) or phrase.casefold() in STOP_WORDS:
            continue  # as if not typed
        if negative:
            excluded.append(phrase)
        elif join_next:
            clauses[-1] = (*clauses[-1], phrase)
        else:
            clauses.append((phrase,))
        join_next = False
    return Terms(tuple(clauses), tuple(excluded)) if clauses else None
