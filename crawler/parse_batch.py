"""Batch front-end of the parser: saved pages in, one JSON record per page out.

    python -m crawler.parse_batch --manifest PATH|- [--timezone TZ] [--language LANG]
    python -m crawler.parse_batch FILE --url URL [--timezone TZ] [--language LANG]
"""
from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from crawler.parsing import ParseProfile, parse_article
from crawler.parsing.body import preload

logger = logging.getLogger(__name__)
GZIP_MAGIC = b"\x1f\x8b"
POOL_THRESHOLD = 24  # below this many pages a worker pool costs more than it saves
BATCH_PER_WORKER = 128


def load_page(path: str | Path) -> bytes:
    """The bytes of a saved page, gunzipped when the file is gzip-compressed."""
    data = Path(path).read_bytes()
    if data[:2] == GZIP_MAGIC:
        return gzip.decompress(data)
    return data


def parse_to_record(page: bytes, url: str, profile: ParseProfile | None) -> dict[str, Any]:
    """``Article.to_json()`` for one page, or ``{"url", "error"}``; never raises."""
    try:
        return parse_article(page, url, profile).to_json()
    except Exception as exc:  # noqa: BLE001 - a batch must survive any single page
        logger.exception("parse failed for %s", url)
        return {"url": url, "error": f"{type(exc).__name__}: {exc}"}


def _job(line: str, base_dir: Path, profile: ParseProfile | None) -> dict[str, Any]:
    try:
        entry = json.loads(line)
        if not isinstance(entry, dict):
            raise ValueError("manifest line is not a JSON object")
    except ValueError as exc:
        return {"url": None, "error": f"bad manifest line: {exc}"}
    url = entry.get("url") or ""
    head = {"id": entry["id"]} if "id" in entry else {}
    try:
        path = Path(entry["html_path"])
        page = load_page(path if path.is_absolute() else base_dir / path)
    except (KeyError, TypeError, OSError, EOFError, gzip.BadGzipFile) as exc:
        return {**head, "url": url, "error": f"cannot read page: {exc}"}
    return {**head, **parse_to_record(page, url, profile)}


def _job_args(args: tuple[str, Path, ParseProfile | None]) -> dict[str, Any]:
    return _job(*args)


def run_manifest(lines: Iterable[str], out: TextIO, profile: ParseProfile | None,
                 base_dir: Path, workers: int | None = None) -> int:
    """Parse every manifest line, write one JSONL record each, in input order; return count.

    Blank lines are skipped (JSONL); any other line yields exactly one record, with
    ``"error"`` when it is not a JSON object or its page cannot be read or parsed.
    """
    jobs = [(line, base_dir, profile) for line in lines if line.strip()]
    count = 0
    for record in _records(jobs, workers):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _records(jobs: list[tuple[str, Path, ParseProfile | None]],
             workers: int | None) -> Iterator[dict[str, Any]]:
    workers = workers if workers is not None else _default_workers(len(jobs))
    if workers <= 1:
        yield from map(_job_args, jobs)
        return
    window = BATCH_PER_WORKER * workers  # bounds memory on huge manifests, keeps order
    preload()  # imported once here, not once per worker: forked workers inherit it
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for start in range(0, len(jobs), window):
            yield from pool.map(_job_args, jobs[start:start + window], chunksize=4)


def _default_workers(count: int) -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cpus or 1, 4) if count >= POOL_THRESHOLD else 1


def build_profile(timezone: str | None, language: str | None) -> ParseProfile | None:
    if not timezone and not language:
        return None
    return ParseProfile(timezone=timezone, language=language)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.parse_batch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", help="one saved page (plain or gzip)")
    parser.add_argument("--url", default="", help="the page's URL")
    parser.add_argument("--manifest", help="JSONL manifest path, or - for stdin")
    parser.add_argument("--timezone", help="IANA zone for times printed without an offset")
    parser.add_argument("--language", help="ISO 639-1 language hint")
    parser.add_argument("--workers", type=int, help="parallel worker processes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # its per-page notes are noise here
    profile = build_profile(args.timezone, args.language)
    if args.manifest:
        if args.manifest == "-":
            run_manifest(sys.stdin, sys.stdout, profile, Path.cwd(), args.workers)
        else:
            path = Path(args.manifest)
            with path.open(encoding="utf-8") as lines:
                run_manifest(lines, sys.stdout, profile, path.parent, args.workers)
        return 0
    if not args.file:
        parser.error("give FILE --url URL, or --manifest PATH|-")
    try:
        page = load_page(args.file)
    except OSError as exc:
        record: dict[str, Any] = {"url": args.url, "error": f"cannot read page: {exc}"}
    else:
        record = parse_to_record(page, args.url or Path(args.file).resolve().as_uri(), profile)
    print(json.dumps(record, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
