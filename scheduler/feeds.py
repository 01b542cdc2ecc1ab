"""`presswatch feed WATCH`: a watch's alerts as an Atom or RSS feed (feedgen), for feed readers;
and the Atom files `serve` keeps up to date in `[alerts] feeds_dir` (`write_feeds`)."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from presswatch.crawler.config import Config
from presswatch.scheduler.alerts_commands import open_alerts_archive, watch_named
from presswatch.scheduler.cli_common import EXIT_CONFIG, PresswatchError, config_option, db_option, read_config

if TYPE_CHECKING:  # the command line starts without SQLAlchemy
    from presswatch.storage import Archive
    from presswatch.storage.alerts import AlertStory

FEED_ENTRIES = 50


@click.command()
@click.argument("watch_name", metavar="WATCH")
@config_option
@db_option
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
              help="Write the feed to this file (default: standard output).")
@click.option("--format", "feed_format", type=click.Choice(["atom", "rss"]), default="atom", show_default=True)
def feed(watch_name: str, config_path: str, db_url: str, output: str | None, feed_format: str) -> None:
    """The latest alerts of WATCH as an Atom (or RSS) feed."""
    config = read_config(config_path)
    watch = watch_named(config, watch_name)
    try:
        import feedgen  # noqa: F401 - an optional extra: say how to get it before any work
    except ImportError:
        raise PresswatchError("presswatch feed needs feedgen, which is not installed: "
                              "pip install 'presswatch[feed]'", EXIT_CONFIG) from None
    with open_alerts_archive(db_url) as archive:
        entries = archive.watch_alerts(watch.name, FEED_ENTRIES)
    data = render(config, watch.name, watch.query_text, entries, feed_format)
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        with open(output, "wb") as out:
            out.write(data)


def render(config: Config, name: str, query: str | None, entries: list[tuple[datetime, AlertStory]],
           feed_format: str) -> bytes:
    """The feed document: one entry per alert, its text that of the alert message."""
    from feedgen.feed import FeedGenerator

    from presswatch.scheduler.alerts import message

    generator = FeedGenerator()
    generator.id(f"urn:presswatch:watch:{name}")
    generator.title(f"presswatch: {name}")
    generator.description(f"Stories matching {query!r}" if query else "Every new story")
    generator.link(href=f"urn:presswatch:watch:{name}", rel="self")
    generator.generator("presswatch")
    for when, story in reversed(entries):  # feedgen puts the last added first
        title, body = message(story, config)
        entry = generator.add_entry()
        entry.id(f"urn:presswatch:{name}:{story.kind}:{story.url}:{story.revision}")
        entry.title(title)
        entry.link(href=story.url)
        entry.published(story.published_at or when)
        entry.updated(when)
        entry.description(body)
    return generator.atom_str(pretty=True) if feed_format == "atom" else generator.rss_str(pretty=True)


def feeds_directory(config: Config) -> Path | None:
    """`[alerts] feeds_dir` as a folder (a relative one is read from the config file's folder)."""
    if config.alerts.feeds_dir is None:
        return None
    folder = Path(config.alerts.feeds_dir).expanduser()
    return folder if folder.is_absolute() else Path(config.path).resolve().parent / folder


def write_feeds(archive: Archive, config: Config) -> list[Path]:
    """Each watch's latest alerts as `<feeds_dir>/<watch>.atom`, each file replaced whole (a feed
    reader never sees half a file); the files written. Nothing without `feeds_dir`."""
    folder = feeds_directory(config)
    if folder is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for watch in config.watches:
        data = render(config, watch.name, watch.query_text, archive.watch_alerts(watch.name, FEED_ENTRIES), "atom")
        target = folder / f"{watch.name}.atom"
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(data)
        os.replace(partial, target)
        written.append(target)
    return written
