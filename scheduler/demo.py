"""`presswatch demo`: the bundled demo sites, served on loopback, crawled into the archive."""
from __future__ import annotations

import errno
import os
import shutil
import sys
from pathlib import Path
from typing import TextIO

from presswatch.crawler.config import load_config
from presswatch.crawler.run import progress_stream, run_crawl
from presswatch.crawler.site_server import SiteServer
from presswatch.scheduler.cli_common import EXIT_CONFIG, PresswatchError
from presswatch.scheduler.output import print_rows
from presswatch.scheduler.reports import iso_time, print_crawl_summary
from presswatch.storage import masked_url, open_archive

DEMO_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
# A fixed port keeps the demo's article URLs the same from run to run, so a second
# `presswatch demo` finds everything archived. Another free port is used if it is taken.
# $PRESSWATCH_DEMO_PORT chooses another fixed port.
DEFAULT_DEMO_PORT = 8765




def demo_port() -> int:
    value = os.environ.get("PRESSWATCH_DEMO_PORT", "")
    if not value:
        return DEFAULT_DEMO_PORT
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise PresswatchError(f"PRESSWATCH_DEMO_PORT={value!r} is not a TCP port (1-65535)", EXIT_CONFIG)
    return int(value)


def start_demo_server(out: TextIO) -> SiteServer:
    port = demo_port()
    try:
        return SiteServer(DEMO_DIR / "sites", port=port).start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        out.write(f"port {port} is busy; serving on another port (URLs will differ from earlier demo runs)\n")
        return SiteServer(DEMO_DIR / "sites", port=0).start()


def run_demo(db_url: str, out: TextIO) -> None:
    with start_demo_server(out) as server:
        config = load_config(DEMO_DIR / "sources.toml", base_url=server.base_url)
        out.write(f"Serving {len(config.sources)} demo sites at {server.base_url}; crawling into {masked_url(db_url)}\n\n")
        reports = run_crawl(config.sources, db_url, progress=progress_stream())
    print_crawl_summary(reports, out)
    with open_archive(db_url) as archive:  # not `query`: a demo may run on a superuser's PostgreSQL URL
        columns, rows = archive.latest_articles(8)
    out.write("\nLatest articles in the archive:\n")
    print_rows(columns, [(iso_time(published, "-"), *rest) for published, *rest in rows], "table", out)
    me = command_name()
    out.write(
        f"\nNext: {me} query \"SELECT source, count(*) FROM articles GROUP BY source\"\n"
        f"      {me} query \"SELECT source, status, new, errors FROM crawl_runs\" --format json\n"
        f"      {me} browse   (the archive in a web page; needs pip install 'presswatch[browse]')\n"
        f"Run `{me} demo` again: it finds everything archived and adds nothing.\n"
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
