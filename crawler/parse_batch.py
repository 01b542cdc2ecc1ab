"""Batch front-end of the parser: saved pages in, one JSON record per page out.

    python -m crawler.parse_batch --manifest PATH|- [--timezone TZ] [--language LANG] [--max-page-bytes N]
    python -m crawler.parse_batch FILE --url URL [--timezone TZ] [--language LANG] [--max-page-bytes N]

Input is bounded like a crawled body: a page larger than ``max_page_bytes`` (10 MiB unless
told), also once gunzipped, is refused after reading at most that much, and so is a
manifest line longer than ``MAX_LINE_BYTES``. A manifest is read as bytes, line by line: a
line that is not UTF-8, not a JSON object, or whose ``url``/``html_path`` is not a string
gives an error record in its place; every other line is parsed.
"""
from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import sys
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TextIO

from presswatch.crawler.config import CrawlSettings
from presswatch.crawler.parsing import ParseProfile, parse_article
from presswatch.crawler.parsing.body import preload

logger = logging.getLogger(__name__)
GZIP_MAGIC = b"\x1f\x8b"
POOL_THRESHOLD = 24  # below this many pages a worker pool costs more than it saves
BATCH_PER_WORKER = 128
DEFAULT_MAX_PAGE_BYTES = CrawlSettings().max_page_bytes
MAX_LINE_BYTES = 1024 * 1024  # a manifest line names one page; longer is not a manifest
Line = str | bytes | None  # a manifest line; None: one longer than MAX_LINE_BYTES
Job = tuple[Line, Path, ParseProfile | None, int]


class PageUnreadable(Exception):
    """A saved page cannot be read: missing, larger than the bound, a corrupt gzip.

    The message says why, without the path (callers name the page their own way)."""


def load_page(path: str | Path, max_bytes: int = DEFAULT_MAX_PAGE_BYTES) -> bytes:
    """The bytes of a saved page (``-``: standard input), gunzipped when gzip-compressed.

    Reads at most ``max_bytes + 1`` bytes (of the file, or of its inflated content), so
    ``/dev/zero`` or a gzip bomb costs no more memory than a page may have.
    """
    try:
        if str(path) == "-":  # standard input
            return read_page(sys.stdin.buffer, max_bytes)
        with open(path, "rb") as file:
            return read_page(file, max_bytes)
    except OSError as exc:
        raise PageUnreadable(exc.strerror or str(exc)) from None


def read_page(file: IO[bytes], max_bytes: int) -> bytes:
    """``load_page`` on an open binary stream."""
    head = file.peek(2)[:2] if hasattr(file, "peek") else b""
    if head == GZIP_MAGIC:
        return _gunzip(file, max_bytes)
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PageUnreadable(f"larger than max_page_bytes ({max_bytes} bytes)")
    return data


