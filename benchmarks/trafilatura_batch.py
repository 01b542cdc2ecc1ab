"""trafilatura behind the scorer's batch interface: the reference for ``extraction.py``.

    .venv/bin/python benchmarks/trafilatura_batch.py [--workers N] < pages.jsonl > records.jsonl

Reads the scorer's JSON lines (``{"id", "url", "html_path"}``, gzip or plain HTML) and writes
one record per page from ``trafilatura.bare_extraction(..., with_metadata=True)``: title,
date, text, authors and language, so trafilatura pays for the same fields presswatch
extracts. With ``--workers N`` (default 1, trafilatura's own single-process use) pages are
spread over N processes, like ``presswatch parse``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import logging
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import trafilatura


def record(line: str) -> dict[str, Any]:
    entry = json.loads(line)
    data = Path(entry["html_path"]).read_bytes()
    html = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    head = {"id": entry.get("id"), "url": entry.get("url")}
    try:
        doc = trafilatura.bare_extraction(
            html.decode("utf-8", "replace"), url=entry.get("url"), with_metadata=True,
            include_comments=False, include_tables=True, output_format="python",
        )
    except (ValueError, TypeError, AttributeError) as exc:
        return {**head, "error": str(exc)}
    if doc is None:
        return {**head, "headline": None, "published_at": None, "body": None, "authors": []}
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return {**head, "headline": doc.title, "published_at": doc.date, "body": doc.text,
            "authors": authors, "language": doc.language}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    lines = [line for line in sys.stdin if line.strip()]
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            records = list(pool.map(record, lines, chunksize=4))
    else:
        records = [record(line) for line in lines]
    for rec in records:
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
