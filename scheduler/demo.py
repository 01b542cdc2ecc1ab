"""`presswatch demo`: the bundled demo sites, served on loopback, crawled into the demo's own archive.

The sites are addressed as `http://demo.presswatch.test/...` (a reserved name, RFC 6761), whatever
port the loopback server got: the crawl sends those requests to the server over real HTTP
(`crawler.routes`), and the archive stores the same URLs from run to run, so a second demo
finds everything archived. The demo has an archive of its own (`presswatch-demo.db`), apart
from the default one, and `presswatch sources --demo` lists its sources.
"""
from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path
from typing import TextIO

import presswatch.demo
from presswatch.crawler.config import Config, load_config
from presswatch.demo.site_server import SiteServer
from presswatch.scheduler.cli_common import DEMO_DB
from presswatch.scheduler.output import print_rows
from presswatch.scheduler.reports import iso_time, print_crawl_summary
from presswatch.storage import masked_url, open_archive

DEMO_DIR = Path(presswatch.demo.__file__).resolve().parent  # fixtures/demo/, installed as presswatch.demo
#: Where the demo sites live as far as the crawl and the archive are concerned.
DEMO_ORIGIN = "http://demo.presswatch.test"


def demo_config() -> Config:
    """The demo's sources (`fixtures/demo/sources.toml`), at `DEMO_ORIGIN`."""
    return load_config(DEMO_DIR / "sources.toml", base_url=DEMO_ORIGIN)


def run_demo(db_url: str, out: TextIO) -> None:
    from presswatch.crawler.run import progress_stream, run_crawl

    config = demo_config()
    with SiteServer(DEMO_DIR / "sites", public_url=DEMO_ORIGIN) as server:
        out.write(f"Serving {len(config.sources)} demo sites as {DEMO_ORIGIN} (from {server.address}); "
                  f"crawling into {masked_url(db_url)}\n\n")
        out.flush()
        reports = run_crawl(config.sources, db_url, progress=progress_stream(), routes={DEMO_ORIGIN: server.address})
    print_crawl_summary(reports, out)
    with open_archive(db_url) as archive:  # not `query`: a demo may run on a superuser's PostgreSQL URL
        columns, rows = archive.latest_articles(8)
    out.write("\nLatest articles in the archive:\n")
    print_rows(columns, [(iso_time(published, "-"), *rest) for published, *rest in rows], "table", out)
    out.write(next_steps(command_name(), db_url))


def next_steps(me: str, db_url: str) -> str:
    """What to run next, each command naming the demo's archive."""
    db = f"--db {shlex.quote(masked_url(db_url))}"
    own_db = "" if db_url == DEMO_DB else " " + db  # `sources --demo` and `demo` know the demo's archive
    return (
        f"\nNext: {me} sources --demo{own_db}   (the demo's sources, their runs and health)\n"
        f"      {me} query {db} \"SELECT source, count(*) FROM articles GROUP BY source\"\n"
        f"      {me} query {db} \"SELECT source, status, new, errors FROM crawl_runs\" --format json\n"
        f"      {me} browse {db}   (the archive in a web page; needs pip install 'presswatch[browse]')\n"
        f"Run `{me} demo{own_db}` again: it finds everything archived and adds nothing.\n"
    )


def command_name() -> str:
    """How the user can call presswatch again: the bare name when it is on PATH."""
    invoked = Path(sys.argv[0]).resolve()
    on_path = shutil.which("presswatch")
    if on_path and Path(on_path).resolve() == invoked:
        return "presswatch"
    try:
        return str(invoked.relative_to(Path.cwd()))
    except ValueError:
        return str(invoked)
