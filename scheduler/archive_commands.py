"""`presswatch search`, `export` and `reparse`: thin commands over the archive's read/write API."""
from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

import click

from presswatch.scheduler.cli_common import (
    EXIT_CONFIG,
    EXIT_DATABASE,
    PresswatchError,
    archive_errors,
    config_option,
    db_option,
    read_config,
)
from presswatch.scheduler.output import format_option, print_rows

EXPORT_FORMATS = ("jsonl", "csv")
SEARCH_COLUMNS = ("rank", "score", "published_at", "source_name", "headline", "url", "snippet")
_PROGRESS_EVERY = 1000

source_option = click.option(
    "--source", "source_name", default=None, metavar="NAME",
    help="Only articles of this configured source.",
)


class WhenParam(click.ParamType):  # type: ignore[type-arg]
    """A date (YYYY-MM-DD) or an ISO 8601 time; without an offset it is UTC."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (date, datetime)):
            return value
        text = str(value).strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD) or ISO 8601 time", param, ctx)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


WHEN = WhenParam()


def start_of(value: date | datetime | None) -> datetime | None:
    """``--since``: a date means from its first instant (UTC)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), tzinfo=UTC)


def end_of(value: date | datetime | None) -> datetime | None:
    """``--until``: a date includes that whole day (UTC); a time is an exclusive bound."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value + timedelta(days=1), time(), tzinfo=UTC)


def article_filter(source_name: str | None, since: Any, until: Any) -> Any:
    from presswatch.storage import ArticleFilter

    return ArticleFilter(source_name=source_name, since=start_of(since), until=end_of(until))


@contextmanager
def archive_at(db_url: str, *, must_exist: bool = False) -> Iterator[Any]:
    """The open archive; an unusable database is exit 3, as everywhere in the CLI.

    ``must_exist``: a SQLite file that is not there is refused (exit 3), not created empty.
    """
    from presswatch.storage import open_archive, require_archive

    try:
        if must_exist:
            require_archive(db_url)
        with open_archive(db_url) as archive:
            yield archive
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None


def require_known_source(archive: Any, source_name: str | None) -> None:
    """`--source NAME` must name a source the archive has articles or runs of (exit 2 if not)."""
    from presswatch.storage.reading import source_names

    if source_name is None:
        return
    known = source_names(archive.engine)
    if source_name not in known:
        listed = ", ".join(known) if known else "none yet"
        raise PresswatchError(f"no source named {source_name!r} in the archive (its sources: {listed})",
                              EXIT_CONFIG)


def progress_stream() -> TextIO | None:
    """stderr when it is a terminal (a live counter), else None."""
    return sys.stderr if sys.stderr.isatty() else None


# --- search -------------------------------------------------------------------------------


@click.command()
@click.argument("terms")
@db_option
@source_option
@click.option("--since", type=WHEN, default=None, help="Published on or after DATE (UTC).")
@click.option("--until", type=WHEN, default=None,
              help="Published on or before DATE (the whole day).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="At most N results.")
@format_option()
def search(terms: str, db_url: str, source_name: str | None, since: Any, until: Any,
           limit: int, fmt: str) -> None:
    """Full-text search of headlines and bodies, best match first, with snippets."""
    where = article_filter(source_name, since, until)
    with archive_at(db_url, must_exist=True) as archive:
        require_known_source(archive, source_name)
        hits = archive.search(terms, where, limit=limit)
    rows = [
        (n, hit.score, hit.published_at, hit.source_name, hit.headline, hit.url, hit.snippet)
        for n, hit in enumerate(hits, start=1)
    ]
    print_rows(SEARCH_COLUMNS, rows, fmt, sys.stdout)


# --- export -------------------------------------------------------------------------------


@click.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl",
              show_default=True, help="JSON lines or CSV (lists as JSON text).")
@source_option
@click.option("--since", type=WHEN, default=None, help="Published on or after DATE (UTC).")
@click.option("--until", type=WHEN, default=None,
              help="Published on or before DATE (the whole day).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to FILE instead of standard output.")
def export(db_url: str, fmt: str, source_name: str | None, since: Any, until: Any,
           output: str | None) -> None:
    """Export articles (streaming, constant memory) as JSON lines or CSV, in id order."""
    from presswatch.storage.reading import EXPORT_COLUMNS

    where = article_filter(source_name, since, until)
    with archive_at(db_url, must_exist=True) as archive:
        require_known_source(archive, source_name)  # before the output file is made
        with _opened(output) as out:
            records = archive.export_articles(where)
            count = write_export(records, EXPORT_COLUMNS, fmt, out, progress_stream())
    if output is not None:
        click.echo(f"exported {count} article{'s' if count != 1 else ''} to {output}", err=True)


@contextmanager
def _opened(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return

    try:
        handle = Path(path).open("w", encoding="utf-8", newline="")  # noqa: SIM115 - errors first
    except OSError as exc:
        raise PresswatchError(f"cannot write {path}: {exc.strerror or exc}", EXIT_CONFIG) from None
    with handle:
        yield handle


def write_export(
    records: Iterator[dict[str, Any]], columns: tuple[str, ...], fmt: str, out: TextIO,
    progress: TextIO | None,
) -> int:
    """Write records one by one (never all in memory); return how many were written."""
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(columns)
    count = 0
    for record in records:
        if writer is not None:
            writer.writerow([_csv_cell(record[c]) for c in columns])
        else:
            out.write(json.dumps({c: _json_value(record[c]) for c in columns}, ensure_ascii=False))
            out.write("\n")
        count += 1
        if progress is not None and count % _PROGRESS_EVERY == 0:
            progress.write(f"\r\033[Kexport: {count} articles")
            progress.flush()
    if progress is not None:
        progress.write("\r\033[K")
    return count


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return json.dumps(list(value), ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# --- reparse ------------------------------------------------------------------------------


@click.command()
@config_option
@db_option
@click.option("--source", "source_name", default=None, metavar="NAME",
              help="Only pages of this configured source.")
@click.option("--since", type=WHEN, default=None, help="Only pages fetched on or after DATE (UTC).")
def reparse(config_path: str, db_url: str, source_name: str | None, since: Any) -> None:
    """Re-extract stored pages with the current parser; revisions only where output changed."""
    from presswatch.crawler.config import ConfigError
    from presswatch.crawler.reparse import reparse as run_reparse
    from presswatch.storage import ArticleFilter

    config = read_config(config_path)
    try:
        chosen = config.select([source_name] if source_name else [])
    except ConfigError as exc:
        raise PresswatchError(str(exc), EXIT_CONFIG) from None
    where = ArticleFilter(source_name=source_name, since=start_of(since))
    with archive_at(db_url) as archive:
        report = run_reparse(
            archive, {s.name: s for s in chosen}, where, progress=progress_stream()
        )
    click.echo(report.summary())
