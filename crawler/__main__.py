"""`python -m crawler`: one crawl run in its own process (the service's child).

Prints one JSON line per source with the run's counts on stdout.
Exit status: 0 the run completed (pages may have failed: they are recorded),
2 bad config, 3 database unreachable or unusable.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from presswatch.crawler.config import ConfigError, load_config
from presswatch.crawler.run import run_crawl
from presswatch.storage import ArchiveError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--source", action="append", default=[])
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    try:
        sources = load_config(args.config).select(args.source)
    except ConfigError as exc:
        print(f"presswatch: {exc}", file=sys.stderr)
        return 2
    try:
        reports = run_crawl(sources, args.db, full=args.full, log_level=args.log_level)
    except ArchiveError as exc:
        print(f"presswatch: {exc}", file=sys.stderr)
        return 3
    for report in reports:
        record = {"source": report.source, "status": report.status, "seconds": round(report.seconds, 2)}
        print(json.dumps({**record, **asdict(report.counts)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
