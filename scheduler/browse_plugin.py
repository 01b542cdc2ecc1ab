"""presswatch's Datasette plugin for `presswatch browse`: JSON lists as lists, links between views.

Only ``render_cell``: it reads cells and writes HTML, never the archive. ``cell_html`` is
the pure part, given the Datasette paths it links to.

- ``articles.labels``/``authors`` (the view ``releases``' too, and a canned query's ``labels``):
  a list, not JSON text;
  ``crawl_runs.error_kinds`` (a query's ``errors_by_kind``): "kind: count" items.
- An article's ``duplicate_group_id`` (a query's ``cluster``) opens its reprint cluster;
  its ``source`` (``releases.credited_source``, a query's ``agency``) that agency's releases;
  its ``source_name`` (``releases.configured_source``), and a run's ``source`` (a query's
  ``configured_source``), the runs of that configured source.
- A canned query's ``revisions`` count opens the revisions of that row's article (``id``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl
from markupsafe import Markup, escape

from presswatch.scheduler.browse_metadata import DATABASE

JSON_LISTS = {("articles", "labels"), ("articles", "authors"), ("releases", "labels"), ("releases", "authors"),
              (None, "labels")}
JSON_COUNTS = {("crawl_runs", "error_kinds"), (None, "errors_by_kind")}
CLUSTER = {("articles", "duplicate_group_id"), ("releases", "duplicate_group_id"), (None, "cluster")}
AGENCY = {("articles", "source"), ("releases", "credited_source"), (None, "agency")}
CONFIGURED_SOURCE = {("articles", "source_name"), ("releases", "configured_source"), ("crawl_runs", "source"),
                     (None, "configured_source")}


@dataclass(frozen=True)
class Paths:
    """Where the links go: the archive's base path and its canned queries' paths."""

    database: str  # e.g. /archive

    def query(self, name: str, **params: object) -> str:
        return f"{self.database}/{name}?{urlencode(params)}"

    def runs(self, source: str) -> str:
        return f"{self.database}/crawl_runs?{urlencode({'source': source, '_sort_desc': 'started_at'})}"


def cell_html(table: str | None, column: str, value: Any, row_id: Any, paths: Paths) -> Markup | None:
    """The HTML of one cell, or None to leave it to Datasette."""
    if isinstance(value, dict):  # an expanded foreign key: {"value": ..., "label": ...}
        value = value.get("value")
    key = (table, column)
    if value is None or value == "":
        return None
    if key in JSON_LISTS:
        return _items(_json(value, list))
    if key in JSON_COUNTS:
        counts = _json(value, dict)
        return None if counts is None else _items([f"{kind}: {n}" for kind, n in counts.items()])
    if key in CLUSTER:
        return _link(paths.query("reprint_clusters", group=value), f"cluster {value}")
    if key in AGENCY:
        return _link(paths.query("agency_releases", agency=value), str(value))
    if key in CONFIGURED_SOURCE:
        return _link(paths.runs(str(value)), str(value))
    if table is None and column == "revisions" and row_id is not None and value:
        return _link(paths.query("revisions_of_article", article=row_id), f"{value} revision{'s' * (value != 1)}")
    return None


def _json(value: Any, kind: type) -> Any:
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, kind) else None


def _items(items: list[Any] | None) -> Markup | None:
    if items is None:
        return None
    lis = "".join(f"<li>{escape(str(item))}</li>" for item in items)
    return Markup(f'<ul class="presswatch-list">{lis}</ul>')


def _link(href: str, text: str) -> Markup:
    return Markup(f'<a href="{escape(href)}">{escape(text)}</a>')


def _row_id(row: Any) -> Any:
    try:
        return row["id"]
    except (IndexError, KeyError, TypeError):
        return None


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Markup | None:
    if database != DATABASE:
        return None
    return cell_html(table, column, value, _row_id(row), Paths(datasette.urls.database(DATABASE)))