def _gunzip(file: IO[bytes], max_bytes: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=file) as packed:
            data = packed.read(max_bytes + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise PageUnreadable(f"corrupt gzip file: {exc}") from None
    if len(data) > max_bytes:
        raise PageUnreadable(f"inflates to more than max_page_bytes ({max_bytes} bytes)")
    return data


def parse_to_record(page: bytes, url: str, profile: ParseProfile | None) -> dict[str, Any]:
    """``Article.to_json()`` for one page, or ``{"url", "error"}``; never raises."""
    try:
        return parse_article(page, url, profile).to_json()
    except Exception as exc:  # a batch must survive any single page
        message = f"{type(exc).__name__}: {exc}"
        logger.error("parse failed for %s: %s", url, message, exc_info=logger.isEnabledFor(logging.DEBUG))
        return {"url": url, "error": message}


@dataclass(frozen=True, slots=True)
class Entry:
    """One manifest line read: what to echo back (``id``), the page's URL and path, or why not."""

    head: dict[str, Any] = field(default_factory=dict)
    url: str | None = None
    html_path: str | None = None
    problem: str | None = None


def read_entry(line: Line) -> Entry:
    """A manifest line as an :class:`Entry`; ``problem`` set when the line is unusable.

    The ``id`` is echoed whenever it can be read, also from a line that is not UTF-8."""
    if line is None:
        return Entry(problem=f"longer than {MAX_LINE_BYTES} bytes")
    text, problem = _text_of(line)
    try:
        entry = json.loads(text)
    except ValueError as exc:
        return Entry(problem=problem or f"not JSON: {exc}")
    if not isinstance(entry, dict):
        return Entry(problem=problem or "not a JSON object")
    if problem is not None:  # not UTF-8: echo only values the replaced bytes left intact
        entry = {k: v for k, v in entry.items() if "\ufffd" not in json.dumps(v, ensure_ascii=False)}
    head = {"id": entry["id"]} if "id" in entry else {}
    url, path = entry.get("url"), entry.get("html_path")
    if url is not None and not isinstance(url, str):
        problem = problem or f"url is not a string: {json.dumps(url)}"
    if not isinstance(path, str) or not path:
        problem = problem or "html_path is missing or not a string"
    return Entry(head, url if isinstance(url, str) else None, path if isinstance(path, str) else None, problem)


def _text_of(line: str | bytes) -> tuple[str, str | None]:
    if isinstance(line, str):
        return line, None
    try:
        return line.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return line.decode("utf-8", "replace"), f"not UTF-8 (byte {line[exc.start]:#04x} at offset {exc.start})"


def _job(line: Line, base_dir: Path, profile: ParseProfile | None, max_bytes: int) -> dict[str, Any]:
    entry = read_entry(line)
    if entry.problem is not None or entry.html_path is None:
        return {**entry.head, "url": entry.url, "error": f"bad manifest line: {entry.problem}"}
    url = entry.url or ""
    path = Path(entry.html_path)
    try:
        page = load_page(path if path.is_absolute() else base_dir / path, max_bytes)
    except PageUnreadable as exc:
        return {**entry.head, "url": url, "error": f"cannot read page {entry.html_path}: {exc}"}
    return {**entry.head, **parse_to_record(page, url, profile)}


def _job_args(args: Job) -> dict[str, Any]:
    return _job(*args)


def manifest_lines(stream: IO[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[bytes | None]:
    """The lines of a binary manifest stream; ``None`` for a line longer than ``limit``
    (read past in pieces of at most ``limit`` bytes, never held whole)."""
    while line := stream.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while (rest := stream.readline(limit)) and not rest.endswith(b"\n"):
            pass
        yield None


def run_manifest(lines: Iterable[Line], out: TextIO, profile: ParseProfile | None,
                 base_dir: Path, workers: int | None = None,
                 max_bytes: int = DEFAULT_MAX_PAGE_BYTES) -> int:
    """Parse every manifest line, write one JSONL record each, in input order; return count.

    ``lines`` are text, or bytes as :func:`manifest_lines` reads them. Blank lines are
    skipped (JSONL); any other line yields exactly one record, with ``"error"`` when it is
    not a UTF-8 JSON object naming its page, or its page cannot be read or parsed.
    """
    jobs = [(line, base_dir, profile, max_bytes) for line in lines if line is None or line.strip()]
    count = 0
    for record in _records(jobs, workers):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _records(jobs: list[Job], workers: int | None) -> Iterator[dict[str, Any]]:
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
    parser.add_argument("--max-page-bytes", type=int, default=DEFAULT_MAX_PAGE_BYTES,
                        help="largest page read, also once gunzipped (default: 10 MiB)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # its per-page notes are noise here
    profile = build_profile(args.timezone, args.language)
    if args.manifest:
        if args.manifest == "-":
            run_manifest(manifest_lines(sys.stdin.buffer), sys.stdout, profile, Path.cwd(),
                         args.workers, args.max_page_bytes)
            return 0
        path = Path(args.manifest)
        try:
            stream = path.open("rb")
        except OSError as exc:
            parser.error(f"cannot read {path}: {exc.strerror or exc}")
        with stream:
            run_manifest(manifest_lines(stream), sys.stdout, profile, path.parent,
                         args.workers, args.max_page_bytes)
        return 0
    if not args.file:
        parser.error("give FILE --url URL, or --manifest PATH|-")
    try:
        page = load_page(args.file, args.max_page_bytes)
    except PageUnreadable as exc:
        record: dict[str, Any] = {"url": args.url, "error": f"cannot read page: {exc}"}
    else:
        record = parse_to_record(page, args.url or Path(args.file).resolve().as_uri(), profile)
    print(json.dumps(record, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
