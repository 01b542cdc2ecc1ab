"""Pure parts of `presswatch browse`: how its plugin renders a cell (lists for JSON, links between
the views), and which addresses count as loopback."""
from __future__ import annotations

import pytest

from presswatch.scheduler.browse import is_loopback
from presswatch.scheduler.browse_plugin import Paths, cell_html

PATHS = Paths("/archive")


@pytest.mark.parametrize(("table", "column", "value", "row_id", "html"), [
    ("articles", "labels", '["PHOTO", "UPDATED"]', 5,
     '<ul class="presswatch-list"><li>PHOTO</li><li>UPDATED</li></ul>'),
    ("articles", "authors", "[]", 5, '<ul class="presswatch-list"></ul>'),
    (None, "labels", '["<b>"]', 5, '<ul class="presswatch-list"><li>&lt;b&gt;</li></ul>'),
    ("crawl_runs", "error_kinds", '{"http_status": 2, "timeout": 1}', 3,
     '<ul class="presswatch-list"><li>http_status: 2</li><li>timeout: 1</li></ul>'),
    (None, "errors_by_kind", '{"dns": 1}', None, '<ul class="presswatch-list"><li>dns: 1</li></ul>'),
    ("articles", "duplicate_group_id", {"value": 4, "label": "Some headline"}, 5,
     '<a href="/archive/reprint_clusters?group=4">cluster 4</a>'),
    (None, "cluster", 4, 5, '<a href="/archive/reprint_clusters?group=4">cluster 4</a>'),
    ("articles", "source", "Ministry of Energy", 5,
     '<a href="/archive/agency_releases?agency=Ministry+of+Energy">Ministry of Energy</a>'),
    (None, "agency", "APA", 5, '<a href="/archive/agency_releases?agency=APA">APA</a>'),
    ("articles", "source_name", "gov-press", 5,
     '<a href="/archive/crawl_runs?source=gov-press&amp;_sort_desc=started_at">gov-press</a>'),
    ("crawl_runs", "source", "gov-press", 9,
     '<a href="/archive/crawl_runs?source=gov-press&amp;_sort_desc=started_at">gov-press</a>'),
    (None, "configured_source", "dead-wire", None,
     '<a href="/archive/crawl_runs?source=dead-wire&amp;_sort_desc=started_at">dead-wire</a>'),
    ("releases", "labels", '["UPDATED"]', 5, '<ul class="presswatch-list"><li>UPDATED</li></ul>'),
    ("releases", "authors", '["A. Aliyev"]', 5, '<ul class="presswatch-list"><li>A. Aliyev</li></ul>'),
    ("releases", "credited_source", "APA", 5, '<a href="/archive/agency_releases?agency=APA">APA</a>'),
    ("releases", "configured_source", "gov-press", 5,
     '<a href="/archive/crawl_runs?source=gov-press&amp;_sort_desc=started_at">gov-press</a>'),
    ("releases", "duplicate_group_id", 4, 5, '<a href="/archive/reprint_clusters?group=4">cluster 4</a>'),
    (None, "revisions", 1, 12, '<a href="/archive/revisions_of_article?article=12">1 revision</a>'),
    (None, "revisions", 3, 12, '<a href="/archive/revisions_of_article?article=12">3 revisions</a>'),
])
def test_cells_presswatch_renders(table, column, value, row_id, html) -> None:
    assert cell_html(table, column, value, row_id, PATHS) == html


@pytest.mark.parametrize(("table", "column", "value"), [
    ("articles", "labels", None),  # empty: Datasette's own blank cell
    ("articles", "labels", "not json"),  # not a list: shown as it is
    ("crawl_runs", "error_kinds", "[1, 2]"),
    (None, "revisions", 0),  # no revisions: nothing to link to
    ("articles", "headline", "Plain text"),
    ("releases", "source", "APA"),  # not a column of the view: no link
    (None, "source", "APA"),  # an ad-hoc query's column: its meaning is unknown
    ("crawl_runs", "status", "ok"),
])
def test_cells_left_to_datasette(table, column, value) -> None:
    assert cell_html(table, column, value, 7, PATHS) is None


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("example.org", False),
])
def test_which_hosts_browse_serves_without_a_warning(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
