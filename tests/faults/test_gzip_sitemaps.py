"""A gzip sitemap served as a file (`application/x-gzip`, no Content-Encoding) is read, within bounds."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.e2e.helpers import run_presswatch
from tests.faults import pages
from tests.faults.helpers import rows
from tests.faults.server import FaultServer, page, table

ARTICLES = ["/news/ministry-signs-water-accord-1", "/news/ministry-opens-rail-line-2"]


def urlset(base: str, paths: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{base}{path}</loc></url>" for path in paths)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'.encode()


def crawl(tmp_path: Path, server: FaultServer) -> tuple[int, str]:
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[crawl]\ndownload_delay = 0\nobey_robots = false\nmax_page_bytes = 65536\n\n[[sources]]\n'
        f'name = "ministry"\nsitemaps = ["{server.base_url}/sitemap.xml.gz"]\ntimezone = "UTC"\n',
        encoding="utf-8",
    )
    result = run_presswatch("crawl", "--config", str(config), "--db", f"sqlite:///{tmp_path / 'a.db'}")
    return result.returncode, result.stderr


def test_a_gzip_sitemap_file_is_inflated_and_its_articles_fetched(tmp_path: Path) -> None:
    routes = {path: page(pages.article(path.rsplit("/", 1)[1])) for path in ARTICLES}
    with FaultServer(table(routes)) as server:
        packed = gzip.compress(urlset(server.base_url, ARTICLES))
        routes["/sitemap.xml.gz"] = page(packed, content_type="application/x-gzip")
        code, stderr = crawl(tmp_path, server)
    assert code == 0, stderr
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    assert sorted(url for (url,) in rows(db_url, "SELECT url FROM articles")) == sorted(
        server.base_url + path for path in ARTICLES
    )
    assert rows(db_url, "SELECT status, errors FROM crawl_runs") == [("ok", 0)]


def test_a_gzip_sitemap_that_inflates_past_max_page_bytes_is_refused_as_a_bad_sitemap(tmp_path: Path) -> None:
    with FaultServer(table({})) as server:
        bomb = gzip.compress(urlset(server.base_url, ARTICLES) + b"<!--" + b" " * 5_000_000 + b"-->")
        assert len(bomb) < 65536  # small on the wire, 5 MB inflated
        server_routes = {"/sitemap.xml.gz": page(bomb, content_type="application/x-gzip")}
        server._server.router = table(server_routes)  # noqa: SLF001 - the route needs the server's own URL
        code, stderr = crawl(tmp_path, server)
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    assert code == 5, stderr  # its only entry failed: the run failed
    [(kind, message)] = rows(db_url, "SELECT kind, message FROM crawl_errors")
    assert kind == "bad_sitemap"
    assert message == (f"{server.base_url}/sitemap.xml.gz: the gzip sitemap inflates to more than "
                       f"max_page_bytes (65536 bytes)")
    assert json.loads(rows(db_url, "SELECT error_kinds FROM crawl_runs")[0][0]) == {"bad_sitemap": 1}
