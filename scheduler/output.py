"""Printing rows as a table, CSV, JSON or JSON lines: one decorator for every command."""
from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

import click

FORMATS = ("table", "csv", "json", "jsonl")


def format_option(default: str = "table") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default=default, show_default=True,
        help="Output format.",
    )


def print_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str, out: TextIO) -> None:
    {"table": _table, "csv": _csv, "json": _json, "jsonl": _jsonl}[fmt](list(columns), rows, out)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return value


def _json(columns: list[str], rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    records = [dict(zip(columns, map(_plain, row), strict=True)) for row in rows]
    out.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")


def _jsonl(columns: list[str], rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    for row in rows:
        out.write(json.dumps(dict(zip(columns, map(_plain, row), strict=True)), ensure_ascii=False) + "\n")


def _csv(columns: list[str], rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_cell(v) for v in row] for row in rows])


def _cell(value: Any) -> str:
    value = _plain(value)
    return "" if value is None else str(value)


def _table(columns: list[str], rows: Sequence[Sequence[Any]], out: TextIO, width: int = 60) -> None:
    cells = [[_clip(_cell(v), width) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    for values in (columns, ["-" * w for w in widths], *cells):
        out.write("  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
