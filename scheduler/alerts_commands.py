"""`presswatch alerts list|test WATCH|retry`: the alerts outbox from the command line."""
from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

import click

from presswatch.crawler.config import Config
from presswatch.crawler.watches import Watch, channel_key, redacted
from presswatch.scheduler.cli_common import (
    EXIT_CONFIG,
    EXIT_DATABASE,
    PresswatchError,
    archive_errors,
    config_option,
    db_option,
    read_config,
)

if TYPE_CHECKING:  # the command line starts without SQLAlchemy
    from presswatch.storage import Archive
    from presswatch.storage.alerts import AlertStory


@click.group()
def alerts() -> None:
    """Watches and their alerts: list them, send a test alert, retry failed deliveries."""


@alerts.command("list")
@config_option
@db_option
def list_alerts(config_path: str, db_url: str) -> None:
    """The watches, how many stories each matched, and deliveries pending or failed."""
    config = read_config(config_path)
    with open_alerts_archive(db_url) as archive:
        counts, rows, events = archive.alert_overview()
    click.echo("watch                 alerts  sent  pending  failed  channels")
    for watch in config.watches:
        total, sent, pending, failed = counts.get(watch.name, (0, 0, 0, 0))
        channels = ", ".join(redacted(url) for url in watch.notify)
        click.echo(f"{watch.name:<20} {total:>7} {sent:>5} {pending:>8} {failed:>7}  {channels}")
    if events:
        click.echo(f"\n{events} archived article(s) not matched yet (the next crawl or serve matches them)")
    if rows:
        click.echo("\ndelivery  watch                 status   attempts  next attempt / sent           channel  headline / last error")
    names = _channel_names(config)
    for row in rows:
        when = (row.sent_at or row.next_attempt_at).isoformat(timespec="seconds")
        click.echo(f"{row.id:>8}  {row.watch:<20}  {row.status:<7}  {row.attempts:>8}  {when:<28} "
                   f"{names.get(row.channel, 'not configured'):<8} {row.headline or ''}")
        if row.last_error:
            click.echo(f"{'':>10}last error: {row.last_error}")


@alerts.command("test")
@click.argument("watch_name", metavar="WATCH")
@config_option
def test_alert(watch_name: str, config_path: str) -> None:
    """Send a sample alert to each channel of WATCH; print what each answered."""
    from presswatch.scheduler.alerts import message, send

    config = read_config(config_path)
    watch = watch_named(config, watch_name)
    title, body = message(sample_story(watch), config)
    failures = 0
    for url in watch.notify:
        outcome = send(url, title, body, os.environ)
        failures += not outcome.ok
        click.echo(f"{redacted(url)}: {'sent' if outcome.ok else 'FAILED'}: {outcome.message}")
    if failures:
        raise PresswatchError(f"{failures} of {len(watch.notify)} channel(s) failed", 1)


@alerts.command("retry")
@config_option
@db_option
def retry(config_path: str, db_url: str) -> None:
    """Send failed deliveries (attempts used up) again, now."""
    from presswatch.scheduler.alerts import deliver

    config = read_config(config_path)
    with open_alerts_archive(db_url) as archive:
        again = archive.retry_failed_deliveries()
        report = deliver(archive, config)
    click.echo(f"{again} failed deliveries retried; {report.sent} sent, {report.failed} failed")
    for error in report.errors:
        click.echo(f"  {error}", err=True)


def sample_story(watch: Watch) -> AlertStory:
    from presswatch.storage.alerts import AlertStory, Copy

    url = "https://example.org/presswatch-test-alert"
    return AlertStory(
        watch=watch.name, kind="story", revision=0, headline="presswatch test alert", source="presswatch",
        publisher="presswatch", published_at=datetime.now(UTC), body="This is a test alert sent by "
        f"`presswatch alerts test {watch.name}`: the channel works.", url=url, source_name=None,
        copies=(Copy(url, "presswatch", None),),
    )


def watch_named(config: Config, name: str) -> Watch:
    for watch in config.watches:
        if watch.name == name:
            return watch
    known = ", ".join(w.name for w in config.watches) or "none"
    raise PresswatchError(f"no watch named {name!r} in {config.path} (configured: {known})", EXIT_CONFIG)


def _channel_names(config: Config) -> dict[str, str]:
    return {channel_key(url): f"#{n + 1}" for watch in config.watches for n, url in enumerate(watch.notify)}


def open_alerts_archive(db_url: str) -> Archive:
    from presswatch.storage import open_archive

    try:
        return open_archive(db_url)
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None



def register_watches(config: Config, db_url: str) -> None:
    """Before a crawl: the watches' first-seen times (what the crawl archives may alert them)."""
    if config.watches:
        with open_alerts_archive(db_url) as archive:
            archive.register_watches([w.name for w in config.watches])


def notify_after_crawl(config: Config, db_url: str, out: TextIO) -> None:
    """`presswatch crawl`'s end: match what it archived, send the alerts (retrying a little)."""
    from presswatch.scheduler.alerts import deliver_for_a_while

    with open_alerts_archive(db_url) as archive:
        report = deliver_for_a_while(archive, config)
    if report.alerts or report.sent or report.errors:
        out.write(f"alerts: {report.alerts} new, {report.sent} sent"
                  + (f", {len(report.errors)} failing (retried later; `presswatch alerts list`)" if report.errors
                     else "") + "\n")
