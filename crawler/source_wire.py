"""A configured source as plain JSON, so a job engine can carry it from scheduler to worker.

`serve --broker` sends each due run with its source's whole definition: a worker host
needs no copy of the sources file, and a config reload on the scheduler reaches every
worker with the next run. JSON, not pickle: whoever can write to the broker must not be
able to run code on the workers. A message from another presswatch version (fields this
one does not know, or lacks) is refused with `WireError`.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any

import regex

from presswatch.crawler.config import CrawlSettings, Source

PATTERN_FIELDS = ("article_pattern", "listing_pattern")


class WireError(ValueError):
    """A message's source cannot be read (another presswatch version, or not a source at all)."""


def source_to_wire(source: Source) -> dict[str, Any]:
    """The source as JSON-ready values: tuples as lists, patterns as their text, settings as a table."""
    wire: dict[str, Any] = {}
    for item in fields(Source):
        value = getattr(source, item.name)
        if item.name in PATTERN_FIELDS:
            value = None if value is None else value.pattern
        elif item.name == "crawl":
            value = {f.name: getattr(value, f.name) for f in fields(CrawlSettings)}
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, dict):
            value = dict(value)
        wire[item.name] = value
    return wire


def source_from_wire(wire: Any) -> Source:
    """The `Source` `source_to_wire` wrote (patterns compiled as `crawler.config` compiles them)."""
    if not isinstance(wire, dict) or not isinstance(wire.get("crawl"), dict):
        raise WireError(f"not a presswatch source: {str(wire)[:200]!r}")
    _same_fields(wire, {f.name for f in fields(Source)}, "source")
    _same_fields(wire["crawl"], {f.name for f in fields(CrawlSettings)}, "crawl settings")
    values: dict[str, Any] = {}
    try:
        for item in fields(Source):
            value = wire[item.name]
            if item.name in PATTERN_FIELDS:
                value = None if value is None else regex.compile(value)
            elif item.name == "crawl":
                value = CrawlSettings(**value)
            elif isinstance(value, list):
                value = tuple(value)
            values[item.name] = value
        return Source(**values)
    except (TypeError, regex.error) as exc:
        raise WireError(f"source {wire.get('name')!r} cannot be read: {exc}") from None


def _same_fields(table: dict[str, Any], known: set[str], what: str) -> None:
    if set(table) != known:
        extra, missing = sorted(set(table) - known), sorted(known - set(table))
        raise WireError(
            f"the message's {what} has fields {extra} and lacks {missing}: the scheduler and this worker "
            "run different presswatch versions; run the same version on every host"
        )
