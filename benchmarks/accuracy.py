"""Correctness of a crawl: the SQLite archive (read with sqlite3) against the corpus truth.

An article counts as right on a field only when the stored value equals the truth exactly;
``published_at`` is compared as an instant (the archive keeps UTC, the truth the page's own
offset). Missing rows are wrong on every field.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

FIELDS = ("headline", "published_at", "source", "body")


@dataclass(frozen=True, slots=True)
class Mismatch:
    url: str
    field: str
    expected: str
    got: str


@dataclass(slots=True)
class Accuracy:
    expected: int  # articles in the corpus
    rows: int  # rows in the archive
    found: int  # truth articles with a row
    correct: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    all_correct: int = 0
    examples: list[Mismatch] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # a few truth URLs without a row

    def share(self, name: str) -> float:
        count = self.all_correct if name == "all" else self.correct[name]
        return count / self.expected if self.expected else 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "expected": self.expected,
            "rows": self.rows,
            "found": self.found,
            "accuracy": {name: round(self.share(name), 4) for name in (*FIELDS, "all")},
            "examples": [_mismatch_json(m) for m in self.examples],
            "missing_examples": self.missing,
        }


def _mismatch_json(m: Mismatch) -> dict[str, str]:
    return {"url": m.url, "field": m.field, "expected": m.expected, "got": m.got}


def read_archive(db_path: Path) -> dict[str, dict[str, object]]:
    """Archive rows keyed by URL path (the corpus lives on one host)."""
    uri = f"file:{db_path}?mode=ro"
    with sqlite3.connect(uri, uri=True) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute("SELECT url, headline, published_at, source, body FROM articles").fetchall()
    return {urlsplit(row["url"]).path: dict(row) for row in rows}


def as_instant(value: object) -> datetime | None:
    """A datetime from ISO text; naive values (SQLite's UTC wall time) are taken as UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def field_equal(name: str, expected: object, got: object) -> bool:
    if name == "published_at":
        instant = as_instant(got)
        return instant is not None and instant == as_instant(expected)
    return got == expected


def evaluate(truth: Iterable[dict[str, object]], db_path: Path, max_examples: int = 2) -> Accuracy:
    """Compare every truth article with its archive row; keep a few mismatches per field."""
    rows = read_archive(db_path)
    truth = list(truth)
    result = Accuracy(expected=len(truth), rows=len(rows), found=0)
    shown = dict.fromkeys(FIELDS, 0)
    for article in truth:
        row = rows.get(str(article["url"]))
        if row is None:
            if len(result.missing) < max_examples + 1:
                result.missing.append(str(article["url"]))
            continue
        result.found += 1
        right = 0
        for name in FIELDS:
            if field_equal(name, article[name], row[name]):
                result.correct[name] += 1
                right += 1
            elif shown[name] < max_examples:
                shown[name] += 1
                result.examples.append(_mismatch(str(article["url"]), name, article[name], row[name]))
        result.all_correct += right == len(FIELDS)
    return result


def _mismatch(url: str, name: str, expected: object, got: object) -> Mismatch:
    expected_text, got_text = str(expected), "NULL" if got is None else str(got)
    if name == "body":
        expected_text, got_text = first_difference(expected_text, got_text)
    return Mismatch(url, name, expected_text, got_text)


def first_difference(expected: str, got: str, context: int = 60) -> tuple[str, str]:
    """Short excerpts of two texts around the first character where they differ."""
    shorter = min(len(expected), len(got))  # the texts differ in length: their common stretch is compared
    index = next((i for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b), shorter)
    start = max(0, index - context // 2)

    def excerpt(text: str) -> str:
        piece = text[start: index + context].replace("\n", "\\n")
        return f"@{index}: {'…' if start else ''}{piece}{'…' if index + context < len(text) else ''} (len {len(text)})"

    return excerpt(expected), excerpt(got)


def db_path_from_url(url: str) -> Path:
    """The file of a ``sqlite:///PATH`` URL."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise ValueError(f"not a SQLite file URL: {url}")
    return Path(url[len(prefix):])
