"""The loopback site server: real HTTP on 127.0.0.1 against a temp tree."""
from __future__ import annotations

import http.client
import os
import time
from email.utils import formatdate
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

import pytest

from presswatch.crawler.site_server import RequestRecord, SiteServer


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None):
    """(status, headers, body) for one request; HTTP errors are answers, not exceptions."""
    request = Request(url, method=method, headers=headers or {})
    try:
        with urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def raw_get(server: SiteServer, path: str) -> tuple[int, bytes]:
    """A request with the path sent exactly as given (urllib would not normalise, but be explicit)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    files = {
        "site/en/news/index.html": "<html><body>page one</body></html>",
        "site/en/news/page/2.html": "<html><body>page two</body></html>",
        "site/en/news/politics/some-story-42.html": '<a href="__BASE__/site/en/news">home</a>',
        "site/exact": "exact file without extension",
        "site/exact.html": "the .html sibling",
        "site/rss.xml": "<rss><link>__BASE__/site/en/news</link></rss>",
        "site/atom.xml": "<feed><id>__BASE__/site</id></feed>",
        "site/sitemap.xml": "<urlset><loc>__BASE__/site/a</loc></urlset>",
        "site/robots.txt": "Sitemap: __BASE__/site/sitemap.xml\n",
        "site/empty-dir/.keep": "",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "site/photo.png").write_bytes(b"\x89PNG__BASE__")
    (tmp_path / "secret.txt").write_text("top secret", encoding="utf-8")
    return root


@pytest.fixture()
def server(tree: Path):
    with SiteServer(tree) as running:
        yield running


def test_base_url_is_loopback_with_the_bound_port(server: SiteServer) -> None:
    assert server.port > 0
    assert server.base_url == f"http://127.0.0.1:{server.port}"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/site/en/news", b"page one"),
        ("/site/en/news/", b"page one"),
        ("/site/en/news/page/2", b"page two"),
        ("/site/en/news/page/2.html", b"page two"),
        ("/site/exact", b"exact file without extension"),
        ("/site/en/news?utm_source=rss", b"page one"),
    ],
)
def test_paths_resolve_to_file_then_html_then_index(server: SiteServer, path: str, body: bytes) -> None:
    status, _, content = fetch(server.base_url + path)
    assert status == 200
    assert body in content


def test_missing_page_is_a_404_html_page(server: SiteServer) -> None:
    status, headers, body = fetch(server.base_url + "/site/en/news/page/99")
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"404 Not Found" in body


def test_a_directory_without_index_is_not_listed(server: SiteServer) -> None:
    status, _, body = fetch(server.base_url + "/site/empty-dir/")
    assert status == 404
    assert b".keep" not in body


@pytest.mark.parametrize("path", ["/../secret.txt", "/site/../../secret.txt", "/%2e%2e/secret.txt",
                                  "/site/%2E%2E/%2e%2e/secret.txt", "/..%2fsecret.txt"])
def test_traversal_outside_the_root_is_refused(server: SiteServer, path: str) -> None:
    status, body = raw_get(server, path)
    assert status in (403, 404)
    assert b"top secret" not in body


def test_a_symlink_out_of_the_root_is_refused(server: SiteServer, tree: Path) -> None:
    (tree / "site/leak.txt").symlink_to(tree.parent / "secret.txt")
    status, body = raw_get(server, "/site/leak.txt")
    assert status == 403
    assert b"top secret" not in body


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/site/en/news", "text/html; charset=utf-8"),
        ("/site/sitemap.xml", "application/xml"),
        ("/site/rss.xml", "application/rss+xml"),
        ("/site/atom.xml", "application/atom+xml"),
        ("/site/robots.txt", "text/plain; charset=utf-8"),
        ("/site/photo.png", "image/png"),
    ],
)
def test_content_type_follows_the_file_name(server: SiteServer, path: str, content_type: str) -> None:
    status, headers, _ = fetch(server.base_url + path)
    assert (status, headers["Content-Type"]) == (200, content_type)


@pytest.mark.parametrize("path", ["/site/rss.xml", "/site/sitemap.xml", "/site/robots.txt",
                                  "/site/en/news/politics/some-story-42"])
def test_base_placeholder_becomes_the_server_url_in_text(server: SiteServer, path: str) -> None:
    _, headers, body = fetch(server.base_url + path)
    assert b"__BASE__" not in body
    assert server.base_url.encode() + b"/site/" in body
    assert int(headers["Content-Length"]) == len(body)


def test_binary_files_are_served_untouched(server: SiteServer) -> None:
    assert fetch(server.base_url + "/site/photo.png")[2] == b"\x89PNG__BASE__"


def test_etag_round_trip_gives_304_without_body(server: SiteServer) -> None:
    url = server.base_url + "/site/en/news"
    _, headers, _ = fetch(url)
    etag = headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    status, again, body = fetch(url, headers={"If-None-Match": etag})
    assert (status, body, again["ETag"]) == (304, b"", etag)
    assert fetch(url, headers={"If-None-Match": f'"other", W/{etag}'})[0] == 304
    assert fetch(url, headers={"If-None-Match": '"other"'})[0] == 200


def test_a_changed_page_is_served_fresh_with_a_new_etag(server: SiteServer, tree: Path) -> None:
    url = server.base_url + "/site/en/news/politics/some-story-42"
    _, headers, _ = fetch(url)
    page = tree / "site/en/news/politics/some-story-42.html"
    page.write_text("<p>Corrected release</p>", encoding="utf-8")
    status, fresh, body = fetch(url, headers={"If-None-Match": headers["ETag"]})
    assert (status, body) == (200, b"<p>Corrected release</p>")
    assert fresh["ETag"] != headers["ETag"]


def test_if_modified_since_uses_the_file_mtime(server: SiteServer, tree: Path) -> None:
    page = tree / "site/en/news/index.html"
    os.utime(page, (1_700_000_000, 1_700_000_000))
    url = server.base_url + "/site/en/news"
    _, headers, _ = fetch(url)
    assert headers["Last-Modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert fetch(url, headers={"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert fetch(url, headers={"If-Modified-Since": formatdate(1_600_000_000, usegmt=True)})[0] == 200
    assert fetch(url, headers={"If-Modified-Since": "not a date"})[0] == 200


def test_if_none_match_wins_over_if_modified_since(server: SiteServer) -> None:
    url = server.base_url + "/site/en/news"
    future = formatdate(time.time() + 86_400, usegmt=True)
    status, _, _ = fetch(url, headers={"If-None-Match": '"stale"', "If-Modified-Since": future})
    assert status == 200


def test_head_sends_headers_only(server: SiteServer) -> None:
    _, get_headers, body = fetch(server.base_url + "/site/rss.xml")
    status, headers, head_body = fetch(server.base_url + "/site/rss.xml", method="HEAD")
    assert (status, head_body) == (200, b"")
    assert headers["Content-Length"] == str(len(body))
    assert headers["ETag"] == get_headers["ETag"]
    assert fetch(server.base_url + "/missing", method="HEAD")[:1] == (404,)


def test_request_log_records_method_path_and_status_in_order(server: SiteServer) -> None:
    before = time.monotonic()
    fetch(server.base_url + "/site/en/news")
    fetch(server.base_url + "/nope")
    fetch(server.base_url + "/site/rss.xml", method="HEAD")
    log = server.requests
    assert [(r.method, r.path, r.status) for r in log] == [
        ("GET", "/site/en/news", 200), ("GET", "/nope", 404), ("HEAD", "/site/rss.xml", 200),
    ]
    assert all(isinstance(r, RequestRecord) for r in log)
    assert before <= log[0].at <= log[1].at <= log[2].at <= time.monotonic()
    server.clear_requests()
    assert server.requests == []


def test_the_server_is_quiet(server: SiteServer, capfd: pytest.CaptureFixture[str]) -> None:
    fetch(server.base_url + "/site/en/news")
    fetch(server.base_url + "/missing")
    raw_get(server, "/../secret.txt")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_stop_closes_the_port(tree: Path) -> None:
    server = SiteServer(tree).start()
    url = server.base_url + "/site/en/news"
    assert fetch(url)[0] == 200
    server.stop()
    with pytest.raises(URLError):
        urlopen(url, timeout=2)


def test_a_missing_root_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        SiteServer(tmp_path / "nowhere")
