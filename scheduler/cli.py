"""`presswatch`: the command line (DESIGN §2). Thin: each command calls library code."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from crawler.config import ConfigError
from scheduler.archive_commands import export, reparse, search
from scheduler.cli_common import (
    EXIT_ALL_FAILED,
    EXIT_CONFIG,
    EXIT_DATABASE,
    EXIT_REFUSED,
    PresswatchError,
    archive_errors,
    config_option,
    db_option,
    read_config,
)
from scheduler.output import format_option, print_rows


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="presswatch")
def main() -> None:
    """presswatch: monitor press releases and news, archive them once, query them with SQL."""


@main.command()
@config_option
@db_option
@click.option("--source", "source_names", multiple=True, metavar="NAME", help="Crawl only this source (repeatable).")
@click.option("--full", is_flag=True, help="Walk every listing page and re-fetch archived articles.")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def crawl(config_path: str, db_url: str, source_names: tuple[str, ...], full: bool, verbose: int) -> None:
    """Crawl all (or the named) sources once into the archive."""
    from crawler.run import progress_stream, run_crawl
    from scheduler.reports import print_crawl_summary

    config = read_config(config_path)
    try:
        sources = config.select(source_names)
    except ConfigError as exc:
        raise PresswatchError(str(exc), EXIT_CONFIG) from None
    try:
        reports = run_crawl(sources, db_url, full=full, log_level=log_level(verbose), progress=progress_stream())
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    print_crawl_summary(reports, sys.stdout)
    if reports and all(report.status == "failed" for report in reports):
        names = ", ".join(report.source for report in reports)
        raise PresswatchError(f"every source's run failed ({names}): see crawl_errors or run with -v", EXIT_ALL_FAILED)


def log_level(verbose: int) -> str:
    return ("WARNING", "INFO", "DEBUG")[min(verbose, 2)]


@main.command()
@config_option
@db_option
@click.option("--run-timeout", type=float, default=None, help="Seconds before a crawl run is killed (default: 3 × interval, at most 1 h).")
@click.option("--metrics-port", type=int, default=None, metavar="PORT", help="Serve Prometheus metrics at http://HOST:PORT/metrics.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address the metrics endpoint binds to.")
@click.option("-v", "--verbose", count=True, help="More log output.")
def serve(config_path: str, db_url: str, run_timeout: float | None, metrics_port: int | None,
          metrics_host: str, verbose: int) -> None:
    """Run the scheduled crawling service until SIGINT/SIGTERM."""
    from scheduler.metrics import MetricsUnavailable, ServiceMetrics
    from scheduler.service import run_service

    config = read_config(config_path)
    try:
        from storage import open_archive

        open_archive(db_url).close()
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    try:
        metrics = ServiceMetrics(metrics_port, metrics_host) if metrics_port is not None else None
    except MetricsUnavailable as exc:
        raise PresswatchError(str(exc), EXIT_CONFIG) from None
    run_service(config, db_url, run_timeout=run_timeout, log_level=log_level(verbose), metrics=metrics)


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--manifest", metavar="M", help="JSONL manifest of pages ('-' for stdin): batch mode.")
@click.option("--url", default=None, help="The page's URL (default: file://FILE).")
@click.option("--source", "source_name", default=None, metavar="NAME", help="Take hints (timezone, language, selectors) from this configured source.")
@config_option
@click.option("--timezone", default=None, help="IANA time zone for dates printed without an offset.")
@click.option("--language", default=None, help="ISO 639-1 language hint.")
def parse(file: str | None, manifest: str | None, url: str | None, source_name: str | None,
          config_path: str, timezone: str | None, language: str | None) -> None:
    """Parse a saved page (or a manifest of pages) and print JSON records."""
    from crawler import parse_batch

    if (file is None) == (manifest is None):
        raise click.UsageError("give either FILE or --manifest M")
    profile = parse_profile(source_name, config_path, timezone, language)
    if manifest is not None:
        stream = sys.stdin if manifest == "-" else open_text(manifest)
        base_dir = Path.cwd() if manifest == "-" else Path(manifest).resolve().parent
        parse_batch.run_manifest(stream, sys.stdout, profile, base_dir)
        return
    assert file is not None
    try:
        page = parse_batch.load_page(file)
    except OSError as exc:
        raise PresswatchError(f"cannot read {file}: {exc.strerror or exc}", EXIT_CONFIG) from None
    record = parse_batch.parse_to_record(page, url or Path(file).resolve().as_uri(), profile)
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


def open_text(path: str) -> Any:
    try:
        return open(path, encoding="utf-8")
    except OSError as exc:
        raise PresswatchError(f"cannot read {path}: {exc.strerror or exc}", EXIT_CONFIG) from None


def parse_profile(source_name: str | None, config_path: str, timezone: str | None, language: str | None) -> Any:
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    from crawler.parsing.article import ParseProfile

    profile = ParseProfile()
    if source_name is not None:
        try:
            profile = read_config(config_path).select([source_name])[0].profile()
        except ConfigError as exc:
            raise PresswatchError(str(exc), EXIT_CONFIG) from None
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
@click.argument("sql")
@db_option
@format_option()
def query(sql: str, db_url: str, fmt: str) -> None:
    """Run a read-only SQL query against the archive."""
    from storage import ReadOnlyQueryError, run_readonly_query

    try:
        result = run_readonly_query(db_url, sql)
    except ReadOnlyQueryError as exc:
        raise PresswatchError(str(exc), EXIT_REFUSED) from None
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    print_rows(result.columns, result.rows, fmt, sys.stdout)


@main.command()
@config_option
@db_option
@format_option()
def sources(config_path: str, db_url: str, fmt: str) -> None:
    """List configured sources with their last run, status and counts."""
    from scheduler.reports import source_rows

    config = read_config(config_path)
    try:
        columns, rows = source_rows(config, db_url)
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    print_rows(columns, rows, fmt, sys.stdout)


@main.command()
@db_option
def demo(db_url: str) -> None:
    """Serve the bundled demo sites on 127.0.0.1, crawl them, show what was stored."""
    from scheduler.demo import run_demo

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
    from storage import upgrade_archive

    try:
        upgrade_archive(db_url)
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    click.echo("archive is at the current schema")


for command in (search, export, reparse):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
