"""How every presswatch process logs: one setup for `serve`, `serve --broker`, `worker`, `crawl`
and the crawl workers they start.

One line per record on stderr, its time in ISO 8601 with its offset, to the millisecond, in
UTC unless `local` (the host's zone):

    2026-12-07T15:11:02.211+00:00 INFO source=gov-press status=ok new=3 ...

or, in the `json` format, one JSON object per line with `time`, `level`, `logger`, `message`
and, when the record carries one, `exception` (the traceback's text):

    {"time": "2026-12-07T15:11:02.211+00:00", "level": "INFO", "logger": "presswatch.scheduler.service",
     "message": "..."}

Scrapy's own root handler is never installed (`LOG_INSTALL_ROOT_HANDLER` is off in
`crawler.settings`): its messages and Twisted's go through this handler like the rest. A
process that starts crawl workers passes its style on (`child_args`), so the service's log
reads the same from end to end. Lives in `crawler` because the crawl worker uses it and
`crawler` does not import `scheduler`.
"""
from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

LOG_FORMATS = ("text", "json")
#: The environment variable the entry points read for the format (`--log-format` wins).
LOG_FORMAT_VARIABLE = "PRESSWATCH_LOG_FORMAT"


@dataclass(frozen=True, slots=True)
class LogStyle:
    """How lines look: `text` or `json`, times in UTC or the host's zone (`local`)."""

    format: str = "text"
    local: bool = False

    def __post_init__(self) -> None:
        if self.format not in LOG_FORMATS:
            raise ValueError(f"log format {self.format!r}: use one of {', '.join(LOG_FORMATS)}")

    def child_args(self) -> list[str]:
        """The options that give a child process (`python -m presswatch.crawler.worker`) this style."""
        return ["--log-format", self.format, *(["--local"] if self.local else [])]


def log_time(created: float, local: bool = False) -> str:
    """A record's time: ISO 8601 with its offset, to the millisecond."""
    moment = datetime.fromtimestamp(created, UTC)
    return (moment.astimezone() if local else moment).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """`TIME LEVEL message`, a traceback on the lines after it."""

    def __init__(self, local: bool = False) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self.local = local

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return log_time(record.created, self.local)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (a traceback is in its `exception` text)."""

    def __init__(self, local: bool = False) -> None:
        super().__init__()
        self.local = local

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": log_time(record.created, self.local),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


_current = LogStyle()
_handler: logging.Handler | None = None


def setup_logging(
    style: LogStyle, level: str | int = "INFO", *, quiet: dict[str, int] | None = None, scrapy: bool = False,
    stream: TextIO | None = None,
) -> None:
    """Log records of `level` and up to stderr in `style`; `quiet` raises some loggers' levels.

    `scrapy`: this process runs crawls, so Scrapy's logging is set up too (Twisted's log and
    warnings routed into `logging`), without Scrapy's own root handler. Called again, it
    replaces the handler it installed before.
    """
    global _current, _handler  # noqa: PLW0603 - the process's one log handler
    if scrapy:
        from scrapy.utils.log import configure_logging

        configure_logging({"LOG_INSTALL_ROOT_HANDLER": False, "LOG_LEVEL": level})
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(style.local) if style.format == "json" else TextFormatter(style.local))
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(logging.NOTSET if scrapy else level)  # as Scrapy's own setup leaves it: the handler filters
    for name, quiet_level in (quiet or {}).items():
        logging.getLogger(name).setLevel(quiet_level)
    _current, _handler = style, handler


def current_style() -> LogStyle:
    """The style `setup_logging` set for this process (the default before it ran)."""
    return _current
