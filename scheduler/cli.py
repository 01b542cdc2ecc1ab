"""`presswatch`: the command line (DESIGN §2). Thin: each command calls library code."""
from __future__ import annotations

import csv
import itertools
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import click

from presswatch.crawler.config import Config, ConfigError
from presswatch.scheduler.alerts_commands import alerts, notify_after_crawl, register_watches
from presswatch.scheduler.archive_commands import export, reparse, search
from presswatch.scheduler.browse import browse
from presswatch.scheduler.cli_common import (
    DEFAULT_CONFIG,
    EXIT_CONFIG,
    EXIT_DATABASE,
    EXIT_QUERY_ERROR,
    EXIT_QUERY_TIMEOUT,
    EXIT_REFUSED,
    PresswatchError,
    archive_errors,
    broker_option,
    config_option,
    db_option,
    read_config,
)
from presswatch.scheduler.feeds import feed
from presswatch.scheduler.output import format_option, print_rows


class PresswatchGroup(click.Group):
    """The command group: a database failure that reaches the top is one line and exit 3, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            failure = database_failure(exc)
            if failure is None:
                raise
            raise PresswatchError(failure, EXIT_DATABASE) from None


def database_failure(exc: BaseException) -> str | None:
    """The message for a database error (SQLAlchemy's, if it is loaded at all); None for anything else."""
    errors = sys.modules.get("sqlalchemy.exc")
    if errors is None or not isinstance(exc, errors.DBAPIError):
        return None
    reason = str(exc.orig).strip() or type(exc.orig).__name__
    advice = ""
    if "malformed" in reason or "not a database" in reason:
        advice = "; the archive is damaged: restore it from a backup (SQLite: try `sqlite3 FILE .recover`)"
    return f"the archive failed: {reason}{advice}"


@click.group(cls=PresswatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="presswatch")
def main() -> None:
    """presswatch: monitor press releases and news, archive them once, query them with SQL."""


@main.command()
@config_option
@db_option
@click.option("--source", "source_names", multiple=True, metavar="NAME", help="Crawl only this source (repeatable).")
@click.option("--full", is_flag=True, help="Walk every listing page and re-fetch archived articles.")
@click.option("--max-time", type=click.FloatRange(1, 7 * 86400), default=None, metavar="SECONDS",
              help="Close the runs still going after this long (each failed, run_timeout); exit 8.")
@click.option("--no-notify", is_flag=True, help="Send no alerts now (the next crawl or serve sends them).")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def crawl(config_path: str, db_url: str, source_names: tuple[str, ...], full: bool, max_time: float | None,
          no_notify: bool, verbose: int) -> None:
    """Crawl all (or the named) sources once into the archive."""
    from presswatch.crawler.run import progress_stream, run_crawl
    from presswatch.scheduler.reports import crawl_outcome, print_crawl_summary

    config = read_config(config_path)
    try:
        sources = config.select(source_names)
    except ConfigError as exc:
        raise PresswatchError(str(exc), EXIT_CONFIG) from None
    try:
        register_watches(config, db_url)
        reports = run_crawl(sources, db_url, full=full, log_level=log_level(verbose), progress=progress_stream(),
                            max_time=max_time)
        print_crawl_summary(reports, sys.stdout)
        if not no_notify:
            notify_after_crawl(config, db_url, sys.stdout)
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    problem = crawl_outcome(reports)
    if problem is not None:
        raise PresswatchError(*problem)


def log_level(verbose: int) -> str:
    return ("WARNING", "INFO", "DEBUG")[min(verbose, 2)]


def serve_cluster(
    config: Config, db_url: str, broker_url: str, run_timeout: float | None, metrics: Any,
) -> None:
    from presswatch.scheduler.cluster_service import run_cluster_scheduler
    from presswatch.scheduler.engine import EngineUnavailable
    from presswatch.storage.locks import AdvisoryLocks

    try:
        AdvisoryLocks(db_url, purpose="serve --broker").close()  # a PostgreSQL archive, reachable
        run_cluster_scheduler(config, db_url, broker_url, run_timeout=run_timeout, metrics=metrics)
    except EngineUnavailable as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None


@main.command()
@click.option("--broker", "broker_url", envvar="PRESSWATCH_BROKER", required=True, metavar="URL",
              help="The job engine's RabbitMQ, e.g. amqp://guest:guest@127.0.0.1:5672/ (env PRESSWATCH_BROKER).")
@db_option
@click.option("--config", "config_path", envvar="PRESSWATCH_CONFIG", default=None, metavar="PATH",
              help="Config whose [service] table sizes this host's crawl workers (env PRESSWATCH_CONFIG, "
                   "else ./sources.toml; when that file is not there, the defaults).")
@click.option("--metrics-port", type=int, default=None, metavar="PORT", help="Serve Prometheus metrics at http://HOST:PORT/metrics.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address the metrics endpoint binds to.")
@click.option("-v", "--verbose", count=True, help="More log output.")
def worker(broker_url: str, db_url: str, config_path: str | None, metrics_port: int | None, metrics_host: str,
           verbose: int) -> None:
    """Run the due runs a `serve --broker` scheduler sends, until SIGINT/SIGTERM.

    Several may run on one host and on many hosts; they share the PostgreSQL archive
    (--db) and the broker. Sources come with each run: a worker needs no sources file.
    """
    from presswatch.scheduler.cluster_worker import run_cluster_worker, worker_config
    from presswatch.scheduler.engine import EngineUnavailable, check_broker_url
    from presswatch.scheduler.metrics import MetricsUnavailable, ServiceMetrics
    from presswatch.storage.locks import AdvisoryLocks

    try:
        check_broker_url(broker_url)
        given = click.get_current_context().get_parameter_source("config_path") == click.core.ParameterSource.COMMANDLINE
        config = worker_config(config_path or DEFAULT_CONFIG, explicit=given)
    except EngineUnavailable as exc:
        raise PresswatchError(str(exc), EXIT_CONFIG) from None
    except ConfigError as exc:
        raise PresswatchError(str(exc), EXIT_CONFIG) from None
    try:
        AdvisoryLocks(db_url, purpose="presswatch worker").close()  # a PostgreSQL archive, reachable
        metrics = ServiceMetrics(metrics_port, metrics_host) if metrics_port is not None else None
        run_cluster_worker(broker_url, db_url, config, log_level=log_level(verbose), metrics=metrics)
    except MetricsUnavailable as exc:
        raise PresswatchError(str(exc), EXIT_CONFIG) from None
    except EngineUnavailable as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None


@main.command()
@config_option
@db_option
@click.option("--run-timeout", type=float, default=None, help="Seconds before a crawl run is killed (default: 3 × interval, at most 1 h).")
@click.option("--metrics-port", type=int, default=None, metavar="PORT", help="Serve Prometheus metrics at http://HOST:PORT/metrics.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address the metrics endpoint binds to.")
@broker_option
@click.option("-v", "--verbose", count=True, help="More log output.")
def serve(config_path: str, db_url: str, run_timeout: float | None, metrics_port: int | None,
          metrics_host: str, broker_url: str | None, verbose: int) -> None:
    """Run the scheduled crawling service until SIGINT/SIGTERM.

    With --broker, schedule only: due runs go to the job engine and `presswatch worker`
    hosts run them; one `serve --broker` at a time is active, the others stand by.
    """
    from presswatch.scheduler.metrics import MetricsUnavailable, ServiceMetrics
    from presswatch.scheduler.service import run_service

    config = read_config(config_path)
    try:
        from presswatch.storage import open_archive

        with open_archive(db_url) as archive:
            archive.require_writable()
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    try:
        metrics = ServiceMetrics(metrics_port, metrics_host) if metrics_port is not None else None
    except MetricsUnavailable as exc:
        raise PresswatchError(str(exc), EXIT_CONFIG) from None
    if broker_url:
        serve_cluster(config, db_url, broker_url, run_timeout, metrics)
        return
    run_service(config, db_url, run_timeout=run_timeout, log_level=log_level(verbose), metrics=metrics)


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--manifest", metavar="M", help="JSONL manifest of pages ('-' for stdin): batch mode.")
@click.option("--url", default=None, help="The page's URL (default: file://FILE; for '-', file:///dev/stdin).")
@click.option("--source", "source_name", default=None, metavar="NAME", help="Take hints (timezone, language, selectors) from this configured source.")
@config_option
@click.option("--timezone", default=None, help="IANA time zone for dates printed without an offset.")
@click.option("--language", default=None, help="ISO 639-1 language hint.")
@click.option("--max-page-bytes", type=click.IntRange(1024, 1024**3), default=None, metavar="N",  # the config key's range
              help="Largest page read, also once gunzipped (default: the --source's max_page_bytes, else 10 MiB).")
def parse(file: str | None, manifest: str | None, url: str | None, source_name: str | None,
          config_path: str, timezone: str | None, language: str | None, max_page_bytes: int | None) -> None:
    """Parse a saved page (FILE, or '-' for standard input) or a manifest of pages; print JSON records.

    \b
    Examples:
      presswatch parse page.html --url https://example.org/news/1 --timezone Asia/Baku
      curl -s https://example.org/news/1 | presswatch parse - --url https://example.org/news/1
      presswatch parse --manifest pages.jsonl > records.jsonl
    """
    from presswatch.crawler import parse_batch

    if (file is None) == (manifest is None):
        raise click.UsageError("give either FILE or --manifest M")
    source = configured_source(source_name, config_path)
    profile = parse_profile(source, timezone, language)
    limit = max_page_bytes or (source.crawl.max_page_bytes if source else parse_batch.DEFAULT_MAX_PAGE_BYTES)
    if manifest is not None:
        stream = sys.stdin.buffer if manifest == "-" else open_binary(manifest)
        base_dir = Path.cwd() if manifest == "-" else Path(manifest).resolve().parent
        with stream:
            parse_batch.run_manifest(parse_batch.manifest_lines(stream), sys.stdout, profile, base_dir,
                                     max_bytes=limit)
        return
    assert file is not None
    try:
        page = parse_batch.load_page(file, limit)
    except parse_batch.PageUnreadable as exc:
        raise PresswatchError(f"cannot read {file}: {exc}", EXIT_CONFIG) from None
    default_url = STDIN_URL if file == "-" else Path(file).resolve().as_uri()
    record = parse_batch.parse_to_record(page, url or default_url, profile)
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


#: `parse -`'s page URL when --url does not give one.
STDIN_URL = "file:///dev/stdin"


def open_binary(path: str) -> Any:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise PresswatchError(f"cannot read {path}: {exc.strerror or exc}", EXIT_CONFIG) from None


def configured_source(source_name: str | None, config_path: str) -> Any:
    """The configured source `parse --source` names, or None."""
    if source_name is None:
        return None
    try:
        return read_config(config_path).select([source_name])[0]
    except ConfigError as exc:
        raise PresswatchError(str(exc), EXIT_CONFIG) from None


def parse_profile(source: Any, timezone: str | None, language: str | None) -> Any:
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    from presswatch.crawler.parsing.article import ParseProfile

    profile = source.profile() if source is not None else ParseProfile()
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except Exception:
            raise PresswatchError(f"--timezone: unknown time zone {timezone!r} (use an IANA name such as 'Asia/Baku')", EXIT_CONFIG) from None
        profile = replace(profile, timezone=timezone)
    if language is not None:
        profile = replace(profile, language=language)
    return profile


@main.command()
@click.argument("sql", required=False)
@click.option("-f", "--file", "sql_file", type=click.File("r", encoding="utf-8"), default=None,
              help="Read the statement from this file ('-': standard input) instead of SQL.")
@click.option("-p", "--param", "params", type=(str, str), multiple=True, metavar="NAME VALUE",
              help="A value for the statement's :NAME placeholder (text; repeat for each).")
@db_option
@format_option()
@click.option("--timeout", type=click.FloatRange(0, 86_400, min_open=True), default=30.0,
              show_default=True, metavar="SECONDS",
              help="Cancel the statement after this long, printing its rows included (exit 7).")
def query(
    sql: str | None, sql_file: TextIO | None, params: tuple[tuple[str, str], ...], db_url: str, fmt: str,
    timeout: float,
) -> None:
    """Run a read-only SQL query against the archive.

    \b
    Examples:
      presswatch query "SELECT source, count(*) FROM articles GROUP BY source"
      presswatch query "SELECT headline FROM articles WHERE source = :agency" -p agency Azertag
      presswatch query - < report.sql        (or: presswatch query -f report.sql)
    """
    from presswatch.storage import QueryError, QueryTimeoutError, ReadOnlyQueryError, open_readonly_query

    sql = statement_text(sql, sql_file)
    try:
        with open_readonly_query(db_url, sql, dict(params), timeout=timeout) as rows:
            print_query_rows(rows.columns, rows, fmt, sys.stdout)
    except BrokenPipeError:
        output_closed()
    except ReadOnlyQueryError as exc:
        raise PresswatchError(str(exc), EXIT_REFUSED) from None
    except QueryTimeoutError as exc:
        raise PresswatchError(str(exc), EXIT_QUERY_TIMEOUT) from None
    except QueryError as exc:
        raise PresswatchError(str(exc), EXIT_QUERY_ERROR) from None
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None


def statement_text(sql: str | None, sql_file: TextIO | None) -> str:
    """The statement `query` runs: its SQL argument, standard input ('-') or `--file`'s text."""
    if sql is not None and sql_file is not None:
        raise click.UsageError("give the statement once: as SQL or as --file, not both")
    if sql == "-":
        sql_file = sys.stdin
    elif sql is not None:
        return sql
    if sql_file is None:
        raise click.UsageError("no statement: give SQL, '-' (standard input) or --file PATH")
    text = sql_file.read()
    if not text.strip():
        raise click.UsageError(f"no statement: {sql_file.name} is empty")
    return text


#: `presswatch query --format table` needs every row for its column widths: it shows at most these.
TABLE_MAX_ROWS = 10_000


def print_query_rows(columns: list[str], rows: Iterable[Sequence[Any]], fmt: str, out: TextIO) -> None:
    """`presswatch query`'s rows as they come: csv, json and jsonl hold one row at a time."""
    from presswatch.scheduler.output import _cell, _clip, _plain

    if fmt == "table":
        clipped = ([_clip(_cell(v), 60) for v in row] for row in rows)
        shown = list(itertools.islice(clipped, TABLE_MAX_ROWS + 1))
        print_rows(columns, shown[:TABLE_MAX_ROWS], "table", out)
        if len(shown) > TABLE_MAX_ROWS:
            out.write(f"(cut at {TABLE_MAX_ROWS} rows: the query returned more; "
                      "--format csv, json or jsonl prints every row)\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
    elif fmt == "jsonl":
        encode = json.JSONEncoder(ensure_ascii=False, default=json_default).encode
        for row in rows:
            out.write(encode(dict(zip(columns, map(_plain, row), strict=True))) + "\n")
    else:
        separator = "[\n"
        item = JsonArrayItem(columns)
        for row in rows:
            out.write(separator + item(row))
            separator = ",\n"
        out.write("[]\n" if separator == "[\n" else "\n]\n")
    out.flush()


class JsonArrayItem:
    """One row object as `json.dumps(rows, indent=2)` prints it inside the array.

    Built from C-encoded values: the indenting encoder is pure Python and several times
    slower, which would eat a large answer's timeout. A repeated column name keeps its
    first place and its last value, as in a dict.
    """

    def __init__(self, columns: list[str]) -> None:
        self.encode = json.JSONEncoder(ensure_ascii=False, default=json_default).encode
        self.encode_nested = json.JSONEncoder(ensure_ascii=False, indent=2, default=json_default).encode
        last = {name: n for n, name in enumerate(columns)}
        self.picks = [(f"    {self.encode(name)}: ", last[name]) for name in dict.fromkeys(columns)]

    def __call__(self, row: Sequence[Any]) -> str:
        from presswatch.scheduler.output import _plain

        if not self.picks:
            return "  {}"
        fields = []
        for key, n in self.picks:
            value = _plain(row[n])
            if isinstance(value, (dict, list)) and value:
                fields.append(key + self.encode_nested(value).replace("\n", "\n    "))
            else:
                fields.append(key + self.encode(value))
        return "  {\n" + ",\n".join(fields) + "\n  }"


def json_default(value: Any) -> Any:
    """A value inside an array (a timestamp[], a numeric[]): plain, or text."""
    from presswatch.scheduler.output import _plain

    plain = _plain(value)
    return str(value) if plain is value else plain


def output_closed() -> None:
    """Whoever read the output left (`presswatch query ... | head`): stop quietly, exit 0."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


@main.command()
@config_option
@db_option
@format_option()
def sources(config_path: str, db_url: str, fmt: str) -> None:
    """List configured sources with their last run, status and counts."""
    from presswatch.scheduler.reports import display_row, source_rows

    config = read_config(config_path)
    try:
        columns, rows = source_rows(config, db_url)
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    if fmt in ("table", "csv"):
        rows = [display_row(row) for row in rows]
    print_rows(columns, rows, fmt, sys.stdout)


@main.command()
@db_option
def demo(db_url: str) -> None:
    """Serve the bundled demo sites on 127.0.0.1, crawl them, show what was stored."""
    from presswatch.scheduler.demo import run_demo

    try:
        run_demo(db_url, sys.stdout)
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None


@main.group()
def db() -> None:
    """Archive maintenance."""


@db.command("upgrade")
@db_option
def db_upgrade(db_url: str) -> None:
    """Create the archive or migrate it to the current schema."""
    from presswatch.storage import upgrade_archive

    try:
        upgrade_archive(db_url)
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    click.echo("archive is at the current schema")


@db.command("reader")
@db_option
@click.option("--role", default="presswatch_reader", show_default=True, metavar="NAME",
              help="Name of the read-only role (cluster-wide).")
def db_reader(db_url: str, role: str) -> None:
    """PostgreSQL: create or update the read-only role `presswatch query` runs as."""
    from presswatch.storage import ReadOnlyQueryError, create_reader_role, upgrade_archive
    from presswatch.storage.dialect import is_sqlite, masked, parse_url

    password = os.environ.get("PRESSWATCH_READER_PASSWORD") or None
    try:
        parsed = parse_url(db_url)
        if is_sqlite(parsed):
            click.echo("a SQLite archive needs no reader role: presswatch query opens it read-only")
            return
        upgrade_archive(db_url)
        made = create_reader_role(parsed, role, password)
    except ReadOnlyQueryError as exc:
        raise PresswatchError(str(exc), EXIT_REFUSED) from None
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    click.echo(f"reader role {made.name} {'created' if made.created else 'updated'}: "
               f"SELECT on {len(made.tables)} tables and views of the archive, nothing else")
    click.echo(f"query with: presswatch query --db {masked(made.url)} \"SQL\"")
    if password is None:
        click.echo("no password set: unless the server lets this role in without one, set "
                   "PRESSWATCH_READER_PASSWORD and run this again")


for command in (search, export, reparse, browse, alerts, feed):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
