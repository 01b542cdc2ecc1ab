"""Printing rows as a table, CSV, JSON or JSON lines: one decorator for every command."""
from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

import click

from presswatch.crawler.terminal import clip, terminal_width

FORMATS = ("table", "csv", "json", "jsonl")


def format_option(default: str = "table") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default=default, show_default=True,
        help="Output format.",
    )


def print_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str, out: TextIO) -> None:
    {"table": _table, "csv": _csv, "json": _json, "jsonl": _jsonl}[fmt](list(columns), rows, out)


#: A column a table narrows to fit a terminal keeps at least this many characters; one whose values
#: are all shorter (counts, statuses) keeps its values whole and at least `SHORT_COLUMN` of its header.
MIN_COLUMN = 12
SHORT_COLUMN = 7
SEPARATOR = "  "


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


def _table(columns: list[str], rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    """Aligned columns. On a terminal the table fits its width: the widest columns are narrowed
    (see `MIN_COLUMN`) and their values cut with an ellipsis; a table too wide even so is
    printed one row per block, a `column | value` line each (as psql's expanded display).
    Elsewhere (a pipe, a file) every value is printed whole, its whitespace folded to single spaces."""
    cells = [[_clip(_cell(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    room = terminal_width(out)
    if room is not None:
        longest = [max([0] + [len(r[i]) for r in cells]) for i in range(len(columns))]
        floors = [min(w, max(v, SHORT_COLUMN), MIN_COLUMN) for w, v in zip(widths, longest, strict=True)]
        widths = fitted(widths, floors, room - 1)
        if _row_width(widths) > room - 1:
            _blocks(columns, cells, out, room - 1)
            return
    for values in (columns, ["-" * w for w in widths], *cells):
        line = SEPARATOR.join(clip(v, w).ljust(w) for v, w in zip(values, widths, strict=True))
        out.write(line.rstrip() + "\n")
    _count(len(rows), out)


def _blocks(columns: list[str], cells: list[list[str]], out: TextIO, room: int) -> None:
    label = max(len(c) for c in columns)
    for n, row in enumerate(cells, start=1):
        out.write((f"-[ row {n} ]" + "-" * room)[:room] + "\n")
        for column, value in zip(columns, row, strict=True):
            out.write(clip(f"{column.ljust(label)} | {value}", room).rstrip() + "\n")
    _count(len(cells), out)


def _count(rows: int, out: TextIO) -> None:
    out.write(f"({rows} row{'s' if rows != 1 else ''})\n")


def _row_width(widths: list[int]) -> int:
    return sum(widths) + len(SEPARATOR) * (len(widths) - 1)


def fitted(widths: list[int], floors: list[int], room: int) -> list[int]:
    """Column widths narrowed one character at a time, the widest first, until a row fits in
    `room` characters or every column is down to its floor."""
    widths = list(widths)
    excess = _row_width(widths) - room
    while excess > 0:
        narrowable = [i for i, width in enumerate(widths) if width > floors[i]]
        if not narrowable:
            break
        widest = max(narrowable, key=widths.__getitem__)
        widths[widest] -= 1
        excess -= 1
    return widths


def _clip(text: str, width: int | None = None) -> str:
    """A value on one line (whitespace folded), cut to `width` when one is given."""
    text = " ".join(text.split())
    return text if width is None else clip(text, width)
