"""What every `presswatch` command shares: defaults, the --db/--config options, errors."""
from __future__ import annotations

from typing import Any

import click

from presswatch.crawler.config import Config, ConfigError, load_config

DEFAULT_DB = "sqlite:///presswatch.db"
DEFAULT_CONFIG = "sources.toml"

EXIT_CONFIG = 2
EXIT_DATABASE = 3
EXIT_REFUSED = 4
EXIT_ALL_FAILED = 5  # `presswatch crawl`: every source's run failed (a dead site, no network)
EXIT_MAX_TIME = 8  # `presswatch crawl --max-time`: runs were cut off
EXIT_QUERY_ERROR = 6  # `presswatch query`: the statement is wrong (syntax, unknown column, bad cast)
EXIT_QUERY_TIMEOUT = 7  # `presswatch query`: the statement ran past --timeout and was cancelled


class PresswatchError(click.ClickException):
    """A user-facing failure: printed as `presswatch: <message>`, with its own exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class

    def show(self, file: Any = None) -> None:
        click.echo(f"presswatch: {self.format_message()}", err=True)


db_option = click.option(
    "--db", "db_url", envvar="PRESSWATCH_DB", default=DEFAULT_DB, show_default=True,
    help="Archive database: any SQLAlchemy URL (env PRESSWATCH_DB).",
)
config_option = click.option(
    "--config", "config_path", envvar="PRESSWATCH_CONFIG", default=DEFAULT_CONFIG, show_default=True,
    metavar="PATH", help="Sources file (env PRESSWATCH_CONFIG).",
)

broker_option = click.option(
    "--broker", "broker_url", envvar="PRESSWATCH_BROKER", default=None, metavar="URL",
    help="Run over several hosts: send due runs to this RabbitMQ (amqp://...) for `presswatch worker` "
         "hosts to run (env PRESSWATCH_BROKER). Needs a PostgreSQL archive.",
)


def read_config(path: str) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise PresswatchError(str(exc), EXIT_CONFIG) from None


def archive_errors() -> tuple[type[Exception], ...]:
    """Errors that mean a service (the database) is unusable: exit 3."""
    from presswatch.storage import ArchiveError

    return (ArchiveError,)
