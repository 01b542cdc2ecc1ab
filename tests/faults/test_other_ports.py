"""A redirect to another port of an allowed host is not followed unless the source lists that origin."""
from __future__ import annotations

from pathlib import Path

from tests.e2e.helpers import run_presswatch
from tests.faults import pages
from tests.faults.helpers import rows
from tests.faults.server import FaultServer, page, redirect, table

LINK = "/news/ministry-opens-new-rail-line-7"
SECRET = "/admin/internal-report-with-secrets-1"


def crawl(tmp_path: Path, public: FaultServer, extra: str = "") -> tuple[int, str, str]:
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[crawl]\ndownload_delay = 0\nobey_robots = false\n\n[[sources]]\nname = "ministry"\n'
        f'start_urls = ["{public.base_url}/news"]\ntimezone = "UTC"\n{extra}',
        encoding="utf-8",
    )
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_presswatch("crawl", "--config", str(config), "--db", db_url)
    return result.returncode, result.stderr, db_url


def test_a_redirect_to_another_port_of_the_same_host_is_refused_and_recorded(tmp_path: Path) -> None:
    with FaultServer(table({SECRET: page(pages.article("internal-report"))})) as internal:
        target = f"{internal.base_url}{SECRET}"
        routes = {"/news": page(pages.listing([LINK])), LINK: redirect(target)}
        with FaultServer(table(routes)) as public:
            code, stderr, db_url = crawl(tmp_path, public)
            assert internal.hits == []  # nothing was sent to the other port
    assert code == 0, stderr
    assert rows(db_url, "SELECT count(*) FROM articles") == [(0,)]
    assert rows(db_url, "SELECT url, kind, status, message FROM crawl_errors") == [
        (
            f"{public.base_url}{LINK}", "offsite_redirect", 302,
            f"redirect to {target} (outside allowed_domains) not followed",
        )
    ]


def test_a_source_that_lists_the_other_origin_follows_the_redirect(tmp_path: Path) -> None:
    with FaultServer(table({SECRET: page(pages.article("internal-report"))})) as internal:
        routes = {"/news": page(pages.listing([LINK])), LINK: redirect(f"{internal.base_url}{SECRET}")}
        with FaultServer(table(routes)) as public:
            origins = f'allowed_domains = ["127.0.0.1:{public.port}", "127.0.0.1:{internal.port}"]\n'
            code, stderr, db_url = crawl(tmp_path, public, origins)
            assert [hit.path for hit in internal.hits] == [SECRET]
    assert code == 0, stderr
    assert rows(db_url, "SELECT count(*) FROM articles") == [(1,)]
